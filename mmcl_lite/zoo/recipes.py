"""The recipes that make the zoo's runs: each says what to train, on what data, for how long.

A recipe is plain data, so a notebook can show it and a test can compare a shipped run's
config with what the recipe builds today. ``train(name)`` runs a recipe with the kit's own
code; ``python -m mmcl_lite zoo`` (``make zoo``) runs them all and writes the artifacts.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..checks import check_choice
from ..data import load_dataset
from ..methods import method_by_name
from ..runtime import seed_everything
from .. import evaluation
from ..training import fit
from ..training.defaults import DEMO


@dataclass(frozen=True)
class Recipe:
    method: str                      # a name from methods.METHODS
    settings: dict                   # the method's settings (besides in_channels)
    data: dict                       # load_dataset arguments: name, n, seed, test_fraction
    fit: dict                        # fit arguments: epochs, batch_size, lr, weight_decay, ...
    snapshot_items: int = 500        # embedding snapshots of the first test items (explorer)
    notebook: str = ""               # where the run is used
    about: str = ""                  # one line for zoo.names(verbose=True)
    seed: int = 0
    extra: dict = field(default_factory=dict)


RECIPES = {
    "simclr-shapes": Recipe(     # the demo's settings (training.defaults.DEMO)
        method="SimCLR",
        settings=dict(temperature=DEMO["temperature"], seed=0),
        data=dict(name="shapes", n=DEMO["n_images"], seed=0, test_fraction=0.25),
        fit=dict(epochs=DEMO["epochs"], batch_size=DEMO["batch_size"], lr=DEMO["lr"]),
        notebook="00_tour",
        about="SimCLR on shapes with the demo's settings (ConvNet, 12 epochs at batch 128)",
    ),
}


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
    settings = dict(r.settings, in_channels=train.channels)
    cls = method_by_name(r.method)
    if "captions" in cls.SETTINGS and "captions" not in settings:
        settings["captions"] = train.captions
    return cls(**settings)


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
    results = evaluation.compare(method, train_set, test_set, name=r.method)
    meta = {"recipe": name, "data": r.data, "fit": r.fit, "notebook": r.notebook,
            "about": r.about, "results": results, "seconds_total": seconds,
            "seconds_training": history.seconds}
    return method.cpu(), history, meta
