"""Batched random views of image batches, on the batch's device.

``ImageViews`` (SimCLR-style crop, flip, colour jitter, grayscale, blur, solarize),
``MultiCropViews`` (SwAV's global + local crops) and ``ops``, the batched functional ops.
"""
from . import ops
from .multicrop import MultiCropViews
from .views import ImageViews

__all__ = ["ImageViews", "MultiCropViews", "ops"]
