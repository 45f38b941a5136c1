"""SeriesSet: multivariate time series held in memory as one float tensor (N, C, T).

Series of different lengths are right-padded with zeros to the longest; ``lengths`` holds each
item's true length so that encoders and views can ignore the padding.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import torch

from ..checks import check_series, fail, said
from .base import Dataset


@dataclass
class SeriesSet(Dataset):
    """Series, labels and optional metadata.

    series:        float32 tensor (N, C, T), finite (padding is zeros)
    labels:        int64 tensor (N,), indices into ``class_names``
    class_names:   list of K names
    lengths:       int64 tensor (N,) of true lengths (<= T), or None when all are T
    channel_names: list of C names (e.g. ["acc_x", ..., "gyro_z"]), or None
    attributes, attribute_names, captions, paired, prompts: as in ``ImageSet``
    """

    modality: ClassVar[str] = "series"
    per_item: ClassVar[tuple] = ("series", "labels", "lengths", "attributes", "captions",
                                 "paired")

    series: torch.Tensor
    labels: torch.Tensor
    class_names: list
    lengths: torch.Tensor | None = None
    channel_names: list | None = None
    attributes: dict = field(default_factory=dict)
    attribute_names: dict = field(default_factory=dict)
    captions: list | None = None
    name: str = "series"
    paired: torch.Tensor | None = None
    prompts: object = None

    def __post_init__(self):
        check_series(self.series, "series")
        self._check_items()
        n, c, t = self.series.shape
        if self.lengths is not None:
            if not torch.is_tensor(self.lengths) or self.lengths.shape != (n,):
                fail("lengths", f"an int64 tensor of shape ({n},)", self.lengths)
            if n and (int(self.lengths.min()) < 1 or int(self.lengths.max()) > t):
                fail("lengths", f"lengths in [1, {t}]",
                     said(f"[{int(self.lengths.min())}, {int(self.lengths.max())}]"))
        if self.channel_names is not None and len(self.channel_names) != c:
            fail("channel_names", f"{c} names (one per channel)", said(str(len(self.channel_names))))

    def __repr__(self) -> str:
        n, c, t = self.series.shape
        return (f"SeriesSet({self.name!r}: {n} series, {c} channels x {t} steps, "
                f"{len(self.class_names)} classes, on {self.series.device})")

    @property
    def length(self) -> int:
        """T, the (padded) number of time steps."""
        return self.series.shape[-1]
