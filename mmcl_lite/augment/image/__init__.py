"""Views of image batches: batched ops with per-sample random parameters."""
from . import ops
from .multicrop import MultiCropViews
from .views import ImageViews

__all__ = ["ImageViews", "MultiCropViews", "ops"]
