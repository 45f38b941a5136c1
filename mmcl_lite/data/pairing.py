"""Pairs that are scarce, noisy or missing: the data of learning from unpaired modalities.

* :func:`split_pairing`: a small paired set, a pool of images alone and a pool of captions alone
  whose captions come from *other* items (so no image has its own caption in the pool).
* :func:`unpaired_set` / :func:`pools_set`: one training set of pairs and unpaired rows (from a
  captioned set, or from your own pairs, image pool and caption pool).
* :func:`noisy_pairs`: a fraction of the captions shuffled among themselves (``paired`` says
  which are still true).
* :func:`caption_bags`: weak alignment: each image with a bag of K captions, one its own.
* :func:`missing_mask`: which items lack their text (a missing modality).
* :func:`make_linear_pairs`: Nakada et al.'s linear model of two modalities that share a latent
  (AISTATS 2023): x = U1 z + noise, y = U2 z + noise.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from ..checks import check_int, check_number, check_same_length, fail, said


@dataclass
class UnpairedSplit:
    """paired:   a set whose captions describe its images (the few known pairs);
    images:   a set of images alone (captions None);
    captions: a list of captions alone, from items disjoint from ``images``;
    caption_labels, caption_attributes: the labels (M,) and attributes {name: (M,)} of the
              items those captions describe, to score pseudo-pairs (never to train)."""

    paired: object
    images: object
    captions: list
    caption_labels: torch.Tensor
    caption_attributes: dict


def split_pairing(data, paired_fraction: float, seed: int = 0) -> UnpairedSplit:
    """Split an image-caption set into a paired part of ``paired_fraction`` (in (0, 1]) and two
    unpaired halves of the rest: images from one half, captions from the other."""
    if getattr(data, "captions", None) is None:
        fail("data", "a set with captions (e.g. make_shapes())",
             said(f"a {type(data).__name__} without captions"))
    fraction = check_number(paired_fraction, "paired_fraction", 0.0, 1.0, low_open=True)
    perm = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    n_paired = max(1, int(round(fraction * len(data))))
    rest = perm[n_paired:]
    half = len(rest) // 2
    image_items, caption_items = rest[:half], rest[half:]
    images = dataclasses.replace(data.subset(image_items), captions=None)
    text_part = data.subset(caption_items)
    return UnpairedSplit(paired=data.subset(perm[:n_paired]), images=images,
                         captions=list(text_part.captions), caption_labels=text_part.labels,
                         caption_attributes=dict(text_part.attributes))


def unpaired_set(data, paired_fraction: float, paired_share: float = 0.5, seed: int = 0):
    """One set for training with scarce pairs, made from a captioned set: the parts of
    :func:`split_pairing`, laid out by :func:`pools_set`. ``attributes["caption_label"]`` is
    the label of the item each caption came from (to score pseudo-pairs, never to train)."""
    split = split_pairing(data, paired_fraction, seed)
    if min(len(split.images), len(split.captions)) < 2:
        fail("paired_fraction", "a fraction that leaves unpaired images and captions (< 1)",
             said(f"{paired_fraction!r}: {min(len(split.images), len(split.captions))} "
                  "unpaired item(s)"))
    return pools_set(split.paired, split.images, split.captions, paired_share,
                     caption_labels=split.caption_labels)


def pools_set(paired, images, captions, paired_share: float = 0.5, caption_labels=None):
    """One training set from your own parts: ``paired`` (a set with captions, the known
    pairs), ``images`` (a set of the same kind of images, captions ignored) and ``captions``
    (a list of str, about other items). The pairs are repeated so that they make about
    ``paired_share`` of the rows (every batch then holds some); each unpaired row is an image
    of the pool next to a caption of the pool (unrelated), min(len(images), len(captions))
    rows. ``paired`` marks the true pairs; ``caption_labels`` (optional, (len(captions),))
    becomes ``attributes["caption_label"]`` (the paired rows get their own labels)."""
    if getattr(paired, "captions", None) is None:
        fail("paired", "a set with captions (the known pairs)",
             said(f"a {type(paired).__name__} without captions"))
    if type(images) is not type(paired) or images.inputs.shape[1:] != paired.inputs.shape[1:]:
        fail("images", f"a {type(paired).__name__} of items shaped like the pairs' "
             f"{tuple(paired.inputs.shape[1:])}",
             said(f"a {type(images).__name__}" + (f" of {tuple(images.inputs.shape[1:])}"
                                                   if hasattr(images, "inputs") else "")),
             TypeError if type(images) is not type(paired) else ValueError)
    if not isinstance(captions, (list, tuple)) or not all(isinstance(c, str) for c in captions):
        fail("captions", "a list of str (the caption pool)", captions, TypeError)
    if len(captions) == 0:
        fail("captions", "a non-empty caption pool", said("an empty list"))
    share = check_number(paired_share, "paired_share", 0.0, 1.0, low_open=True, high_open=True)
    n_unpaired = min(len(images), len(captions))
    if caption_labels is not None:
        check_same_length(len(caption_labels), "caption_labels", len(captions), "captions")
    repeats = max(1, round(share / (1 - share) * n_unpaired / len(paired)))
    pairs = paired.subset(torch.arange(len(paired)).repeat(repeats))
    pool = images.subset(slice(0, n_unpaired))
    rows = {"images": torch.cat([pairs.images, pool.images]),
            "labels": torch.cat([pairs.labels, pool.labels]),
            "attributes": {k: torch.cat([pairs.attributes[k], pool.attributes[k]])
                           for k in pairs.attributes if k in pool.attributes},
            "captions": list(pairs.captions) + list(captions[:n_unpaired]),
            "paired": torch.cat([torch.ones(len(pairs), dtype=torch.bool),
                                 torch.zeros(n_unpaired, dtype=torch.bool)])}
    if caption_labels is not None:
        rows["attributes"]["caption_label"] = torch.cat(
            [pairs.labels, torch.as_tensor(caption_labels)[:n_unpaired]])
    return dataclasses.replace(paired, **rows)


def noisy_pairs(data, fraction: float, seed: int = 0):
    """The set with the captions of a random ``fraction`` of its items permuted among those
    items (a derangement: none keeps its own), and ``paired`` False exactly there."""
    if getattr(data, "captions", None) is None:
        fail("data", "a set with captions", said(f"a {type(data).__name__} without captions"))
    fraction = check_number(fraction, "fraction", 0.0, 1.0)
    g = torch.Generator().manual_seed(seed)
    n_noisy = int(round(fraction * len(data)))
    if n_noisy == 1:
        n_noisy = 2 if len(data) >= 2 else 0  # one item cannot swap with itself
    chosen = torch.randperm(len(data), generator=g)[:n_noisy]
    captions = list(data.captions)
    shift = chosen.roll(1).tolist()  # a cyclic shift: every chosen item gets another's caption
    for target, source in zip(chosen.tolist(), shift):
        captions[target] = data.captions[source]
    paired = torch.ones(len(data), dtype=torch.bool)
    paired[chosen] = False
    return dataclasses.replace(data, captions=captions, paired=paired)


def caption_bags(data, bag_size: int, seed: int = 0):
    """The set with ``caption_bags``: for each item a bag of ``bag_size`` captions, its own at a
    random place and ``bag_size - 1`` of other random items (which describe it only by chance,
    as the narration around a video clip; Miech et al., CVPR 2020). A share (K - 1) / K of the
    candidates is wrong; ``captions`` keeps the true ones (for evaluation)."""
    if getattr(data, "captions", None) is None:
        fail("data", "a set with captions", said(f"a {type(data).__name__} without captions"))
    k = check_int(bag_size, "bag_size", minimum=1)
    n = len(data)
    if n < 2 and k > 1:
        fail("data", "at least 2 items (a bag's wrong captions come from other items)", n)
    g = torch.Generator().manual_seed(seed)
    # others[i]: k - 1 items != i (an offset in 1..n-1 never lands on i itself)
    others = (torch.arange(n)[:, None] + torch.randint(1, max(2, n), (n, k - 1), generator=g)) % n
    place = torch.randint(0, k, (n,), generator=g)
    bags = []
    for i in range(n):
        bag = [data.captions[j] for j in others[i].tolist()]
        bag.insert(int(place[i]), data.captions[i])
        bags.append(bag)
    return dataclasses.replace(data, caption_bags=bags)


def missing_mask(n: int, fraction: float, seed: int = 0) -> torch.Tensor:
    """Bool (n,): True for the ``round(fraction * n)`` items, drawn at random, whose text is
    missing."""
    n = check_int(n, "n", minimum=1)
    fraction = check_number(fraction, "fraction", 0.0, 1.0)
    mask = torch.zeros(n, dtype=torch.bool)
    mask[torch.randperm(n, generator=torch.Generator().manual_seed(seed))[
        :int(round(fraction * n))]] = True
    return mask


def check_mask(mask, n: int, name: str = "mask") -> torch.Tensor:
    """A bool tensor of shape (n,)."""
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        fail(name, f"a bool tensor of shape ({n},)", mask, TypeError)
    if mask.shape != (n,):
        fail(name, f"shape ({n},), one entry per item", said(f"{tuple(mask.shape)}"))
    return mask


@dataclass
class LinearPairs:
    """x (n, d1) and y (n, d2), row i a pair; z (n, r) the shared latent; u1 (d1, r), u2 (d2, r)
    the orthonormal loadings."""

    x: torch.Tensor
    y: torch.Tensor
    z: torch.Tensor
    u1: torch.Tensor
    u2: torch.Tensor


def make_linear_pairs(n: int, d1: int = 40, d2: int = 40, rank: int = 4, noise: float = 1.0,
                      signal: float = 3.0, seed: int = 0, loadings=None) -> LinearPairs:
    """x = U1 z + xi1, y = U2 z + xi2 with z ~ N(0, signal^2 I_r), xi ~ N(0, noise^2 I), U1, U2
    orthonormal (d x r, drawn at random, or ``loadings=(U1, U2)`` of another set, so that
    paired, unpaired and test samples share them). Deterministic by ``seed``."""
    n = check_int(n, "n", minimum=1)
    rank = check_int(rank, "rank", minimum=1)
    check_int(d1, "d1", minimum=rank)
    check_int(d2, "d2", minimum=rank)
    noise = check_number(noise, "noise", low=0.0)
    signal = check_number(signal, "signal", low=0.0, low_open=True)
    g = torch.Generator().manual_seed(seed)
    u1 = torch.linalg.qr(torch.randn(d1, rank, generator=g))[0]
    u2 = torch.linalg.qr(torch.randn(d2, rank, generator=g))[0]
    if loadings is not None:
        u1, u2 = loadings
        if u1.shape != (d1, rank) or u2.shape != (d2, rank):
            fail("loadings", f"(U1, U2) of shapes ({d1}, {rank}) and ({d2}, {rank})",
                 said(f"{tuple(u1.shape)} and {tuple(u2.shape)}"))
    z = signal * torch.randn(n, rank, generator=g)
    x = z @ u1.T + noise * torch.randn(n, d1, generator=g)
    y = z @ u2.T + noise * torch.randn(n, d2, generator=g)
    return LinearPairs(x=x, y=y, z=z, u1=u1, u2=u2)
