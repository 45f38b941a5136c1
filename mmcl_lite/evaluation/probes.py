"""How good is a representation? kNN and a linear probe on frozen features.

The standard protocol of self-supervised learning: freeze the encoder, embed a labelled train
and test set, and measure how well a simple classifier on top does. kNN needs no training at
all; a linear probe (logistic regression) asks whether the classes are linearly separable.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..checks import check_choice, check_finite, check_int, check_positive, fail, said


def _as_tensor(x, name: str) -> torch.Tensor:
    t = x.detach().float().cpu() if torch.is_tensor(x) else torch.as_tensor(np.asarray(x))
    if t.ndim == 0 or len(t) == 0:
        fail(name, "a non-empty array", said(f"shape {tuple(t.shape)}"))
    return t


def _features_and_labels(train_x, train_y, test_x, test_y):
    xtr, xte = _as_tensor(train_x, "train_x").float(), _as_tensor(test_x, "test_x").float()
    ytr, yte = _as_tensor(train_y, "train_y").long(), _as_tensor(test_y, "test_y").long()
    for x, name in ((xtr, "train_x"), (xte, "test_x")):
        if x.ndim != 2:
            fail(name, "features (N, D)", said(f"shape {tuple(x.shape)}"))
        check_finite(x, name)
    if xtr.shape[1] != xte.shape[1]:
        fail("test_x", f"{xtr.shape[1]} features per row, as train_x", said(f"{xte.shape[1]}"))
    if len(xtr) != len(ytr):
        fail("train_y", f"{len(xtr)} labels (one per row of train_x)", said(f"{len(ytr)}"))
    if len(xte) != len(yte):
        fail("test_y", f"{len(xte)} labels (one per row of test_x)", said(f"{len(yte)}"))
    return xtr, ytr, xte, yte


def knn_accuracy(train_x, train_y, test_x, test_y, k: int = 20,
                 temperature: float = 0.07) -> float:
    """Weighted k-nearest-neighbour accuracy with cosine similarity (Wu et al., CVPR 2018):
    each of the k nearest training points votes for its class with weight exp(sim / T)."""
    check_int(k, "k", minimum=1)
    check_positive(temperature, "temperature")
    train_x, train_y, test_x, test_y = _features_and_labels(train_x, train_y, test_x, test_y)
    train_x, test_x = F.normalize(train_x, dim=1), F.normalize(test_x, dim=1)
    k = min(k, len(train_x))
    n_classes = int(max(train_y.max(), test_y.max())) + 1
    correct = 0
    for start in range(0, len(test_x), 1024):
        sim = test_x[start:start + 1024] @ train_x.T
        top_sim, top_idx = sim.topk(k, dim=1)
        votes = torch.zeros(len(sim), n_classes)
        votes.scatter_add_(1, train_y[top_idx], (top_sim / temperature).exp())
        correct += (votes.argmax(1) == test_y[start:start + 1024]).sum().item()
    return correct / len(test_x)


def _fit_softmax(x, y, n_classes: int, weight_decay: float, max_iter: int):
    """Multinomial logistic regression, full-batch L-BFGS: min CE(xW + b, y) + wd * |W|^2.

    The gradient is written out, dW = x^T (softmax(xW + b) - onehot(y)) / N + 2 wd W, and
    computed as ((P - Y)^T x)^T because that product is several times faster on CPU than
    autograd's x^T (P - Y) for wide inputs such as raw pixels.
    """
    onehot = F.one_hot(y, n_classes).float()
    params = torch.zeros(x.shape[1] + 1, n_classes)   # rows: W then b
    params.grad = torch.zeros_like(params)
    opt = torch.optim.LBFGS([params], lr=1, max_iter=max_iter, history_size=20,
                            line_search_fn="strong_wolfe", tolerance_grad=1e-6)

    def closure():
        w, b = params[:-1], params[-1]
        logits = x @ w + b
        loss = F.cross_entropy(logits, y) + weight_decay * (w * w).sum()
        residual = (logits.softmax(1) - onehot) / len(x)            # (N, K)
        params.grad[:-1] = (residual.T @ x).T + 2 * weight_decay * w
        params.grad[-1] = residual.sum(0)
        return loss
    with torch.no_grad():
        opt.step(closure)
    return params[:-1].clone(), params[-1].clone()


def linear_probe_accuracy(train_x, train_y, test_x, test_y, weight_decay=None,
                          max_iter: int = 100, backend: str = "torch") -> float:
    """Accuracy of a linear softmax classifier trained on frozen, standardised features: the
    usual "linear evaluation protocol".

    weight_decay None picks the L2 strength from {1e-4, 1e-3, 1e-2} on a 20% hold-out of
    the training features, then refits on all of them. backend="torch" (default) uses
    full-batch L-BFGS, a few seconds even on 3,072-d raw pixels; backend="sklearn" uses
    scikit-learn's LogisticRegression (same objective, much slower on wide features).
    """
    check_choice(backend, "backend", ("torch", "sklearn"))
    check_int(max_iter, "max_iter", minimum=1)
    if weight_decay is not None:
        check_positive(weight_decay, "weight_decay")
    xtr, ytr, xte, yte = _features_and_labels(train_x, train_y, test_x, test_y)
    mean, std = xtr.mean(0), xtr.std(0).clamp_min(1e-6)
    xtr, xte = (xtr - mean) / std, (xte - mean) / std
    if backend == "sklearn":
        return _sklearn_probe(xtr, ytr, xte, yte, max_iter)
    n_classes = int(max(ytr.max(), yte.max())) + 1
    if weight_decay is None:
        weight_decay = _pick_weight_decay(xtr, ytr, n_classes, max_iter)
    w, b = _fit_softmax(xtr, ytr, n_classes, weight_decay, max_iter)
    return float(((xte @ w + b).argmax(1) == yte).float().mean())


def _pick_weight_decay(x, y, n_classes: int, max_iter: int) -> float:
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    n_val = max(1, len(x) // 5)
    val, fit_idx = perm[:n_val], perm[n_val:]
    best, best_acc = 1e-4, -1.0
    for wd in (1e-4, 1e-3, 1e-2):
        w, b = _fit_softmax(x[fit_idx], y[fit_idx], n_classes, wd, max_iter // 2)
        acc = float(((x[val] @ w + b).argmax(1) == y[val]).float().mean())
        if acc > best_acc:
            best, best_acc = wd, acc
    return best


def _sklearn_probe(xtr, ytr, xte, yte, max_iter: int) -> float:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(max_iter=max_iter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(xtr.numpy(), ytr.numpy())
    return float(clf.score(xte.numpy(), yte.numpy()))


def probe(train_x, train_y, test_x, test_y) -> dict:
    """{"linear": ..., "knn": ...} for one pair of feature sets."""
    return {"linear": linear_probe_accuracy(train_x, train_y, test_x, test_y),
            "knn": knn_accuracy(train_x, train_y, test_x, test_y)}
