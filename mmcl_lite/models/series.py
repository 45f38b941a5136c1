"""Series encoders: a dilated convolutional network with one representation per time step.

After TS2Vec (Yue et al., AAAI 2022): an input projection, then residual blocks of two dilated
1-D convolutions whose dilation doubles from block to block (1, 2, 4, ...), so the receptive
field grows exponentially with depth while every time step keeps its own output.

    x (B, C, T) -> h (B, D, T) = blocks(mask * proj(x)),   features (B, D) = max_t h[:, :, t]

Inputs are z-normalised float series. ``mask`` (B, T), a keep-mask, zeroes the hidden vector of
the dropped steps right after the input projection (TS2Vec's timestamp masking); ``lengths``
(B,) marks right-padding, whose steps are zeroed the same way; the max-pool leaves them out,
or (``pool_padding=True``, as TS2Vec's and TS-TCC's code do) runs over the whole padded window,
where a padded step's output is that of a zero hidden vector seen by its real neighbours: the
series' length then shows in its features.
``causal=True`` pads on the left only, so that h_t depends on x_0..x_t alone (CPC needs this:
otherwise z_t would already contain the future it is asked to predict).

``ChannelGroupEncoder`` gives each group of channels (say accelerometer and gyroscope) its own
encoder, for cross-sensor contrast (CMC, Tian et al., ECCV 2020).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..checks import check_bool, check_choice, check_int, check_lengths, fail, said

# The encoder sizes of the series methods: TS2Vec's defaults (hidden 64, depth 10, output 320).
ENCODER_SIZES = dict(
    width=64,        # channels of the hidden per-step vectors
    depth=10,        # residual blocks; dilations 1, 2, ..., 2**(depth-1)
    repr_dim=320,    # D, the per-step (and max-pooled) representation
)


class _DilatedBlock(nn.Module):
    """x + conv(gelu(conv(gelu(x)))), both convs with kernel 3 and the block's dilation; the
    padding keeps the length: on both sides ("same", as TS2Vec) or on the left (causal)."""

    def __init__(self, channels: int, dilation: int, causal: bool = False):
        super().__init__()
        self.pad = (2 * dilation, 0) if causal else (dilation, dilation)
        self.conv1 = nn.Conv1d(channels, channels, 3, dilation=dilation)
        self.conv2 = nn.Conv1d(channels, channels, 3, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.pad(F.gelu(x), self.pad))
        return x + self.conv2(F.pad(F.gelu(h), self.pad))


class DilatedConvEncoder(nn.Module):
    """Per-time-step encoder for series (B, C, T): ``per_timestep`` gives (B, D, T), ``forward``
    the max-pooled (B, D). ``depth`` blocks with dilations 1, 2, ..., 2**(depth-1); the receptive
    field is 1 + 4 * (2**depth - 1) steps (centred, or all in the past when ``causal``)."""

    modality = "series"

    def __init__(self, in_channels: int = 1, width: int = 64, depth: int = 6,
                 out_dim: int = 128, causal: bool = False, pool_padding: bool = False):
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", minimum=1)
        check_int(width, "width", minimum=1)
        check_int(depth, "depth", minimum=1)
        check_int(out_dim, "out_dim", minimum=1)
        self.causal = check_bool(causal, "causal")
        self.pool_padding = check_bool(pool_padding, "pool_padding")
        self.input_proj = nn.Conv1d(in_channels, width, 1)
        self.blocks = nn.Sequential(*[_DilatedBlock(width, 2 ** i, causal) for i in range(depth)])
        self.output_proj = nn.Conv1d(width, out_dim, 1)
        self.feature_dim = out_dim
        self.receptive_field = 1 + 4 * (2 ** depth - 1)

    def per_timestep(self, x: torch.Tensor, mask: torch.Tensor | None = None,
                     lengths: torch.Tensor | None = None) -> torch.Tensor:
        """(B, C, T) -> (B, D, T). ``mask`` (B, T) bool keeps the True steps; ``lengths`` (B,)
        drops the padding; a dropped step's hidden vector is 0 after the input projection."""
        check_series_input(x, self)
        h = self.input_proj(x.float())
        keep = step_mask(x, mask, lengths)
        if keep is not None:
            h = h * keep[:, None, :].to(h.dtype)
        return self.output_proj(self.blocks(h))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None,
                mask: torch.Tensor | None = None) -> torch.Tensor:
        """(B, C, T) -> (B, D): the max over the time steps (within ``lengths`` when given,
        unless ``pool_padding``)."""
        h = self.per_timestep(x, mask=mask, lengths=lengths)
        return masked_max(h, None if self.pool_padding else lengths)


