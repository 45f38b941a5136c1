"""ImageViews: SimCLR-style random views of a whole batch at once, on the batch's device.

Random parameters are drawn for every sample in one go from a ``torch.Generator``, on the
generator's device (``fit`` gives methods one on the training device, so a GPU step makes its
views without a host-to-device copy); then :mod:`mmcl_lite.augment.ops` applies them as
batched tensor ops. See DESIGN.md, "The data path", for why this beats per-sample PIL transforms.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch

from ...checks import check_images as _check_images
from ...checks import check_int, check_number, check_probability, check_range, fail, said
from . import ops

_PROBABILITIES = ("flip_p", "jitter_p", "gray_p", "blur_p", "solarize_p")
_CROP_TRIES = 10  # as torchvision's RandomResizedCrop; P(all 10 fail) ~ 1e-10 at the defaults


def _rand(*shape: int, generator=None) -> torch.Tensor:
    """U[0, 1) draws on the generator's own device (CPU when there is none)."""
    device = generator.device if generator is not None else "cpu"
    return torch.rand(*shape, generator=generator, device=device)


def check_images(images, name: str = "images") -> None:
    """Raise unless ``images`` is a (B, C, H, W) batch: uint8 0..255 or float in [0, 1].

    Colour jitter (hue, saturation) needs 3 channels; other channel counts get the geometric
    and intensity ops only (see :meth:`ImageViews.apply`)."""
    _check_images(images, name)


