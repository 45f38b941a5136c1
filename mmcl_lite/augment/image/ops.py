"""Batched image ops with one random parameter per sample.

Every function takes a batch ``x`` of shape (B, C, H, W) (C is 1 or 3, floats in [0, 1]) and
per-sample parameter tensors of shape (B,), and returns a new batch without Python loops over
samples, on whatever device ``x`` is on. The formulas are those of
``torchvision.transforms.v2.functional`` applied to each image in turn; ``tests/test_augment.py``
checks that.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ...checks import check_int, fail

__all__ = [
    "to_float", "resized_crop_flip", "adjust_brightness", "adjust_contrast", "adjust_saturation",
    "adjust_hue", "rgb_to_grayscale", "gaussian_blur", "solarize",
]

# ITU-R 601 luma weights, the ones torchvision (and PIL) use for grayscale.
_LUMA = (0.2989, 0.587, 0.114)


def _per_sample(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """(B,) parameter -> (B, 1, 1, 1) so that it broadcasts over one image each."""
    return v.to(device=x.device, dtype=x.dtype).view(-1, 1, 1, 1)


def _luma(x: torch.Tensor) -> torch.Tensor:
    """Grayscale (B, 1, H, W) of an RGB batch: L = 0.2989 R + 0.587 G + 0.114 B."""
    r, g, b = x.unbind(dim=1)
    return (r * _LUMA[0] + g * _LUMA[1] + b * _LUMA[2]).unsqueeze(1)


def _blend(x: torch.Tensor, other: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """clamp(f * x + (1 - f) * other, 0, 1), per sample: f = 0 gives ``other``, f = 1 gives ``x``."""
    f = _per_sample(factor, x)
    return (f * x + (1 - f) * other).clamp(0, 1)


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 images in [0, 255] -> float32 in [0, 1]; floating-point images pass through unchanged."""
    if images.dtype == torch.uint8:
        return images.float().div_(255)
    if images.is_floating_point():
        return images
    fail("images", "uint8 images in [0, 255] or floating-point ones in [0, 1]", images, TypeError)


