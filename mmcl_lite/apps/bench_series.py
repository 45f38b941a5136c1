"""``python -m mmcl_lite bench series``: the series methods on UEA sets, over seeds, against
classic baselines and the published figures.

For each dataset (its official train/test split) and method, for each seed 0..n-1: the method
is built for the data with that seed, trained on the training split with TS2Vec's budget
(``training.defaults.SERIES``: batch 8, lr 1e-3, 200 optimiser steps, 600 for a set of more
than 100,000 values), and its frozen features are scored with TS2Vec's SVM protocol
(``evaluation.series``). The table gives the test accuracy as the mean over the seeds and the
spread (max - min), and the wall time per seed (training plus evaluation, the mean).

Baseline rows (``--no-baselines`` drops them): raw series through the same SVM, full DTW 1-NN
and MiniRocket, each run once (deterministic, or seeded with 0), and each method's architecture
with random weights (over the same seeds). Published rows are the papers' figures, not runs.
A method that does not apply to a dataset (CrossSensor needs channels that split into sensor
groups) shows "n/a". Progress goes to stderr, the table to stdout.
"""
from __future__ import annotations

import statistics
import time

from .. import evaluation
from ..checks import BadValue, check_choice, check_int, fail
from ..data import load_dataset
from ..files import read_json_record, write_json
from ..methods import method_by_name
from ..runtime import describe, fast_mode, seed_everything
from ..training import epochs_for_steps, fit
from ..training.defaults import SERIES, SERIES_FAST
from ..zoo import ARTIFACTS
from .seeded import log

# the names bench series takes -> the table's column titles (the UEA archive's spelling, which
# evaluation.PUBLISHED is keyed by)
SERIES_DATASETS = {"basicmotions": "BasicMotions", "japanesevowels": "JapaneseVowels",
                   "activities": "activities (synthetic)"}
SERIES_METHODS = ("TS2Vec", "CPC", "TSTCC", "CrossSensor")
DEFAULT_DATASETS = ("basicmotions", "japanesevowels")
# the table `bench series --save` wrote with the defaults (5 seeds, 2 CPU cores): notebook 11
# shows it without training
SHIPPED = ARTIFACTS / "bench-series" / "bench.json"
BENCH_FORMAT = "mmcl-lite bench series 1"


def series_budget(train, steps: int | None = None) -> dict:
    """fit's arguments for ``train``: SERIES (SERIES_FAST in FAST mode) with the number of
    steps picked by the size of the training tensor, converted to epochs + max_steps."""
    recipe = SERIES_FAST if fast_mode() else SERIES
    if steps is None:
        large = train.series.numel() > recipe["large_values"]
        steps = recipe["steps_large"] if large else recipe["steps"]
    check_int(steps, "steps", minimum=1)
    batch_size = min(recipe["batch_size"], len(train))  # as TS2Vec: a tiny set is one batch
    return dict(epochs=epochs_for_steps(len(train), batch_size, steps), max_steps=steps,
                batch_size=batch_size, lr=recipe["lr"], weight_decay=recipe["weight_decay"],
                warmup_epochs=recipe["warmup_epochs"])


def _names(given, options, name: str) -> list:
    if isinstance(given, str):  # "a,b" as the command line passes it
        given = given.split(",")
    names = [check_choice(n.strip(), name, options, case_insensitive=True) for n in given]
    if not names:
        fail(name, f"at least one of {list(options)}", given)
    return list(dict.fromkeys(names))  # each once, in the order given


def _run_method(name: str, train, test, seed: int, budget: dict, progress: bool,
                random_weights: bool):
    """{"svm", "knn", "linear", "seconds"} of one seed, with "random" (the SVM accuracy of the
    same architecture with fresh weights) when ``random_weights``; None when ``name`` does not
    apply to ``train`` (for_data refuses it)."""
    seed_everything(seed)
    try:
        method = method_by_name(name).for_data(train, seed=seed)
    except BadValue as err:
        log(f"{name} on {train.name}: n/a ({err})")
        return None
    started = time.perf_counter()
    history = fit(method, train, seed=seed, progress=progress, **budget)
    if history.status != "completed":
        log(f"{name} seed {seed}: {history.status}: {history.message}")
    scores = evaluation.evaluate_series(method, train, test)
    seconds = time.perf_counter() - started
    if random_weights:
        scores["random"] = evaluation.random_encoder_accuracy(method, train, test, seed=seed)
    return {**scores, "seconds": seconds}


