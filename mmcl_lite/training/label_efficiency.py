"""Label efficiency: how many labels does each representation need?

For k labelled items per class (k in ``per_class``; None means every training label) and a
few seeds (each draws another labelled subset), three learners are scored on the same test set:

    "self-supervised"  a linear probe on frozen features of a pre-trained encoder
                       (pre-trained on the unlabelled training set, then given k labels/class)
    "supervised"       the same encoder architecture trained from scratch on the k labels/class
                       (``methods.Supervised``: cross-entropy on the pre-trained method's
                       views, a fixed number of steps)
    "raw inputs"       a linear probe on the raw pixels (or raw series values)

The result is ``{learner: {k: [accuracy per seed]}}`` with k as in ``per_class`` ("all" for
None), ready for ``viz.plot_label_efficiency`` and for ``summarise``.
"""
from __future__ import annotations

import statistics

import torch.nn as nn

from .. import evaluation
from ..checks import check_int, fail, said
from ..data import per_class_index
from ..methods import Supervised
from .loop import fit

LEARNERS = ("self-supervised", "supervised", "raw inputs")
PER_CLASS = (1, 5, 10, 50, None)


def _key(k) -> str:
    return "all" if k is None else str(k)


def probe_curve(train_x, train_labels, test_x, test_labels, per_class=PER_CLASS,
                seeds=(0, 1, 2)) -> dict:
    """Linear-probe accuracy on features (N, D) with k labels per class: {k: [acc per seed]}.
    Every seed draws its own labelled subset (``data.per_class_index``)."""
    curve = {}
    for k in per_class:
        curve[_key(k)] = []
        for seed in (seeds if k is not None else seeds[:1]):  # "all" has nothing to draw
            idx = per_class_index(train_labels, k, seed)
            curve[_key(k)].append(evaluation.linear_probe_accuracy(
                train_x[idx], train_labels[idx], test_x, test_labels))
    return curve


def supervised_accuracy(train, test, steps: int = 300, batch_size: int = 128, lr: float = 2e-3,
                        seed: int = 0, device=None, **settings) -> float:
    """Test accuracy of ``Supervised`` trained from scratch on ``train`` for ``steps`` steps
    (batches of min(batch_size, len(train)) items; small sets are seen many times)."""
    check_int(steps, "steps", minimum=1)
    batch = min(batch_size, len(train))
    epochs = -(-steps // (len(train) // batch))
    method = Supervised.for_data(train, seed=seed, **settings)
    history = fit(method, train, epochs=epochs, batch_size=batch, lr=lr, max_steps=steps,
                  seed=seed, device=device, progress=False)
    if history.status == "interrupted":
        raise KeyboardInterrupt  # Ctrl-C: stop the whole curve, not just this run
    if history.status != "completed":
        fail("lr", "a value that trains without overflow", said(f"{lr} ({history.message})"))
    logits = evaluation.embed(nn.Sequential(method.encoder, method.classifier), test)
    return float((logits.argmax(1) == test.labels.cpu()).float().mean())


def supervised_curve(train, test, per_class=PER_CLASS, seeds=(0, 1, 2), steps: int = 300,
                     progress: bool = True, **kwargs) -> dict:
    """``supervised_accuracy`` for each k and seed: {k: [acc per seed]}."""
    from tqdm.auto import tqdm

    runs = [(k, s) for k in per_class for s in (seeds if k is not None else seeds[:1])]
    curve = {_key(k): [] for k in per_class}
    for k, seed in tqdm(runs, desc="supervised from scratch", disable=not progress):
        curve[_key(k)].append(supervised_accuracy(train.per_class(k, seed), test, steps=steps,
                                                  seed=seed, **kwargs))
    return curve


def label_efficiency(method, train, test, per_class=PER_CLASS, seeds=(0, 1, 2),
                     steps: int = 300, progress: bool = True, **kwargs) -> dict:
    """All three learners (see the module docstring): {learner: {k: [acc per seed]}}.
    ``method`` is the pre-trained model (anything ``evaluation.embed`` takes). The supervised
    learner trains with the method's own views unless ``views=`` is given: the same
    augmentation for both, so the comparison is about the labels."""
    if not seeds:
        fail("seeds", "at least one seed", seeds)
    if "views" not in kwargs:
        kwargs["views"] = getattr(method, "config", {}).get("views")
        if isinstance(kwargs["views"], dict) and "n_local" in kwargs["views"]:
            fail("views", "one-view augmentation for the supervised learner (ImageViews); this "
                 "method's are multi-crop", said("MultiCropViews: pass views=ImageViews(...)"))
    ztr, zte = evaluation.embed(method, train), evaluation.embed(method, test)
    rtr, rte = evaluation.raw_features(train), evaluation.raw_features(test)
    ytr, yte = train.labels.cpu(), test.labels.cpu()
    return {
        "self-supervised": probe_curve(ztr, ytr, zte, yte, per_class, seeds),
        "supervised": supervised_curve(train, test, per_class, seeds, steps, progress, **kwargs),
        "raw inputs": probe_curve(rtr, ytr, rte, yte, per_class, seeds),
    }


def summarise(curves: dict) -> dict:
    """{learner: {k: (mean, spread)}} with spread = max - min over seeds (0 for one seed)."""
    return {name: {k: (statistics.fmean(v), max(v) - min(v)) for k, v in curve.items()}
            for name, curve in curves.items()}
