"""scikit-learn's handwritten digits (1,797 images, 8x8, 10 classes), shipped with scikit-learn."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ...checks import check_int
from ..imageset import ImageSet


def load_digits(image_size: int = 16) -> ImageSet:
    """The UCI digits as a 1-channel ImageSet, upsampled (bilinear) to ``image_size``.

    The originals are 8x8 with 17 grey levels (0..16); we rescale to 0..255. Upsampling to 16
    gives crops and blur room to act; pass ``image_size=8`` for the raw resolution.
    """
    from sklearn.datasets import load_digits as _sk_load_digits

    check_int(image_size, "image_size", minimum=8)
    bunch = _sk_load_digits()
    images = torch.tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 16.0  # (N,1,8,8)
    if image_size != 8:
        images = F.interpolate(images, size=(image_size, image_size), mode="bilinear",
                               align_corners=False)
    images = (images.clamp(0, 1) * 255).round().to(torch.uint8)
    labels = torch.tensor(bunch.target, dtype=torch.long)
    return ImageSet(images=images, labels=labels, class_names=[str(d) for d in range(10)],
                    name="digits")
