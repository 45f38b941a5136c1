"""A small fusion encoder: text tokens that attend to image patches (ALBEF/FLAVA layout).

Each layer is pre-norm: self-attention among the text tokens, cross-attention from every text
token to the image's patch tokens, then an MLP, each with a residual connection::

    t <- t + SelfAttn(LN(t));   t <- t + CrossAttn(LN(t), image);   t <- t + MLP(LN(t))

Shapes: text states (B, L, W) with a padding mask (B, L) (1 = a real token), image tokens
(B, P, W) -> fused text states (B, L, W); the first position ([CLS]) summarises the pair.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..checks import check_int, fail, said


class PatchTokens(nn.Module):
    """A feature map (B, C, h, w) -> tokens (B, h*w, width): a linear map of each position's
    C features, plus a learned embedding of the position, then LayerNorm."""

    def __init__(self, in_dim: int, width: int, grid: int):
        super().__init__()
        for name, value in (("in_dim", in_dim), ("width", width), ("grid", grid)):
            check_int(value, name, minimum=1)
        self.proj = nn.Linear(in_dim, width)
        self.position = nn.Parameter(torch.randn(1, grid * grid, width) * 0.02)
        self.norm = nn.LayerNorm(width)
        self.grid = grid

    def forward(self, feature_map: torch.Tensor) -> torch.Tensor:
        b, c, h, w = feature_map.shape
        if (h, w) != (self.grid, self.grid):
            fail("images", f"images whose feature map is {self.grid}x{self.grid} (patch_grid="
                 f"{self.grid}: the image side is 8 x patch_grid for the ConvNet)",
                 said(f"a {h}x{w} map"))
        tokens = self.proj(feature_map.flatten(2).transpose(1, 2))
        return self.norm(tokens + self.position)


class FusionLayer(nn.Module):
    """One pre-norm layer: text self-attention, text-to-image cross-attention, MLP."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.norm_self, self.norm_cross, self.norm_mlp = (nn.LayerNorm(width) for _ in range(3))
        self.self_attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(),
                                 nn.Linear(4 * width, width))

    def forward(self, text, padding, image, need_weights: bool = False):
        h = self.norm_self(text)
        text = text + self.self_attn(h, h, h, key_padding_mask=padding, need_weights=False)[0]
        h = self.norm_cross(text)
        out, weights = self.cross_attn(h, image, image, need_weights=need_weights)
        text = text + out
        return text + self.mlp(self.norm_mlp(text)), weights


class FusionEncoder(nn.Module):
    """``layers`` fusion layers of width ``width`` with ``heads`` heads.

    forward(text (B, L, W), attention_mask (B, L), image (B, P, W), need_weights=False)
    -> (fused (B, L, W), weights): with ``need_weights`` a list, one (B, L, P) per layer, of
    the cross-attention from each text token to each patch (averaged over heads), else [].
    """

    def __init__(self, width: int = 128, layers: int = 2, heads: int = 4):
        super().__init__()
        for name, value in (("width", width), ("layers", layers), ("heads", heads)):
            check_int(value, name, minimum=1)
        if width % heads:
            fail("width", f"a multiple of heads={heads}", width)
        self.layers = nn.ModuleList(FusionLayer(width, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(width)
        self.width = width

    def forward(self, text, attention_mask, image, need_weights: bool = False):
        if text.shape[0] != image.shape[0]:
            fail("image", f"one image per text ({text.shape[0]})", said(f"{image.shape[0]}"))
        padding = attention_mask == 0
        weights = []
        for layer in self.layers:
            text, w = layer(text, padding, image, need_weights)
            if need_weights:
                weights.append(w)
        return self.norm(text), weights


def time_code(t: torch.Tensor, width: int, period: float = 1000.0) -> torch.Tensor:
    """Sinusoidal codes (len(t), width) of positions ``t`` (Vaswani et al. 2017): sin and cos of
    t / period^(2i / width)."""
    i = torch.arange((width + 1) // 2, device=t.device, dtype=t.dtype)
    angle = t[:, None] / period ** (2 * i / width)
    code = torch.zeros(len(t), width, device=t.device, dtype=t.dtype)
    code[:, 0::2], code[:, 1::2] = torch.sin(angle), torch.cos(angle[:, :width // 2])
    return code


class CrossModalSeriesEncoder(nn.Module):
    """MulT-style fusion of two streams that are not aligned in time (after Tsai et al., ACL
    2019): the first half of the channels (e.g. an accelerometer) as stream A at full rate, the
    second half (e.g. a gyroscope) as stream B, kept at every ``stride_b``-th step only. Each
    stream becomes tokens by two 1-D convolutions, then A's tokens attend to B's and B's to
    A's (:class:`FusionEncoder`, no alignment needed: attention compares every pair of steps);
    features are the time-mean of both, side by side.

    (B, C, T) -> (B, 2 * width). ``cross_attention(x)`` -> (B, T, T_B): where each step of A
    looks in B (first layer, heads averaged).
    """

    modality = "series"

    def __init__(self, in_channels: int, width: int = 64, layers: int = 1, heads: int = 4,
                 stride_b: int = 2):
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", minimum=2)
        self.stride_b = check_int(stride_b, "stride_b", minimum=1)
        self.split = in_channels // 2

        def tokens(c):
            return nn.Sequential(nn.Conv1d(c, width, 5, padding=2), nn.GELU(),
                                 nn.Conv1d(width, width, 5, padding=2))
        self.embed_a, self.embed_b = tokens(self.split), tokens(in_channels - self.split)
        self.a_to_b = FusionEncoder(width, layers, heads)
        self.b_to_a = FusionEncoder(width, layers, heads)
        self.feature_dim = 2 * width

    def streams(self, x: torch.Tensor):
        """Token sequences (B, T, W) of A and (B, ceil(T / stride_b), W) of B, each token with
        the sinusoidal code of its time on one clock (B's step k is time k * stride_b), so
        that attention can compare when things happen across the two rates."""
        if x.ndim != 3 or x.shape[1] != self.in_channels:
            fail("series", f"a (B, {self.in_channels}, T) tensor", x)
        a = self.embed_a(x[:, :self.split]).transpose(1, 2)
        b = self.embed_b(x[:, self.split:, ::self.stride_b]).transpose(1, 2)
        time_a = torch.arange(a.shape[1], device=x.device, dtype=a.dtype)
        return a + time_code(time_a, a.shape[2]), b + time_code(time_a[::self.stride_b],
                                                                b.shape[2])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.streams(x)
        ones_a, ones_b = a.new_ones(a.shape[:2]), b.new_ones(b.shape[:2])
        fused_a, _ = self.a_to_b(a, ones_a, b)
        fused_b, _ = self.b_to_a(b, ones_b, a)
        return torch.cat([fused_a.mean(1), fused_b.mean(1)], 1)

    @torch.no_grad()
    def cross_attention(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.streams(x)
        _, weights = self.a_to_b(a, a.new_ones(a.shape[:2]), b, need_weights=True)
        return weights[0]
