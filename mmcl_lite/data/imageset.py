"""ImageSet: an image dataset held in memory as tensors.

Why tensors and not a ``torch.utils.data.Dataset``: small images are cheap to keep whole (on the
GPU when they fit), a batch is then just ``images[index]``, and views are made by batched tensor
ops (see ``mmcl_lite.augment``) instead of per-sample PIL code in worker processes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import torch

from ..checks import fail
from .base import Dataset


@dataclass
class ImageSet(Dataset):
    """Images, labels and optional per-image metadata.

    images:          uint8 tensor (N, C, H, W), values 0..255, any number of channels C
    labels:          int64 tensor (N,), indices into ``class_names``
    class_names:     list of K names
    attributes:      dict name -> int64 or float tensor (N,) (e.g. ``colour``, ``size``)
    attribute_names: dict name -> list of value names for categorical attributes
    captions:        list of N strings, or None when the set has no text
    paired:          bool tensor (N,): True where caption i truly describes image i; None means
                     every caption is paired (see ``mmcl_lite.data.pairing``)
    prompts:         the dataset's words for zero-shot evaluation (``data.text.Prompts``)
    caption_bags:    list of N lists of K candidate captions, or None: weakly aligned text,
                     of which at least one candidate describes the image (MIL-NCE's data,
                     ``data.pairing.caption_bags``)
    """

    modality: ClassVar[str] = "images"
    per_item: ClassVar[tuple] = ("images", "labels", "attributes", "captions", "paired",
                                 "caption_bags")

    images: torch.Tensor
    labels: torch.Tensor
    class_names: list
    attributes: dict = field(default_factory=dict)
    attribute_names: dict = field(default_factory=dict)
    captions: list | None = None
    name: str = "images"
    paired: torch.Tensor | None = None
    prompts: object = None
    caption_bags: list | None = None

    def __post_init__(self):
        if not isinstance(self.images, torch.Tensor) or self.images.dtype != torch.uint8 \
                or self.images.ndim != 4:
            fail("images", "a uint8 tensor (N, C, H, W)", self.images,
                 ValueError if isinstance(self.images, torch.Tensor) else TypeError)
        self._check_items()

    def __repr__(self) -> str:
        n, c, h, w = self.images.shape
        extra = f", attributes={list(self.attributes)}" if self.attributes else ""
        extra += ", captions" if self.captions is not None else ""
        return (f"ImageSet({self.name!r}: {n} images {c}x{h}x{w}, "
                f"{len(self.class_names)} classes{extra}, on {self.images.device})")

    @property
    def image_size(self) -> int:
        return self.images.shape[-1]

    def float_images(self) -> torch.Tensor:
        """Images as float32 in [0, 1]."""
        return self.images.float() / 255.0
