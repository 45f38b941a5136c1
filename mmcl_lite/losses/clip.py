"""CLIP's symmetric contrastive loss between two towers (image and text).

Radford et al., "Learning Transferable Visual Models From Natural Language Supervision", ICML 2021.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..checks import check_rows, check_same_shape, check_scalar, check_tensor, fail

MAX_LOG_SCALE = 80.0  # exp(80) = 5.5e34, below float32's 3.4e38


def clip_loss(image_emb, text_emb, logit_scale):
    r"""Symmetric cross-entropy over the N x N image-text similarity matrix.

    With I, T the L2-normalised embeddings (row i of each is a matching pair)::

        logits = exp(logit_scale) * I @ T^T                         (N, N)
        loss   = ( CE(logits, arange(N)) + CE(logits^T, arange(N)) ) / 2

    The first term classifies, for each image, its caption among the N texts; the second, for each
    text, its image among the N images. This is InfoNCE in both directions with in-batch negatives.

    ``logit_scale`` is the *log* of the inverse temperature (CLIP learns it, starting at
    log(1/0.07), and clips exp(logit_scale) at 100 -- clamping is the model's job, not the loss's).
    open_clip's ClipLoss takes the already exponentiated scale and unnormalised features.

    Args:
        image_emb: (N, D) image embeddings, N >= 2.
        text_emb: (N, D) text embeddings.
        logit_scale: scalar (tensor or number), log of the inverse temperature.

    Returns:
        A scalar tensor. Swapping the towers, clip_loss(T, I, s) == clip_loss(I, T, s).
    """
    check_tensor(image_emb, "image_emb", "(N, D)")
    check_tensor(text_emb, "text_emb", "(N, D)")
    check_same_shape(text_emb, "text_emb", image_emb, "image_emb")
    check_rows(image_emb, "image_emb", 2, "each pair needs in-batch negatives")
    logit_scale = check_scalar(logit_scale, "logit_scale").to(image_emb.device)
    if float(logit_scale.detach()) > MAX_LOG_SCALE:  # exp() would overflow float32
        fail("logit_scale", f"a log inverse temperature <= {MAX_LOG_SCALE} (CLIP caps it at "
             "log 100 = 4.6)", float(logit_scale.detach()))

    image_emb = F.normalize(image_emb, dim=1)
    text_emb = F.normalize(text_emb, dim=1)
    logits = logit_scale.exp() * image_emb @ text_emb.T
    targets = torch.arange(len(logits), device=logits.device)
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
