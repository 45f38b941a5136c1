"""The recipes that make the zoo's runs: each says what to train, on what data, for how long.

A recipe is plain data, so a notebook can show it and a test can compare a shipped run's
config with what the recipe builds today. ``train(name)`` runs a recipe with the kit's own
code; ``python -m mmcl_lite zoo`` (``make zoo``) runs them all and writes the artifacts.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..augment import ImageViews
from ..checks import check_choice
from ..data import load_dataset
from ..methods import method_by_name
from ..runtime import seed_everything
from .. import evaluation
from ..training import fit
from ..training.defaults import BENCH_METHODS, DEMO, FUSION


@dataclass(frozen=True)
class Recipe:
    method: str                      # a name from methods.METHODS
    settings: dict                   # the method's settings (besides in_channels)
    data: dict                       # load_dataset arguments: name, n, seed, test_fraction
    fit: dict                        # fit arguments: epochs, batch_size, lr, weight_decay, ...
    snapshot_items: int = 500        # embedding snapshots of the first test items (explorer)
    max_snapshots: int = 0           # keep this many (>= 2) evenly spaced epochs' snapshots (0: all)
    notebook: str = ""               # where the run is used
    about: str = ""                  # one line for zoo.names(verbose=True)
    seed: int = 0
    extra: dict = field(default_factory=dict)


def _relations_recipe(method: str, about: str) -> Recipe:
    """Notebook 09's runs: ``method`` on the relations set with training.defaults.FUSION."""
    return Recipe(
        method=method, settings=dict(seed=0),
        data=dict(name="relations", n=FUSION["n_images"], seed=0,
                  test_fraction=FUSION["test_fraction"]),
        fit={k: FUSION[k] for k in ("epochs", "batch_size", "lr", "weight_decay")},
        snapshot_items=0, notebook="09_fusion", about=about, extra={"binding": True})


RECIPES = {
    "simclr-shapes": Recipe(     # the demo's settings (training.defaults.DEMO)
        method="SimCLR",
        settings=dict(temperature=DEMO["temperature"], views=DEMO["views"], seed=0),
        data=dict(name="shapes", n=DEMO["n_images"], seed=0, test_fraction=0.25),
        fit=dict(epochs=DEMO["epochs"], batch_size=DEMO["batch_size"], lr=DEMO["lr"]),
        max_snapshots=12,
        notebook="00_tour, 03_simclr",
        about="SimCLR on shapes with the demo's settings (ConvNet, 43 epochs at batch 128)",
    ),
    "simclr-shapes-long": Recipe(  # the demo's recipe trained 3x longer: the explorer's run
        method="SimCLR",
        settings=dict(temperature=DEMO["temperature"], views=DEMO["views"], seed=0),
        data=dict(name="shapes", n=DEMO["n_images"], seed=0, test_fraction=0.25),
        fit=dict(epochs=3 * DEMO["epochs"], batch_size=DEMO["batch_size"], lr=DEMO["lr"]),
        max_snapshots=14,
        notebook="00_tour",
        about="the demo's recipe for 129 epochs (longer than a notebook's budget: a converged "
              "model for the explorer)",
    ),
    "simclr-digits": Recipe(     # notebook 07's digits budget (training.defaults.BENCH_METHODS)
        method="SimCLR",
        # a mirrored digit is another digit (or none): SimCLR's views without flips
        settings=dict(temperature=DEMO["temperature"], seed=0,
                      views=ImageViews.simclr().replace(flip_p=0.0)),
        data=dict(name="digits", seed=0, test_fraction=0.25),
        fit=dict(epochs=60, batch_size=BENCH_METHODS["batch_size"], lr=BENCH_METHODS["lr"],
                 weight_decay=BENCH_METHODS["weight_decay"]),
        snapshot_items=0,        # no explorer here: no snapshots
        notebook="03_simclr",
        about="SimCLR on scikit-learn's digits (ConvNet, 60 epochs at batch 128: 600 steps)",
    ),
    # notebook 09: a dual encoder and the fusion model on the relations set, one budget
    "clip-relations": _relations_recipe(
        "CLIP", "CLIP on two-object relations (ConvNet + small BERT, 20 epochs at batch 128)"),
    "fusion-relations": _relations_recipe(
        "Fusion", "the fusion model (ITC + ITM + MLM) on two-object relations, CLIP's budget"),
}


def _thin_snapshots(history, keep: int) -> None:
    """Keep ``keep`` (>= 2) evenly spaced snapshots, the first and the last among them (0 or 1:
    all)."""
    snaps = history.snapshots
    if keep > 1 and len(snaps) > keep:
        picks = sorted({round(i * (len(snaps) - 1) / (keep - 1)) for i in range(keep)})
        history.snapshots = [snaps[i] for i in picks]


def recipe(name: str) -> Recipe:
    return RECIPES[check_choice(name, "name", RECIPES)]


def recipe_data(name: str):
    """(train, test) exactly as the recipe's run saw them."""
    spec = dict(recipe(name).data)
    return load_dataset(spec.pop("name"), **spec)


def build(name: str, train=None):
    """The recipe's method, freshly initialised (its seed makes the weights repeat)."""
    r = recipe(name)
    train = recipe_data(name)[0] if train is None else train
    return method_by_name(r.method).for_data(train, **r.settings)


def train(name: str, progress: bool = True, device=None):
    """Run the recipe: (method, history, meta) with meta = data, results, recipe, seconds."""
    r = recipe(name)
    train_set, test_set = recipe_data(name)
    seed_everything(r.seed)
    method = build(name, train_set)
    snapshot = test_set.subset(slice(0, min(r.snapshot_items, len(test_set))))
    started = time.perf_counter()
    history = fit(method, train_set, seed=r.seed, knn_monitor=(train_set, test_set),
                  snapshot_data=snapshot if r.snapshot_items else None, progress=progress,
                  device=device, **r.fit)
    seconds = time.perf_counter() - started
    _thin_snapshots(history, r.max_snapshots)
    results = evaluation.compare(method, train_set, test_set, name=r.method)
    meta = {"recipe": name, "data": r.data, "fit": r.fit, "notebook": r.notebook,
            "about": r.about, "results": results, "seconds_total": seconds,
            "seconds_training": history.seconds}
    if r.extra.get("binding"):  # swapped-caption tests, retrieval, masked words (notebook 09)
        meta["binding"] = evaluation.binding_report(method.eval(), test_set)
    return method.cpu(), history, meta
