"""Random views of batches, made on the batch's device with per-sample random parameters.

``series``: ``SeriesViews`` (crop-and-resample, amplitude scaling, jitter) for (B, C, T).
``image``: ``ImageViews`` (SimCLR-style crop, flip, colour jitter, grayscale, blur, solarize),
``MultiCropViews`` (SwAV's global + local crops) and ``ops``, the batched functional ops.
"""
from ..checks import fail
from .image import ImageViews, MultiCropViews, ops
from .series import SeriesViews

__all__ = ["ImageViews", "MultiCropViews", "SeriesViews", "ops", "views_from_config"]


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
    if "jitter_sigma" in config:
        return SeriesViews(**config)
    return ImageViews(**config)
