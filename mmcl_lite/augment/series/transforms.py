"""Batched series transforms with one random parameter set per item.

Every function takes a batch ``x`` of shape (B, C, T) (floating point, finite) and returns a new
tensor of the same shape, dtype and device, without Python loops over items; ``x`` is never
modified. Random numbers come from ``generator`` (torch's global RNG when None), drawn on the
generator's own device (on ``x``'s device when there is none) and then moved to ``x``'s device,
so that a CPU generator gives the same views on CPU and GPU. Each item (and, where stated, each
channel) gets its own parameters; a strength of zero gives back ``x`` unchanged.

The amplitude and time warps follow Um et al. (ICMI 2017), the segment permutation TS-TCC's
strong view (Eldele et al., IJCAI 2021), the timestamp mask TS2Vec (Yue et al., AAAI 2022) and
the frequency perturbation TF-C (Zhang et al., NeurIPS 2022).

Each public function checks its input and calls a private kernel (``_jitter`` ...);
``SeriesViews`` calls the kernels after checking the batch once, because the finiteness check
reads the tensor back to the host, which stalls a GPU once per call.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ...checks import (check_int, check_number, check_probability, check_range, check_series,
                       fail, said)
from ...data.series.rotations import quaternion_matrix

__all__ = [
    "jitter", "scaling", "magnitude_warp", "time_warp", "permute_segments", "timestamp_mask",
    "mask_timestamps", "frequency_perturb", "crop_resample", "rotation",
]

# Time-warp speeds below this are raised to it, so that time never stands still or runs
# backwards (N(1, sigma) knots can be negative when sigma is large).
_MIN_SPEED = 1e-3


# ------------------------------------------------------------------------------ helpers
def _draw(kind, shape: tuple, generator, x: torch.Tensor) -> torch.Tensor:
    """float32 draws (torch.rand or torch.randn) on the generator's device, moved to x's."""
    device = generator.device if generator is not None else x.device
    return kind(shape, generator=generator, device=device).to(x.device)


def _working(x: torch.Tensor) -> torch.Tensor:
    """x in a dtype that grid_sample and the FFT handle exactly enough: half and bfloat16 go
    to float32 (a bfloat16 position is off by whole steps once T passes a few hundred)."""
    return x if x.dtype in (torch.float32, torch.float64) else x.float()


def _resample(x: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
    """Linear interpolation of x (B, C, T) at positions pos (B, T') in steps (0 .. T-1),
    positions outside clamped to the ends; returns (B, C, T').

    One grid_sample for the batch: with align_corners=True the normalised coordinate of step p
    is 2 p / (T - 1) - 1.
    """
    grid_x = 2 * pos / max(x.shape[-1] - 1, 1) - 1
    grid = torch.stack([grid_x, torch.zeros_like(grid_x)], dim=-1)[:, None]  # (B, 1, T', 2)
    return F.grid_sample(x[:, :, None, :], grid, mode="bilinear", padding_mode="border",
                         align_corners=True)[:, :, 0]


def _smooth_curve(values: torch.Tensor, length: int) -> torch.Tensor:
    """(B, C, K) values at K evenly spaced points -> (B, C, length) curve through them.

    Keys' cubic convolution (the kernel of bicubic image resizing): it passes through every
    knot and has a continuous slope, like the cubic spline of Um et al., in one batched call.
    """
    return F.interpolate(values[:, :, None, :], size=(1, length), mode="bicubic",
                         align_corners=True)[:, :, 0]


def _check_x(x) -> torch.Tensor:
    return check_series(x, "x")


# ------------------------------------------------------------------------------ amplitude
def _jitter(x, sigma, generator):
    return x + sigma * _draw(torch.randn, tuple(x.shape), generator, x).to(x.dtype)


def jitter(x: torch.Tensor, sigma: float, generator=None) -> torch.Tensor:
    """v = x + sigma * eps, eps ~ N(0, 1) per (item, channel, step). (B, C, T) -> (B, C, T)."""
    _check_x(x)
    return _jitter(x, check_number(sigma, "sigma", low=0.0), generator)


def _scaling(x, sigma, generator):
    b, c, _ = x.shape
    return x * (1 + sigma * _draw(torch.randn, (b, c, 1), generator, x)).to(x.dtype)


def scaling(x: torch.Tensor, sigma: float, generator=None) -> torch.Tensor:
    """v = s * x, s ~ N(1, sigma) per (item, channel), the same for every step.
    (B, C, T) -> (B, C, T)."""
    _check_x(x)
    return _scaling(x, check_number(sigma, "sigma", low=0.0), generator)


def _magnitude_warp(x, sigma, knots, generator):
    b, c, t = x.shape
    curve = _smooth_curve(1 + sigma * _draw(torch.randn, (b, c, knots + 2), generator, x), t)
    return x * curve.to(x.dtype)


def magnitude_warp(x: torch.Tensor, sigma: float, knots: int = 4, generator=None) -> torch.Tensor:
    """v[b, c, t] = m[b, c, t] * x[b, c, t], m a smooth random curve per (item, channel).

    m takes values ~ N(1, sigma) at knots + 2 evenly spaced steps (the first and the last
    included) and is interpolated between them by a cubic (see ``_smooth_curve``): a slowly
    varying gain, as a sensor whose sensitivity drifts. (B, C, T) -> (B, C, T).
    """
    _check_x(x)
    sigma = check_number(sigma, "sigma", low=0.0)
    return _magnitude_warp(x, sigma, check_int(knots, "knots", minimum=0), generator)


# ------------------------------------------------------------------------------ time
def _time_warp(x, sigma, knots, generator):
    b, _, t = x.shape
    speed = _smooth_curve(1 + sigma * _draw(torch.randn, (b, 1, knots + 2), generator, x), t)
    speed = speed[:, 0].clamp_min(_MIN_SPEED)                         # (B, T), > 0
    if t < 2:  # one step: nothing to warp (and the normalisation below would divide by 0)
        return x.clone()
    w = _working(x)
    steps = ((speed[:, 1:] + speed[:, :-1]) / 2).to(w.dtype)         # (B, T-1) trapezoid rule
    cum = F.pad(steps.cumsum(dim=-1), (1, 0))                        # (B, T), cum[:, 0] = 0
    pos = cum / cum[:, -1:] * (t - 1)                                # 0 .. T-1, increasing
    return _resample(w, pos).to(x.dtype)


def time_warp(x: torch.Tensor, sigma: float, knots: int = 4, generator=None) -> torch.Tensor:
    """v[b, :, t] = x[b, :, tau_b(t)] (linear interpolation): a smooth, monotone random warp of
    time with the ends fixed, one per item (all channels warp together).

    The speed r_b(t) is a smooth curve through N(1, sigma) values at knots + 2 evenly spaced
    steps (raised to a small positive floor), and tau_b is its normalised running integral:
        tau_b(t) = (T - 1) * R_b(t) / R_b(T - 1),  R_b(t) = sum_{u < t} (r_b(u) + r_b(u+1)) / 2
    so tau_b(0) = 0, tau_b(T - 1) = T - 1 and tau_b increases: parts of the series play faster,
    others slower, and its order is kept. (B, C, T) -> (B, C, T).
    """
    _check_x(x)
    sigma = check_number(sigma, "sigma", low=0.0)
    return _time_warp(x, sigma, check_int(knots, "knots", minimum=0), generator)


def _crop_resample(x, crop_scale, generator):
    b, _, t = x.shape
    w = _working(x)
    lo, hi = crop_scale
    length = (lo + (hi - lo) * _draw(torch.rand, (b,), generator, x).to(w.dtype)) * t  # (B,)
    start = _draw(torch.rand, (b,), generator, x).to(w.dtype) * (t - length)          # (B,)
    u = torch.linspace(0, 1, t, device=x.device, dtype=w.dtype)
    pos = start[:, None] + u[None, :] * (length[:, None] - 1).clamp_min(0)             # (B, T)
    return _resample(w, pos).to(x.dtype)


def crop_resample(x: torch.Tensor, crop_scale: tuple[float, float], generator=None
                  ) -> torch.Tensor:
    """A random window of each item, stretched back to the full length T:

        v[b, :, j] = x[b, :, a_b + j (L_b - 1) / (T - 1)]   (linear interpolation),
        L_b ~ U(crop_scale) * T,  a_b ~ U(0, T - L_b)

    crop_scale = (min, max) fractions of T in (0, 1]; (1, 1) is the identity (up to float
    error). (B, C, T) -> (B, C, T).
    """
    _check_x(x)
    return _crop_resample(x, check_range(crop_scale, "crop_scale", 0.0, 1.0, low_open=True),
                          generator)


def _permute_segments(x, max_segments, generator):
    b, c, t = x.shape
    m = min(max_segments, t)  # at most one segment per step
    if m == 1:
        return x.clone()
    device = generator.device if generator is not None else x.device
    n_seg = torch.randint(1, m + 1, (b,), generator=generator, device=device).to(x.device)
    # cuts: the first n_seg - 1 of m - 1 distinct random gaps (gap p lies between steps p, p+1)
    gaps = _draw(torch.rand, (b, t - 1), generator, x).topk(m - 1, largest=False).indices
    used = torch.arange(m - 1, device=x.device)[None, :] < (n_seg[:, None] - 1)  # (B, m-1)
    cut = torch.zeros(b, t - 1, dtype=torch.long, device=x.device).scatter_(1, gaps, used.long())
    seg = F.pad(cut.cumsum(dim=-1), (1, 0))                          # (B, T) segment of a step
    # seg rises along time, so a binary search finds where each segment starts (T if unused)
    slots = torch.arange(m, device=x.device).expand(b, m).contiguous()
    start = torch.searchsorted(seg, slots)                           # (B, m) in x
    length = torch.diff(start, dim=-1, append=torch.full((b, 1), t, device=x.device))
    # a random order of the m segment slots; empty slots take no room wherever they land
    order = _draw(torch.rand, (b, m), generator, x).argsort(dim=-1)  # output slot k <- order[k]
    out_len = length.gather(1, order)
    out_end = out_len.cumsum(dim=-1)                                 # (B, m) in the output
    j = torch.arange(t, device=x.device).expand(b, t).contiguous()
    k = torch.searchsorted(out_end, j, right=True)                   # output slot of step j
    src = start.gather(1, order.gather(1, k)) + j - (out_end - out_len).gather(1, k)
    return x.gather(2, src[:, None, :].expand(b, c, t))


def permute_segments(x: torch.Tensor, max_segments: int, generator=None) -> torch.Tensor:
    """Cut each item's time axis into n_b ~ U{1, ..., max_segments} segments at random points
    and concatenate them in a random order (all channels alike): v[b, :, j] = x[b, :, pi_b(j)]
    with pi_b a permutation made of n_b contiguous runs. One index map per item, one gather for
    the batch. max_segments = 1 is the identity. (B, C, T) -> (B, C, T).

    TS-TCC draws n from 1 .. max_segments - 1 (numpy's randint excludes the top) and permutes
    with channel 0's values for every channel; here the top is included and each channel
    keeps its own values.
    """
    _check_x(x)
    return _permute_segments(x, check_int(max_segments, "max_segments", minimum=1), generator)


# ------------------------------------------------------------------------------ masking
def timestamp_mask(batch: int, length: int, p: float = 0.5, generator=None, device=None
                   ) -> torch.Tensor:
    """(batch, length) bool keep-mask, True = keep, each step kept with probability 1 - p.

    TS2Vec masks the latent after the encoder's input projection (p = 0.5) rather than the
    input, so that a masked step is "unknown" rather than "zero"; pass this mask to an encoder
    that takes one. ``device``: where the mask goes (default: the generator's device, else CPU).
    """
    batch, length = check_int(batch, "batch", minimum=1), check_int(length, "length", minimum=1)
    p = check_probability(p, "p", allow_one=False)
    source = generator.device if generator is not None else (device or "cpu")
    keep = torch.rand(batch, length, generator=generator, device=source) >= p
    return keep.to(device if device is not None else source)


def _mask_timestamps(x, p, generator):
    keep = timestamp_mask(x.shape[0], x.shape[-1], p, generator, x.device)
    return torch.where(keep[:, None, :], x, torch.zeros((), dtype=x.dtype, device=x.device))


def mask_timestamps(x: torch.Tensor, p: float, generator=None) -> torch.Tensor:
    """v[b, :, t] = x[b, :, t] * k[b, t], k ~ Bernoulli(1 - p) per (item, step) from
    :func:`timestamp_mask`: masked steps are exactly zero in every channel. (B, C, T)."""
    _check_x(x)
    return _mask_timestamps(x, check_probability(p, "p", allow_one=False), generator)


# ------------------------------------------------------------------------------ frequency
def _frequency_perturb(x, remove_p, add_p, add_scale, generator):
    b, c, t = x.shape
    spec = torch.fft.rfft(_working(x), dim=-1)                       # (B, C, F) complex
    shape = tuple(spec.shape)
    keep = _draw(torch.rand, shape, generator, x) >= remove_p
    add = _draw(torch.rand, shape, generator, x) < add_p
    u = _draw(torch.rand, shape, generator, x)
    amp = spec.abs()
    peak = amp.amax(dim=-1, keepdim=True)     # per (item, channel): each series on its own
    extra = (add * u * add_scale).to(amp.dtype) * peak               # (B, C, F) >= 0
    # the added amplitude takes the component's own phase (0 for a zero component), so that
    # |V_k| = keep_k |X_k| + extra_k exactly
    spec = torch.where(keep, spec, torch.zeros_like(spec)) + torch.polar(extra, spec.angle())
    return torch.fft.irfft(spec, n=t, dim=-1).to(x.dtype)


def frequency_perturb(x: torch.Tensor, remove_p: float, add_p: float, add_scale: float = 0.1,
                      generator=None) -> torch.Tensor:
    """TF-C's frequency-domain view, brought back to the time domain.

    X = rfft(x) along time, (B, C, T // 2 + 1) components per (item, channel); each component
    is removed with probability remove_p and, independently, gains amplitude with probability
    add_p:
        V_k = keep_k X_k + add_k u_k a max_j |X_j| e^{i arg X_k},   u_k ~ U(0, 1), a = add_scale
        v = irfft(V, n=T)   (real, length T)
    TF-C perturbs the amplitude spectrum |X| and feeds it to a frequency encoder; |V| is that
    perturbed spectrum, and going back to time lets any series encoder take the view. Its peak
    is per (item, channel), where TF-C's is over the whole batch, so a view does not depend on
    the other items. remove_p = add_p = 0 is the identity (up to float error). (B, C, T).
    """
    _check_x(x)
    remove_p = check_probability(remove_p, "remove_p", allow_one=False)
    add_p = check_probability(add_p, "add_p")
    add_scale = check_number(add_scale, "add_scale", low=0.0)
    return _frequency_perturb(x, remove_p, add_p, add_scale, generator)


def check_axes(axes, channels: int | None = None) -> tuple:
    """Triples of distinct channel indices (x, y, z of one 3-axis sensor each), as a tuple of
    tuples; each index below ``channels`` when given."""
    ok = isinstance(axes, (list, tuple)) and all(
        isinstance(a, (list, tuple)) and len(a) == 3
        and all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in a)
        for a in axes)
    flat = [c for a in axes for c in a] if ok else []
    if not ok or len(set(flat)) != len(flat):
        fail("rotate_axes", "disjoint triples of channel indices, e.g. ((0, 1, 2), (3, 4, 5))",
             said(repr(axes)))
    if channels is not None and flat and max(flat) >= channels:
        fail("rotate_axes", f"channel indices below the series' {channels} channels",
             said(repr(axes)))
    return tuple(tuple(a) for a in axes)


def _rotation(x, axes, generator):
    q = _draw(torch.randn, (x.shape[0], 4), generator, x)
    r = quaternion_matrix(q / q.norm(dim=1, keepdim=True)).to(x.dtype)   # (B, 3, 3)
    out = x.clone()
    for triple in axes:
        out[:, list(triple)] = torch.einsum("bij,bjt->bit", r, x[:, list(triple)])
    return out


def rotation(x: torch.Tensor, axes=((0, 1, 2),), generator=None) -> torch.Tensor:
    """v[:, a] = R x[:, a] for every triple of channels a in ``axes``, with one rotation R
    drawn uniformly from SO(3) per item and shared by all the triples: the same series seen
    by a device mounted at another orientation (both sensors of the device turn together).
    (B, C, T) -> (B, C, T); the other channels are left as they are."""
    _check_x(x)
    return _rotation(x, check_axes(axes, x.shape[1]), generator)
