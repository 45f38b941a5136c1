"""Zero-shot classification of image-text models: class weights from prompts alone.

Works with any model that has ``encode_image(images) -> (B, D)`` and ``encode_text(list of str)
-> (N, D)`` (``methods.CLIP``, ``models.pretrained.PretrainedCLIP``); embeddings are
L2-normalised here whatever the model returns.

Zero-shot classification (CLIP, section 3.1.2): turn each class name into sentences with prompt
templates ("a {} on a plain background"), embed them with the text tower, and classify an image
by the class whose text embedding is most similar. Template ensembling averages the normalised
embeddings of one class's prompts and renormalises: a classifier weight per class, built from
words alone, with no labelled image seen. The prompts belong to the dataset
(``data.prompts``, e.g. ``mmcl_lite.data.text.shapes``); none of them live here.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..checks import check_same_length, fail, said
from ..runtime import autocast
from .embed import eval_mode, model_device

def _check_model(model):
    for name in ("encode_image", "encode_text"):
        if not callable(getattr(model, name, None)):
            fail("model", "an image-text model with .encode_image and .encode_text (e.g. "
                 "methods.CLIP)", model, TypeError)


@torch.no_grad()
def image_embeddings(model, data, batch_size: int = 512) -> torch.Tensor:
    """L2-normalised ``model.encode_image`` of every image in ``data`` (ImageSet or tensor),
    float32 (N, D) on the CPU, computed in eval mode."""
    _check_model(model)
    images = data.images if hasattr(data, "images") else data
    if not torch.is_tensor(images):
        fail("data", "an ImageSet or an (N, C, H, W) tensor", images, TypeError)
    if images.ndim < 2:
        fail("data", "an ImageSet or an (N, C, H, W) tensor", said(f"shape {tuple(images.shape)}"))
    dev, out = model_device(model), []
    with eval_mode(model):
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
    dev = model_device(model)
    with eval_mode(model):
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
        {class_name: [full prompts]} (e.g. ``data.text.shapes.PARAPHRASES["shape"]``); None means ``["a {}"]``.
    """
    class_names = list(class_names)
    if not class_names:
        fail("class_names", "at least one class name", said("none"))
    templates = ["a {}"] if templates is None else templates
    if isinstance(templates, dict):
        missing = [c for c in class_names if not templates.get(c)]
        if missing:
            fail("templates", "prompts for every class name", said(f"none for {missing}"))
        prompts = [list(templates[c]) for c in class_names]
    else:
        if isinstance(templates, str):
            templates = [templates]
        bad = [t for t in templates if not isinstance(t, str) or t.count("{}") != 1]
        if bad or not templates:
            fail("templates", "strings with exactly one '{}' each", said(repr(bad or templates)))
        prompts = [[t.format(c) for t in templates] for c in class_names]
    flat = [p for group in prompts for p in group]
    z = text_embeddings(model, flat)
    weights, start = [], 0
    for group in prompts:
        weights.append(F.normalize(z[start:start + len(group)].mean(0), dim=0))
        start += len(group)
    return torch.stack(weights)


def default_attribute(data) -> str:
    """The attribute a dataset's prompts name by default (``data.prompts.default_attribute``),
    else "label" (the dataset's labels and class names)."""
    prompts = getattr(data, "prompts", None)
    return getattr(prompts, "default_attribute", None) or "label"


def attribute_labels(data, attribute=None) -> tuple[torch.Tensor, list]:
    """(labels (N,), class names) of a categorical attribute of an ImageSet. ``attribute`` may be
    a tuple such as ("colour", "shape"): classes are then all combinations, named
    "red circle" (names joined in the order given), label = mixed-radix index."""
    attribute = default_attribute(data) if attribute is None else attribute
    names = (attribute,) if isinstance(attribute, str) else tuple(attribute)
    labels, classes = torch.zeros(len(data), dtype=torch.long), [""]
    for name in names:
        if name in ("label", "labels"):
            values, vocab = data.labels, list(data.class_names)
        elif name in getattr(data, "attribute_names", {}):
            values, vocab = data.attributes[name], list(data.attribute_names[name])
        else:
            known = ["label"] + sorted(getattr(data, "attribute_names", {}))
            fail("attribute", f"a categorical attribute of this data, one of {known}", name)
        labels = labels * len(vocab) + values.cpu().long()
        classes = [f"{c} {v}".strip() for c in classes for v in vocab]
    return labels, classes


def zero_shot_accuracy(model, data, attribute=None, templates=None, topk=(1, 5),
                       class_names=None, image_emb=None, labels=None) -> dict:
    """Zero-shot classification of ``data`` by ``attribute`` ("shape", "colour", ("colour",
    "shape"), "label") with prompt ``templates`` (default: the dataset's own, ``data.prompts.templates_for(attribute)``, or ``["a {}"]``).

    Returns {"top1": .., "top5": .. (one key per k in topk; k >= K counts as 1.0),
    "confusion": int array (K, K) (rows: true class, columns: predicted), "per_class": recall
    per class (NaN where a class has no images), "class_names": [...], "predictions": (N,)}.
    Pass ``image_emb`` (from :func:`image_embeddings`) to reuse embeddings across calls, and
    ``labels`` with ``class_names`` to classify by anything else.
    """
    attribute = default_attribute(data) if attribute is None else attribute
    if labels is None:
        labels, names = attribute_labels(data, attribute)
        class_names = names if class_names is None else list(class_names)
    elif class_names is None:
        fail("class_names", "class names when labels are given", None)
    labels = torch.as_tensor(labels).cpu().long()
    if templates is None:
        templates = data.prompts.templates_for(attribute) if getattr(data, "prompts", None) \
            else ["a {}"]
    weights = zero_shot_classifier(model, class_names, templates)
    z = image_embeddings(model, data) if image_emb is None else F.normalize(
        torch.as_tensor(image_emb).float().cpu(), dim=1)
    check_same_length(len(z), "image_emb", len(labels), "labels")
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


@torch.no_grad()
def zero_shot_pretrained(images, class_names, templates=("a photo of a {}.",), model=None,
                         name: str = "openai/clip-vit-base-patch32", device=None) -> dict:
    """Zero-shot predictions of a pretrained CLIP for a few images.

    Returns {"probs": (B, K) softmax over classes at CLIP's own temperature, "pred": (B,) class
    indices, "pred_names": [...], "model": the PretrainedCLIP (pass it back as ``model=`` to
    avoid reloading)}. Raises :class:`OfflineError` when the weights cannot be had.
    """
    from ..models.pretrained import load_pretrained_clip

    model = load_pretrained_clip(name, device=device) if model is None else model
    weights = zero_shot_classifier(model, list(class_names), list(templates))
    model.eval()
    z = F.normalize(model.encode_image(images).float().cpu(), dim=-1)
    probs = (model.logit_scale * z @ weights.T).softmax(dim=1)
    pred = probs.argmax(1)
    return {"probs": probs, "pred": pred, "pred_names": [list(class_names)[i] for i in pred],
            "model": model}