def resized_crop_flip(images: torch.Tensor, boxes: torch.Tensor, flip: torch.Tensor,
                      size: int | tuple[int, int], angle: torch.Tensor | None = None
                      ) -> torch.Tensor:
    """Crop box b of image b, resize it to ``size`` (bilinear) and mirror it where ``flip[b]``.

    boxes: (B, 4) as (top, left, height, width) in input pixels (fractions allowed);
    flip: (B,) bool; size: int or (out_h, out_w). Output (B, C, out_h, out_w).

    Output pixel j (of out_w) samples input column ``left + (j + 0.5) * width / out_w - 0.5``,
    the pixel-centre rule of ``F.interpolate(..., align_corners=False)``. In the normalised
    coordinates of ``affine_grid`` (u in [-1, 1] over the output, x over the input) that is
    x = (width / W) * u + (2 * left + width) / W - 1, and the same for rows; a flip negates the
    u-coefficient. So one affine_grid + one grid_sample does crop, resize and flip for the batch.
    Border padding repeats edge pixels, as interpolate does where a sample falls off the image.
    ``angle`` (B,) in radians, optional, also rotates the crop about its centre: the 2x2 part
    of the affine becomes diag(w/W, h/H) R(angle) diag(sign, 1) (same single grid_sample).
    """
    x = to_float(images)
    n, _, H, W = x.shape
    out_h, out_w = (size, size) if isinstance(size, int) else size
    top, left, h, w = boxes.to(device=x.device, dtype=x.dtype).unbind(dim=1)
    sign = 1 - 2 * flip.to(device=x.device, dtype=x.dtype)  # -1 where flipped
    theta = torch.zeros(n, 2, 3, device=x.device, dtype=x.dtype)
    if angle is None:
        theta[:, 0, 0] = sign * w / W
        theta[:, 1, 1] = h / H
    else:
        cos, sin = torch.cos(angle).to(x), torch.sin(angle).to(x)
        theta[:, 0, 0], theta[:, 0, 1] = sign * cos * w / W, -sin * w / W
        theta[:, 1, 0], theta[:, 1, 1] = sign * sin * h / H, cos * h / H
    theta[:, 0, 2] = (2 * left + w) / W - 1
    theta[:, 1, 2] = (2 * top + h) / H - 1
    grid = F.affine_grid(theta, [n, x.shape[1], out_h, out_w], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def adjust_brightness(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """out = clamp(f * x, 0, 1), f = factor (B,) >= 0 (0: black, 1: unchanged)."""
    return (x * _per_sample(factor, x)).clamp(0, 1)


def adjust_contrast(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """out = clamp(f * x + (1 - f) * m, 0, 1), m = mean grayscale value of each image (a scalar).

    f = 0 gives a flat grey image at the image's mean brightness, f = 1 leaves it unchanged.
    """
    gray = _luma(x) if x.shape[1] == 3 else x
    return _blend(x, gray.mean(dim=(1, 2, 3), keepdim=True), factor)


def adjust_saturation(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """out = clamp(f * x + (1 - f) * L(x), 0, 1), L = per-pixel grayscale; identity unless C == 3."""
    if x.shape[1] != 3:  # colour needs RGB; other channel counts have no hue or luma
        return x
    return _blend(x, _luma(x), factor)


def _rgb_to_hsv(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(B, 3, H, W) RGB -> h, s, v each (B, H, W) in [0, 1] (h in turns, not degrees)."""
    r, g, b = x.unbind(dim=1)
    minc, maxc = torch.aminmax(x, dim=1)
    delta = maxc - minc
    # Grey pixels (delta == 0) get s = h = 0; the divisors are replaced so nothing is 0/0.
    s = delta / torch.where(maxc > 0, maxc, torch.ones_like(maxc))
    d = torch.where(delta > 0, delta, torch.ones_like(delta))
    h = torch.where(maxc == r, (g - b) / d,
                    torch.where(maxc == g, (b - r) / d + 2, (r - g) / d + 4))
    return torch.remainder(h / 6, 1.0), s, maxc


def _hsv_to_rgb(h: torch.Tensor, s: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """h, s, v (B, H, W) -> (B, 3, H, W) RGB via c_n = v - v s clamp(min(k, 4 - k), 0, 1),
    k = (n + 6 h) mod 6 with n = 5, 3, 1 for R, G, B (the branch-free form of the sextant table)."""
    # arange, not torch.tensor([5, 3, 1]): a host-to-GPU copy would stall the CPU every call
    n = torch.arange(5, 0, -2, device=h.device, dtype=h.dtype).view(1, 3, 1, 1)
    k = torch.remainder(n + 6 * h.unsqueeze(1), 6)
    ramp = torch.minimum(k, 4 - k).clamp(0, 1)
    return v.unsqueeze(1) * (1 - s.unsqueeze(1) * ramp)


def adjust_hue(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Rotate hue: RGB -> HSV, h <- (h + shift) mod 1, HSV -> RGB; shift (B,) in [-0.5, 0.5] turns.

    Identity unless C == 3 (a grey or multi-band image has no hue).
    """
    if x.shape[1] != 3:  # colour needs RGB; other channel counts have no hue or luma
        return x
    h, s, v = _rgb_to_hsv(x)
    h = torch.remainder(h + _per_sample(shift, x).view(-1, 1, 1), 1.0)
    return _hsv_to_rgb(h, s, v)


def rgb_to_grayscale(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Where mask (B,) is True replace each channel by L = 0.2989 R + 0.587 G + 0.114 B.

    The output keeps C channels, so grey and colour views can share one batch; C != 3 is unchanged.
    """
    if x.shape[1] != 3:  # colour needs RGB; other channel counts have no hue or luma
        return x
    return torch.where(mask.to(x.device).view(-1, 1, 1, 1), _luma(x).expand_as(x), x)


def _gaussian_kernels(sigma: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """(B,) sigmas -> (B, K) normalised 1-D kernels w_i ∝ exp(-d_i^2 / (2 sigma^2)), d_i = i - (K-1)/2."""
    d = torch.arange(kernel_size, device=sigma.device, dtype=sigma.dtype) - (kernel_size - 1) / 2
    return torch.softmax(-(d / sigma.view(-1, 1)) ** 2 / 2, dim=1)


def gaussian_blur(x: torch.Tensor, sigma: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """Blur image b with an isotropic Gaussian of std ``sigma[b]`` (pixels), K x K taps, K odd.

    The 2-D kernel is the outer product of the 1-D one, so it runs as two passes (rows then
    columns) of one grouped conv2d with a group per (sample, channel); borders are reflected.
    """
    check_int(kernel_size, "kernel_size", minimum=1)
    if kernel_size % 2 == 0:
        fail("kernel_size", "an odd int", kernel_size)
    n, c, H, W = x.shape
    k1d = _gaussian_kernels(sigma.to(device=x.device, dtype=x.dtype), kernel_size)
    k1d = k1d.repeat_interleave(c, dim=0).view(n * c, 1, kernel_size, 1)  # one per (b, c)
    pad = kernel_size // 2
    y = F.pad(x.reshape(1, n * c, H, W), (pad, pad, pad, pad), mode="reflect")
    y = F.conv2d(y, k1d, groups=n * c)  # vertical pass
    y = F.conv2d(y, k1d.transpose(2, 3), groups=n * c)  # horizontal pass
    return y.view(n, c, H, W)


def solarize(x: torch.Tensor, threshold: float, mask: torch.Tensor) -> torch.Tensor:
    """Where mask (B,) is True invert the bright pixels: out = 1 - x where x >= threshold, else x."""
    keep = ~mask.to(x.device).view(-1, 1, 1, 1) | (x < threshold)
    return torch.where(keep, x, 1 - x)
