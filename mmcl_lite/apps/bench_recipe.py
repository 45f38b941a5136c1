"""``python -m mmcl_lite bench recipe``: one zoo recipe trained with several seeds.

The recipe's data stay fixed (its data seed); each training seed draws other initial weights,
other batches and other views. The table gives each seed's linear-probe and kNN accuracy and
the seconds spent in optimiser steps (no per-epoch monitor runs here), then the mean and the
spread (max - min) over the seeds: the number a recipe's claims are checked against.
"""
from __future__ import annotations

import statistics
import time

from .. import evaluation, zoo
from ..methods import method_by_name
from ..runtime import describe, fast_mode, seed_everything
from ..training import fit


def bench_recipe(name: str = "simclr-shapes", seeds=(0, 1, 2), progress: bool = True) -> dict:
    """Train ``name``'s recipe once per seed; print and return {seed: {linear, knn, seconds}}.
    FAST mode: a few steps on a few hundred images (a smoke run)."""
    r = zoo.recipe(name)
    train, test = zoo.recipe_data(name)
    fit_args = dict(r.fit)
    if fast_mode():
        train, test = train.subset(slice(0, 300)), test.subset(slice(0, 100))
        fit_args.update(epochs=1, max_steps=2)
    print(describe())
    print(f"{name}: {r.method} {fit_args} on {len(train)} images; test {len(test)}")
    rows = {}
    for seed in seeds:
        seed_everything(seed)
        method = method_by_name(r.method).for_data(train, **dict(r.settings, seed=seed))
        started = time.perf_counter()
        history = fit(method, train, seed=seed, progress=progress, **fit_args)
        wall = time.perf_counter() - started
        result = evaluation.evaluate_method(method, train, test)
        rows[seed] = {**result, "seconds": history.step_seconds, "wall": wall}
        print(f"seed {seed}: linear {result['linear']:.1%}, kNN {result['knn']:.1%}, "
              f"{history.step_seconds:.0f} s of steps ({len(history.steps)} steps)", flush=True)
    print(_table(name, rows))
    return rows


def _table(name: str, rows: dict) -> str:
    lines = [f"{name} over {len(rows)} seeds", f"{'seed':>6} {'linear':>8} {'kNN':>8} {'steps s':>8}"]
    for seed, row in rows.items():
        lines.append(f"{seed:>6} {100 * row['linear']:7.1f}% {100 * row['knn']:7.1f}% "
                     f"{row['seconds']:8.0f}")
    for label, fn in (("mean", statistics.fmean), ("spread", lambda v: max(v) - min(v))):
        lines.append(f"{label:>6} {100 * fn([r['linear'] for r in rows.values()]):7.1f}% "
                     f"{100 * fn([r['knn'] for r in rows.values()]):7.1f}% "
                     f"{fn([r['seconds'] for r in rows.values()]):8.0f}")
    return "\n".join(lines)
