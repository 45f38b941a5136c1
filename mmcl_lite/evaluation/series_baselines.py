"""What a learned series representation has to beat: classic classifiers, and published figures.

``series_baselines(train, test, method=None, seed=0)`` returns {name: {"accuracy", "seconds"}}
(test accuracy; wall time of fitting and scoring) for

    raw SVM         every series flattened (C * T values, padded steps as zeros), then the same
                    RBF-SVM protocol as the learned features (``svm_protocol``)
    DTW 1-NN        the nearest training series under dependent DTW (one warping path for all
                    channels, squared Euclidean cost between the C-vectors of two steps), no
                    window (full DTW, as the published DTW_D baselines); variable-length series
                    are compared at their true lengths (aeon takes a list of (C, L) arrays)
    MiniRocket      Dempster et al., KDD 2021: 10,000 random convolutional features + ridge
                    classifier (aeon's MiniRocketClassifier, seeded). It needs equal lengths,
                    so padded series keep their zero padding (and at least 9 steps)
    random encoder  when ``method`` is given: the same architecture with fresh random weights
                    (``method.fresh_copy(seed)``), its features through the SVM protocol

Every baseline reads the series exactly as the methods do (the SeriesSet as loaded: the kit's
UEA loader z-normalises each channel with train statistics). DTW weighs channels by their
scale, so its accuracy can differ from a published figure computed on the archive's values as
they are; what the table compares is every method and baseline on the same inputs.

aeon's DTW and MiniRocket are numba code: their first call in a process compiles it, which the
first baseline's time includes.
"""
from __future__ import annotations

import time
import warnings

import numpy as np
import torch

from ..checks import fail, said
from .embed import model_device
from .series import series_features, svm_protocol

# Published test accuracies on the UEA archive (official train/test splits), as data: not
# measured here. Source: Yue et al., "TS2Vec: Towards Universal Representation of Time Series",
# AAAI 2022, the appendix table of full results on the UEA datasets, which reports TS2Vec,
# TS-TCC (Eldele et al., IJCAI 2021, run by the TS2Vec authors) and DTW; its DTW column is
# dependent DTW (DTW_D), the multivariate 1-NN baseline of the UEA archive.
PUBLISHED = {
    "BasicMotions": {"TS2Vec": 0.975, "TS-TCC": 1.000, "DTW 1-NN": 0.975},
    "JapaneseVowels": {"TS2Vec": 0.984, "TS-TCC": 0.930, "DTW 1-NN": 0.949},
}

MINIROCKET_MIN_LENGTH = 9  # MiniRocket's kernels span 9 steps


def _check_series_set(data, name: str):
    if getattr(data, "modality", None) != "series" or not hasattr(data, "series"):
        fail(name, "a SeriesSet", data, TypeError)
    return data


def _check_pair(train, test):
    _check_series_set(train, "train")
    _check_series_set(test, "test")
    if train.series.shape[1] != test.series.shape[1]:
        fail("test", f"{train.series.shape[1]} channels, as train",
             said(f"{test.series.shape[1]}"))


def _lengths(data) -> np.ndarray:
    n, _, t = data.series.shape
    lengths = getattr(data, "lengths", None)
    return np.full(n, t) if lengths is None else lengths.cpu().numpy()


def padded_array(data, min_length: int = 1) -> np.ndarray:
    """float64 (N, C, T'): the series with every step past an item's length set to zero,
    right-padded with zeros to at least ``min_length`` steps."""
    x = data.series.detach().cpu().double().numpy().copy()
    past_end = np.arange(x.shape[-1])[None, :] >= _lengths(data)[:, None]   # (N, T)
    x[np.broadcast_to(past_end[:, None, :], x.shape)] = 0.0
    if x.shape[-1] < min_length:
        x = np.pad(x, ((0, 0), (0, 0), (0, min_length - x.shape[-1])))
    return x


def series_list(data) -> list:
    """Each series trimmed to its true length: a list of float64 (C, L_i) arrays (what aeon
    takes for unequal-length collections)."""
    x = data.series.detach().cpu().double().numpy()
    return [x[i, :, :length] for i, length in enumerate(_lengths(data))]


def _timed(fn) -> dict:
    started = time.perf_counter()
    accuracy = fn()
    return {"accuracy": float(accuracy), "seconds": time.perf_counter() - started}


def raw_svm_accuracy(train, test) -> float:
    """The SVM protocol on the raw series, flattened (padded steps as zeros)."""
    _check_pair(train, test)
    t = max(train.series.shape[-1], test.series.shape[-1])  # both splits need C * T features
    xtr, xte = padded_array(train, t), padded_array(test, t)
    return svm_protocol(xtr.reshape(len(xtr), -1), train.labels,
                        xte.reshape(len(xte), -1), test.labels)["accuracy"]


def dtw_1nn_accuracy(train, test, *, n_jobs: int = 1) -> float:
    """1-nearest-neighbour accuracy under full dependent DTW (aeon), at each series' length."""
    from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier

    _check_pair(train, test)
    knn = KNeighborsTimeSeriesClassifier(distance="dtw", n_neighbors=1, n_jobs=n_jobs)
    with warnings.catch_warnings():
        # aeon's numba DTW casts its window bound between integer types; harmless
        warnings.filterwarnings("ignore", message="unsafe cast")
        knn.fit(series_list(train), train.labels.cpu().numpy())
        return knn.score(series_list(test), test.labels.cpu().numpy())


def minirocket_accuracy(train, test, *, seed: int = 0, n_jobs: int = 1) -> float:
    """Accuracy of aeon's MiniRocketClassifier (random kernels seeded with ``seed``) on the
    zero-padded series."""
    from aeon.classification.convolution_based import MiniRocketClassifier

    _check_pair(train, test)
    t = max(train.series.shape[-1], test.series.shape[-1], MINIROCKET_MIN_LENGTH)
    clf = MiniRocketClassifier(random_state=seed, n_jobs=n_jobs)
    clf.fit(padded_array(train, t), train.labels.cpu().numpy())
    return clf.score(padded_array(test, t), test.labels.cpu().numpy())


def random_encoder_accuracy(method, train, test, *, seed: int = 0, device=None) -> float:
    """The SVM protocol on the features of ``method``'s architecture with fresh random weights."""
    _check_pair(train, test)
    fresh = method.fresh_copy(seed).to(device if device is not None else model_device(method))
    return svm_protocol(series_features(fresh, train), train.labels,
                        series_features(fresh, test), test.labels)["accuracy"]


def series_baselines(train, test, *, method=None, seed: int = 0, n_jobs: int = 1,
                     device=None) -> dict:
    """{name: {"accuracy", "seconds"}} for "raw SVM", "DTW 1-NN", "MiniRocket" and, when
    ``method`` is given, "random encoder" (see the module docstring). ``seed`` seeds
    MiniRocket's kernels and the random encoder's weights; ``n_jobs`` the threads of aeon."""
    _check_pair(train, test)
    rows = {"raw SVM": _timed(lambda: raw_svm_accuracy(train, test)),
            "DTW 1-NN": _timed(lambda: dtw_1nn_accuracy(train, test, n_jobs=n_jobs)),
            "MiniRocket": _timed(lambda: minirocket_accuracy(train, test, seed=seed,
                                                             n_jobs=n_jobs))}
    if method is not None:
        rows["random encoder"] = _timed(lambda: random_encoder_accuracy(
            method, train, test, seed=seed, device=device))
    return rows
