"""Compare the self-supervised methods on one budget: ``python -m mmcl_lite bench methods``.

Every method gets the same data, batch size, learning rate, number of optimiser steps and seed,
then the same frozen evaluation (linear probe and weighted kNN on held-out images), next to the
two baselines (raw pixels, the same encoder with random weights). Wall time is training only.

A budget is a number of optimiser steps, not of epochs: the methods differ a lot in cost per
step (MoCo runs four encoder passes per step), and steps are what the learning-rate schedule
and the EMA schedules count. The budgets live in ``training.defaults.BENCH_METHODS``.
``compare_methods`` times a few steps of every method first and
prints an estimate before it starts.

At such budgets the ranking is itself a finding; the printed table (notebook 07's, at the full
budgets) is where it is measured. SimSiam and BYOL (bootstrapping from their own targets) were
trained for hundreds of epochs in their papers, far longer than these budgets.
"""
from __future__ import annotations

import time

import torch

from .. import evaluation as evaluate
from ..runtime import as_device, describe, fast_mode, seed_everything
from ..checks import check_choice, check_int, fail
from ..training import epochs_for_steps, fit
from ..training.defaults import BENCH_METHODS, BENCH_METHODS_FAST

ALL_METHODS = ("SimCLR", "MoCo", "SimSiam", "BYOL", "SwAV")

LR = BENCH_METHODS["lr"]
WEIGHT_DECAY = BENCH_METHODS["weight_decay"]
TEST_FRACTION = BENCH_METHODS["test_fraction"]


class BenchResult(dict):
    """The table as a dict {row: {"linear", "knn", "seconds", ...}} (what ``format_table`` and
    ``viz.results_bar`` take), with what produced it as attributes: ``methods`` (the trained
    methods by name), ``histories`` (their ``History``), ``train``/``test`` (the ImageSets),
    ``settings`` (dict), ``table`` (the printed text) and ``snapshot_data`` (what the
    histories' embedding snapshots show, or None)."""

    methods: dict
    histories: dict
    train: object
    test: object
    settings: dict
    table: str
    snapshot_data: object


def _budget(data: str) -> dict:
    """The budget of BENCH_METHODS (BENCH_METHODS_FAST in FAST mode) for a dataset name."""
    check_choice(data, "data", ("shapes", "digits"))
    return (BENCH_METHODS_FAST if fast_mode() else BENCH_METHODS)[data]


def load_bench_data(data: str = "shapes", n_images: int | None = None,
                    image_size: int | None = None, seed: int = 0):
    """(train, test) ImageSets for a benchmark: ``"shapes"`` (rendered) or ``"digits"``."""
    from ..data import load_digits, make_shapes

    cfg = _budget(data)
    if data == "shapes":
        full = make_shapes(n_images or cfg["n_images"], seed=seed,
                           image_size=image_size or cfg["image_size"])
    else:
        full = load_digits(image_size=image_size or 16)
        if n_images is not None:
            full = full.subset(slice(0, n_images))
    return full.split(TEST_FRACTION, seed=seed)


def build_method(name: str, train, device=None, **overrides):
    """A method by name, sized for ``train`` (channels, image side), with the library's defaults
    (the best settings measured on shapes) unless ``overrides`` say otherwise."""
    from ..methods import METHODS

    name = check_choice(name, "methods", ALL_METHODS, case_insensitive=True)
    method = METHODS[name](in_channels=train.channels, image_size=train.image_size, **overrides)
    return method.to(as_device(device))


