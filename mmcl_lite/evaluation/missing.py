"""A missing modality at test time: a classifier on both towers' embeddings when some items have
no caption, trained with or without modality dropout.

Each item is the concatenation [I, T] of its image and caption embeddings (2D); where the text
is missing, T is filled with zeros (``fill="zeros"``) or, since CLIP puts an image and its
caption near each other, with the image's own embedding (``fill="image"``: cross-modal
imputation). Modality dropout trains the linear probe with the text of a share ``dropout`` of
its items dropped (``data.pairing.missing_mask``), so that it learns to answer from the image
alone as well.
"""
from __future__ import annotations

import torch

from ..checks import check_choice, check_probability
from ..data.pairing import check_mask, missing_mask
from .probes import linear_probe_accuracy
from .zeroshot import image_embeddings, text_embeddings

FILLS = ("zeros", "image")


def fill_missing(image_emb: torch.Tensor, text_emb: torch.Tensor, missing: torch.Tensor,
                 fill: str = "zeros") -> torch.Tensor:
    """[I, T] (N, 2D) with T replaced where ``missing`` (N,) bool is True."""
    check_choice(fill, "fill", FILLS)
    check_mask(missing, len(image_emb), "missing")
    gap = torch.zeros_like(text_emb) if fill == "zeros" else image_emb
    text = torch.where(missing[:, None].to(text_emb.device), gap, text_emb)
    return torch.cat([image_emb, text], dim=1)


def missing_modality_curve(model, train, test, fractions=(0.0, 0.25, 0.5, 0.75, 1.0),
                           dropout: float = 0.0, fill: str = "zeros", seed: int = 0) -> dict:
    """{fraction missing at test: accuracy} of a linear probe on [I, T] predicting the class,
    trained on ``train`` with the text of a share ``dropout`` of its items dropped."""
    check_probability(dropout, "dropout")
    for f in fractions:
        check_probability(f, "fractions")
    emb = {name: (image_embeddings(model, d), text_embeddings(model, d.captions))
           for name, d in (("train", train), ("test", test))}
    x_train = fill_missing(*emb["train"], missing_mask(len(train), dropout, seed), fill)
    out = {}
    for f in fractions:
        x_test = fill_missing(*emb["test"], missing_mask(len(test), f, seed + 1), fill)
        out[float(f)] = linear_probe_accuracy(x_train, train.labels, x_test, test.labels,
                                              weight_decay=1e-3)
    return out


def missing_modality_report(model, train, test, fractions=(0.0, 0.25, 0.5, 0.75, 1.0),
                            dropout: float = 0.5, seed: int = 0) -> dict:
    """Three probes' curves: {"no dropout", "modality dropout", "image fills the gap"}."""
    return {"no dropout": missing_modality_curve(model, train, test, fractions, 0.0, "zeros",
                                                 seed),
            "modality dropout": missing_modality_curve(model, train, test, fractions, dropout,
                                                       "zeros", seed),
            "image fills the gap": missing_modality_curve(model, train, test, fractions, 0.0,
                                                          "image", seed)}
