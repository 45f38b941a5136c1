"""The UEA/UCR time-series classification archive (timeseriesclassification.com) as SeriesSets.

``load_uea(name)`` returns the official (train, test) split of one problem. Eight problems ship
inside aeon's wheel (:data:`UEA_BUNDLED`) and load offline; any other name of the archive is
fetched once with ``download=True`` (through aeon's loader, from the archive's Zenodo records)
into ``cache_dir`` and read from there afterwards, also offline.

What the loader does to the numbers (details in :mod:`.prepare`):
  * both splits are padded to one length T, the longest item of either; a variable-length
    problem (e.g. JapaneseVowels) keeps each item's true length in ``lengths`` (N,) and zeros
    beyond it; an equal-length problem has ``lengths = None``;
  * missing values (NaN, "?" in the file) inside an item are filled by linear interpolation
    along time, with a warning giving the count; trailing missing values shorten the item;
  * each channel c is z-normalised with the train split's statistics over observed steps,
        x' = (x - mean_c) / std_c,   applied to both splits;
  * ``class_names`` are the distinct labels sorted (numerically when all are numbers), and
    ``labels`` (N,) int64 index them; series are float32 (N, C, T).
Note that aeon's .ts reader lower-cases label text ("Standing" becomes "standing").
"""
from __future__ import annotations

import warnings
from pathlib import Path

import torch

from ...checks import check_bool, check_type, fail
from ...runtime import OfflineError
from ..images.cifar import default_root
from ..seriesset import SeriesSet
from .prepare import prepare_splits

# the classification problems in aeon's wheel (aeon/datasets/data/<name>/<name>_{TRAIN,TEST}.ts)
UEA_BUNDLED = ("ACSF1", "ArrowHead", "BasicMotions", "GunPoint", "ItalyPowerDemand",
               "JapaneseVowels", "OSULeaf", "PickupGestureWiimoteZ")

# channel order as the archive documents it; other problems have no channel names
CHANNEL_NAMES = {
    # a smartwatch: 3-axis accelerometer, then 3-axis gyroscope (BasicMotions' description)
    "BasicMotions": ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"],
}


def _bundled_root() -> Path:
    import importlib.util  # find aeon's folder without importing it (aeon imports slowly)

    spec = importlib.util.find_spec("aeon")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("load_uea needs aeon (pip install aeon): its wheel carries the "
                          "bundled UEA/UCR sets and the .ts reader")
    return Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data"


def _pair(folder: Path, name: str):
    return folder / name / f"{name}_TRAIN.ts", folder / name / f"{name}_TEST.ts"


def _cached(cache: Path, name: str):
    """The cached spelling of ``name`` (case-insensitive) with both split files, or None."""
    if not cache.is_dir():
        return None
    for entry in cache.iterdir():
        files = _pair(cache, entry.name)
        if entry.name.lower() == name.lower() and all(p.is_file() for p in files):
            return entry.name
    return None


def _download(name: str, cache: Path) -> str:
    """Fetch ``name`` into ``cache/<Name>/``; returns the archive's spelling of the name."""
    from aeon.datasets import load_classification
    from aeon.datasets.tsc_datasets import tsc_zenodo

    spelling = {k.lower(): k for k in tsc_zenodo}.get(name.lower())
    if spelling is None:
        fail("name", "a problem of the UEA/UCR classification archive (the names in "
             "aeon.datasets.tsc_datasets.tsc_zenodo)", name)
    cache.mkdir(parents=True, exist_ok=True)
    try:
        load_classification(spelling, split="train", extract_path=str(cache))
    except Exception as err:  # aeon wraps network failures in ValueError; all mean "not here"
        raise OfflineError(
            f"UEA/UCR set {spelling!r} could not be downloaded ({err}). Offline: put "
            f"{spelling}_TRAIN.ts and {spelling}_TEST.ts (from timeseriesclassification.com) "
            f"into {cache / spelling}, or use one of the bundled sets {list(UEA_BUNDLED)}."
        ) from err
    return spelling


def _class_order(names) -> list:
    """Distinct labels sorted, numerically when every label is a number ("2" before "10")."""
    distinct = sorted(set(names))
    try:
        return sorted(distinct, key=float)
    except ValueError:
        return distinct


def read_ts_pair(train_path, test_path, name: str, channel_names=None):
    """(train, test) SeriesSets from a pair of .ts files (the work behind :func:`load_uea`)."""
    from aeon.datasets import load_from_ts_file

    (x_train, y_train), (x_test, y_test) = (load_from_ts_file(str(p))
                                            for p in (train_path, test_path))
    (train, n_train), (test, n_test), filled = prepare_splits(list(x_train), list(x_test))
    if filled:
        warnings.warn(f"{name}: {filled} missing value(s) inside series filled by linear "
                      "interpolation along time", stacklevel=3)
    classes = _class_order(list(map(str, y_train)) + list(map(str, y_test)))
    index = {c: i for i, c in enumerate(classes)}
    if channel_names is not None and len(channel_names) != train.shape[1]:
        channel_names = None  # a file laid out differently from the documented problem

    def build(series, lengths, y):
        labels = torch.tensor([index[str(v)] for v in y], dtype=torch.long)
        return SeriesSet(series=series, labels=labels, class_names=list(classes),
                         lengths=lengths, channel_names=channel_names, name=name)

    return build(train, n_train, y_train), build(test, n_test, y_test)


def load_uea(name: str, *, download: bool = False, cache_dir=None):
    """The official (train, test) split of the UEA/UCR classification problem ``name``.

    name:      case-insensitive, e.g. "BasicMotions" or "basicmotions"; one of
               :data:`UEA_BUNDLED` offline, any problem of the archive with ``download``
    download:  fetch a problem that is neither bundled nor cached (needs the network once)
    cache_dir: where downloads live; default ``$MMCL_DATA/uea`` (``~/.cache/mmcl_lite/uea``)

    Returns two :class:`SeriesSet` (series float32 (N, C, T), labels int64 (N,), lengths (N,)
    for variable-length problems), z-normalised per channel with train statistics.
    """
    check_type(name, "name", str, "a str (a UEA/UCR problem name)")
    check_bool(download, "download")
    bundled = {b.lower(): b for b in UEA_BUNDLED}
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_root() / "uea"
    if name.lower() in bundled:
        spelling, folder = bundled[name.lower()], _bundled_root()
    else:
        folder, spelling = cache, _cached(cache, name)
        if spelling is None:
            if not download:
                fail("name", f"one of the sets bundled with aeon {list(UEA_BUNDLED)}; "
                     f"{name!r} is not bundled (nor cached in {cache}): download=True fetches "
                     "it once from timeseriesclassification.com", name)
            spelling = _download(name, cache)
    train_path, test_path = _pair(folder, spelling)
    return read_ts_pair(train_path, test_path, spelling, CHANNEL_NAMES.get(spelling))