def _seconds_per_step(name: str, train, batch_size: int, dev, repeats: int = 3) -> float:
    """Median time of ``repeats`` optimiser steps of a throwaway copy, after one warm-up step
    (the median, because a shared machine makes single timings jumpy)."""
    from ..training.loop import train_step

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    with torch.random.fork_rng(devices=[]):
        method = build_method(name, train, dev).train()
        method.seed_views(0, dev)  # as fit does: views drawn on the device being timed
        opt = method.configure_optimizer(LR, WEIGHT_DECAY)
        batch = {k: v[:batch_size].to(dev) for k, v in method.batch_fields(train).items()}
        times = []
        for step in range(repeats + 1):
            sync()
            t0 = time.perf_counter()
            train_step(method, opt, batch, dev)
            method.on_step_end(step, repeats + 1)
            sync()
            times.append(time.perf_counter() - t0)
        return sorted(times[1:])[len(times[1:]) // 2]


def compare_methods(data="shapes", steps: int | None = None,
                    batch_size: int = BENCH_METHODS["batch_size"],
                    methods=None, device=None, *, lr: float = LR,
                    weight_decay: float = WEIGHT_DECAY, seed: int = 0,
                    n_images: int | None = None, image_size: int | None = None,
                    method_kwargs: dict | None = None, knn_monitor=None, snapshot_data=None,
                    progress: bool = True, estimate: bool = True) -> BenchResult:
    """Train each method for ``steps`` optimiser steps on the same data; evaluate; print a table.

    data:       "shapes" or "digits" (digits are 1-channel 16x16: methods get in_channels=1),
                or a (train, test) pair of ImageSets.
    steps:      the budget per method; None takes BENCH_METHODS[data]["steps"] (FAST: a few).
    methods:    names, default all of SimCLR, MoCo, SimSiam, BYOL, SwAV, in that order.
    method_kwargs: {name: {argument: value}} to override a method's defaults.
    n_images, image_size: size the data ("shapes" renders n_images; digits keep the first n).
    knn_monitor, snapshot_data: passed to ``fit`` for every method (per-epoch kNN and collapse
                curves; embedding snapshots for ``viz.explore``). ``"test"`` means the first 500
                test images (and, for knn_monitor, the first 1,000 training images as the bank):
                handy when ``data`` is a name and the split is made in here.

    Returns a :class:`BenchResult`: {"raw pixels" | "random encoder" | name: {"linear", "knn",
    "seconds", "steps", "eff_rank"}} with the trained methods and histories as attributes.
    Baselines have no training time: their "seconds" is NaN (printed as "-").
    """
    dev = as_device(device)
    names = [check_choice(n, "methods", ALL_METHODS, case_insensitive=True)
             for n in (ALL_METHODS if methods is None else methods)]
    if not names:
        fail("methods", "at least one method name", methods)
    if isinstance(data, str):
        label = data
        train, test = load_bench_data(data, n_images, image_size, seed)
        steps = _budget(data)["steps"] if steps is None else steps
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        label, (train, test) = getattr(data[0], "name", "data"), data
        if steps is None:
            fail("steps", "a budget when data is a (train, test) pair", steps)
    else:
        fail("data", "'shapes', 'digits' or a (train, test) pair of ImageSets", data, TypeError)
    check_int(steps, "steps", minimum=1)
    check_int(batch_size, "batch_size", minimum=1)
    if batch_size > len(train):
        fail("batch_size", f"at most the {len(train)} training images", batch_size)
    overrides = method_kwargs or {}
    if isinstance(knn_monitor, str) and knn_monitor == "test":
        knn_monitor = (train.subset(slice(0, 1000)), test.subset(slice(0, 500)))
    if isinstance(snapshot_data, str) and snapshot_data == "test":
        snapshot_data = test.subset(slice(0, 500))
    for name in names:
        build_method(name, train, "cpu", **overrides.get(name, {}))  # fail fast on a bad name
    epochs = epochs_for_steps(len(train), batch_size, steps)
    settings = dict(data=label, train=len(train), test=len(test), image_size=train.image_size,
                    channels=train.channels, steps=steps, batch_size=batch_size, lr=lr,
                    weight_decay=weight_decay,
                    epochs=epochs, seed=seed, device=str(dev))
    print(describe())
    print(f"{label}: {len(train)} train / {len(test)} test images of {train.channels}x"
          f"{train.image_size}x{train.image_size}; {steps} steps per method at batch "
          f"{batch_size} (~{epochs} epochs), lr {lr}, weight decay {weight_decay}")
    if estimate:
        per_step = {n: _seconds_per_step(n, train, batch_size, dev) for n in names}
        total = sum(per_step.values()) * steps
        print("estimate from timing a few steps of each: "
              + ", ".join(f"{n} {s:.2f}s/step" for n, s in per_step.items())
              + f" -> about {total / 60:.1f} min of training (plus evaluation)")
        settings["seconds_per_step"] = per_step

    result = BenchResult()
    result.methods, result.histories = {}, {}
    for name in names:
        seed_everything(seed)
        method = build_method(name, train, dev, **overrides.get(name, {}))
        history = fit(method, train, epochs=epochs, batch_size=batch_size, lr=lr,
                      weight_decay=weight_decay, device=dev,
                      seed=seed, max_steps=steps, knn_monitor=knn_monitor,
                      snapshot_data=snapshot_data, progress=progress)
        if history.status != "completed":
            print(f"{name}: {history.status}: {history.message}")
        z_train = evaluate.embed(method, train, device=dev)
        z_test = evaluate.embed(method, test, device=dev)  # embedded once: probes + eff_rank
        scores = evaluate.probe(z_train, train.labels, z_test, test.labels)
        result[name] = {**scores, "seconds": history.seconds, "steps": len(history.steps),
                        "eff_rank": evaluate.effective_rank(z_test)}
        result.methods[name], result.histories[name] = method, history
        print(f"{name:8s} {len(history.steps)} steps in {history.seconds:6.1f}s: "
              f"linear {scores['linear']:.1%}  kNN {scores['knn']:.1%}")
    base = evaluate.baselines(result.methods[names[0]], train, test, device=dev, seed=seed)
    rows = {k: {**v, "seconds": float("nan")} for k, v in base.items()}
    rows.update(dict(result))
    result.clear()
    result.update(rows)
    result.train, result.test, result.settings = train, test, settings
    result.snapshot_data = snapshot_data
    result.table = evaluate.format_table(
        result, columns=("linear", "knn", "seconds"),
        title=f"{label}: {steps} steps per method, batch {batch_size} "
              f"(held-out accuracy, chance {1 / train.num_classes:.0%}; training seconds)")
    print(result.table)
    return result
