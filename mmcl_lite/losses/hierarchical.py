"""TS2Vec's hierarchical contrastive loss: contrast per time step, at every time scale.

Yue, Wang, Duan, Yang, Huang, Tong and Xu, "TS2Vec: Towards Universal Representation of Time
Series", AAAI 2022 (reference code: github.com/yuezhihan/ts2vec, models/losses.py).

Layout: (B, D, T), the encoder's channels-first output (TS2Vec's code uses (B, T, D)).
Scores are plain dot products, without normalisation or temperature, as in TS2Vec.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..checks import check_int, check_number, check_same_shape, check_tensor


def _self_excluded_nll(sim: torch.Tensor, n: int) -> torch.Tensor:
    """sim (..., 2n, 2n) over the stacked [view 1; view 2]: -log softmax of each row's positive
    (row i < n pairs with column n + i and back), its own column left out; mean over rows."""
    own = torch.eye(2 * n, dtype=torch.bool, device=sim.device)
    logp = F.log_softmax(sim.masked_fill(own, -torch.inf), dim=-1)
    i = torch.arange(n, device=sim.device)
    return -(logp[..., i, n + i].mean() + logp[..., n + i, i].mean()) / 2


def instance_contrastive_loss(z1, z2):
    r"""At each time step t, series b's two views against the other series of the batch::

        z = [z1; z2] at step t (2B vectors),  s_ij = z_i . z_j
        l_t(i) = -log( exp(s_{i,i'}) / sum_{j != i} exp(s_ij) ),  i' = the other view of i
        loss = mean over t and the 2B anchors i of l_t(i)          (0 when B = 1)
    """
    b = z1.shape[0]
    if b == 1:
        return z1.new_zeros(())
    z = torch.cat([z1, z2], dim=0).permute(2, 0, 1)                  # (T, 2B, D)
    return _self_excluded_nll(z @ z.transpose(1, 2), b)             # sim (T, 2B, 2B)


def temporal_contrastive_loss(z1, z2):
    r"""Within each series, step t's two views against the series' other steps::

        z = [z1_b; z2_b] (2T vectors of series b),  s_ij = z_i . z_j
        l_b(i) = -log( exp(s_{i,i'}) / sum_{j != i} exp(s_ij) ),  i' = step i in the other view
        loss = mean over b and the 2T anchors i of l_b(i)          (0 when T = 1)
    """
    t = z1.shape[-1]
    if t == 1:
        return z1.new_zeros(())
    z = torch.cat([z1, z2], dim=-1).transpose(1, 2)                 # (B, 2T, D)
    return _self_excluded_nll(z @ z.transpose(1, 2), t)             # sim (B, 2T, 2T)


def hierarchical_contrastive_loss(z1, z2, alpha=0.5, temporal_unit=0):
    r"""TS2Vec's loss: instance and temporal contrast, repeated at coarser and coarser scales.

    ``z1`` and ``z2`` are the per-step representations of two views of the same time steps
    (the overlap of two crops), (B, D, T), row b of both from series b. At scale level l = 0,
    1, ... (z halved in length each time by a max-pool of kernel 2 along time, an odd last step
    dropped), while T > 1::

        L_l = alpha * L_inst(z1, z2) + (1 - alpha) * L_temp(z1, z2)    (L_temp from l >= unit)

    and once T == 1 a last level with the instance term alone. The loss is the mean of L_l over
    all levels (with ``temporal_unit`` = u > 0 the first u levels have no temporal term, to save
    time on long series, and still count in the mean). See ``instance_contrastive_loss`` and
    ``temporal_contrastive_loss`` for the two terms.

    Args:
        z1, z2: (B, D, T) representations of the two views, same shape.
        alpha: weight of the instance term in [0, 1]; 1 - alpha weights the temporal one.
        temporal_unit: the first scale level with a temporal term, an int >= 0.

    Returns:
        A scalar tensor.
    """
    check_tensor(z1, "z1", "(B, D, T)")
    check_tensor(z2, "z2", "(B, D, T)")
    check_same_shape(z2, "z2", z1, "z1")
    alpha = check_number(alpha, "alpha", 0.0, 1.0)
    temporal_unit = check_int(temporal_unit, "temporal_unit", minimum=0)

    loss, levels = z1.new_zeros(()), 0
    while z1.shape[-1] > 1:
        if alpha != 0:
            loss = loss + alpha * instance_contrastive_loss(z1, z2)
        if levels >= temporal_unit and alpha != 1:
            loss = loss + (1 - alpha) * temporal_contrastive_loss(z1, z2)
        levels += 1
        z1, z2 = F.max_pool1d(z1, kernel_size=2), F.max_pool1d(z2, kernel_size=2)
    if alpha != 0:
        loss = loss + alpha * instance_contrastive_loss(z1, z2)
    return loss / (levels + 1)
