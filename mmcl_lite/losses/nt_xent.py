"""NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR.

Chen, Kornblith, Norouzi and Hinton, "A Simple Framework for Contrastive Learning of Visual
Representations", ICML 2020.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..checks import check_positive, check_rows, check_same_shape, check_tensor


def nt_xent(z1, z2, temperature=0.5):
    r"""SimCLR's 2N-way contrastive loss over two views of a batch.

    Stack the views into 2N embeddings z_1..z_2N (row i of ``z1`` and row i of ``z2`` are a
    positive pair), L2-normalise them, s_ij = z_i . z_j (cosine similarity) and t the temperature::

        l(i, j) = -log( exp(s_ij / t) / sum_{k != i} exp(s_ik / t) )
        loss    = 1/(2N) * sum over all 2N anchors i of l(i, positive(i))

    Each anchor has one positive (its other view) and 2N - 2 negatives (every other embedding);
    its similarity with itself is masked out of the denominator.

    Args:
        z1, z2: (N, D) embeddings of the two views, N >= 2.
        temperature: t > 0 (SimCLR's default 0.5).

    Returns:
        A scalar tensor. Symmetric: ``nt_xent(z1, z2) == nt_xent(z2, z1)``.
    """
    check_tensor(z1, "z1", "(N, D)")
    check_tensor(z2, "z2", "(N, D)")
    check_same_shape(z2, "z2", z1, "z1")
    check_rows(z1, "z1", 2, "each anchor needs negatives")
    check_positive(temperature, "temperature")
    n = z1.shape[0]

    z = F.normalize(torch.cat([z1, z2]), dim=1)                      # (2N, D)
    logits = z @ z.T / temperature                                   # (2N, 2N)
    # An embedding is not its own negative: -inf gives it zero weight in the softmax.
    self_mask = torch.eye(2 * n, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(self_mask, float("-inf"))
    # Anchor i < N is view 1 of sample i; its positive is row i + N (view 2), and vice versa.
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(logits, targets)
