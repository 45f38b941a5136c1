"""Evaluating image-text models: zero-shot classification, retrieval, compositional splits.

Works with any model that has ``encode_image(images) -> (B, D)`` and ``encode_text(list of str)
-> (N, D)`` (``methods.CLIP``, ``pretrained.PretrainedCLIP``); embeddings are L2-normalised here
whatever the model returns.

Zero-shot classification (CLIP, section 3.1.2): turn each class name into sentences with prompt
templates ("a {} on a plain background"), embed them with the text tower, and classify an image
by the class whose text embedding is most similar. Template ensembling averages the normalised
embeddings of one class's prompts and renormalises: a classifier weight per class, built from
words alone, with no labelled image seen.

Retrieval: with N images and their N captions (pair i <-> i), rank all captions for each image
(image -> text) and all images for each caption (text -> image); Recall@K is the fraction of
queries whose true partner is in the top K, the median rank where it lands (1 = first).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .runtime import autocast

# ------------------------------------------------------------------------------- prompts
# Caption-style prompts: they use the words of the shapes captions and marginalise the
# nuisances (size, place, background) that the class does not fix.
SHAPE_TEMPLATES = [
    "a {}",
    "a small {}",
    "a medium {}",
    "a large {}",
    "a {} in the centre",
    "a {} on a plain background",
]
COLOUR_TEMPLATES = [f"a {{}} {shape}" for shape in
                    ("circle", "triangle", "square", "star", "cross", "ring")]
# For (colour, shape) pairs, e.g. "red triangle"
PAIR_TEMPLATES = ["a {}", "a small {}", "a medium {}", "a large {}", "a {} in the centre"]
# The generic templates CLIP used for ImageNet-style data: words our captions never use
CLIP_TEMPLATES = [
    "a photo of a {}.",
    "a drawing of a {}.",
    "an image of a {}.",
    "a picture of a {}.",
    "a {} shape.",
]
TEMPLATES = {"shape": SHAPE_TEMPLATES, "colour": COLOUR_TEMPLATES,
             ("colour", "shape"): PAIR_TEMPLATES}

# Synonyms for each class that avoid every shape and colour word of the shapes captions (and
# share no word piece with the class name): a from-scratch word-level tokenizer maps them to
# [UNK]; a pretrained language model may know them. The first ones listed are synonyms that
# all-MiniLM-L6-v2 itself places nearest the right class name (checked in its own embedding
# space with the caption-style templates); the last of each shape, and "crimson", it does not
# ("doughnut" lands nearer "star" than "ring"): a locked text tower passes on its gaps too.
SYNONYMS = {
    "shape": {
        "circle": ["disc", "oval", "round dot"],
        "triangle": ["three-sided polygon", "three-cornered shape", "delta"],
        "square": ["box", "tile", "four-sided block"],
        "star": ["asterisk", "twinkle", "pentagram"],
        "cross": ["crucifix", "first-aid symbol", "plus sign"],
        "ring": ["halo", "bracelet", "doughnut"],
    },
    "colour": {
        "red": ["scarlet", "crimson"],
        "green": ["leafy", "grass-coloured"],
        "blue": ["navy", "sky-coloured"],
        "yellow": ["canary-coloured", "golden"],
        "purple": ["violet", "lavender"],
        "orange": ["tangerine", "apricot"],
        "cyan": ["turquoise", "aqua"],  # MiniLM calls both "blue"
        "white": ["ivory", "milky"],
    },
}


def paraphrase_prompts(attribute: str = "shape", templates=None, synonyms=None) -> dict:
    """{class: prompts} with every synonym of the class put into every template (default: the
    caption-style templates), e.g. "a small doughnut", "a scarlet triangle". Only the class word
    changes, so a comparison on these prompts measures whether the text tower understands the
    new word, not whether it copes with a new sentence shape. ``synonyms``: {class: [words]}
    to use instead of ``SYNONYMS[attribute]`` (e.g. one synonym per class at a time)."""
    if synonyms is None:
        if attribute not in SYNONYMS:
            raise ValueError(f"attribute: expected one of {sorted(SYNONYMS)}, got {attribute!r}")
        synonyms = SYNONYMS[attribute]
    templates = default_templates(attribute) if templates is None else templates
    return {name: [t.format(word) for word in words for t in templates]
            for name, words in synonyms.items()}


def default_templates(attribute) -> list:
    """The caption-style templates for ``attribute`` ("shape", "colour", ("colour", "shape")),
    or ``["a {}"]`` for anything else."""
    key = tuple(attribute) if isinstance(attribute, (list, tuple)) else attribute
    return TEMPLATES.get(key, ["a {}"])


PARAPHRASES = {a: paraphrase_prompts(a) for a in SYNONYMS}
"""Ready-made ``templates=`` dicts: ``zero_shot_accuracy(m, data, "shape",
templates=PARAPHRASES["shape"])``."""


def caption_words(captions) -> set:
    """The lower-cased words of a caption corpus (to check which prompt words are new)."""
    return {w for c in captions for w in c.lower().replace(".", " ").split()}


def novel_words(prompts, captions) -> set:
    """Words of ``prompts`` that never occur in ``captions``."""
    return caption_words(prompts) - caption_words(captions)


# ------------------------------------------------------------------------------- helpers
def _model_device(model) -> torch.device:
    try:
        return next(model.parameters()).device
    except (AttributeError, StopIteration):
        return torch.device("cpu")


class _eval_mode:
    """Put a model in eval mode for a block and restore its previous mode."""

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        self.was = getattr(self.model, "training", False)
        if hasattr(self.model, "eval"):
            self.model.eval()

    def __exit__(self, *exc):
        if self.was:
            self.model.train()


def _check_model(model):
    for name in ("encode_image", "encode_text"):
        if not callable(getattr(model, name, None)):
            raise TypeError(f"model: expected an image-text model with .encode_image and "
                            f".encode_text (e.g. methods.CLIP), got {type(model).__name__}")


@torch.no_grad()
def image_embeddings(model, data, batch_size: int = 512) -> torch.Tensor:
    """L2-normalised ``model.encode_image`` of every image in ``data`` (ImageSet or tensor),
    float32 (N, D) on the CPU, computed in eval mode."""
    _check_model(model)
    images = data.images if hasattr(data, "images") else data
    if not torch.is_tensor(images) or images.ndim < 2:
        raise ValueError(f"data: expected an ImageSet or an (N, C, H, W) tensor, got "
                         f"{getattr(images, 'shape', type(images).__name__)}")
    dev, out = _model_device(model), []
    with _eval_mode(model):
        for start in range(0, len(images), batch_size):
            with autocast(dev):
                z = model.encode_image(images[start:start + batch_size].to(dev))
            out.append(F.normalize(z.float(), dim=-1).cpu())
    return torch.cat(out)


@torch.no_grad()
def text_embeddings(model, texts, batch_size: int = 512) -> torch.Tensor:
    """L2-normalised ``model.encode_text`` of a list of str, float32 (N, D) on the CPU."""
    _check_model(model)
    if isinstance(texts, str):
        texts = [texts]
    texts, out = list(texts), []
    dev = _model_device(model)
    with _eval_mode(model):
        for start in range(0, len(texts), batch_size):
            with autocast(dev):
                z = model.encode_text(texts[start:start + batch_size])
            out.append(F.normalize(z.float(), dim=-1).cpu())
    return torch.cat(out)


# ------------------------------------------------------------------------ zero-shot
def zero_shot_classifier(model, class_names, templates=None) -> torch.Tensor:
    """Class weights (K, D) from text alone: for class k, the normalised mean of the normalised
    embeddings of its prompts, renormalised (template ensembling).

    templates: a list of strings with one ``{}`` each (filled with every class name), or a dict
        {class_name: [full prompts]} (e.g. ``PARAPHRASES["shape"]``); None means ``["a {}"]``.
    """
    class_names = list(class_names)
    if not class_names:
        raise ValueError("class_names: expected at least one class name, got none")
    templates = ["a {}"] if templates is None else templates
    if isinstance(templates, dict):
        missing = [c for c in class_names if not templates.get(c)]
        if missing:
            raise ValueError(f"templates: no prompts for class(es) {missing}")
        prompts = [list(templates[c]) for c in class_names]
    else:
        if isinstance(templates, str):
            templates = [templates]
        bad = [t for t in templates if not isinstance(t, str) or t.count("{}") != 1]
        if bad or not templates:
            raise ValueError(f"templates: expected strings with exactly one '{{}}' each, "
                             f"got {bad or templates!r}")
        prompts = [[t.format(c) for t in templates] for c in class_names]
    flat = [p for group in prompts for p in group]
    z = text_embeddings(model, flat)
    weights, start = [], 0
    for group in prompts:
        weights.append(F.normalize(z[start:start + len(group)].mean(0), dim=0))
        start += len(group)
    return torch.stack(weights)


def attribute_labels(data, attribute="shape") -> tuple[torch.Tensor, list]:
    """(labels (N,), class names) of a categorical attribute of an ImageSet. ``attribute`` may be
    a tuple such as ("colour", "shape"): classes are then all combinations, named
    "red circle" (names joined in the order given), label = mixed-radix index."""
    names = (attribute,) if isinstance(attribute, str) else tuple(attribute)
    labels, classes = torch.zeros(len(data), dtype=torch.long), [""]
    for name in names:
        if name in ("label", "labels"):
            values, vocab = data.labels, list(data.class_names)
        elif name in getattr(data, "attribute_names", {}):
            values, vocab = data.attributes[name], list(data.attribute_names[name])
        else:
            known = ["label"] + sorted(getattr(data, "attribute_names", {}))
            raise ValueError(f"attribute: {name!r} is not a categorical attribute of this data; "
                             f"known: {known}")
        labels = labels * len(vocab) + values.cpu().long()
        classes = [f"{c} {v}".strip() for c in classes for v in vocab]
    return labels, classes


def zero_shot_accuracy(model, data, attribute="shape", templates=None, topk=(1, 5),
                       class_names=None, image_emb=None, labels=None) -> dict:
    """Zero-shot classification of ``data`` by ``attribute`` ("shape", "colour", ("colour",
    "shape"), "label") with prompt ``templates`` (default: :func:`default_templates`).

    Returns {"top1": .., "top5": .. (one key per k in topk; k >= K counts as 1.0),
    "confusion": int array (K, K) (rows: true class, columns: predicted), "per_class": recall
    per class (NaN where a class has no images), "class_names": [...], "predictions": (N,)}.
    Pass ``image_emb`` (from :func:`image_embeddings`) to reuse embeddings across calls, and
    ``labels`` with ``class_names`` to classify by anything else.
    """
    if labels is None:
        labels, names = attribute_labels(data, attribute)
        class_names = names if class_names is None else list(class_names)
    elif class_names is None:
        raise ValueError("class_names: needed when labels are given")
    labels = torch.as_tensor(labels).cpu().long()
    templates = default_templates(attribute) if templates is None else templates
    weights = zero_shot_classifier(model, class_names, templates)
    z = image_embeddings(model, data) if image_emb is None else F.normalize(
        torch.as_tensor(image_emb).float().cpu(), dim=1)
    if len(z) != len(labels):
        raise ValueError(f"image_emb: {len(z)} rows for {len(labels)} labels")
    logits = z @ weights.T
    K = len(class_names)
    order = logits.argsort(dim=1, descending=True)
    out = {}
    for k in topk:
        hit = (order[:, :min(k, K)] == labels[:, None]).any(1)
        out[f"top{k}"] = float(hit.float().mean())
    pred = order[:, 0]
    cm = np.bincount((labels * K + pred).numpy(), minlength=K * K).reshape(K, K)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["per_class"] = np.diag(cm) / cm.sum(1)
    out.update(confusion=cm, class_names=list(class_names), predictions=pred.numpy())
    return out


# ------------------------------------------------------------------------ retrieval
def retrieval_ranks(image_emb, text_emb) -> tuple[np.ndarray, np.ndarray]:
    """(i2t, t2i) 1-based ranks of the true partner (pair i <-> i) for every query.

    Rank = 1 + the number of candidates scored strictly higher than the true one."""
    a = torch.as_tensor(image_emb).float().cpu()
    b = torch.as_tensor(text_emb).float().cpu()
    if a.ndim != 2 or b.ndim != 2 or a.shape != b.shape or len(a) == 0:
        raise ValueError(f"image_emb, text_emb: expected two (N, D) arrays of one shape (pair i "
                         f"<-> i), got {tuple(a.shape)} and {tuple(b.shape)}")
    sim = F.normalize(a, dim=1) @ F.normalize(b, dim=1).T
    true = sim.diagonal()
    i2t = 1 + (sim > true[:, None]).sum(1)
    t2i = 1 + (sim > true[None, :]).sum(0)
    return i2t.numpy(), t2i.numpy()


def retrieval_metrics(image_emb, text_emb, ks=(1, 5, 10)) -> dict:
    """Recall@K and median rank in both directions, ground truth image i <-> text i.

    Keys: "i2t_R@1", "i2t_R@5", "i2t_R@10", "i2t_median_rank", "i2t_mean_rank" and the same
    with "t2i_". Recalls are fractions in [0, 1]; ranks start at 1. Chance R@K is K/N.
    """
    ranks = dict(zip(("i2t", "t2i"), retrieval_ranks(image_emb, text_emb)))
    out = {}
    for direction, r in ranks.items():
        for k in ks:
            out[f"{direction}_R@{k}"] = float((r <= k).mean())
        out[f"{direction}_median_rank"] = float(np.median(r))
        out[f"{direction}_mean_rank"] = float(r.mean())
    return out


def evaluate_retrieval(model, data, max_items: int = 1000, ks=(1, 5, 10)) -> dict:
    """:func:`retrieval_metrics` on the first ``max_items`` image-caption pairs of ``data``."""
    if getattr(data, "captions", None) is None:
        raise ValueError("data: retrieval needs captions; this set has none")
    n = min(len(data), max_items)
    return retrieval_metrics(image_embeddings(model, data.images[:n]),
                             text_embeddings(model, data.captions[:n]), ks)


# ---------------------------------------------------------- compositional generalisation
DEFAULT_HELD_OUT = [("circle", "red"), ("triangle", "green"), ("square", "blue"),
                    ("star", "yellow"), ("cross", "purple"), ("ring", "orange")]
"""One colour held out per shape, each colour at most once: every shape and every colour
is still seen in training, only these pairings are not."""


def combination_mask(data, held_out, attributes=("shape", "colour")) -> torch.Tensor:
    """Boolean (N,): True where the image's (shape, colour) is one of ``held_out``."""
    held_out = [tuple(p) for p in held_out]
    for name in attributes:
        if name not in getattr(data, "attribute_names", {}):
            raise ValueError(f"attributes: {name!r} is not a categorical attribute of this data")
    mask = torch.zeros(len(data), dtype=torch.bool)
    for pair in held_out:
        if len(pair) != len(attributes):
            raise ValueError(f"held_out: {pair!r} should have one value per attribute "
                             f"{tuple(attributes)}")
        match = torch.ones(len(data), dtype=torch.bool)
        for name, value in zip(attributes, pair):
            vocab = list(data.attribute_names[name])
            if value not in vocab:
                raise ValueError(f"held_out: {value!r} is not a {name}; expected one of {vocab}")
            match &= data.attributes[name].cpu() == vocab.index(value)
        mask |= match
    return mask


