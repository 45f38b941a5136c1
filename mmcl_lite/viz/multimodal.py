"""Figures for image-text models: retrieval galleries, confusion matrices, the temperature."""
from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..checks import check_int, check_number, fail, said
from ..evaluation.zeroshot import image_embeddings, text_embeddings
from .images import _to_hwc


def retrieval_gallery(model, data, queries, k: int = 5, image_emb=None, size: float = 1.3,
                      title: str = "text -> image retrieval"):
    """One row per query: the query text, then the ``k`` images of ``data`` whose embeddings are
    most similar to it (cosine similarity above each). Pass ``image_emb`` (from
    ``zeroshot.image_embeddings``) to skip re-embedding ``data``. Returns the Figure."""
    queries = [queries] if isinstance(queries, str) else list(queries)
    images = data.images if hasattr(data, "images") else data
    check_int(k, "k", 1, len(images))  # at most the number of images
    check_number(size, "size", low=0, low_open=True)
    zi = image_embeddings(model, images) if image_emb is None else torch.as_tensor(image_emb)
    zt = text_embeddings(model, queries)
    sim = zt @ torch.nn.functional.normalize(zi.float(), dim=1).T
    top_sim, top_idx = sim.topk(k, dim=1)
    fig, axes = plt.subplots(len(queries), k + 1, squeeze=False,
                             figsize=(size * (k + 1) + 1.2, size * len(queries) + 0.4),
                             gridspec_kw={"width_ratios": [2.0] + [1] * k})
    for r, query in enumerate(queries):
        axes[r, 0].text(0.98, 0.5, "\n".join(textwrap.wrap(query, 22)), ha="right",
                        va="center", fontsize=8, transform=axes[r, 0].transAxes)
        for c in range(k):
            ax = axes[r, c + 1]
            ax.imshow(_to_hwc(images[int(top_idx[r, c])]), cmap="gray", vmin=0, vmax=1)
            ax.set_title(f"{float(top_sim[r, c]):.2f}", fontsize=7)
    for ax in axes.flat:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def confusion_matrix_plot(cm, class_names, normalize: bool = True, title: str = "",
                          ax=None):
    """Heatmap of a confusion matrix (rows: true class, columns: predicted), as returned by
    ``zeroshot.zero_shot_accuracy(...)["confusion"]``; ``normalize`` shows row fractions."""
    cm = np.asarray(cm, dtype=float)
    k = len(class_names)
    if cm.shape != (k, k):
        fail("cm", f"shape ({k}, {k}) for {k} class names", said(f"shape {cm.shape}"))
    shown = cm / np.maximum(cm.sum(1, keepdims=True), 1) if normalize else cm
    fig, ax = plt.subplots(figsize=(0.45 * k + 2.2, 0.45 * k + 1.6)) if ax is None \
        else (ax.figure, ax)
    im = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    fig.colorbar(im, ax=ax, fraction=0.046)
    ticks = range(k)
    ax.set_xticks(ticks, class_names, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(ticks, class_names, fontsize=7)
    if k <= 12:
        for i in range(k):
            for j in range(k):
                if cm[i, j]:
                    ax.text(j, i, f"{shown[i, j]:.2f}" if normalize else f"{int(cm[i, j])}",
                            ha="center", va="center", fontsize=6,
                            color="white" if shown[i, j] > 0.6 * shown.max() else "black")
    acc = np.trace(cm) / max(cm.sum(), 1)
    ax.set(xlabel="predicted", ylabel="true", title=title or f"zero-shot (top-1 {acc:.1%})")
    fig.tight_layout()
    return fig


def logit_scale_curve(history, cap: float = 100.0):
    """The learned inverse temperature exp(logit_scale) per step (CLIP caps it at ``cap``) and
    the in-batch matching accuracies, from a ``fit`` History of a CLIP run."""
    check_number(cap, "cap", low=0, low_open=True)
    steps = [s for s in history.steps if "logit_scale" in s]
    if not steps:
        fail("history", "the History of a CLIP run ('logit_scale' in its steps)",
             said("no 'logit_scale' in its steps"))
    x = [s["step"] for s in steps]
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.2))
    axes[0].plot(x, [s["logit_scale"] for s in steps])
    axes[0].axhline(cap, ls="--", color="grey", lw=0.8, label=f"cap {cap:g}")
    axes[0].set(xlabel="step", ylabel="exp(logit_scale) = 1/T", title="learned temperature")
    axes[0].legend(fontsize=8)
    for key, label in (("acc_i2t", "image -> text"), ("acc_t2i", "text -> image")):
        if key in steps[0]:
            axes[1].plot(x, [s[key] for s in steps], label=label, alpha=0.8)
    axes[1].set(xlabel="step", ylabel="accuracy", ylim=(0, 1.02),
                title="in-batch matching accuracy")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig
