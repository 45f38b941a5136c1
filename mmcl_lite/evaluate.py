"""How good is a representation? Embeddings, kNN, linear probes, baselines, collapse statistics.

The standard protocol of self-supervised learning: freeze the encoder, embed a labelled train
and test set, and measure how well a simple classifier on top does. kNN needs no training at
all; a linear probe (logistic regression) asks whether the classes are linearly separable.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .runtime import as_device, autocast


def _images_of(data) -> torch.Tensor:
    return data.images if hasattr(data, "images") else data


def _encode_fn(model):
    if hasattr(model, "encode"):
        return model.encode
    if callable(model):
        return model
    raise TypeError(f"model: expected a method with .encode, a module or a callable, "
                    f"got {type(model).__name__}")


@torch.no_grad()
def embed(model, data, *, batch_size: int = 512, device=None,
          normalize: bool = False) -> torch.Tensor:
    """Features of every image in ``data`` (ImageSet or (N,C,H,W) tensor): float32 (N, D) on
    the CPU. Runs ``model.encode`` (or ``model`` itself) in eval mode, in batches, and restores
    the model's train/eval mode afterwards."""
    images = _images_of(data)
    if not torch.is_tensor(images) or images.ndim != 4:
        raise ValueError(f"data: expected an ImageSet or a (N, C, H, W) tensor, got "
                         f"{getattr(images, 'shape', type(images).__name__)}")
    dev = as_device(device) if device is not None else _model_device(model)
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    encode, chunks = _encode_fn(model), []
    try:
        for start in range(0, len(images), batch_size):
            with autocast(dev):
                z = encode(images[start:start + batch_size].to(dev))
            chunks.append(z.float().cpu())
    finally:
        if was_training:
            model.train()
    z = torch.cat(chunks)
    return F.normalize(z, dim=1) if normalize else z


def _model_device(model) -> torch.device:
    try:
        return next(model.parameters()).device
    except (AttributeError, StopIteration):
        return torch.device("cpu")


def _as_tensor(x) -> torch.Tensor:
    return x.detach().float().cpu() if torch.is_tensor(x) else torch.as_tensor(np.asarray(x))


def knn_accuracy(train_x, train_y, test_x, test_y, k: int = 20,
                 temperature: float = 0.07) -> float:
    """Weighted k-nearest-neighbour accuracy with cosine similarity (Wu et al., CVPR 2018):
    each of the k nearest training points votes for its class with weight exp(sim / T)."""
    train_x, test_x = F.normalize(_as_tensor(train_x).float(), dim=1), \
        F.normalize(_as_tensor(test_x).float(), dim=1)
    train_y, test_y = _as_tensor(train_y).long(), _as_tensor(test_y).long()
    if len(train_x) != len(train_y) or len(test_x) != len(test_y):
        raise ValueError("train_x/train_y or test_x/test_y: lengths differ")
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
    xtr, xte = _as_tensor(train_x).float(), _as_tensor(test_x).float()
    ytr, yte = _as_tensor(train_y).long(), _as_tensor(test_y).long()
    if len(xtr) != len(ytr) or len(xte) != len(yte):
        raise ValueError("train_x/train_y or test_x/test_y: lengths differ")
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


def raw_pixel_features(data) -> torch.Tensor:
    """The raw-pixel baseline: each image flattened to a vector in [0, 1]."""
    images = _images_of(data)
    return images.float().flatten(1).cpu() / (255.0 if images.dtype == torch.uint8 else 1.0)


def probe(train_x, train_y, test_x, test_y) -> dict:
    """{"linear": ..., "knn": ...} for one pair of feature sets."""
    return {"linear": linear_probe_accuracy(train_x, train_y, test_x, test_y),
            "knn": knn_accuracy(train_x, train_y, test_x, test_y)}


def evaluate_method(method, train, test, device=None) -> dict:
    """Linear-probe and kNN accuracy of ``method``'s frozen encoder (train -> test)."""
    return probe(embed(method, train, device=device), train.labels,
                 embed(method, test, device=device), test.labels)


def baselines(method, train, test, device=None, seed: int = 0) -> dict:
    """The two baselines every notebook compares with: raw pixels, and the same architecture
    with random weights (an untrained encoder is already a decent random-feature model)."""
    rand = method.fresh_copy(seed).to(device or _model_device(method))
    return {"raw pixels": probe(raw_pixel_features(train), train.labels,
                                raw_pixel_features(test), test.labels),
            "random encoder": evaluate_method(rand, train, test, device)}


def compare(method, train, test, name: str | None = None, device=None) -> dict:
    """Baselines plus the trained method: {name: {"linear": .., "knn": ..}}."""
    rows = baselines(method, train, test, device)
    rows[name or type(method).__name__] = evaluate_method(method, train, test, device)
    return rows


def format_table(rows: dict, columns=("linear", "knn"), title: str = "") -> str:
    """A fixed-width text table of {row: {column: value}}: accuracy columns ("linear", "knn",
    "acc...") as percentages, other numbers as numbers (whole numbers from 1,000 up, e.g.
    seconds), NaN or a missing value as "-" (e.g. a baseline's training time)."""
    width = max(len(r) for r in rows) + 2
    lines = [title] if title else []
    lines.append("".ljust(width) + "".join(c.rjust(10) for c in columns))
    for name, values in rows.items():
        cells = []
        for c in columns:
            v = values.get(c, float("nan"))
            if not isinstance(v, (int, float)):
                cells.append(str(v).rjust(10))
            elif v != v:  # NaN: nothing to show
                cells.append("-".rjust(10))
            elif c in ("linear", "knn") or c.startswith("acc"):
                cells.append(f"{100 * v:9.1f}%")
            else:
                cells.append(f"{v:10.0f}" if abs(v) >= 1000 else f"{v:10.3g}")
        lines.append(name.ljust(width) + "".join(cells))
    return "\n".join(lines)


def embedding_std(z) -> float:
    """Mean per-dimension std of L2-normalised embeddings, times sqrt(D) (SimSiam, Chen & He
    2021): about 1 for well-spread embeddings, 0 when they have collapsed to one point."""
    z = F.normalize(_as_tensor(z).float(), dim=1)
    return float(z.std(dim=0).mean() * z.shape[1] ** 0.5)


def effective_rank(z) -> float:
    """exp(entropy of the normalised singular values) of centred embeddings (Roy & Vetterli,
    2007): between 1 (everything on one line: collapse) and min(N, D)."""
    z = _as_tensor(z).float()
    s = torch.linalg.svdvals(z - z.mean(0))
    p = s / s.sum().clamp_min(1e-12)
    return float(torch.exp(-(p * torch.log(p.clamp_min(1e-12))).sum()))
