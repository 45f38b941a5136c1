"""Series encoders: a dilated convolutional network with one representation per time step.

After TS2Vec (Yue et al., AAAI 2022): an input projection, then residual blocks of two dilated
1-D convolutions whose dilation doubles from block to block (1, 2, 4, ...), so the receptive
field grows exponentially with depth while every time step keeps its own output.

    x (B, C, T) -> h (B, D, T) = blocks(proj(x)),   features (B, D) = max over t of h[:, :, t]

Inputs are z-normalised float series; padding beyond an item's length may be masked with
``lengths`` (those steps are left out of the max-pool).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..checks import check_int, check_series, fail, said


class _DilatedBlock(nn.Module):
    """x + conv(gelu(conv(gelu(x)))), both convs with kernel 3 and the block's dilation; the
    padding keeps the length ("same" convolution, as TS2Vec)."""

    def __init__(self, channels: int, dilation: int):
        super().__init__()
        self.conv1 = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.conv2 = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.gelu(self.conv1(F.gelu(x))))


class DilatedConvEncoder(nn.Module):
    """Per-time-step encoder for series (B, C, T): ``per_timestep`` gives (B, D, T), ``forward``
    the max-pooled (B, D). ``depth`` blocks with dilations 1, 2, ..., 2**(depth-1); the receptive
    field is 1 + 4 * (2**depth - 1) steps."""

    modality = "series"

    def __init__(self, in_channels: int = 1, width: int = 64, depth: int = 6,
                 out_dim: int = 128):
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", minimum=1)
        check_int(depth, "depth", minimum=1)
        self.input_proj = nn.Conv1d(in_channels, width, 1)
        self.blocks = nn.Sequential(*[_DilatedBlock(width, 2 ** i) for i in range(depth)])
        self.output_proj = nn.Conv1d(width, out_dim, 1)
        self.feature_dim = out_dim
        self.receptive_field = 1 + 4 * (2 ** depth - 1)

    def per_timestep(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, T) -> (B, D, T)."""
        if x.ndim != 3 or x.shape[1] != self.in_channels:
            fail("series", f"a (B, {self.in_channels}, T) tensor for this encoder",
                 said(f"shape {tuple(x.shape)}"))
        return self.output_proj(self.blocks(self.input_proj(x.float())))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """(B, C, T) -> (B, D): the max over the time steps (within ``lengths`` when given)."""
        h = self.per_timestep(x)
        if lengths is not None:
            steps = torch.arange(h.shape[-1], device=h.device)
            h = h.masked_fill(steps[None, None, :] >= lengths.to(h.device)[:, None, None],
                              float("-inf"))
        return h.amax(dim=-1)


def check_series_input(series, encoder) -> torch.Tensor:
    """A (B, C, T) float batch whose C matches ``encoder.in_channels``."""
    check_series(series, "series")
    if series.shape[1] != encoder.in_channels:
        fail("series", f"{encoder.in_channels} channels (the encoder's in_channels)",
             said(f"{series.shape[1]}"))
    return series
