"""TS-TCC's temporal contrasting: one view's past predicts the other view's future.

Eldele, Ragab, Chen, Wu, Kwoh, Li and Guan, "Time-Series Representation Learning via Temporal
and Contextual Contrasting", IJCAI 2021 (reference code: github.com/emadeldeen24/TS-TCC,
models/TC.py).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..checks import check_positive, check_rows, check_tensor, fail, said
from .cpc import _predictor_maps


def temporal_contrast_loss(context, future, predictors, temperature=1.0):
    r"""Cross-view future prediction, with the other series of the batch as negatives.

    ``context`` c_t^a (B, Dc) summarises view a of each series up to a step t; ``future``
    (B, D, K) holds view b's encodings z^b_{t+1}, ..., z^b_{t+K}; ``predictors`` one linear
    map W_k per horizon. TS-TCC's loss (its Eq. 2), with tau the temperature (1 in TS-TCC)::

        l(b, k) = -log( exp((W_k c^a_b) . z^b_{b,t+k} / tau)
                        / sum_{b'} exp((W_k c^a_b) . z^b_{b',t+k} / tau) )
        loss    = 1/(K B) sum_k sum_b l(b, k)

    Each prediction picks out its own series' future among the B series' futures at the same
    step. The scores are plain dot products: TS-TCC L2-normalises the encoder's per-step
    features before (so z is a unit vector) and leaves the predictions free. Its code
    normalises each row of the (B, B) score matrix over the predictions instead of over the
    futures (the transpose); the paper's formula, used here, is CPC's direction.

    Args:
        context: (B, Dc), B >= 2.
        future: (B, D, K) the other view's next K steps.
        predictors: K maps Dc -> D: a sequence of modules or a (K, D, Dc) weight tensor.
        temperature: tau > 0.

    Returns:
        A scalar tensor; swap the views' roles and add for TS-TCC's symmetric loss.
    """
    check_tensor(context, "context", "(B, Dc)")
    check_tensor(future, "future", "(B, D, K)")
    check_rows(context, "context", 2, "the other series are the negatives")
    b, d, horizons = future.shape
    if future.shape[0] != context.shape[0]:
        fail("future", f"{context.shape[0]} series as context", said(f"shape {tuple(future.shape)}"))
    check_positive(temperature, "temperature")
    maps = _predictor_maps(predictors, context.shape[1], d)
    if len(maps) != horizons:
        fail("predictors", f"one map per future step (K = {horizons})", said(f"{len(maps)}"))

    targets = torch.arange(b, device=context.device)
    losses = [F.cross_entropy(predict(context) @ future[:, :, k].T / temperature, targets)
              for k, predict in enumerate(maps)]
    return torch.stack(losses).mean()
