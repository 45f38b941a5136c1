"""Datasets by name, for the command line and the apps: ``load_dataset("shapes")``.

Image sets, the synthetic "activities" series and the UEA/UCR problems bundled with aeon are
listed in :data:`DATASETS`; any other UEA/UCR problem is reached as ``"uea:<Name>"`` (e.g.
``load_dataset("uea:Epilepsy", download=True)``).
"""
from __future__ import annotations

from ..checks import check_choice
from .images import load_cifar10, load_digits, make_relations, make_shapes
from .series import UEA_BUNDLED, load_uea, make_activities

# name -> one line for --help
DATASETS = {
    "shapes": "procedural shapes with captions and attributes, 6 classes (generated)",
    "relations": "two shapes and a relation per image, captions that bind attributes, 4 "
                 "relations (generated)",
    "digits": "scikit-learn's 1,797 handwritten digits, 10 classes (shipped)",
    "cifar10": "CIFAR-10, 10 classes (downloaded once with download=True, then cached)",
    "activities": "synthetic accelerometer + gyroscope series, 6 activities (generated)",
    "basicmotions": "UEA BasicMotions: smartwatch acc + gyro, 6 x 100, 4 activities (bundled)",
    "japanesevowels": "UEA JapaneseVowels: 12 LPC channels, lengths 7..29, 9 speakers (bundled)",
    "acsf1": "UCR ACSF1: appliance power, 1 x 1460, 10 classes (bundled)",
    "arrowhead": "UCR ArrowHead: outlines of arrowheads, 1 x 251, 3 classes (bundled)",
    "gunpoint": "UCR GunPoint: hand position, 1 x 150, 2 classes (bundled)",
    "italypowerdemand": "UCR ItalyPowerDemand: daily demand, 1 x 24, 2 classes (bundled)",
    "osuleaf": "UCR OSULeaf: leaf outlines, 1 x 427, 6 classes (bundled)",
    "pickupgesturewiimotez": "UCR PickupGestureWiimoteZ: Wiimote z, lengths 29..361, 10 "
                             "gestures (bundled)",
}
_UEA = {name.lower(): name for name in UEA_BUNDLED}
UEA_PREFIX = "uea:"  # "uea:<Name>": any problem of the archive (download=True fetches it)


def load_dataset(name: str, *, download: bool = False, n: int = 6000,
                 test_fraction: float = 0.25, seed: int = 0):
    """(train, test) of the dataset ``name`` (case-insensitive; one of :data:`DATASETS`, or
    ``"uea:<Name>"`` for any UEA/UCR problem).

    ``n``, ``test_fraction`` and ``seed`` shape the generated sets (shapes, relations, activities) and the
    split of digits; cifar10 and the UEA/UCR problems keep their official train/test split.
    """
    if isinstance(name, str) and name.lower().startswith(UEA_PREFIX):
        return load_uea(name[len(UEA_PREFIX):], download=download)
    name = check_choice(name, "data", DATASETS, case_insensitive=True)
    if name == "shapes":
        return make_shapes(n, seed=seed).split(test_fraction, seed=seed)
    if name == "relations":
        return make_relations(n, seed=seed).split(test_fraction, seed=seed)
    if name == "activities":
        return make_activities(n, seed=seed).split(test_fraction, seed=seed)
    if name == "digits":
        return load_digits().split(test_fraction, seed=seed)
    if name in _UEA:
        return load_uea(_UEA[name], download=download)
    return (load_cifar10(train=True, download=download),
            load_cifar10(train=False, download=download))
