"""Views of series batches (B, C, T): crop-and-resample, amplitude scaling, jitter."""
from .views import SeriesViews

__all__ = ["SeriesViews"]
