"""Embeddings of a whole dataset, of any modality, with a frozen model.

``embed(model, data)`` runs ``model.encode`` (or the model itself) in eval mode, in batches, on
the model's device, and returns float32 (N, D) on the CPU. ``data`` is a dataset (its
``inputs``: images, series, ...) or a tensor (N, ...). ``raw_features`` is the no-learning
baseline: every input flattened to a vector.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..checks import check_images, check_int, check_series, fail, said
from ..runtime import as_device, autocast


def inputs_of(data, name: str = "data") -> torch.Tensor:
    """The tensor (N, ...) to embed: a dataset's ``inputs`` or the tensor itself."""
    x = data.inputs if hasattr(data, "inputs") else data
    if not torch.is_tensor(x) or x.ndim < 2 or len(x) == 0:
        fail(name, "a dataset or a non-empty (N, ...) tensor", x, TypeError
             if not torch.is_tensor(x) else ValueError)
    return x


_SHAPES = {"images": "(N, C, H, W)", "series": "(N, C, T)"}


def check_modality(model, x: torch.Tensor, name: str = "data") -> None:
    """``x`` has the rank of the modality ``model`` reads (when the model says which)."""
    modality = getattr(model, "modality", None)
    shape = _SHAPES.get(modality)
    if shape is not None and x.ndim != shape.count(",") + 1:
        fail(name, f"{modality} {shape} for this {type(model).__name__}",
             said(f"shape {tuple(x.shape)}"))
    if modality == "images":
        check_images(x, name)  # float images must be in [0, 1]
    elif modality == "series":
        check_series(x, name)


class eval_mode:
    """Put a model in eval mode for a block and restore its previous mode afterwards."""

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        self.was = getattr(self.model, "training", False)
        if hasattr(self.model, "eval"):
            self.model.eval()

    def __exit__(self, *exc):
        if self.was:
            self.model.train()


def _encode_fn(model):
    if hasattr(model, "encode"):
        return model.encode
    if callable(model):
        return model
    fail("model", "a method with .encode, a module or a callable", model, TypeError)


def model_device(model) -> torch.device:
    try:
        return next(model.parameters()).device
    except (AttributeError, StopIteration):
        return torch.device("cpu")


@torch.no_grad()
def embed(model, data, *, batch_size: int = 512, device=None,
          normalize: bool = False) -> torch.Tensor:
    """Features of every item of ``data`` (a dataset or an (N, ...) tensor): float32 (N, D) on
    the CPU. A series dataset with ``lengths`` passes each batch's lengths to ``encode``, whose
    encoder zeroes the padding (and pools over the real steps or the whole window, as it is
    configured: ``pool_padding``). Restores the model's train/eval mode afterwards."""
    x = inputs_of(data)
    check_modality(model, x)
    check_int(batch_size, "batch_size", minimum=1)
    # padded series carry their true lengths; every batch keeps the set's full width T, so an
    # item's features do not depend on the batch it is embedded in
    lengths = None if torch.is_tensor(data) else getattr(data, "lengths", None)
    dev = as_device(device) if device is not None else model_device(model)
    encode, chunks = _encode_fn(model), []
    with eval_mode(model):
        for start in range(0, len(x), batch_size):
            rows = slice(start, start + batch_size)
            extra = {} if lengths is None else {"lengths": lengths[rows].to(dev)}
            with autocast(dev):
                z = encode(x[rows].to(dev), **extra)
            chunks.append(z.float().cpu())
    z = torch.cat(chunks)
    return F.normalize(z, dim=1) if normalize else z


def raw_features(data) -> torch.Tensor:
    """The raw-input baseline: each item flattened to a vector (uint8 images scaled to [0, 1])."""
    x = inputs_of(data)
    return x.float().flatten(1).cpu() / (255.0 if x.dtype == torch.uint8 else 1.0)


raw_pixel_features = raw_features  # the name the image notebooks use