def split_by_combinations(data, held_out=None, attributes=("shape", "colour")):
    """(seen, held) ImageSets: ``held`` has the images whose (shape, colour) pair is in
    ``held_out`` (default :data:`DEFAULT_HELD_OUT`), ``seen`` all the others. Train on ``seen``
    (each held-out shape and colour still appears, only not together) and compare zero-shot
    accuracy on test images of seen pairs against ``held``."""
    mask = combination_mask(data, DEFAULT_HELD_OUT if held_out is None else held_out, attributes)
    index = torch.arange(len(data))
    return data.subset(index[~mask]), data.subset(index[mask])


def compositional_accuracy(model, seen, held, attributes=("shape", "colour")) -> dict:
    """Zero-shot top-1 on images of seen and of held-out pairs: {"seen": {...}, "held_out":
    {...}} with keys shape, colour and pair (the pair among all shape x colour combinations,
    prompts "a red circle")."""
    pair = tuple(reversed(attributes))  # ("colour", "shape") -> "red circle"
    rows = {}
    for name, part in (("seen", seen), ("held_out", held)):
        z = image_embeddings(model, part)
        rows[name] = {a: zero_shot_accuracy(model, part, a, image_emb=z, topk=(1,))["top1"]
                      for a in attributes}
        rows[name]["pair"] = zero_shot_accuracy(model, part, pair, image_emb=z,
                                                topk=(1,))["top1"]
    return rows