def bench_series(datasets=DEFAULT_DATASETS, methods=SERIES_METHODS, seeds: int = 5, *,
                 baselines: bool = True, steps: int | None = None,
                 progress: bool = True, save=None) -> dict:
    """Train and score every method on every dataset with seeds 0..seeds-1; print the table.

    Returns {"runs": {dataset: {method: [per-seed dict] or None}}, "baselines": {dataset:
    {name: {"accuracy", "seconds"}}}, "seeds": n, "machine": str, "table": str}. ``steps``
    overrides the recipe's budget; ``save`` (a path) writes the result as JSON
    (:func:`load_bench` reads it back).
    """
    datasets = _names(datasets, SERIES_DATASETS, "datasets")
    methods = _names(methods, SERIES_METHODS, "methods")
    check_int(seeds, "seeds", minimum=1)
    if steps is not None:
        check_int(steps, "steps", minimum=1)
    print(describe())
    runs, base = {}, {}
    for data_name in datasets:
        train, test = load_dataset(data_name)
        budget = series_budget(train, steps)
        print(f"{data_name}: {len(train)} train / {len(test)} test series of "
              f"{train.series.shape[1]} channels x {train.series.shape[2]} steps; "
              f"{budget['max_steps']} steps at batch {budget['batch_size']}, lr {budget['lr']}")
        runs[data_name] = {}
        for name in methods:
            per_seed = []
            for seed in range(seeds):
                row = _run_method(name, train, test, seed, budget, progress, baselines)
                if row is None:
                    break
                per_seed.append(row)
                random = f", random weights {row['random']:.1%}" if "random" in row else ""
                log(f"{data_name} {name} seed {seed}: SVM {row['svm']:.1%}, kNN "
                     f"{row['knn']:.1%}, linear {row['linear']:.1%}{random}, "
                     f"{row['seconds']:.1f} s")
            runs[data_name][name] = per_seed or None
        if baselines:
            base[data_name] = evaluation.series_baselines(train, test, seed=0)
            for label, row in base[data_name].items():
                log(f"{data_name} {label}: {row['accuracy']:.1%}, {row['seconds']:.1f} s")
    table = format_series_table(runs, base, seeds, with_random=baselines)
    print("\n" + table)
    result = {"runs": runs, "baselines": base, "seeds": seeds, "machine": describe()}
    if save is not None:
        print(f"saved: {write_json(save, {'format': BENCH_FORMAT, **result})}")
    return {**result, "table": table}


def load_bench(path=SHIPPED) -> dict:
    """A result that ``bench_series(save=path)`` wrote, with its "table" formatted again."""
    record = read_json_record(path, BENCH_FORMAT, "a JSON file written by bench series --save")
    record.pop("format")
    record["table"] = format_series_table(record["runs"], record["baselines"], record["seeds"],
                                          with_random=bool(record["baselines"]))
    return record


CELL = 22  # characters of one cell: "97.5% ± 2.5" then the seconds


def _cell(values, seconds=None) -> str:
    """"mean% ± spread  seconds": the spread (max - min, in points) left out for a single
    value, the seconds for a published figure."""
    spread = f" ± {100 * (max(values) - min(values)):.1f}" if len(values) > 1 else ""
    secs = "" if seconds is None else f"{statistics.fmean(seconds):.1f}s"
    return f"{100 * statistics.fmean(values):5.1f}%{spread}".ljust(CELL - 8) + secs.rjust(8)


def _method_cells(runs: dict, name: str, key: str, timed: bool) -> dict:
    """{dataset: cell} of one method over its seeds ("n/a" where it does not apply)."""
    cells = {}
    for data_name, by_method in runs.items():
        seeds = by_method[name]
        cells[data_name] = "n/a" if seeds is None else _cell(
            [r[key] for r in seeds], [r["seconds"] for r in seeds] if timed else None)
    return cells


def format_series_table(runs: dict, base: dict, seeds: int, with_random: bool = True) -> str:
    """Rows: methods, their random-weight copies, baselines, published figures; columns:
    datasets. A cell: mean SVM accuracy ± spread (max - min) over seeds, and mean seconds
    per seed; "n/a" where a method does not apply, "-" where there is no figure."""
    datasets = list(runs)
    methods = list(next(iter(runs.values()), {}))
    rows = {name: _method_cells(runs, name, "svm", timed=True) for name in methods}
    if with_random:
        rows.update({f"{name}, random weights": _method_cells(runs, name, "random", False)
                     for name in methods})
    for label in next(iter(base.values()), {}):
        rows[label] = {d: _cell([row[label]["accuracy"]], [row[label]["seconds"]])
                       for d, row in base.items()}
    for label in ("TS2Vec", "TS-TCC", "DTW 1-NN"):
        rows[f"{label} (published)"] = {
            d: _cell([evaluation.PUBLISHED[SERIES_DATASETS[d]][label]])
            for d in datasets if SERIES_DATASETS[d] in evaluation.PUBLISHED}
    width = max(len(r) for r in rows) + 2
    lines = [f"SVM test accuracy (TS2Vec's protocol): mean ± spread (max - min) over {seeds} "
             f"seed(s); seconds per seed: training + evaluation (baselines: fit + predict)",
             "".ljust(width) + "".join(f"    {SERIES_DATASETS[d]:{CELL}}" for d in datasets)]
    for label, cells in rows.items():
        lines.append(label.ljust(width) + "".join(f"    {cells.get(d, '-'):{CELL}}"
                                                  for d in datasets))
    return "\n".join(line.rstrip() for line in lines)
