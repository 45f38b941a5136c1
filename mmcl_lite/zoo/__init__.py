"""The model zoo: runs made by the kit's own recipes, shipped with it, loaded in seconds.

    from mmcl_lite import zoo
    zoo.names()                       # what ships
    method, history = zoo.load("simclr-shapes")
    zoo.info("simclr-shapes")         # its data, recipe, results, time, kit version
    zoo.table("label-efficiency-shapes")  # a shipped result table (JSON), e.g. label efficiency

Weights are safetensors and everything else JSON (``zoo.store``): nothing in an artifact can
run code, and a file that differs from its recorded SHA-256 is refused. ``zoo.train(name)``
runs the recipe instead; ``python -m mmcl_lite zoo`` (``make zoo``) remakes every artifact.
"""
from __future__ import annotations

import time
from pathlib import Path

from .. import __version__
from ..checks import check_choice, fail, said
from ..methods import method_by_name
from .recipes import RECIPES, Recipe, build, recipe, recipe_data
from .recipes import train as _train
from .store import history_of, read_run, save_run
from .experiments import TABLES, compute, read_table, save_table

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

__all__ = ["names", "load", "info", "train", "make", "recipe", "recipe_data", "build",
           "tables", "table", "compute", "RECIPES", "Recipe", "TABLES", "ARTIFACTS"]


def names() -> list[str]:
    """The runs that ship with the kit (each has a recipe in ``RECIPES``)."""
    return sorted(p.parent.name for p in ARTIFACTS.glob("*/run.json")
                  if p.parent.name in RECIPES)


def tables() -> list[str]:
    """The result tables that ship with the kit (each has a recipe in ``TABLES``)."""
    return sorted(p.parent.name for p in ARTIFACTS.glob("*/table.json")
                  if p.parent.name in TABLES)


def _folder(name: str, root=None, kind: str = "run") -> Path:
    shipped = names() if kind == "run" else tables()
    file = "run.json" if kind == "run" else "table.json"
    available = shipped if root is None else sorted(
        p.parent.name for p in Path(root).glob(f"*/{file}"))
    if name not in available:
        fail("name", f"one of the zoo's {kind}s {available}", name)
    return (ARTIFACTS if root is None else Path(root)) / name


def table(name: str, root=None) -> dict:
    """A shipped result table: its recipe, ``curves``, ``seconds`` and kit ``version``."""
    return read_table(_folder(name, root, kind="table"))


def info(name: str, root=None) -> dict:
    """The run's record: class, config, data, fit settings, results, seconds, version."""
    record = read_run(_folder(name, root))["record"]
    return {k: v for k, v in record.items() if k not in ("history",)}


def load(name: str, device=None, root=None):
    """(method, history) of a shipped run, rebuilt from its config and weights."""
    run = read_run(_folder(name, root))
    record = run["record"]
    method = method_by_name(record["class"]).from_config(record["config"])
    missing, unexpected = method.load_state_dict(run["weights"], strict=False)
    if unexpected or [k for k in missing if ".text_tower." not in k
                      and not k.startswith("text_tower.")]:
        fail("artifact", f"weights that fit a {record['class']} of this config",
             said(f"missing {missing[:3]}, unexpected {unexpected[:3]}"))
    if device is not None:
        method.to(device)
    return method.eval(), history_of(run)


def train(name: str, progress: bool = True, device=None):
    """Run the recipe here instead of loading: (method, history). Nothing is written."""
    method, history, _ = _train(name, progress=progress, device=device)
    return method, history


def make(selected=None, root=None, overwrite: bool = False, progress: bool = True) -> dict:
    """Train the recipes and compute the tables (all by default; tables after the runs they
    use) and write their artifacts; prints and returns the seconds each took. Existing
    artifacts are replaced only with ``overwrite``."""
    root = ARTIFACTS if root is None else Path(root)
    everything = {**RECIPES, **TABLES}
    selected = list(everything) if selected is None else [
        check_choice(n, "name", everything) for n in selected]
    for name in selected:
        file = "run.json" if name in RECIPES else "table.json"
        if (root / name / file).exists() and not overwrite:
            fail("overwrite", f"True to replace the shipped {name!r}", False)
    times = {}
    for name in [n for n in selected if n in RECIPES]:
        started = time.perf_counter()
        method, history, meta = _train(name, progress=progress)
        meta["version"] = __version__
        save_run(root / name, method, history, meta, overwrite=overwrite)
        times[name] = time.perf_counter() - started
        print(f"{name}: {times[name]:.0f} s ({meta['seconds_training']:.0f} s training) -> "
              f"{root / name}")
    for name in [n for n in selected if n in TABLES]:
        run = TABLES[name]["run"]
        method = load(run, root=root if (root / run / "run.json").exists() else None)[0]
        result = compute(name, method=method, progress=progress)
        save_table(root / name, name, result, overwrite=overwrite)
        times[name] = result["seconds"]
        print(f"{name}: {times[name]:.0f} s -> {root / name}")
    return times
