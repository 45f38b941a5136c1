"""SeriesViews: random views of a batch of series (B, C, T), batched, on the batch's device.

Per item, in this order (each step skipped, drawing no random numbers, when its strength is
zero; see :mod:`.transforms` for each formula):

    1. crop_resample      a window of U(crop_scale) * T steps, stretched back to T
    2. time_warp          smooth monotone warp of time, ends fixed   (time_warp_sigma, knots)
    3. permute_segments   up to max_segments segments, shuffled      (max_segments)
    4. magnitude_warp     smooth random gain per channel             (magnitude_warp_sigma, knots)
    5. scaling            s ~ N(1, scale_sigma) per channel          (scale_sigma)
    6. frequency_perturb  remove / add frequency components          (freq_remove_p, freq_add_p,
                                                                      freq_add_scale)
    7. jitter             + N(0, jitter_sigma^2) per step            (jitter_sigma)
    8. mask_timestamps    zero each step with probability mask_p     (mask_p)
    0. rotation           before all of them: one random 3-D rotation per item turns
                          each channel triple of rotate_axes (a sensor mount's orientation)

    v = M ⊙ (F(s ⊙ m ⊙ P(W(C(x)))) + sigma ε)

Geometry of time comes first (so the amplitude changes are not stretched or cut), the noise
late (so it stays white), the mask last (so masked steps are exactly zero).
The defaults are crop, scaling and jitter only: the weak views of TS-TCC (Eldele et al.,
IJCAI 2021) plus the cropping of TS2Vec (Yue et al., AAAI 2022), kept to the ones every sensor
series tolerates. ``weak()``, ``strong()`` and ``frequency()`` give the TS-TCC and TF-C views.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from ...checks import check_int, check_number, check_probability, check_range, check_series
from . import transforms as T


@dataclass(frozen=True)
class SeriesViews:
    """Random views of (B, C, T) float series -> (B, C, T) float32, each item with its own
    parameters, drawn from ``generator`` on its device (see the module docstring)."""

    crop_scale: tuple[float, float] = (0.5, 1.0)  # crop length as a fraction of T
    scale_sigma: float = 0.1                       # std of the per-channel amplitude factor
    jitter_sigma: float = 0.05                     # std of the additive noise (z-normalised data)
    magnitude_warp_sigma: float = 0.0              # std of the smooth gain's knot values
    time_warp_sigma: float = 0.0                   # std of the smooth speed's knot values
    knots: int = 4                                 # interior knots of both warps' curves
    max_segments: int = 1                          # 1: no permutation
    mask_p: float = 0.0                            # probability of zeroing a time step
    freq_remove_p: float = 0.0                     # probability of removing a frequency
    freq_add_p: float = 0.0                        # probability of boosting a frequency
    freq_add_scale: float = 0.1                    # boost <= this * the peak amplitude (TF-C)
    rotate_axes: tuple = ()                        # 3-axis sensors' channel triples, turned
                                                   # by one random rotation per item

    def __post_init__(self):
        # a list (e.g. from a JSON config) becomes the tuple it stands for, so that views
        # rebuilt from a saved config compare equal to the originals
        object.__setattr__(self, "crop_scale",
                           check_range(self.crop_scale, "crop_scale", 0.0, 1.0, low_open=True))
        for name in ("scale_sigma", "jitter_sigma", "magnitude_warp_sigma", "time_warp_sigma",
                     "freq_add_scale"):
            check_number(getattr(self, name), name, low=0.0)
        object.__setattr__(self, "rotate_axes", T.check_axes(self.rotate_axes))
        check_int(self.knots, "knots", minimum=0)
        check_int(self.max_segments, "max_segments", minimum=1)
        check_probability(self.mask_p, "mask_p", allow_one=False)  # p = 1 would erase everything
        check_probability(self.freq_remove_p, "freq_remove_p", allow_one=False)
        check_probability(self.freq_add_p, "freq_add_p")

    # ----------------------------------------------------------------- presets
    @classmethod
    def weak(cls, **changes) -> "SeriesViews":
        """TS-TCC's weak view, jitter-and-scale: v = s x + sigma eps, no crop.

        (The paper's wording; its code scales by N(2, sigma) and adds no jitter.) The strengths
        there are tuned per dataset; these suit z-normalised series. ``changes`` override."""
        return cls(crop_scale=(1.0, 1.0), scale_sigma=0.1, jitter_sigma=0.05).replace(**changes)

    @classmethod
    def strong(cls, **changes) -> "SeriesViews":
        """TS-TCC's strong view, permutation-and-jitter: up to 5 shuffled segments plus noise,
        no crop, no scaling. ``changes`` override (TS-TCC uses up to 12 segments on sleep
        data)."""
        return cls(crop_scale=(1.0, 1.0), scale_sigma=0.0, jitter_sigma=0.1,
                   max_segments=5).replace(**changes)

    @classmethod
    def frequency(cls, **changes) -> "SeriesViews":
        """TF-C's frequency-domain view: 10% of the components removed, 10% boosted by up to
        0.1 of the peak amplitude, nothing else. ``changes`` override."""
        return cls(crop_scale=(1.0, 1.0), scale_sigma=0.0, jitter_sigma=0.0,
                   freq_remove_p=0.1, freq_add_p=0.1, freq_add_scale=0.1).replace(**changes)

    def replace(self, **changes) -> "SeriesViews":
        """A copy with some fields changed (validated again): ``views.replace(mask_p=0.5)``."""
        return dataclasses.replace(self, **changes) if changes else self

    # ------------------------------------------------------------------ apply
    def __call__(self, series: torch.Tensor, generator=None) -> torch.Tensor:
        """(B, C, T) float -> (B, C, T) float32 views, each item with its own parameters."""
        check_series(series, "series")  # once here; the kernels below do not check again
        x, g = series.float(), generator
        if self.rotate_axes:
            T.check_axes(self.rotate_axes, x.shape[1])
            x = T._rotation(x, self.rotate_axes, g)
        if self.crop_scale != (1.0, 1.0):
            x = T._crop_resample(x, self.crop_scale, g)
        if self.time_warp_sigma > 0:
            x = T._time_warp(x, self.time_warp_sigma, self.knots, g)
        if self.max_segments > 1:
            x = T._permute_segments(x, self.max_segments, g)
        if self.magnitude_warp_sigma > 0:
            x = T._magnitude_warp(x, self.magnitude_warp_sigma, self.knots, g)
        if self.scale_sigma > 0:
            x = T._scaling(x, self.scale_sigma, g)
        if self.freq_remove_p > 0 or (self.freq_add_p > 0 and self.freq_add_scale > 0):
            x = T._frequency_perturb(x, self.freq_remove_p, self.freq_add_p,
                                     self.freq_add_scale, g)
        if self.jitter_sigma > 0:
            x = T._jitter(x, self.jitter_sigma, g)
        if self.mask_p > 0:
            x = T._mask_timestamps(x, self.mask_p, g)
        # series.float() is series itself for float32 input: never hand back the caller's tensor
        return x.clone() if x is series else x

    def pair(self, series: torch.Tensor, generator=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Two independent views of the same batch."""
        return self(series, generator), self(series, generator)
