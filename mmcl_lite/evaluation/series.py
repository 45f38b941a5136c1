"""Time-series classification on frozen features: TS2Vec's SVM protocol.

The protocol of TS2Vec (Yue et al., "TS2Vec: Towards Universal Representation of Time Series",
AAAI 2022; ``fit_svm`` in github.com/yuezhihan/ts2vec, tasks/_eval_protocols.py), which TS-TCC
and later UEA/UCR papers compare against: embed every series of the train and test split with
the frozen encoder (one vector per series), fit an RBF support-vector machine on the training
vectors and report its accuracy on the test vectors.

    SVC(kernel="rbf", gamma="scale")   gamma = 1 / (D * Var(train features)); no rescaling
    small training set: N < 50 or N // K < 5 (K classes; the *average* per class, as the
        reference computes it)  ->  C = inf (a hard margin), no search
    otherwise: GridSearchCV over C in {1e-4, 1e-3, ..., 1e4, inf}, 5-fold (stratified),
        max_iter 10,000,000; the best C is refit on the whole training set
    more than 10,000 training items: a stratified subsample of 10,000 (random_state 0) is used

``evaluate_series`` adds the kit's own kNN and linear-probe accuracies on the same features.
"""
from __future__ import annotations

import warnings

import numpy as np
import torch

from ..checks import check_int, fail, said
from .embed import embed
from .probes import _features_and_labels, knn_accuracy, linear_probe_accuracy

SVM_C_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3, 1e4, np.inf)
SVM_MAX_ITEMS = 10_000   # the reference's MAX_SAMPLES: larger training sets are subsampled
SVM_MAX_ITER = 10_000_000  # the reference's max_iter in the grid search


def _labels_1d(y, name: str) -> None:
    shape = tuple(y.shape) if hasattr(y, "shape") else np.shape(y)
    if len(shape) != 1:
        fail(name, "labels of shape (N,)", said(f"shape {shape}"))


def _check_svm_inputs(train_x, train_y, test_x, test_y):
    """NumPy float64 features and int labels, after the kit's usual checks (each error names
    its argument: ranks, NaNs, one label per row, the same width of train and test)."""
    _labels_1d(train_y, "train_y")
    _labels_1d(test_y, "test_y")
    xtr, ytr, xte, yte = _features_and_labels(train_x, train_y, test_x, test_y)
    return (xtr.double().numpy(), ytr.numpy(), xte.double().numpy(), yte.numpy())


def svm_protocol(train_x, train_y, test_x, test_y, *, n_jobs: int | None = None) -> dict:
    """TS2Vec's SVM protocol on features (N, D): {"accuracy", "C", "searched", "n_train"}.

    ``C`` is the margin parameter used (np.inf for a hard margin), ``searched`` whether it was
    chosen by the 5-fold grid search, ``n_train`` how many training items the SVM was fit on
    (at most 10,000). ``n_jobs`` parallelises the grid search's fits (the reference uses 5;
    it changes the time, not the result)."""
    from sklearn.model_selection import GridSearchCV, train_test_split
    from sklearn.svm import SVC

    xtr, ytr, xte, yte = _check_svm_inputs(train_x, train_y, test_x, test_y)
    n_classes = len(np.unique(ytr))
    if n_classes < 2:
        fail("train_y", "at least 2 classes", said(f"only class {int(ytr[0])}"))
    svm = SVC(C=np.inf, kernel="rbf", gamma="scale")
    if len(ytr) // n_classes < 5 or len(ytr) < 50:
        # too few items to hold folds out: the reference fits a hard margin directly
        model, searched = svm.fit(xtr, ytr), False
    else:
        if len(ytr) > SVM_MAX_ITEMS:
            xtr, _, ytr, _ = train_test_split(xtr, ytr, train_size=SVM_MAX_ITEMS,
                                              random_state=0, stratify=ytr)
        search = GridSearchCV(svm, {"C": list(SVM_C_GRID), "max_iter": [SVM_MAX_ITER]},
                              cv=5, n_jobs=n_jobs)
        with warnings.catch_warnings():
            # a class with fewer than 5 items (the reference only checks the average per
            # class) makes sklearn warn that a fold lacks it; the search is still valid
            warnings.filterwarnings("ignore", message="The least populated class")
            search.fit(xtr, ytr)
        model, searched = search.best_estimator_, True
    return {"accuracy": float(model.score(xte, yte)), "C": float(model.C),
            "searched": searched, "n_train": len(ytr)}


def svm_accuracy(train_x, train_y, test_x, test_y) -> float:
    """Test accuracy of TS2Vec's RBF-SVM protocol (see the module docstring, and
    :func:`svm_protocol` for the C it picked)."""
    return svm_protocol(train_x, train_y, test_x, test_y)["accuracy"]


def series_features(method, data, *, device=None, batch_size: int = 256) -> torch.Tensor:
    """Frozen features (N, D) of a series dataset: ``embed`` passes the set's ``lengths`` to
    ``method.encode``: the padded steps of variable-length series enter as zeros, and the
    max-pool covers the real steps or (``pool_padding``, the series methods' default, as the
    TS2Vec and TS-TCC code) the whole padded window."""
    check_int(batch_size, "batch_size", minimum=1)
    if getattr(data, "modality", None) != "series":
        fail("data", "a SeriesSet", data, TypeError)
    return embed(method, data, device=device, batch_size=batch_size)


def evaluate_series(method, train, test, *, device=None) -> dict:
    """{"svm", "knn", "linear"}: test accuracy of TS2Vec's SVM protocol, weighted kNN and the
    linear probe, all on the frozen features of ``method`` (each split embedded once)."""
    ztr = series_features(method, train, device=device)
    zte = series_features(method, test, device=device)
    return {"svm": svm_accuracy(ztr, train.labels, zte, test.labels),
            "knn": knn_accuracy(ztr, train.labels, zte, test.labels),
            "linear": linear_probe_accuracy(ztr, train.labels, zte, test.labels)}
