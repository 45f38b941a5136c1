"""Datasets by name, for the command line and the apps: ``load_dataset("shapes")``."""
from __future__ import annotations

from ..checks import check_choice
from .images import load_cifar10, load_digits, make_shapes

# name -> one line for --help
DATASETS = {
    "shapes": "procedural shapes with captions and attributes, 6 classes (generated)",
    "digits": "scikit-learn's 1,797 handwritten digits, 10 classes (shipped)",
    "cifar10": "CIFAR-10, 10 classes (downloaded once with download=True, then cached)",
}


def load_dataset(name: str, *, download: bool = False, n: int = 6000,
                 test_fraction: float = 0.25, seed: int = 0):
    """(train, test) of the dataset ``name`` (case-insensitive; one of :data:`DATASETS`)."""
    name = check_choice(name, "data", DATASETS, case_insensitive=True)
    if name == "shapes":
        return make_shapes(n, seed=seed).split(test_fraction, seed=seed)
    if name == "digits":
        return load_digits().split(test_fraction, seed=seed)
    return (load_cifar10(train=True, download=download),
            load_cifar10(train=False, download=download))
