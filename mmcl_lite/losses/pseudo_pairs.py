"""Pseudo-pairs: guess which unpaired image goes with which unpaired caption.

Given the similarities of a batch of B images (rows) and B captions (columns) from pools that
were never paired, a teacher proposes positives (Nakada et al., AISTATS 2023, and their public
notebooks):

* ``"topb"``: the B largest entries of the B x B matrix;
* ``"mutual"``: pairs that are each other's nearest neighbour (argmax of the row and of the
  column);

and ``threshold`` keeps only proposals whose similarity reaches it (a confidence filter).
"""
from __future__ import annotations

import torch

from ..checks import check_choice, check_number, check_tensor, fail, said

RULES = ("topb", "mutual")


def pseudo_pairs(similarity: torch.Tensor, rule: str = "mutual",
                 threshold: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(rows, cols): int64 (P,) index pairs proposed as positives, strongest first.

    Args:
        similarity: (B, C) scores, e.g. cosines of image i and caption j.
        rule: "topb" (the min(B, C) largest entries) or "mutual" (mutual nearest neighbours).
        threshold: keep only pairs with similarity >= threshold (None: keep all).
    """
    check_tensor(similarity, "similarity", "(B, C)")
    rule = check_choice(rule, "rule", RULES)
    if threshold is not None:
        check_number(threshold, "threshold")
    s = similarity.detach()
    if rule == "topb":
        flat = s.flatten().topk(min(s.shape)).indices
        rows, cols = flat // s.shape[1], flat % s.shape[1]
    else:
        best_col = s.argmax(1)                                   # each row's nearest column
        rows = torch.arange(s.shape[0], device=s.device)
        keep = s.argmax(0)[best_col] == rows                     # ... whose nearest row is it
        rows, cols = rows[keep], best_col[keep]
        order = s[rows, cols].argsort(descending=True)
        rows, cols = rows[order], cols[order]
    if threshold is not None:
        keep = s[rows, cols] >= threshold
        rows, cols = rows[keep], cols[keep]
    return rows, cols


def pseudo_pair_loss(logits: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    r"""CLIP's loss with proposed pairs in place of known ones: with P the proposed (i, j) and
    logits s (B, C) of an unpaired batch, the mean over P of both directions' cross-entropy,

        loss = (1 / |P|) sum_{(i,j) in P} [ (logsumexp_k s_ik - s_ij) + (logsumexp_k s_kj - s_ij) ] / 2

    It is ``clip_loss`` when P is the diagonal of a square batch, and Nakada et al.'s
    semi-supervised loss (their first experiment) when P holds one pair per row and column;
    unlike a sum over every row, it stays >= 0 when few pairs are proposed. Gradients flow
    through s; the proposal itself (``pseudo_pairs``) is not differentiated.
    """
    check_tensor(logits, "logits", "(B, C)")
    if rows.shape != cols.shape or rows.ndim != 1:
        fail("cols", f"one column per proposed row ({tuple(rows.shape)})",
             said(f"shape {tuple(cols.shape)}"))
    if len(rows) == 0:
        fail("rows", "at least one proposed pair", said("none (a threshold too high?)"))
    positive = logits[rows, cols]
    row_term = logits.logsumexp(1)[rows] - positive
    col_term = logits.logsumexp(0)[cols] - positive
    return ((row_term + col_term) / 2).mean()
