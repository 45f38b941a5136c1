"""ImageSet: an image dataset held in memory as tensors.

Why tensors and not a ``torch.utils.data.Dataset``: small images are cheap to keep whole (on the
GPU when they fit), a batch is then just ``images[index]``, and views are made by batched tensor
ops (see ``mmcl_lite.augment``) instead of per-sample PIL code in worker processes.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch


@dataclass
class ImageSet:
    """Images, labels and optional per-image metadata.

    images:          uint8 tensor (N, C, H, W), values 0..255, C = 1 or 3
    labels:          int64 tensor (N,), indices into ``class_names``
    class_names:     list of K names
    attributes:      dict name -> int64 or float tensor (N,) (e.g. ``colour``, ``size``)
    attribute_names: dict name -> list of value names for categorical attributes
    captions:        list of N strings, or None when the modality has no text
    """

    images: torch.Tensor
    labels: torch.Tensor
    class_names: list
    attributes: dict = field(default_factory=dict)
    attribute_names: dict = field(default_factory=dict)
    captions: list | None = None
    name: str = "images"

    def __post_init__(self):
        if not isinstance(self.images, torch.Tensor) or self.images.dtype != torch.uint8 \
                or self.images.ndim != 4:
            got = (f"{self.images.dtype} {tuple(self.images.shape)}"
                   if isinstance(self.images, torch.Tensor) else type(self.images).__name__)
            raise ValueError(f"images: expected a uint8 tensor (N, C, H, W), got {got}")
        n = len(self.images)
        if self.labels.shape != (n,):
            raise ValueError(f"labels: expected shape ({n},), got {tuple(self.labels.shape)}")
        for key, value in self.attributes.items():
            if len(value) != n:
                raise ValueError(f"attributes[{key!r}]: expected {n} values, got {len(value)}")
        if self.captions is not None and len(self.captions) != n:
            raise ValueError(f"captions: expected {n} strings, got {len(self.captions)}")

    def __len__(self) -> int:
        return len(self.images)

    def __repr__(self) -> str:
        n, c, h, w = self.images.shape
        extra = f", attributes={list(self.attributes)}" if self.attributes else ""
        extra += ", captions" if self.captions is not None else ""
        return (f"ImageSet({self.name!r}: {n} images {c}x{h}x{w}, "
                f"{len(self.class_names)} classes{extra}, on {self.images.device})")

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def channels(self) -> int:
        return self.images.shape[1]

    @property
    def image_size(self) -> int:
        return self.images.shape[-1]

    def subset(self, index) -> "ImageSet":
        """A new ImageSet with the rows in ``index`` (tensor, list or slice)."""
        if isinstance(index, slice):
            index = torch.arange(len(self))[index]
        index = torch.as_tensor(index, dtype=torch.long)
        cpu_index = index.cpu()
        captions = None if self.captions is None else [self.captions[i] for i in cpu_index.tolist()]
        return replace(
            self,
            images=self.images[index.to(self.images.device)],
            labels=self.labels[index.to(self.labels.device)],
            attributes={k: v[index.to(v.device)] for k, v in self.attributes.items()},
            captions=captions,
        )

    def split(self, test_fraction: float = 0.2, seed: int = 0) -> tuple["ImageSet", "ImageSet"]:
        """Random (train, test) split, stratified by nothing but reproducible by ``seed``."""
        if not 0 < test_fraction < 1:
            raise ValueError(f"test_fraction: expected a number in (0, 1), got {test_fraction}")
        perm = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))
        n_test = max(1, int(round(test_fraction * len(self))))
        return self.subset(perm[n_test:]), self.subset(perm[:n_test])

    def to(self, device) -> "ImageSet":
        """The same set with every tensor on ``device``."""
        return replace(self, images=self.images.to(device), labels=self.labels.to(device),
                       attributes={k: v.to(device) for k, v in self.attributes.items()})

    def float_images(self) -> torch.Tensor:
        """Images as float32 in [0, 1]."""
        return self.images.float() / 255.0
