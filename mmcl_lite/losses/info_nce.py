"""InfoNCE: pick the positive key out of a set of negatives.

van den Oord, Li and Vinyals, "Representation Learning with Contrastive Predictive Coding",
arXiv:1807.03748, 2018 (the name and the mutual-information bound); the same objective with a
queue of negatives is MoCo's (He, Fan, Wu, Xie and Girshick, CVPR 2020).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..checks import (check_positive, check_reduction, check_rows, check_same_shape, check_tensor,
                      fail, said)


def info_nce(query, positive_key, negative_keys=None, temperature=0.1, reduction="mean"):
    r"""InfoNCE loss of each query against its positive key and a set of negative keys.

    With every vector L2-normalised (so q . k is a cosine similarity) and t the temperature::

        loss_i = -log( exp(q_i . k_i^+ / t) / (exp(q_i . k_i^+ / t) + sum_j exp(q_i . k_ij / t)) )

    i.e. a cross-entropy over (1 + number of negatives) classes whose correct class is the positive.
    It bounds mutual information: I(q; k) >= log(n) - loss, with n = 1 + number of negatives.

    Where the negatives come from, by ``negative_keys``:

    * ``None`` -- in-batch negatives: the other rows of ``positive_key``. The logits are the
      (N, N) matrix ``q @ k.T / t`` and the targets sit on its diagonal (needs N >= 2).
    * ``(M, D)`` -- the same M negatives for every query, as in MoCo's queue:
      logits = ``[q . k+, q @ queue.T]``, target 0.
    * ``(N, M, D)`` -- M negatives of its own for each query.

    Args:
        query: (N, D) embeddings.
        positive_key: (N, D) embeddings, row i is the positive of query i.
        negative_keys: None, (M, D) or (N, M, D), as above.
        temperature: t > 0; smaller values weight the hardest negatives more.
        reduction: "mean" (a scalar), "sum" (a scalar) or "none" (shape (N,)).

    Identical embeddings everywhere give exactly log(n); a perfect, well separated match gives ~0.
    """
    check_tensor(query, "query", "(N, D)")
    check_tensor(positive_key, "positive_key", "(N, D)")
    check_same_shape(positive_key, "positive_key", query, "query")
    check_positive(temperature, "temperature")
    check_reduction(reduction)
    n, d = query.shape

    query = F.normalize(query, dim=-1)
    positive_key = F.normalize(positive_key, dim=-1)

    if negative_keys is None:
        # Row i scores query i against every key: the diagonal is its positive, the rest negatives.
        check_rows(query, "query", 2, "in-batch negatives need a batch of at least 2")
        logits = query @ positive_key.T
        targets = torch.arange(n, device=query.device)
    else:
        if isinstance(negative_keys, torch.Tensor) and negative_keys.ndim not in (2, 3):
            fail("negative_keys", "None, an (M, D) or an (N, M, D) tensor",
                 said(f"shape {tuple(negative_keys.shape)}"))
        if isinstance(negative_keys, torch.Tensor) and negative_keys.ndim == 3:
            check_tensor(negative_keys, "negative_keys", "(N, M, D)")
            if negative_keys.shape[0] != n or negative_keys.shape[2] != d:
                fail("negative_keys", f"shape (N, M, D) = ({n}, M, {d}) to match query "
                     f"{tuple(query.shape)}", said(f"{tuple(negative_keys.shape)}"))
            negative_keys = F.normalize(negative_keys, dim=-1)
            negative_logits = torch.einsum("nd,nmd->nm", query, negative_keys)
        else:
            check_tensor(negative_keys, "negative_keys", "(M, D)")
            if negative_keys.shape[1] != d:
                fail("negative_keys", f"shape (M, {d}) to match query {tuple(query.shape)}",
                     said(f"{tuple(negative_keys.shape)}"))
            negative_keys = F.normalize(negative_keys, dim=-1)
            negative_logits = query @ negative_keys.T
        # The positive goes in column 0, so every target is 0.
        positive_logits = (query * positive_key).sum(dim=-1, keepdim=True)
        logits = torch.cat([positive_logits, negative_logits], dim=1)
        targets = torch.zeros(n, dtype=torch.long, device=query.device)

    return F.cross_entropy(logits / temperature, targets, reduction=reduction)
