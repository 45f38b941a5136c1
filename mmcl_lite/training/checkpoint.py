"""Checkpoints: atomic writes, weights-only loads, the config needed to rebuild the model, and
(when ``fit`` writes them) the run state needed to resume it exactly.

A checkpoint is ``torch.save`` of plain data only (tensors, numbers, strings, lists, dicts), so
it loads with ``weights_only=True``: a file that holds anything else (a pickle with code in
it) is refused before anything in it runs. It is written to a temporary file next to the
target and renamed over it, so a failed or interrupted save leaves the previous checkpoint
intact and no temporary file behind.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import torch

from ..checks import fail, said
from ..files import write_atomically
from .history import History

FORMAT = "mmcl-lite checkpoint"


def save_checkpoint(method, path, history: History | None = None, *, run: dict | None = None,
                    state_dict: dict | None = None) -> Path:
    """Write ``{format, class, config, state_dict, history, run}`` to ``path`` atomically.

    ``run`` is the resumable run state (``fit`` passes it); ``state_dict`` replaces the
    method's live weights (``fit`` passes those of the last completed step)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    weights = state_dict if state_dict is not None else method.state_dict()
    blob = {
        "format": FORMAT,
        "class": type(method).__name__,
        "config": method.config,
        "state_dict": {k: v.detach().cpu() for k, v in weights.items()},
        "history": None if history is None else _plain_history(history),
        "run": run,
    }
    write_atomically(path, lambda f: torch.save(blob, f))
    return path


def _plain_history(history: History) -> dict:
    data = history.to_dict()
    data["snapshots"] = [(int(e), z.cpu()) for e, z in history.snapshots]
    return data


def read_checkpoint(path, name: str = "path") -> dict:
    """The checkpoint's data, checked; a clear error for a missing, truncated, foreign or
    pickled file (``weights_only=True``: nothing in the file is executed). ``name`` is the
    argument the error names."""
    path = Path(path)
    if not path.is_file():
        fail(name, "an existing checkpoint file", said(f"{str(path)!r}, which does not exist"))
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError,
            AttributeError, ImportError, IndexError, KeyError) as err:
        reason = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
        fail(name, "an mmcl-lite checkpoint (plain tensors and numbers, loaded weights-only)",
             said(f"{str(path)!r}, which cannot be read that way ({reason})"))
    if not isinstance(blob, dict) or blob.get("format", FORMAT) != FORMAT \
            or not {"class", "config", "state_dict"} <= set(blob):
        fail(name, "an mmcl-lite checkpoint", said(f"{str(path)!r}, a file of another kind"))
    return blob


def load_checkpoint(path, device=None, with_history: bool = False):
    """Rebuild the method saved at ``path``. Returns the method, or ``(method, history)``."""
    from ..methods import METHODS

    blob = read_checkpoint(path)
    cls_name = blob.get("class")
    if cls_name not in METHODS:
        fail("path", f"a checkpoint of a known method (one of {sorted(METHODS)})", cls_name)
    method = METHODS[cls_name].from_config(blob["config"])
    method.load_state_dict(blob["state_dict"])
    if device is not None:
        method.to(device)
    if not with_history:
        return method
    history = History.from_dict(blob["history"]) if blob.get("history") else None
    return method, history
