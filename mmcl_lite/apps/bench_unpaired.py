"""``python -m mmcl_lite bench unpaired``: what do unpaired images and captions add when pairs
are scarce?

For each seed, a shapes set (generated with that seed) is split by ``data.pairing``: a small
paired part, a pool of images alone and a pool of captions of other items. Every model trains
for one budget of optimiser steps (``training.defaults.UNPAIRED``):

* the floor, CLIP on the pairs only; the ceiling, CLIP on every true pair;
* UnpairedCLIP on pairs + pools: without any unpaired loss (the pools only pass through the
  towers: an ablation), with pseudo-pairs, with co-clusters, with image self-supervision;
* at the curve's other paired fractions, the floor and pseudo-pairs;
* MIL-NCE against plain CLIP on caption bags of K candidates with one right (a share
  (K - 1) / K wrong);
* the ceiling's towers under a missing caption at test time (``evaluation.missing``).

Each is scored on held-out images: zero-shot shape and colour, retrieval R@1/5/10 both ways, and
for pseudo-pairs the precision over training. The table gives mean and spread (max - min) over
the seeds; progress goes to stderr, the table to stdout.
"""
from __future__ import annotations

import statistics
import time

from .. import evaluation
from ..data import make_shapes
from ..data.pairing import caption_bags, split_pairing, unpaired_set
from ..files import read_json_record
from ..methods import CLIP, MILNCE, UnpairedCLIP
from ..runtime import fast_mode, seed_everything
from ..training import epochs_for_steps, fit
from ..training.defaults import UNPAIRED, UNPAIRED_FAST
from ..zoo import ARTIFACTS
from .seeded import log, run_over_seeds

FLOOR, CEILING = "floor: CLIP on the pairs only", "ceiling: CLIP on every true pair"
PSEUDO = "pseudo-pairs (mutual NN, EMA teacher)"
MODELS = {  # row -> UnpairedCLIP settings, run at the main paired fraction
    "pairs + pools, no unpaired loss": dict(unpaired_loss="none"),
    PSEUDO: dict(),
    "co-clusters (k = 6)": dict(unpaired_loss="coclusters"),
    "image self-supervision (SimCLR) + pairs": dict(unpaired_loss="none", image_ssl_weight=1.0),
}
SHIPPED = ARTIFACTS / "bench-unpaired" / "bench.json"
BENCH_FORMAT = "mmcl-lite bench unpaired 1"
PRECISION_POINTS = 10  # the precision curve: means over tenths of training


def budget() -> dict:
    """UNPAIRED (UNPAIRED_FAST in FAST mode)."""
    return UNPAIRED_FAST if fast_mode() else UNPAIRED


def _train(model, data, recipe: dict, seed: int, progress: bool):
    """Train for recipe["steps"] steps; (seconds, History)."""
    batch = min(recipe["batch_size"], len(data))
    started = time.perf_counter()
    history = fit(model, data, epochs=epochs_for_steps(len(data), batch, recipe["steps"]),
                  batch_size=batch, lr=recipe["lr"],
                  weight_decay=recipe["weight_decay"], seed=seed, progress=progress,
                  max_steps=recipe["steps"])
    if history.status != "completed":
        log(f"{type(model).__name__} seed {seed}: {history.status}: {history.message}")
    model.eval()
    return time.perf_counter() - started, history


def score(model, test) -> dict:
    """Zero-shot shape and colour top-1, retrieval R@1/5/10 both ways."""
    return {"zero_shot": {a: evaluation.zero_shot_accuracy(model, test, a)["top1"]
                          for a in ("shape", "colour")},
            "retrieval": evaluation.evaluate_retrieval(model, test)}


