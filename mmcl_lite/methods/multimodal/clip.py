"""CLIP (Radford et al., ICML 2021), and its locked-text-tower variant after LiT (Zhai et al.,
CVPR 2022): the dual encoder of ``common.DualEncoder``, whose docstring carries the maths."""
from __future__ import annotations

from .common import SETTINGS, DualEncoder

__all__ = ["CLIP", "SETTINGS"]


class CLIP(DualEncoder):
    """Dual-encoder image-text contrastive learning; ``text_tower="minilm"`` locks the text side.
    Settings: see ``SETTINGS`` in ``methods.multimodal.common``. ``encode`` returns the image
    tower's features, so kNN and linear probes work as for the other methods."""

    SETTINGS = SETTINGS
