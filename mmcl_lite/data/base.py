"""The dataset protocol: one or more modalities of N items, held in memory as tensors.

Every dataset of the kit (images, series, image-caption pairs) is a dataclass built on
:class:`Dataset`. It names its primary modality (``modality``, e.g. ``"images"`` or
``"series"``), whose tensor is ``inputs``; it carries labels, class names, attributes and,
where the modality has them, captions and which items are truly paired (``paired``).

What a method's ``training_step`` receives comes from :meth:`Dataset.fields`: every per-item
tensor under its field name (``images`` or ``series``, ``labels``, ``index``, ...), indexed
by a batch of indices. Methods never read a dataset's attributes themselves.
"""
from __future__ import annotations

import dataclasses
from typing import ClassVar

import torch

from ..checks import check_int, check_number, check_same_length, fail, said


class Dataset:
    """Mixin for dataclasses holding N items. Subclasses set ``modality`` (the primary tensor's
    field name) and ``per_item`` (every field with one entry per item: tensors with N rows,
    lists with N entries, dicts of (N,) tensors)."""

    modality: ClassVar[str] = ""
    per_item: ClassVar[tuple] = ()

    # ------------------------------------------------------------------ what every set has
    @property
    def inputs(self) -> torch.Tensor:
        """The primary modality's tensor (N, ...)."""
        return getattr(self, self.modality)

    def __len__(self) -> int:
        return len(self.inputs)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def channels(self) -> int:
        return self.inputs.shape[1]

    def fields(self) -> dict:
        """The per-item tensors a training step can be given: the primary modality, labels,
        ``index`` (0..N-1) and any other per-item tensor of this set (e.g. ``lengths``)."""
        out = {self.modality: self.inputs, "labels": self.labels,
               "index": torch.arange(len(self), device=self.labels.device)}
        for name in self.per_item:
            value = getattr(self, name)
            if torch.is_tensor(value) and name not in out:
                out[name] = value
        return out

    # ---------------------------------------------------------------------- validation
    def _check_items(self) -> None:
        """Every per-item field has N entries; labels are int64 class indices."""
        n = len(self)
        if not torch.is_tensor(self.labels) or self.labels.shape != (n,):
            fail("labels", f"an int64 tensor of shape ({n},)", self.labels)
        if self.labels.dtype != torch.long:
            fail("labels", "int64 class indices", self.labels, TypeError)
        if n and (int(self.labels.min()) < 0 or int(self.labels.max()) >= len(self.class_names)):
            fail("labels", f"class indices in [0, {len(self.class_names)})",
                 said(f"values in [{int(self.labels.min())}, {int(self.labels.max())}]"))
        for key, value in self.attributes.items():
            check_same_length(len(value), f"attributes[{key!r}]", n, self.modality)
        if self.captions is not None:
            check_same_length(len(self.captions), "captions", n, self.modality)
        bags = getattr(self, "caption_bags", None)
        if bags is not None:
            check_same_length(len(bags), "caption_bags", n, self.modality)
            sizes = {len(b) if isinstance(b, (list, tuple)) else -1 for b in bags}
            if len(sizes) > 1 or min(sizes, default=1) < 1:
                fail("caption_bags", "one list of K >= 1 captions per item, K the same for all",
                     said(f"bag sizes {sorted(sizes)[:5]}"))
        if self.paired is not None:
            if not torch.is_tensor(self.paired) or self.paired.dtype != torch.bool:
                fail("paired", f"a bool tensor of shape ({n},)", self.paired, TypeError)
            check_same_length(len(self.paired), "paired", n, self.modality)

    # --------------------------------------------------------------------- selection
    def subset(self, index):
        """A new set of the same kind with the items in ``index``: a slice, a list or tensor
        of int positions, or a bool mask of length N."""
        index = _as_index(index, len(self))
        cpu_index = index.cpu()
        changes = {}
        for name in self.per_item:
            value = getattr(self, name)
            if value is None:
                continue
            if torch.is_tensor(value):
                changes[name] = value[index.to(value.device)]
            elif isinstance(value, dict):
                changes[name] = {k: v[index.to(v.device)] for k, v in value.items()}
            else:
                changes[name] = [value[i] for i in cpu_index.tolist()]
        return dataclasses.replace(self, **changes)

    def split(self, test_fraction: float = 0.2, seed: int = 0):
        """Random (train, test) split, reproducible by ``seed``."""
        check_number(test_fraction, "test_fraction", 0.0, 1.0, low_open=True, high_open=True)
        perm = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))
        n_test = max(1, int(round(test_fraction * len(self))))
        return self.subset(perm[n_test:]), self.subset(perm[:n_test])

    def per_class(self, k: int | None, seed: int = 0):
        """A set of ``k`` random items of each class (all items when ``k`` is None), as a
        learner with only a few labels would have: reproducible by ``seed``."""
        return self.subset(per_class_index(self.labels, k, seed))

    def to(self, device):
        """The same set with every tensor on ``device``."""
        changes = {}
        for name in self.per_item:
            value = getattr(self, name)
            if torch.is_tensor(value):
                changes[name] = value.to(device)
            elif isinstance(value, dict):
                changes[name] = {k: v.to(device) for k, v in value.items()}
        return dataclasses.replace(self, **changes)


def per_class_index(labels: torch.Tensor, k: int | None, seed: int = 0) -> torch.Tensor:
    """Sorted positions of ``k`` random items of each class present in ``labels`` (N,), or
    all N when ``k`` is None. A class with fewer than ``k`` items is an error."""
    check_int(seed, "seed", minimum=0)
    labels = torch.as_tensor(labels).cpu()
    if k is None:
        return torch.arange(len(labels))
    check_int(k, "k", minimum=1)
    g = torch.Generator().manual_seed(seed)
    picked = []
    for c in labels.unique().tolist():
        members = (labels == c).nonzero().squeeze(1)
        if len(members) < k:
            fail("k", f"at most {len(members)} (the items of class {c})", k)
        picked.append(members[torch.randperm(len(members), generator=g)[:k]])
    return torch.cat(picked).sort().values


def _as_index(index, n: int) -> torch.Tensor:
    """int64 positions from a slice, a list/array/tensor of ints or a bool mask of length n."""
    if isinstance(index, slice):
        return torch.arange(n)[index]
    if isinstance(index, int) and not isinstance(index, bool):
        index = [index]
    if isinstance(index, (list, tuple)) and len(index) == 0:
        return torch.zeros(0, dtype=torch.long)
    try:
        t = torch.as_tensor(index)
    except (TypeError, ValueError, RuntimeError):
        fail("index", "a slice, int positions or a bool mask", index, TypeError)
    if t.dtype == torch.bool:
        if t.shape != (n,):
            fail("index", f"a bool mask of length {n}", said(f"shape {tuple(t.shape)}"))
        return t.nonzero().flatten()
    if t.is_floating_point() or t.is_complex():
        fail("index", "int positions or a bool mask", t, TypeError)
    t = t.long().flatten()
    if len(t) and (int(t.min()) < -n or int(t.max()) >= n):
        fail("index", f"positions in [-{n}, {n})", said(f"[{int(t.min())}, {int(t.max())}]"))
    return t
