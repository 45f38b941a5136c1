"""Views of series batches (B, C, T).

``transforms``: batched functional transforms (jitter, scaling, magnitude and time warps,
segment permutation, timestamp masks, frequency perturbation, crop-and-resample);
``overlapping_crops``: TS2Vec's two overlapping windows; ``SeriesViews``: a composition of the
transforms with presets (``weak``, ``strong``, ``frequency``).
"""
from . import transforms
from .crops import overlapping_crops
from .transforms import timestamp_mask
from .views import SeriesViews

__all__ = ["SeriesViews", "overlapping_crops", "timestamp_mask", "transforms"]
