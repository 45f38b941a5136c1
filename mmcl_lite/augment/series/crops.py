"""TS2Vec's contextual-consistency crops: two windows of each series that share a stretch.

TS2Vec (Yue et al., AAAI 2022) contrasts the representations of the same time steps seen in two
different contexts. For a batch (B, C, T) it draws, once for the batch (as its reference
implementation, ``TS2Vec.fit``, does):
    l  ~ U{min_length, ..., T}      the overlap length
    a  ~ U{0, ..., T - l}, b = a + l the overlap [a, b)
    a1 ~ U{0, ..., a}                the start of the first window
    b2 ~ U{b, ..., T}                the end of the second window
and per item an offset o_i ~ U{-a1, ..., T - b2}, which slides the whole span [a1, b2) to a
different place in each series while keeping it inside [0, T):
    v1_i = x_i[:, o_i + a1 : o_i + b]     (B, C, b - a1)
    v2_i = x_i[:, o_i + a  : o_i + b2]    (B, C, b2 - a)
so v1[..., -l:] and v2[..., :l] are the same steps of x, each with different surroundings.
A per-timestep encoder then gives h1 = f(v1)[..., -l:] and h2 = f(v2)[..., :l], the pair the
hierarchical contrastive loss compares step by step.
"""
from __future__ import annotations

import torch

from ...checks import check_int, check_series, fail, said

__all__ = ["overlapping_crops"]


def _take(x: torch.Tensor, start: torch.Tensor, length: int) -> torch.Tensor:
    """x[i, :, start[i] : start[i] + length] for every item i, as one gather (TS2Vec's
    take_per_row). start (B,) long on x's device; returns (B, C, length), a new tensor."""
    b, c, _ = x.shape
    idx = start[:, None] + torch.arange(length, device=x.device)[None, :]   # (B, length)
    return x.gather(2, idx[:, None, :].expand(b, c, length))


def overlapping_crops(x: torch.Tensor, min_length: int = 2, generator=None
                      ) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(v1, v2, l): two crops of every series of x (B, C, T) that overlap in l steps, with
    v1[..., -l:] == v2[..., :l] (see the module docstring for the sampling).

    min_length: the shortest overlap (TS2Vec: 2 ** (temporal_unit + 1), 2 by default); the
    series must be at least that long. The lengths are drawn once for the batch, so v1 and v2
    are ordinary tensors; the offsets are drawn per item on the generator's device.
    """
    check_series(x, "x")
    min_length = check_int(min_length, "min_length", minimum=1)
    n, _, t = x.shape
    if t < min_length:
        fail("x", f"a series at least min_length = {min_length} steps long",
             said(f"length T = {t} (shape {tuple(x.shape)})"))
    device = generator.device if generator is not None else x.device
    # the four shared integers from one draw of uniforms: one device-to-host read, not four
    u = torch.rand(4, generator=generator, device=device).tolist()

    def pick(low: int, high: int, r: float) -> int:  # uniform integer in [low, high]
        return min(low + int(r * (high - low + 1)), high)

    l = pick(min_length, t, u[0])
    a = pick(0, t - l, u[1])
    b = a + l
    a1, b2 = pick(0, a, u[2]), pick(b, t, u[3])
    offset = torch.randint(-a1, t - b2 + 1, (n,), generator=generator, device=device)
    offset = offset.to(x.device)
    return _take(x, offset + a1, b - a1), _take(x, offset + a, b2 - a), l
