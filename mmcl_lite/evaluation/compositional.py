"""Compositional generalisation: hold out attribute combinations and test zero-shot on them.

The held-out combinations belong to the dataset (``data.prompts.held_out``); pass
``held_out=`` to choose others.
"""
from __future__ import annotations

import torch

from ..checks import fail, said
from .zeroshot import image_embeddings, zero_shot_accuracy


def held_out_attributes(data, attributes=None) -> tuple:
    """``attributes``, or the ones the dataset's held-out combinations name
    (``data.prompts.held_out_attributes``, e.g. ("shape", "colour"))."""
    if attributes is not None:
        return tuple(attributes)
    named = tuple(getattr(getattr(data, "prompts", None), "held_out_attributes", ()) or ())
    if not named:
        fail("attributes", "the attributes the combinations combine, e.g. (\"shape\", "
             "\"colour\") (this dataset names none)", None)
    return named


def combination_mask(data, held_out, attributes=None) -> torch.Tensor:
    """Boolean (N,): True where the item's combination of ``attributes`` (default: the
    dataset's, e.g. (shape, colour)) is one of ``held_out``."""
    attributes = held_out_attributes(data, attributes)
    held_out = [tuple(p) for p in held_out]
    known = getattr(data, "attribute_names", {})
    for name in attributes:
        if name not in known:
            fail("attributes", f"categorical attributes of this data (one of {sorted(known)})",
                 name)
    mask = torch.zeros(len(data), dtype=torch.bool)
    for pair in held_out:
        if len(pair) != len(attributes):
            fail("held_out", f"one value per attribute {tuple(attributes)} in each combination",
                 said(repr(pair)))
        match = torch.ones(len(data), dtype=torch.bool)
        for name, value in zip(attributes, pair):
            vocab = list(data.attribute_names[name])
            if value not in vocab:
                fail("held_out", f"a {name} in {vocab}", value)
            match &= data.attributes[name].cpu() == vocab.index(value)
        mask |= match
    return mask


def split_by_combinations(data, held_out=None, attributes=None):
    """(seen, held) sets: ``held`` has the items whose combination (e.g. shape and colour) is
    in ``held_out`` (default: the dataset's ``data.prompts.held_out``), ``seen`` all the
    others. Train on ``seen`` (each held-out shape and colour still appears, only not
    together) and compare zero-shot accuracy on test images of seen pairs against ``held``."""
    if held_out is None:
        prompts = getattr(data, "prompts", None)
        if prompts is None or not prompts.held_out:
            fail("held_out", "a list such as [(\"circle\", \"red\")] (this dataset names no "
                 "held-out combinations)", None)
        held_out = prompts.held_out
    mask = combination_mask(data, held_out, attributes)
    index = torch.arange(len(data))
    return data.subset(index[~mask]), data.subset(index[mask])


def compositional_accuracy(model, seen, held, attributes=None) -> dict:
    """Zero-shot top-1 on images of seen and of held-out pairs: {"seen": {...}, "held_out":
    {...}} with a key per attribute (default: the dataset's, e.g. shape and colour) and
    "pair" (among all combinations, prompts such as "a red circle")."""
    attributes = held_out_attributes(seen, attributes)
    pair = tuple(reversed(attributes))  # ("colour", "shape") -> "red circle"
    rows = {}
    for name, part in (("seen", seen), ("held_out", held)):
        z = image_embeddings(model, part)
        rows[name] = {a: zero_shot_accuracy(model, part, a, image_emb=z, topk=(1,))["top1"]
                      for a in attributes}
        rows[name]["pair"] = zero_shot_accuracy(model, part, pair, image_emb=z,
                                                topk=(1,))["top1"]
    return rows


