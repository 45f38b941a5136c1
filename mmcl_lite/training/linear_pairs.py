"""The linear experiment of learning from unpaired data (Nakada et al., AISTATS 2023, their first
experiment, after the authors' public notebook nswa17/MMCL):

1. CLIP's loss on n known pairs trains two linear encoders (``LinearDualEncoder``);
2. then N further samples of each modality arrive in batches whose pairing is unknown: each
   batch's B x B similarities propose pseudo-pairs (``losses.pseudo_pairs``: the top B entries,
   or mutual nearest neighbours) and ``losses.pseudo_pair_loss`` trains on them.

The score is top-1 cross-modal retrieval on held-out pairs; principal angles between each
encoder's row space and the true loadings U show the subspace being found.
"""
from __future__ import annotations

import torch

from ..checks import check_int, check_number
from ..evaluation.subspace import principal_angles
from ..losses import clip_loss, pseudo_pair_loss, pseudo_pairs
from ..models.linear import LinearDualEncoder


def top1_retrieval(model: LinearDualEncoder, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of x_i whose most similar y is y_i."""
    with torch.no_grad():
        return float((model.logits(x, y).argmax(1) == torch.arange(len(x))).float().mean())


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