@dataclass(frozen=True)
class ImageViews:
    """Random views of an image batch; the defaults are SimCLR's CIFAR-10 recipe.

    ``ImageViews()(images)`` maps uint8 (B, C, H, W) in [0, 255] or float in [0, 1] (C = 1 or 3)
    to float32 (B, C, size, size) in [0, 1], applying in this order, each sample independently:
    random resized crop + horizontal flip (+ rotation if ``rotation`` > 0), colour jitter (with probability ``jitter_p``),
    grayscale (``gray_p``), Gaussian blur (``blur_p``) and solarize (``solarize_p``).
    Colour jitter runs brightness, contrast, saturation, hue in that fixed order (torchvision
    shuffles the order per call; the effect on learning is negligible and a fixed order keeps it
    one batched pass). Saturation, hue and grayscale do nothing to 1-channel images.
    An op whose probability (or jitter strength) is 0 is skipped, not computed.
    """

    size: int | None = None  # output side; None keeps the input size
    crop_scale: tuple[float, float] = (0.2, 1.0)  # crop area as a fraction of the image
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)  # crop width / height
    flip_p: float = 0.5
    rotation: float = 0.0  # max rotation in degrees, uniform in [-r, r] (0: none, as SimCLR)
    brightness: float = 0.4  # factor uniform in [max(0, 1 - s), 1 + s]
    contrast: float = 0.4
    saturation: float = 0.4
    hue: float = 0.1  # shift uniform in [-hue, hue] turns of the colour wheel
    jitter_p: float = 0.8
    gray_p: float = 0.2
    blur_p: float = 0.0  # SimCLR skips blur on CIFAR: at 32x32 it removes too much detail
    blur_sigma: tuple[float, float] = (0.1, 2.0)  # std in output pixels; kernel ~10% of the side
    solarize_p: float = 0.0
    solarize_threshold: float = 0.5

    def __post_init__(self):
        if self.size is not None:
            check_int(self.size, "size", minimum=1)
        for name in _PROBABILITIES:
            check_probability(getattr(self, name), name)
        check_range(self.crop_scale, "crop_scale", 0.0, 1.0, low_open=True)
        check_range(self.crop_ratio, "crop_ratio", 0.0, None, low_open=True)
        check_range(self.blur_sigma, "blur_sigma", 0.0, None, low_open=True)
        for name in ("crop_scale", "crop_ratio", "blur_sigma"):
            # a list (e.g. from a JSON config) becomes the tuple it stands for, so that views
            # rebuilt from a saved config compare equal to the originals
            object.__setattr__(self, name, tuple(getattr(self, name)))
        for name in ("brightness", "contrast", "saturation"):
            check_number(getattr(self, name), name, low=0.0)
        check_number(self.rotation, "rotation", 0.0, 180.0)  # degrees
        check_number(self.hue, "hue", 0.0, 0.5)
        check_number(self.solarize_threshold, "solarize_threshold", 0.0, 1.0)

    # ----------------------------------------------------------------- presets
    @classmethod
    def simclr(cls, size: int | None = None) -> "ImageViews":
        """SimCLR's recipe for small images: crop, flip, jitter 0.4/0.4/0.4/0.1 at p=0.8, gray
        p=0.2. The crop keeps 35-100% of the area (the paper: 8-100% on ImageNet; CIFAR code
        commonly 20-100%): on 32-px shapes, where the object can be small, a larger minimum
        keeps it in view. Notebook 01's crop_scale slider shows what each minimum leaves, and
        notebook 06 measures what crops that can miss the object do to learning."""
        return cls(size=size, crop_scale=(0.35, 1.0))

    @classmethod
    def weak(cls, size: int | None = None) -> "ImageViews":
        """Crop (scale 0.6-1) and flip only: small changes, no colour."""
        return cls(size=size, crop_scale=(0.6, 1.0), jitter_p=0.0, gray_p=0.0)

    @classmethod
    def none(cls, size: int | None = None) -> "ImageViews":
        """No augmentation: the whole image, resized to ``size`` (the identity when size is None).

        (Non-square images whose width/height lies outside crop_ratio get the centre crop.)
        """
        return cls(size=size, crop_scale=(1.0, 1.0), flip_p=0.0, jitter_p=0.0, gray_p=0.0)

    def replace(self, **changes) -> "ImageViews":
        """A copy with some fields changed (validated again): ``views.replace(gray_p=0)``."""
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------- parameters
    def _crop_boxes(self, n: int, H: int, W: int, generator) -> torch.Tensor:
        """(n, 4) boxes (top, left, height, width) by RandomResizedCrop's rule, vectorised.

        Per sample, _CROP_TRIES candidates: area fraction ~ U(crop_scale), log(w/h) ~
        U(log crop_ratio); the first candidate that fits in the image wins, and a sample with
        none falls back to the centre crop with the ratio clamped into crop_ratio. Unlike
        torchvision the sizes are not rounded to whole pixels: grid_sample handles fractions,
        and on 8x8 digits rounding would make the scale range very coarse.
        """
        lo, hi = self.crop_scale
        area = H * W * (lo + (hi - lo) * _rand(n, _CROP_TRIES, generator=generator))
        lr0, lr1 = math.log(self.crop_ratio[0]), math.log(self.crop_ratio[1])
        ratio = torch.exp(lr0 + (lr1 - lr0) * _rand(n, _CROP_TRIES, generator=generator))
        w, h = torch.sqrt(area * ratio), torch.sqrt(area / ratio)
        fits = (w <= W) & (h <= H)
        first = torch.argmax(fits.to(torch.uint8), dim=1, keepdim=True)  # first True (0 if none)
        w, h = w.gather(1, first).squeeze(1), h.gather(1, first).squeeze(1)
        fw, fh = self._fallback_crop(H, W)
        found = fits.any(dim=1)
        w, h = torch.where(found, w, fw), torch.where(found, h, fh)
        u = _rand(n, 2, generator=generator)  # position uniform over where the box fits
        top = torch.where(found, u[:, 0] * (H - h), (H - h) / 2)
        left = torch.where(found, u[:, 1] * (W - w), (W - w) / 2)
        return torch.stack([top, left, h, w], dim=1)

    def _fallback_crop(self, H: int, W: int) -> tuple[float, float]:
        """(width, height) of the largest centred crop whose ratio is clamped into crop_ratio."""
        r = min(max(W / H, self.crop_ratio[0]), self.crop_ratio[1])
        return (float(W), W / r) if W / r <= H else (H * r, float(H))

    def sample_params(self, batch_size: int, height: int, width: int, generator=None,
                      device="cpu") -> dict[str, torch.Tensor]:
        """Draw every random parameter for a batch at once; returns a dict of (B, ...) tensors.

        Keys: boxes (B, 4) (top, left, height, width in input pixels), flip, jitter, gray, blur,
        solarize (B,) bool masks, brightness, contrast, saturation (B,) factors, hue (B,) shifts,
        sigma (B,) blur std in output pixels. Everything is drawn from ``generator`` (or torch's
        global RNG) on the generator's own device, in a fixed order whatever the probabilities, and
        only then moved to ``device``. A CPU generator gives the same views on CPU and GPU; a CUDA
        generator avoids the copies (and the CPU stall each copy causes) but draws another stream.
        """
        for name, v in (("batch_size", batch_size), ("height", height), ("width", width)):
            check_int(v, name, minimum=1)
        n, g = batch_size, generator

        def uniform(low, high):
            return low + (high - low) * _rand(n, generator=g)

        def coin(p):
            return _rand(n, generator=g) < p

        params = {"boxes": self._crop_boxes(n, height, width, g), "flip": coin(self.flip_p)}
        for name in ("brightness", "contrast", "saturation"):
            s = getattr(self, name)
            params[name] = uniform(max(0.0, 1.0 - s), 1.0 + s)
        params["hue"] = uniform(-self.hue, self.hue)
        params["jitter"], params["gray"] = coin(self.jitter_p), coin(self.gray_p)
        params["sigma"], params["blur"] = uniform(*self.blur_sigma), coin(self.blur_p)
        params["solarize"] = coin(self.solarize_p)
        params["angle"] = torch.deg2rad(uniform(-self.rotation, self.rotation))
        return {k: v.to(device) for k, v in params.items()}

    # ------------------------------------------------------------------ apply
    def _blur_kernel_size(self, side: int) -> int:
        """Odd kernel ~10% of the image side as in SimCLR (23 at 224), at least 3."""
        k = max(3, int(round(0.1 * side)) // 2 * 2 + 1)
        return min(k, 2 * side - 1)  # reflect padding needs k // 2 < side

    def _jitter(self, x: torch.Tensor, p: dict) -> torch.Tensor:
        """Brightness, contrast, saturation, hue (fixed order) where p["jitter"], else unchanged."""
        y = x
        if self.brightness > 0:
            y = ops.adjust_brightness(y, p["brightness"])
        if self.contrast > 0:
            y = ops.adjust_contrast(y, p["contrast"])
        if self.saturation > 0:
            y = ops.adjust_saturation(y, p["saturation"])
        if self.hue > 0:
            y = ops.adjust_hue(y, p["hue"])
        return torch.where(p["jitter"].view(-1, 1, 1, 1), y, x)

    def apply(self, images: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
        """Apply drawn ``params`` (from :meth:`sample_params`) to ``images``; float32 in [0, 1]."""
        check_images(images)
        if params["boxes"].shape != (images.shape[0], 4):
            fail("params", f"parameters drawn for the {images.shape[0]} images",
                 said(f"parameters for a batch of {params['boxes'].shape[0]}"))
        p = {k: v.to(images.device) for k, v in params.items()}
        size = self.size if self.size is not None else tuple(images.shape[-2:])
        angle = p.get("angle") if self.rotation > 0 else None
        x = ops.resized_crop_flip(ops.to_float(images).float(), p["boxes"], p["flip"], size,
                                  angle)
        if self.jitter_p > 0:
            x = self._jitter(x, p)
        if self.gray_p > 0:
            x = ops.rgb_to_grayscale(x, p["gray"])
        if self.blur_p > 0 and min(x.shape[-2:]) > 1:
            blurred = ops.gaussian_blur(x, p["sigma"], self._blur_kernel_size(min(x.shape[-2:])))
            x = torch.where(p["blur"].view(-1, 1, 1, 1), blurred, x)
        if self.solarize_p > 0:
            x = ops.solarize(x, self.solarize_threshold, p["solarize"])
        return x

    def __call__(self, images: torch.Tensor, generator=None) -> torch.Tensor:
        """One random view of each image, made on ``images.device``."""
        check_images(images)
        B, _, H, W = images.shape
        return self.apply(images, self.sample_params(B, H, W, generator, images.device))

    def pair(self, images: torch.Tensor, generator=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Two independent views (v1, v2) of the same batch: the positives of SimCLR & co.

        Made as one call on the batch stacked twice (2B images, 2B parameter draws): half the
        kernel launches of two calls, which is what a GPU step is short of at 32x32.
        """
        check_images(images)
        v1, v2 = self(torch.cat([images, images]), generator).chunk(2)
        return v1, v2
