"""InfoNCE with several positives per anchor, and MIL-NCE for weakly aligned pairs.

When an anchor has a *set* of acceptable partners (captions that may describe a clip, items of
one co-cluster), the loss sums their probabilities inside the log: the model is free to put its
mass on whichever of them fits best. MIL-NCE (Miech et al., "End-to-End Learning of Visual
Representations from Uncurated Instructional Videos", CVPR 2020) is this loss with each item's
bag of candidate captions as its positives.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..checks import check_rows, check_scalar, check_tensor, fail, said


def multi_positive_nce(logits: torch.Tensor, positives: torch.Tensor,
                       valid: torch.Tensor | None = None) -> torch.Tensor:
    r"""Mean over anchors i of

        -log( sum_{j in P_i} exp(logits_ij) / sum_{j in V_i} exp(logits_ij) )

    Args:
        logits: (N, M) scores of each anchor against every candidate (already scaled).
        positives: (N, M) bool, True at each anchor's positives; every row needs one.
        valid: optional (N, M) bool, the candidates that count (default all); positives
            outside it do not count either.
    """
    check_tensor(logits, "logits", "(N, M)")
    if not isinstance(positives, torch.Tensor) or positives.dtype != torch.bool:
        fail("positives", f"a bool tensor of shape {tuple(logits.shape)}", positives, TypeError)
    if positives.shape != logits.shape:
        fail("positives", f"shape {tuple(logits.shape)}", said(f"{tuple(positives.shape)}"))
    if valid is not None:
        if not isinstance(valid, torch.Tensor) or valid.shape != logits.shape \
                or valid.dtype != torch.bool:
            fail("valid", f"a bool tensor of shape {tuple(logits.shape)}", valid)
        positives = positives & valid
        logits = logits.masked_fill(~valid, float("-inf"))
    if not bool(positives.any(1).all()):
        fail("positives", "at least one positive in every row",
             said(f"{int((~positives.any(1)).sum())} row(s) without one"))
    positive = logits.masked_fill(~positives, float("-inf")).logsumexp(1)
    return (logits.logsumexp(1) - positive).mean()


def mil_nce(image_emb: torch.Tensor, text_emb: torch.Tensor, logit_scale,
            bag_mask: torch.Tensor | None = None) -> torch.Tensor:
    r"""MIL-NCE: image i against every caption of every bag, its own bag's captions positive.

        s_{i,(j,k)} = exp(logit_scale) * cos(image_i, text_{j,k})
        loss = mean_i -log( sum_{k in bag_i} e^{s_{i,(i,k)}} / sum_{j,k} e^{s_{i,(j,k)}} )

    Args:
        image_emb: (N, D); text_emb: (N, K, D), K candidate captions per image (N >= 2).
        logit_scale: log of the inverse temperature (as ``clip_loss``).
        bag_mask: optional (N, K) bool, False for padding slots of a bag (never counted).
    """
    check_tensor(image_emb, "image_emb", "(N, D)")
    check_tensor(text_emb, "text_emb", "(N, K, D)")
    n, k, d = text_emb.shape
    if n != image_emb.shape[0] or d != image_emb.shape[1]:
        fail("text_emb", f"shape ({image_emb.shape[0]}, K, {image_emb.shape[1]})",
             said(f"{tuple(text_emb.shape)}"))
    check_rows(image_emb, "image_emb", 2, "each bag needs the other bags as negatives")
    scale = check_scalar(logit_scale, "logit_scale").to(image_emb.device).exp()
    if bag_mask is None:
        bag_mask = torch.ones(n, k, dtype=torch.bool, device=image_emb.device)
    elif not isinstance(bag_mask, torch.Tensor) or bag_mask.shape != (n, k) \
            or bag_mask.dtype != torch.bool:
        fail("bag_mask", f"a bool tensor of shape ({n}, {k})", bag_mask)
    logits = scale * F.normalize(image_emb, dim=1) @ F.normalize(text_emb, dim=2).reshape(-1, d).T
    valid = bag_mask.reshape(1, -1).expand(n, -1)
    own = torch.eye(n, dtype=torch.bool, device=logits.device).repeat_interleave(k, dim=1)
    return multi_positive_nce(logits, own, valid)
