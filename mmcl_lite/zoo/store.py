"""How a zoo run is stored: safetensors for every tensor, JSON for everything else.

A run is a folder ``<name>/`` with
    weights.safetensors    the method's state_dict (float32, as trained)
    snapshots.safetensors  embedding snapshots of a fixed subset, one float16 tensor per epoch, and
                           their item index (for the explorer); absent when none were kept
    run.json               the method's class and config, the History (steps and epochs), the
                           data it was trained on (name, size, seed, split), its measured
                           results, the recipe, the kit version, the time it took, and the
                           SHA-256 of both tensor files

Neither format can carry code: loading executes nothing from the files. A file whose hash
differs from run.json's (truncated, edited, replaced) is refused before it is parsed.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as dump_tensors

from ..checks import fail, said
from ..files import write_atomically
from ..training import History

WEIGHTS, SNAPSHOTS, RUN = "weights.safetensors", "snapshots.safetensors", "run.json"
FORMAT = "mmcl-lite zoo run 1"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save_run(folder, method, history: History, meta: dict, overwrite: bool = False) -> Path:
    """Write a run into ``folder`` (created). Refuses to replace an existing run unless
    ``overwrite``. ``meta`` holds data, results, recipe, seconds, version (plain JSON)."""
    folder = Path(folder)
    if (folder / RUN).exists() and not overwrite:
        fail("folder", "a folder without a zoo run (pass overwrite=True to replace it)",
             said(f"{str(folder)!r}, which holds one"))
    folder.mkdir(parents=True, exist_ok=True)
    weights = dump_tensors({k: v.detach().cpu().contiguous()
                            for k, v in method.state_dict().items()})
    files = {WEIGHTS: weights}
    if history.snapshots:
        # float16 halves the size; the explorer normalises and projects, which it survives
        snaps = {f"epoch_{e}": z.detach().cpu().half().contiguous() for e, z in history.snapshots}
        if history.snapshot_index is not None:
            snaps["index"] = torch.as_tensor(history.snapshot_index).long().contiguous()
        files[SNAPSHOTS] = dump_tensors(snaps)
    record = {
        "format": FORMAT,
        "class": type(method).__name__,
        "config": method.config,
        "history": {"method": history.method, "steps": history.steps, "epochs": history.epochs,
                    "status": history.status, "message": history.message,
                    "seconds": history.seconds},
        "sha256": {name: _sha256(data) for name, data in files.items()},
        **meta,
    }
    for name, data in files.items():
        write_atomically(folder / name, lambda f, data=data: f.write(data))
    if SNAPSHOTS not in files:
        (folder / SNAPSHOTS).unlink(missing_ok=True)  # a replaced run's, which this one lacks
    text = json.dumps(record, indent=1, default=_plain)
    write_atomically(folder / RUN, lambda f: f.write(text.encode()))
    return folder


def _plain(value):
    if isinstance(value, tuple):
        return list(value)
    if torch.is_tensor(value):
        return value.tolist()
    fail("meta", "plain JSON data (numbers, strings, lists, dicts)", value, TypeError)


def read_run(folder) -> dict:
    """The run.json record, its tensors checked against their SHA-256 and parsed:
    {"record": dict, "weights": {name: tensor}, "snapshots": {name: tensor} or None}."""
    folder = Path(folder)
    try:
        record = json.loads((folder / RUN).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        fail("artifact", "a zoo run with a readable run.json",
             said(f"{str(folder)!r} ({type(err).__name__}: {err})"))
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        fail("artifact", f"a zoo run of format {FORMAT!r}", said(f"{str(folder)!r}"))
    tensors = {}
    for name, digest in record.get("sha256", {}).items():
        path = folder / name
        data = path.read_bytes() if path.is_file() else b""
        if _sha256(data) != digest:
            fail("artifact", f"{name} as recorded in run.json (SHA-256 {digest[:12]}...)",
                 said(f"a file that differs ({len(data)} bytes): truncated, edited or missing"))
        try:
            tensors[name] = load_tensors(data)
        except (SafetensorError, ValueError, RuntimeError) as err:
            fail("artifact", f"{name} in safetensors format", said(f"unreadable ({err})"))
    if WEIGHTS not in tensors:
        fail("artifact", "weights.safetensors listed in run.json", said(f"{str(folder)!r}"))
    return {"record": record, "weights": tensors[WEIGHTS], "snapshots": tensors.get(SNAPSHOTS)}


def history_of(run: dict) -> History:
    """The History of a read run, snapshots included."""
    h = run["record"]["history"]
    history = History(method=h["method"], steps=h["steps"], epochs=h["epochs"],
                      status=h["status"], message=h["message"], seconds=h["seconds"])
    snaps = run["snapshots"]
    if snaps:
        history.snapshots = sorted(((int(k.split("_")[1]), v.float()) for k, v in snaps.items()
                                    if k.startswith("epoch_")), key=lambda s: s[0])
        history.snapshot_index = snaps.get("index")
    return history
