"""The linear experiment of learning from unpaired data (Nakada et al., AISTATS 2023, their first
experiment, after the authors' public notebook nswa17/MMCL):

1. CLIP's loss on n known pairs trains two linear encoders (``LinearDualEncoder``);
2. then N further samples of each modality arrive in batches whose pairing is unknown: each
   batch's B x B similarities propose pseudo-pairs (``losses.pseudo_pairs``: the top B entries,
   or mutual nearest neighbours) and ``losses.pseudo_pair_loss`` trains on them.

The score is top-1 cross-modal retrieval on held-out pairs; principal angles between each
encoder's row space and the true loadings U show the subspace being found.

Why a gradient step finds that subspace: with s_ij = x_i^T W y_j (W = G1^T G2 for linear
encoders z1 = G1 x, z2 = G2 y) and P_ij = softmax_j(s_ij), the image-to-text half of the CLIP
loss has

    -dL/dW = S(P) = (1/n) [ sum_i x_i y_i^T - sum_ij P_ij x_i y_j^T ]     (d1, d2)

the *contrastive cross-covariance*: positives minus softmax-weighted negatives. At the start
(every logit equal, P = 1/n) it is the centred cross-covariance, whose expectation under
x = U1 z + noise, y = U2 z + noise is U1 Cov(z) U2^T: its top-r singular vectors span U1 and U2,
and training moves W, step by step, into that span (Nakada et al.).
"""
from __future__ import annotations

import torch

from ..checks import check_int, check_number, check_tensor, fail, said
from ..data.pairing import make_linear_pairs
from ..evaluation.subspace import principal_angles
from ..losses import clip_loss, pseudo_pair_loss, pseudo_pairs
from ..models.linear import LinearDualEncoder


def top1_retrieval(model: LinearDualEncoder, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of x_i whose most similar y is y_i."""
    with torch.no_grad():
        return float((model.logits(x, y).argmax(1) == torch.arange(len(x))).float().mean())


def contrastive_cross_covariance(x: torch.Tensor, y: torch.Tensor,
                                 weights: torch.Tensor | None = None) -> torch.Tensor:
    """S(P) above, (d1, d2): ``x`` (n, d1), ``y`` (n, d2) paired by row; ``weights`` P (n, n)
    with rows summing to 1 (default: every entry 1/n)."""
    check_tensor(x, "x", "(n, d1)")
    check_tensor(y, "y", "(n, d2)")
    n = len(x)
    if len(y) != n:
        fail("y", f"{n} rows, one partner per row of x", said(f"{len(y)}"))
    if weights is None:
        weights = torch.full((n, n), 1.0 / n, dtype=x.dtype)
    elif weights.shape != (n, n):
        fail("weights", f"shape ({n}, {n})", said(f"{tuple(weights.shape)}"))
    return (x.T @ y - x.T @ weights @ y) / n


def unpaired_sweep(n_unpaired=(0, 500, 1000, 2000), seeds=(0, 1, 2), n_paired: int = 300,
                   n_test: int = 1000, epochs: int = 100, lr: float = 2e-3,
                   rule: str = "topb", **model) -> dict:
    """Nakada et al.'s first experiment: {N: [top-1 retrieval per seed]} after training on
    ``n_paired`` pairs and then N unpaired samples (N = 0: the pairs alone). ``model``:
    ``make_linear_pairs``'s shape (d1, d2, rank, noise, signal); each seed draws new loadings
    and samples."""
    kw = {"d1": 40, "d2": 39, "rank": 10, "noise": 0.3, "signal": 1.0, **model}
    out = {}
    for n in n_unpaired:
        check_int(n, "n_unpaired", minimum=0)
        out[n] = []
        for seed in seeds:
            paired = make_linear_pairs(n_paired, seed=3 * seed, **kw)
            loadings = (paired.u1, paired.u2)
            test = make_linear_pairs(n_test, seed=3 * seed + 1, loadings=loadings, **kw)
            unpaired = make_linear_pairs(n, seed=3 * seed + 2, loadings=loadings, **kw) \
                if n else None
            _, record = train_linear_clip(paired, unpaired, test, epochs=epochs, lr=lr,
                                          rule=rule, seed=seed)
            out[n].append(record["phases"][-1]["epochs"][-1]["top1"])
    return out


def _batches(n: int, batch_size: int):
    return [slice(i, i + batch_size) for i in range(0, n - batch_size + 1, batch_size)]


def train_linear_clip(paired, unpaired=None, test=None, epochs: int = 100, batch_size: int = 50,
                      lr: float = 2e-3, rule: str = "topb", threshold: float | None = None,
                      seed: int = 0) -> tuple[LinearDualEncoder, dict]:
    """``paired``, ``unpaired``, ``test``: ``data.pairing.LinearPairs``. Trains on the pairs of
    ``paired`` for ``epochs``, then (when ``unpaired`` is given) on pseudo-pairs of
    ``unpaired``'s batches for as many epochs (its rows i of x and y are partners, which the
    training never reads; only the pseudo-pair precision does). Returns (model, record):
    record["phases"] = [{"name", "epochs": [{"epoch", "loss", "angle_x", "angle_y", "top1",
    "precision"}]}], angles in degrees (the largest principal angle to U1 / U2)."""
    check_int(epochs, "epochs", minimum=1)
    check_int(batch_size, "batch_size", minimum=2)
    check_number(lr, "lr", low=0.0, low_open=True)
    torch.manual_seed(seed)
    d1, d2, rank = paired.x.shape[1], paired.y.shape[1], paired.u1.shape[1]
    model = LinearDualEncoder(d1, d2, rank)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    record = {"phases": []}
    phases = [("paired", paired)] + ([("pseudo-pairs", unpaired)] if unpaired is not None else [])
    for name, data in phases:
        epochs_log = []
        for epoch in range(1, epochs + 1):
            losses, proposed, right = [], 0, 0
            for part in _batches(len(data.x), batch_size):
                logits = model.logits(data.x[part], data.y[part])
                if name == "paired":
                    loss = clip_loss(model.e1(data.x[part]), model.e2(data.y[part]), 0.0)
                else:
                    rows, cols = pseudo_pairs(logits, rule, threshold)
                    if len(rows) == 0:
                        continue
                    proposed, right = proposed + len(rows), right + int((rows == cols).sum())
                    loss = pseudo_pair_loss(logits, rows, cols)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            row = {"epoch": epoch, "loss": sum(losses) / max(1, len(losses)),
                   "angle_x": float(principal_angles(model.e1.weight.T, paired.u1).max()),
                   "angle_y": float(principal_angles(model.e2.weight.T, paired.u2).max())}
            if test is not None:
                row["top1"] = top1_retrieval(model, test.x, test.y)
            if name != "paired":
                row["precision"] = right / proposed if proposed else float("nan")
            epochs_log.append(row)
        record["phases"].append({"name": name, "epochs": epochs_log})
    return model, record