def precision_curve(history) -> list:
    """Mean pseudo-pair precision over each tenth of the steps that reported one."""
    got = [s["precision"] for s in history.steps if "precision" in s]
    if not got:
        return []
    n = PRECISION_POINTS
    chunks = [got[i * len(got) // n:(i + 1) * len(got) // n] for i in range(n)]
    return [statistics.fmean(c) for c in chunks if c]


def _run(name, model, data, test, recipe, seed, progress) -> tuple:
    """(score(...) + seconds and precision curve, the trained model)."""
    seed_everything(seed)
    seconds, history = _train(model, data, recipe, seed, progress)
    out = {**score(model, test), "seconds": seconds, "precision": precision_curve(history)}
    log(f"seed {seed} {name}: shape {out['zero_shot']['shape']:.1%}, colour "
        f"{out['zero_shot']['colour']:.1%}, i2t R@5 {out['retrieval']['i2t_R@5']:.1%} "
        f"({seconds:.0f} s)")
    return out, model


def run_seed(seed: int, recipe: dict, progress: bool = True) -> dict:
    """{"fractions": {fraction: {row: score}}, "mil": {K: {"mil"|"sample": score}},
    "missing": the ceiling's missing-caption curves} for one seed."""
    train, test = make_shapes(recipe["n_images"], seed=seed).split(recipe["test_fraction"],
                                                                   seed=seed)
    vocabulary = dict(captions=train.captions, seed=seed)  # every caption, paired or not

    def unpaired(fraction, settings):
        data = unpaired_set(train, fraction, seed=seed)
        return UnpairedCLIP.for_data(data, **vocabulary, **settings), data

    main = recipe["paired_fraction"]
    fractions = {}
    for fraction in sorted({main, *recipe["fractions"]}):
        paired = split_pairing(train, fraction, seed=seed).paired
        rows = {FLOOR: _run(FLOOR, CLIP.for_data(paired, **vocabulary), paired, test, recipe,
                            seed, progress)[0]}
        for name, settings in (MODELS.items() if fraction == main else [(PSEUDO, {})]):
            model, data = unpaired(fraction, settings)
            rows[name] = _run(name, model, data, test, recipe, seed, progress)[0]
        fractions[f"{fraction:g}"] = rows
    ceiling, model = _run(CEILING, CLIP.for_data(train, seed=seed), train, test, recipe, seed,
                          progress)
    fractions["1"] = {CEILING: ceiling}
    missing = {name: {f"{f:g}": acc for f, acc in curve.items()} for name, curve in
               evaluation.missing_modality_report(model, train, test, seed=seed).items()}
    mil = {"1": {"sample": ceiling}}
    for k in recipe["bag_sizes"]:
        bags = caption_bags(train, k, seed=seed)
        mil[str(k)] = {loss: _run(f"K={k} {loss}", MILNCE.for_data(bags, seed=seed,
                                                                    bag_loss=loss),
                                  bags, test, recipe, seed, progress)[0]
                       for loss in ("sample", "mil")}
    return {"fractions": fractions, "mil": mil, "missing": missing}


def values(runs, *path) -> list:
    """The entry at ``path`` (keys) of each seed's run that has it."""
    out = []
    for run in runs:
        for key in path:
            run = run.get(key) if isinstance(run, dict) else None
        if run is not None:
            out.append(run)
    return out


def _cell(values, width: int = 13) -> str:
    if not values:
        return f"{'-':>{width}s}"
    mean, spread = statistics.fmean(values), max(values) - min(values)
    text = f"{100 * mean:.1f} ± {100 * spread:.1f}" if len(values) > 1 else f"{100 * mean:.1f}"
    return f"{text:>{width}s}"


METRICS = (("shape", ("zero_shot", "shape")), ("colour", ("zero_shot", "colour")),
           ("i2t R@1", ("retrieval", "i2t_R@1")), ("i2t R@5", ("retrieval", "i2t_R@5")),
           ("t2i R@5", ("retrieval", "t2i_R@5")))


def gap_closed(result: dict, row: str = PSEUDO, metric=("zero_shot", "shape")) -> float:
    """Mean over seeds of (row - floor) / (ceiling - floor) at the main paired fraction."""
    main = f"{result['recipe']['paired_fraction']:g}"
    shares = []
    for run in result["runs"]:
        floor, ceiling = run["fractions"][main][FLOOR], run["fractions"]["1"][CEILING]
        got = run["fractions"][main][row]
        value = [values([r], *metric)[0] for r in (floor, got, ceiling)]
        shares.append((value[1] - value[0]) / (value[2] - value[0]))
    return statistics.fmean(shares)


def format_unpaired_table(result: dict) -> str:
    """The bench's text tables from its result dict (also what ``load_bench`` returns)."""
    runs, recipe = result["runs"], result["recipe"]
    main = f"{recipe['paired_fraction']:g}"
    head = f"{'':44s}" + "".join(f"{m:>13s}" for m, _ in METRICS)
    lines = [f"{float(main):.0%} of the training items paired; zero-shot top-1 and retrieval "
             f"on held-out pairs; mean ± spread over {len(runs)} seed(s)",
             head + f"{'precision':>11s}{'train s':>9s}"]
    rows = [(name, main) for name in [FLOOR, *MODELS]] + [(CEILING, "1")]
    for name, fraction in rows:
        scores = values(runs, "fractions", fraction, name)
        precision = [s["precision"][-1] for s in scores if s["precision"]]
        lines.append(f"{name:44s}" + "".join(_cell(values(scores, *m)) for _, m in METRICS)
                     + (_cell(precision, 11) if precision else f"{'':11s}")
                     + f"{statistics.fmean(s['seconds'] for s in scores):9.0f}")
    lines.append("precision: share of the last tenth's proposed pairs whose caption names the "
                 "image's shape (chance about 1/6)")
    lines.append(f"share of the floor-to-ceiling gap closed by pseudo-pairs: shape "
                 f"{gap_closed(result):.0%}, colour "
                 f"{gap_closed(result, metric=('zero_shot', 'colour')):.0%}, i2t R@5 "
                 f"{gap_closed(result, metric=('retrieval', 'i2t_R@5')):.0%}")
    lines += ["", "Against the paired fraction (floor / pseudo-pairs; 100%: the ceiling)",
              f"{'paired':10s}{'model':34s}" + "".join(f"{m:>13s}" for m, _ in METRICS)]
    for fraction in sorted(runs[0]["fractions"], key=float):
        for name in runs[0]["fractions"][fraction]:
            if fraction == main and name not in (FLOOR, PSEUDO):
                continue
            scores = values(runs, "fractions", fraction, name)
            lines.append(f"{float(fraction):<10.0%}{name.split(':')[0].split(' (')[0]:34s}"
                         + "".join(_cell(values(scores, *m)) for _, m in METRICS))
    lines += ["", "Caption bags of K candidates, one right: plain CLIP on a random candidate "
              "vs MIL-NCE on the bag", f"{'K (wrong share)':20s}{'loss':24s}"
              + "".join(f"{m:>13s}" for m, _ in METRICS)]
    for k in sorted(runs[0]["mil"], key=int):
        for loss, label in (("sample", "CLIP, one candidate"), ("mil", "MIL-NCE, the bag")):
            scores = values(runs, "mil", k, loss)
            if scores:
                lines.append(f"{f'{k} ({(int(k) - 1) / int(k):.0%})':20s}{label:24s}"
                             + "".join(_cell(values(scores, *m)) for _, m in METRICS))
    lines += ["", "A missing caption at test time: a linear probe on [image, text] embeddings "
              "of the ceiling's towers (shape classes)", f"{'probe':24s}"
              + "".join(f"{f'{float(f):.0%} missing':>14s}" for f in runs[0]["missing"]
                        ["no dropout"])]
    for probe in runs[0]["missing"]:
        lines.append(f"{probe:24s}" + "".join(
            _cell(values(runs, "missing", probe, f), 14) for f in runs[0]["missing"][probe]))
    return "\n".join(lines)


def bench_unpaired(seeds=(0, 1, 2), *, progress: bool = True, save=None) -> dict:
    """Train and score every model with each seed; print the tables. Returns {"runs": [per
    seed], "seeds", "recipe", "machine", "table"}; ``save`` (a path) writes it as JSON."""
    recipe = budget()
    about = (f"shapes: {recipe['n_images']} images per seed ({1 - recipe['test_fraction']:.0%} "
             f"train), {recipe['steps']} steps per model at batch {recipe['batch_size']}, "
             f"lr {recipe['lr']}")
    return run_over_seeds(seeds, recipe, about, run_seed, format_unpaired_table,
                          BENCH_FORMAT, progress, save)


def load_bench(path=SHIPPED) -> dict:
    """A saved ``bench unpaired`` result (default: the one shipped in the zoo)."""
    return read_json_record(path, BENCH_FORMAT, "a bench unpaired JSON file")
