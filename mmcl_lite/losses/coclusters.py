"""Co-cluster positives: an image and a caption that fall in one spectral co-cluster count as a
pair (Nakada et al., AISTATS 2023, their co-clustering notebook).

Given a teacher's non-negative affinity A (B, C) between unpaired images and captions,
``models.coclustering.spectral_coclusters`` puts each image and each caption in one of k groups;
every same-group (image, caption) entry is a positive of a multi-positive InfoNCE, both ways:

    P_ij = [cluster(image_i) == cluster(caption_j)]
    loss = ( multi_positive_nce(s, P) over images with a positive
           + multi_positive_nce(s^T, P^T) over captions with a positive ) / 2
"""
from __future__ import annotations

import torch

from ..checks import check_tensor, fail, said
from .multi_positive import multi_positive_nce


def cocluster_positives(row_labels: torch.Tensor, col_labels: torch.Tensor) -> torch.Tensor:
    """(B, C) bool: True where image i and caption j share a cluster."""
    return row_labels[:, None] == col_labels[None, :]


def cocluster_loss(logits: torch.Tensor, positives: torch.Tensor) -> torch.Tensor:
    """The symmetric multi-positive InfoNCE above. ``logits`` (B, C), already scaled;
    ``positives`` (B, C) bool. Rows (columns) without a positive are left out of their
    direction; at least one positive is needed."""
    check_tensor(logits, "logits", "(B, C)")
    if not isinstance(positives, torch.Tensor) or positives.dtype != torch.bool \
            or positives.shape != logits.shape:
        fail("positives", f"a bool tensor of shape {tuple(logits.shape)}", positives)
    rows, cols = positives.any(1), positives.any(0)
    if not bool(rows.any()):
        fail("positives", "at least one positive pair", said("none"))
    image_side = multi_positive_nce(logits[rows], positives[rows])
    text_side = multi_positive_nce(logits[:, cols].T, positives[:, cols].T)
    return (image_side + text_side) / 2
