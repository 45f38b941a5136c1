"""Image-text matching (ITM) with hard negatives mined from the contrastive similarities.

ALBEF (Li et al., "Align before Fuse", NeurIPS 2021) and FLAVA (Singh et al., CVPR 2022) train
a fusion encoder to say whether an image and a text belong together. Random negatives are too
easy (almost any other caption is plainly wrong), so each image is paired with a caption that
the contrastive towers find *similar*, and each caption with such an image.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..checks import check_rows, check_tensor, fail, said


def itm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    r"""Binary matching loss: the mean two-way cross-entropy of the fusion head's logits.

        loss = -(1/M) sum_m log softmax(logits_m)[y_m],     y_m = 1 (a true pair) or 0

    Args:
        logits: (M, 2) scores for "not a pair" and "a pair".
        labels: (M,) integers, each 0 or 1.
    """
    check_tensor(logits, "logits", "(M, 2)")
    if logits.shape[1] != 2:
        fail("logits", "two scores per row (not a pair, a pair)", said(f"shape {tuple(logits.shape)}"))
    if not isinstance(labels, torch.Tensor) or labels.is_floating_point() or labels.shape != logits.shape[:1]:
        fail("labels", f"an integer tensor ({len(logits)},) of 0/1", labels, TypeError
             if not isinstance(labels, torch.Tensor) else ValueError)
    if bool(((labels != 0) & (labels != 1)).any()):
        fail("labels", "binary labels (0 = not a pair, 1 = a pair)",
             said(f"values {sorted(set(labels.unique().tolist()))}"))
    return F.cross_entropy(logits, labels.long())


def mine_hard_negatives(similarity: torch.Tensor, same: torch.Tensor | None = None,
                        generator: torch.Generator | None = None) -> torch.Tensor:
    r"""For each row i, one column j != i drawn with probability softmax over the row:

        p(j | i) = exp(s_ij) / sum_{k not excluded} exp(s_ik),   excluded: k = i and same[i, k]

    so the negatives the towers confuse most are drawn most often (ALBEF samples rather than
    takes the argmax, which would often pick a caption that is in fact also true).

    Args:
        similarity: (N, N) scores, e.g. logit-scaled cosines image i vs text j (not changed).
        same: optional (N, N) bool, True where j is equally a match for i (e.g. an identical
            caption); those are never drawn.
        generator: the random generator to draw with.
    Returns:
        (N,) int64 column indices. A row whose every other column is excluded gets a uniformly
        drawn column other than i (there is then no true negative to find).
    """
    check_tensor(similarity, "similarity", "(N, N)")
    n = similarity.shape[0]
    if similarity.shape[1] != n:
        fail("similarity", "a square (N, N) matrix", said(f"shape {tuple(similarity.shape)}"))
    check_rows(similarity, "similarity", 2, "a negative needs another item")
    excluded = torch.eye(n, dtype=torch.bool, device=similarity.device)
    if same is not None:
        if same.shape != similarity.shape or same.dtype != torch.bool:
            fail("same", f"a bool tensor of shape {tuple(similarity.shape)}", same)
        excluded = excluded | same
    weights = torch.softmax(similarity.detach().float().masked_fill(excluded, float("-inf")), 1)
    empty = excluded.all(1)
    if bool(empty.any()):  # nothing left to draw: fall back to any other item
        weights[empty] = (~torch.eye(n, dtype=torch.bool, device=similarity.device))[empty].float()
    weights = torch.nan_to_num(weights, nan=0.0)
    return torch.multinomial(weights, 1, generator=generator).squeeze(1)
