"""Random views of batches, made on the batch's device with per-sample random parameters.

``series``: ``SeriesViews`` for (B, C, T), composing ``series_ops`` (jitter, scaling, magnitude
and time warps, segment permutation, timestamp masks, frequency perturbation, crop-and-resample),
and ``overlapping_crops`` (TS2Vec's two windows that share a stretch).
``text``: ``mask_tokens`` (BERT's masking for masked language modelling).
``image``: ``ImageViews`` (SimCLR-style crop, flip, colour jitter, grayscale, blur, solarize),
``MultiCropViews`` (SwAV's global + local crops) and ``ops``, the batched functional ops.
"""
import dataclasses

from ..checks import fail
from .image import ImageViews, MultiCropViews, ops
from .series import SeriesViews, overlapping_crops, timestamp_mask
from .text import mask_tokens
from .series import transforms as series_ops

__all__ = ["ImageViews", "MultiCropViews", "SeriesViews", "mask_tokens", "ops", "overlapping_crops",
           "series_ops", "timestamp_mask", "views_from_config"]

# Keys that only series views have: a dict with any of them rebuilds SeriesViews (crop_scale is
# shared with ImageViews, so it cannot tell them apart).
_SERIES_ONLY = ({f.name for f in dataclasses.fields(SeriesViews)}
                - {f.name for f in dataclasses.fields(ImageViews)})


def views_from_config(config: dict):
    """Rebuild views from the plain dict a method's config stores (``dataclasses.asdict``)."""
    if not isinstance(config, dict):
        fail("views", "a dict of view settings", config, TypeError)
    if "global_views" in config:
        config = dict(config)
        for name in ("global_views", "local_views"):
            if isinstance(config.get(name), dict):
                config[name] = ImageViews(**config[name])
        return MultiCropViews(**config)
    if _SERIES_ONLY & set(config):
        return SeriesViews(**config)
    return ImageViews(**config)