class ChannelGroupEncoder(nn.Module):
    """One ``DilatedConvEncoder`` per group of input channels: ``groups`` lists each group's
    channel indices, e.g. ((0, 1, 2), (3, 4, 5)) for accelerometer and gyroscope.

    ``per_group(x, g)`` -> (B, D) features of group g from the full (B, C, T) input;
    ``forward(x)`` -> (B, G * D), every group's features side by side."""

    modality = "series"

    def __init__(self, in_channels: int, groups, width: int = 64, depth: int = 10,
                 out_dim: int = 320, pool_padding: bool = False):
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", minimum=1)
        self.groups = check_groups(groups, in_channels)
        self.encoders = nn.ModuleList(
            DilatedConvEncoder(len(g), width, depth, out_dim, pool_padding=pool_padding)
            for g in self.groups)
        self.group_dim = out_dim
        self.feature_dim = out_dim * len(self.groups)
        self.receptive_field = self.encoders[0].receptive_field

    def per_group(self, x: torch.Tensor, g: int, lengths: torch.Tensor | None = None,
                  per_timestep: bool = False) -> torch.Tensor:
        """Group ``g``'s features, (B, D); (B, D, T) with ``per_timestep``."""
        check_series_input(x, self)
        g = check_int(g, "g", minimum=0, maximum=len(self.groups) - 1)
        part = x[:, list(self.groups[g])]
        if per_timestep:
            return self.encoders[g].per_timestep(part, lengths=lengths)
        return self.encoders[g](part, lengths=lengths)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """(B, C, T) -> (B, G * D)."""
        return torch.cat([self.per_group(x, g, lengths) for g in range(len(self.groups))], 1)


def build_series_encoder(name: str = "dilated_conv", in_channels: int = 1, width: int = 64,
                         depth: int = 10, out_dim: int = 320, causal: bool = False,
                         pool_padding: bool = False):
    """The series encoder named ``name`` (only "dilated_conv" so far), sized by the series
    methods' settings; a clear error when ``name`` is an encoder of another modality."""
    check_choice(name, "encoder", ["dilated_conv"], case_insensitive=True)
    return DilatedConvEncoder(in_channels, width, depth, out_dim, causal, pool_padding)


# ---------------------------------------------------------------------------- input checks
def check_series_input(series, encoder) -> torch.Tensor:
    """A (B, C, T) float batch whose C matches ``encoder.in_channels`` (no device sync: the
    values are not read)."""
    if not isinstance(series, torch.Tensor):
        fail("series", "a torch.Tensor (B, C, T)", series, TypeError)
    if not series.is_floating_point():
        fail("series", "a floating-point tensor (B, C, T)", series, TypeError)
    if series.ndim != 3 or series.shape[1] != encoder.in_channels or 0 in series.shape:
        fail("series", f"a (B, {encoder.in_channels}, T) tensor for this encoder "
             f"(in_channels={encoder.in_channels})", said(f"shape {tuple(series.shape)}"))
    return series


def check_groups(groups, in_channels: int) -> tuple:
    """At least two non-empty, disjoint groups of channel indices in [0, in_channels)."""
    if not isinstance(groups, (list, tuple)) or len(groups) < 2 or not all(
            isinstance(g, (list, tuple)) and len(g) > 0 for g in groups):
        fail("groups", "two or more non-empty lists of channel indices", groups, TypeError)
    flat = [c for g in groups for c in g]
    if any(isinstance(c, bool) or not isinstance(c, int) for c in flat):
        fail("groups", "channel indices (ints)", said(repr(groups)))
    if any(c < 0 or c >= in_channels for c in flat) or len(set(flat)) != len(flat):
        fail("groups", f"disjoint channel indices in [0, {in_channels}) (in_channels="
             f"{in_channels})", said(repr(groups)))
    return tuple(tuple(int(c) for c in g) for g in groups)


def step_mask(x: torch.Tensor, mask=None, lengths=None) -> torch.Tensor | None:
    """The (B, T) bool keep-mask of ``mask`` and ``lengths`` together (None when neither)."""
    b, _, t = x.shape
    keep = None
    if mask is not None:
        if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
            fail("mask", f"a bool tensor ({b}, {t}) of the steps to keep", mask, TypeError)
        if mask.shape != (b, t):
            fail("mask", f"shape ({b}, {t}), one flag per series and step",
                 said(f"{tuple(mask.shape)}"))
        keep = mask.to(x.device)
    if lengths is not None:
        check_lengths(lengths, b, t)
        inside = torch.arange(t, device=x.device)[None, :] < lengths.to(x.device)[:, None]
        keep = inside if keep is None else keep & inside
    return keep


def masked_max(h: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """(B, D, T) -> (B, D): the max over each series' first ``lengths[b]`` steps."""
    if lengths is not None:
        steps = torch.arange(h.shape[-1], device=h.device)
        h = h.masked_fill(steps[None, None, :] >= lengths.to(h.device)[:, None, None],
                          float("-inf"))
    return h.amax(dim=-1)
