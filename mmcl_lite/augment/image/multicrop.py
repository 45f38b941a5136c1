"""MultiCropViews: a few large "global" views plus several small "local" ones (SwAV, DINO).

Small crops are cheap (a 16x16 view costs a quarter of a 32x32 one) and, trained to agree with
the global views, teach the encoder to relate a part of an object to the whole.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ...checks import check_int, check_type
from .views import ImageViews, check_images


@dataclass(frozen=True)
class MultiCropViews:
    """``n_global`` views from ``global_views`` then ``n_local`` from ``local_views``.

    ``MultiCropViews.swav(32)(images)`` -> [2 tensors (B, C, 32, 32), 4 tensors (B, C, 16, 16)].
    Every view draws its own random parameters; all come from one ``generator`` in order.
    """

    global_views: ImageViews
    local_views: ImageViews
    n_global: int = 2
    n_local: int = 4

    def __post_init__(self):
        for name in ("global_views", "local_views"):
            check_type(getattr(self, name), name, ImageViews, "an ImageViews")
        for name, low in (("n_global", 1), ("n_local", 0)):
            check_int(getattr(self, name), name, minimum=low)

    @classmethod
    def swav(cls, size: int = 32, local_size: int | None = None, n_local: int = 4,
             global_scale: tuple[float, float] = (0.3, 1.0),
             local_scale: tuple[float, float] = (0.05, 0.3)) -> "MultiCropViews":
        """Two global crops (area ``global_scale``, default 30-100%) of ``size`` and ``n_local``
        local crops (``local_scale``, default 5-30%) of ``local_size`` (default size // 2), both
        with SimCLR's colour augmentation. The defaults follow the SwAV paper (on 224-px
        ImageNet: 14-100% and 5-14%), shifted up for 32-px images, and suit objects that fill
        much of the frame. On ``shapes``, whose objects cover 5-30% of the image, ``SwAV``
        uses global crops of 60-100% and no local crops, since smaller crops can miss the
        object (notebook 06, "What the views must keep", measures both choices)."""
        local_size = local_size if local_size is not None else max(1, size // 2)
        return cls(global_views=ImageViews.simclr(size).replace(crop_scale=global_scale),
                   local_views=ImageViews.simclr(local_size).replace(crop_scale=local_scale),
                   n_global=2, n_local=n_local)

    def __call__(self, images: torch.Tensor, generator=None) -> list[torch.Tensor]:
        """List of n_global + n_local views of ``images``, global views first."""
        check_images(images)
        return ([self.global_views(images, generator) for _ in range(self.n_global)]
                + [self.local_views(images, generator) for _ in range(self.n_local)])
