"""History: what a training run recorded, kept as plain data so checkpoints can carry it.

``mmcl_lite.viz.plot_history(history)`` draws it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch


@dataclass
class History:
    """Per-step records (``steps``: dicts with step, epoch, loss, lr, ...), per-epoch records
    (``epochs``: dicts with epoch, loss, seconds and monitor metrics such as knn, emb_std,
    eff_rank), optional embedding ``snapshots`` [(epoch, tensor (M, D))], and how it ended:
    ``status`` is "completed", "interrupted" (Ctrl-C) or "nan" (a non-finite value stopped
    training)."""

    method: str = ""
    steps: list = field(default_factory=list)
    epochs: list = field(default_factory=list)
    snapshots: list = field(default_factory=list)
    snapshot_index: torch.Tensor | None = None
    status: str = "running"
    message: str = ""
    seconds: float = 0.0

    @property
    def loss(self) -> np.ndarray:
        return np.array([s["loss"] for s in self.steps], dtype=float)

    @property
    def step_seconds(self) -> float:
        """Seconds spent in optimiser steps (views, forward, backward, update): ``seconds``
        without the per-epoch monitors, snapshots and checkpoints."""
        return float(sum(e.get("seconds", 0.0) for e in self.epochs
                         if np.isfinite(e.get("seconds", 0.0))))

    def metric(self, name: str) -> np.ndarray:
        """A per-epoch metric as an array (NaN where an epoch did not record it)."""
        return np.array([e.get(name, np.nan) for e in self.epochs], dtype=float)

    def last(self, name: str, default=float("nan")):
        for record in reversed(self.epochs):
            if name in record:
                return record[name]
        return default

    def to_dict(self) -> dict:
        """Plain data (for torch.save with weights_only loading)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "History":
        return cls(**data)

    def __repr__(self) -> str:
        last = self.epochs[-1] if self.epochs else {}
        shown = ", ".join(f"{k}={v:.4g}" for k, v in last.items()
                          if isinstance(v, float) and k != "seconds")
        return (f"History({self.method}: {len(self.epochs)} epochs, {len(self.steps)} steps, "
                f"{self.status}, {self.seconds:.1f}s; last epoch: {shown})")
