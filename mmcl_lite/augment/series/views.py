"""SeriesViews: random views of a batch of series (B, C, T), batched, on the batch's device.

Per item, in this order: a random crop of ``crop_scale`` of the length, resampled back to T
(linear interpolation), a random amplitude scaling per channel, and additive Gaussian jitter:

    v = s * resample(x[:, :, a:a+L], T) + sigma * eps,   L ~ U(crop_scale) * T,
    s ~ N(1, scale_sigma) per (item, channel),  eps ~ N(0, 1)

These are the weak views of TS-TCC (Eldele et al., IJCAI 2021) and the cropping of TS2Vec
(Yue et al., AAAI 2022), kept to the ones every sensor series tolerates.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ...checks import check_number, check_range, check_series


@dataclass(frozen=True)
class SeriesViews:
    crop_scale: tuple[float, float] = (0.5, 1.0)  # crop length as a fraction of T
    scale_sigma: float = 0.1                       # std of the per-channel amplitude factor
    jitter_sigma: float = 0.05                     # std of the additive noise (z-normalised data)

    def __post_init__(self):
        object.__setattr__(self, "crop_scale",
                           check_range(self.crop_scale, "crop_scale", 0.0, 1.0, low_open=True))
        check_number(self.scale_sigma, "scale_sigma", low=0.0)
        check_number(self.jitter_sigma, "jitter_sigma", low=0.0)

    def __call__(self, series: torch.Tensor, generator=None) -> torch.Tensor:
        """(B, C, T) float -> (B, C, T) float32 views, each item with its own parameters."""
        check_series(series, "series")
        x = series.float()
        b, c, t = x.shape
        dev = generator.device if generator is not None else x.device

        def rand(*shape):
            return torch.rand(*shape, generator=generator, device=dev).to(x.device)

        def randn(*shape):
            return torch.randn(*shape, generator=generator, device=dev).to(x.device)

        lo, hi = self.crop_scale
        length = (lo + (hi - lo) * rand(b)) * t                       # (B,) in steps
        start = rand(b) * (t - length)                                # (B,)
        # sample positions start + u * (length - 1), u in [0, 1], as a grid for grid_sample
        u = torch.linspace(0, 1, t, device=x.device)
        pos = start[:, None] + u[None, :] * (length[:, None] - 1).clamp_min(0)   # (B, T)
        grid_x = 2 * pos / max(t - 1, 1) - 1
        grid = torch.stack([grid_x, torch.zeros_like(grid_x)], dim=-1)[:, None]  # (B,1,T,2)
        v = F.grid_sample(x[:, :, None, :], grid, mode="bilinear", padding_mode="border",
                          align_corners=True)[:, :, 0]
        v = v * (1 + self.scale_sigma * randn(b, c, 1))
        return v + self.jitter_sigma * randn(b, c, t)

    def pair(self, series: torch.Tensor, generator=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Two independent views of the same batch."""
        return self(series, generator), self(series, generator)
