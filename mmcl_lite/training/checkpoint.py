"""Checkpoints: atomic writes, weights_only loads, and the config needed to rebuild the model."""
from __future__ import annotations

import os
from pathlib import Path

import torch

from ..checks import fail
from .history import History


def save_checkpoint(method, path, history: History | None = None) -> Path:
    """Write ``{class, config, state_dict, history}`` to ``path`` via a temp file + rename,
    so an interrupted save never leaves a half-written checkpoint behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    blob = {
        "class": type(method).__name__,
        "config": method.config,
        "state_dict": {k: v.detach().cpu() for k, v in method.state_dict().items()},
        "history": None if history is None else _plain_history(history),
    }
    tmp = path.with_name(path.name + ".tmp")
    torch.save(blob, tmp)
    os.replace(tmp, path)
    return path


def _plain_history(history: History) -> dict:
    data = history.to_dict()
    data["snapshots"] = [(int(e), z.cpu()) for e, z in history.snapshots]
    return data


def load_checkpoint(path, device=None, with_history: bool = False):
    """Rebuild the method saved at ``path`` (weights_only=True: no arbitrary code is run).

    Returns the method, or ``(method, history)`` when ``with_history``.
    """
    from ..methods import METHODS

    blob = torch.load(Path(path), map_location="cpu", weights_only=True)
    cls_name = blob.get("class")
    if cls_name not in METHODS:
        fail("path", f"a checkpoint of a known method (one of {sorted(METHODS)})", cls_name)
    method = METHODS[cls_name].from_config(blob["config"])
    method.load_state_dict(blob["state_dict"])
    if device is not None:
        method.to(device)
    if not with_history:
        return method
    history = History.from_dict(blob["history"]) if blob["history"] else None
    return method, history
