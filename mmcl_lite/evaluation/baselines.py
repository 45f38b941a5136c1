"""A trained method against the two baselines every lesson compares with, for any modality."""
from __future__ import annotations

from .embed import embed, model_device, raw_features
from .probes import probe


def evaluate_method(method, train, test, device=None) -> dict:
    """Linear-probe and kNN accuracy of ``method``'s frozen encoder (train -> test)."""
    return probe(embed(method, train, device=device), train.labels,
                 embed(method, test, device=device), test.labels)


def baselines(method, train, test, device=None, seed: int = 0) -> dict:
    """Raw inputs (pixels, samples), and the same architecture with random weights (an
    untrained encoder is already a decent random-feature model)."""
    rand = method.fresh_copy(seed).to(device or model_device(method))
    raw_name = "raw pixels" if getattr(train, "modality", "images") == "images" else "raw inputs"
    return {raw_name: probe(raw_features(train), train.labels, raw_features(test), test.labels),
            "random encoder": evaluate_method(rand, train, test, device)}


def compare(method, train, test, name: str | None = None, device=None) -> dict:
    """Baselines plus the trained method: {name: {"linear": .., "knn": ..}}."""
    rows = baselines(method, train, test, device)
    rows[name or type(method).__name__] = evaluate_method(method, train, test, device)
    return rows
