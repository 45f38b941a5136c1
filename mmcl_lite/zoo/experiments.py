"""Result tables that take minutes to compute, shipped like the runs: plain JSON, remade by
``make zoo``.

A table recipe names the zoo run it builds on and the experiment's settings. Today there is one
kind, label efficiency (``training.label_efficiency``): the run's frozen encoder probed with
k labels per class, against the same encoder trained from scratch on those labels and against
raw inputs. ``table(name)`` reads a shipped table; ``compute(name)`` runs it here.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from .. import __version__
from ..checks import check_choice, fail, said
from ..files import write_json
from ..training.label_efficiency import label_efficiency
from .recipes import recipe_data

TABLE, FORMAT = "table.json", "mmcl-lite zoo table 1"

TABLES = {
    "label-efficiency-shapes": dict(
        run="simclr-shapes", per_class=[1, 5, 10, 50, None], seeds=[0, 1, 2], steps=300,
        notebook="03_simclr",
        about="labels per class: SimCLR's frozen features vs supervised from scratch vs pixels"),
    "label-efficiency-digits": dict(
        run="simclr-digits", per_class=[1, 5, 10, 50, None], seeds=[0, 1, 2], steps=300,
        notebook="03_simclr",
        about="the same on scikit-learn's handwritten digits"),
}


def spec(name: str) -> dict:
    return TABLES[check_choice(name, "name", TABLES)]


def compute(name: str, method=None, progress: bool = True) -> dict:
    """Run the table's experiment (``method``: the run's model, loaded from the zoo when None):
    {"curves": {learner: {k: [acc per seed]}}, "seconds": ...}."""
    from . import load  # the package's loader (imported here: it imports this module)

    s = spec(name)
    method = load(s["run"])[0] if method is None else method
    train, test = recipe_data(s["run"])
    started = time.perf_counter()
    curves = label_efficiency(method, train, test, per_class=s["per_class"], seeds=s["seeds"],
                              steps=s["steps"], progress=progress)
    return {"curves": curves, "seconds": time.perf_counter() - started}


def save_table(folder, name: str, result: dict, overwrite: bool = False) -> Path:
    folder = Path(folder)
    if (folder / TABLE).exists() and not overwrite:
        fail("folder", "a folder without a zoo table (pass overwrite=True to replace it)",
             said(f"{str(folder)!r}, which holds one"))
    folder.mkdir(parents=True, exist_ok=True)
    record = {"format": FORMAT, "name": name, "recipe": spec(name), "version": __version__,
              **result}
    write_json(folder / TABLE, record)
    return folder


def read_table(folder) -> dict:
    """The table.json record of ``folder``, checked for its format."""
    path = Path(folder) / TABLE
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        fail("artifact", "a zoo table with a readable table.json",
             said(f"{str(path)!r} ({type(err).__name__}: {err})"))
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        fail("artifact", f"a zoo table of format {FORMAT!r}", said(f"{str(path)!r}"))
    return record
