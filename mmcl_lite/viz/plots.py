"""Static plots: training curves, similarity matrices, embedding maps, result bars."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from ..checks import fail


def plot_history(history, metrics=("knn", "eff_rank"), smooth: int = 20):
    """Loss per step (raw and moving average) and per-epoch monitors side by side."""
    shown = [m for m in metrics if np.isfinite(history.metric(m)).any()]
    fig, axes = plt.subplots(1, 1 + len(shown), figsize=(4.2 * (1 + len(shown)), 3.2),
                             squeeze=False)
    loss = history.loss
    ax = axes[0, 0]
    ax.plot(loss, alpha=0.3, lw=0.8, label="step")
    if len(loss) >= smooth:
        ax.plot(np.arange(smooth - 1, len(loss)),
                np.convolve(loss, np.ones(smooth) / smooth, mode="valid"), label="moving avg")
    ax.set(xlabel="step", ylabel="loss", title=f"{history.method} loss")
    ax.legend(fontsize=8)
    epochs = [e["epoch"] for e in history.epochs]
    for ax, name in zip(axes[0, 1:], shown):
        ax.plot(epochs, history.metric(name), marker="o")
        ax.set(xlabel="epoch", title=name)
    fig.tight_layout()
    return fig


def similarity_matrix(z1, z2=None, labels=None, title: str = "cosine similarity"):
    """Heatmap of cos(z1_i, z2_j), (N, N); with z2=None the self-similarity of z1."""
    a = F.normalize(torch.as_tensor(z1).float(), dim=1)
    b = a if z2 is None else F.normalize(torch.as_tensor(z2).float(), dim=1)
    sim = (a @ b.T).numpy()
    fig, ax = plt.subplots(figsize=(4.6, 4))
    im = ax.imshow(sim, cmap="RdBu_r", vmin=-1, vmax=1)
    fig.colorbar(im, ax=ax, fraction=0.046)
    if labels is not None and len(labels) <= 24:
        ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def project_2d(z, method: str = "pca", seed: int = 0) -> np.ndarray:
    """(N, D) -> (N, 2) with PCA, t-SNE or UMAP (UMAP needs umap-learn)."""
    z = np.asarray(torch.as_tensor(z).float())
    if method == "pca":
        from sklearn.decomposition import PCA
        return PCA(2, random_state=seed).fit_transform(z)
    if method == "tsne":
        from sklearn.manifold import TSNE
        return TSNE(2, init="pca", random_state=seed,
                    perplexity=min(30, max(5, len(z) // 4))).fit_transform(z)
    if method == "umap":
        import umap
        return umap.UMAP(n_components=2, random_state=seed,
                         n_neighbors=min(15, len(z) - 1)).fit_transform(z)
    fail("method", "one of ['pca', 'tsne', 'umap']", method)


def embedding_scatter(z, labels, class_names=None, method: str = "pca", title: str = "",
                      ax=None, seed: int = 0):
    """2-D map of embeddings coloured by label; returns the Figure."""
    xy = project_2d(z, method, seed)
    labels = np.asarray(torch.as_tensor(labels))
    fig, ax = (plt.subplots(figsize=(4.6, 4)) if ax is None else (ax.figure, ax))
    cmap = plt.get_cmap("tab10" if labels.max() < 10 else "tab20")
    for c in np.unique(labels):
        m = labels == c
        name = class_names[c] if class_names is not None else str(c)
        ax.scatter(xy[m, 0], xy[m, 1], s=6, color=cmap(int(c) % cmap.N), label=name, alpha=0.8)
    ax.set(title=title or f"embeddings ({method.upper()})", xticks=[], yticks=[])
    ax.legend(fontsize=7, markerscale=2, loc="best", framealpha=0.6)
    return fig


def embedding_panel(embeddings: dict, labels, class_names=None, method: str = "pca"):
    """One embedding map per entry of {title: (N, D)}, side by side."""
    n = len(embeddings)
    fig, axes = plt.subplots(1, n, figsize=(4.0 * n, 3.8), squeeze=False)
    for ax, (name, z) in zip(axes[0], embeddings.items()):
        embedding_scatter(z, labels, class_names, method=method, title=name, ax=ax)
        if ax is not axes[0, -1]:
            ax.get_legend().remove()
    fig.tight_layout()
    return fig


def results_bar(rows: dict, columns=("linear", "knn"), title: str = "accuracy"):
    """Grouped bars of {row: {column: accuracy}}: the baseline-versus-method picture."""
    names = list(rows)
    x = np.arange(len(names))
    width = 0.8 / len(columns)
    fig, ax = plt.subplots(figsize=(1.3 * len(names) + 3.2, 3.2))
    for i, col in enumerate(columns):
        vals = [100 * rows[n].get(col, np.nan) for n in names]
        bars = ax.bar(x + (i - (len(columns) - 1) / 2) * width, vals, width, label=col)
        ax.bar_label(bars, fmt="%.0f", fontsize=7)
    ax.set_xticks(x, names, fontsize=8)
    ax.set(ylabel="accuracy (%)", ylim=(0, 105), title=title)
    # outside the axes: bars near 100% leave no free corner inside
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig


def plot_label_efficiency(curves: dict, title: str = "", ax=None):
    """Test accuracy against labels per class, one line per learner: the mean over seeds with
    a band from the lowest to the highest seed. ``curves``: {learner: {k: [acc per seed]}}
    as ``training.label_efficiency`` returns. The values of k sit at evenly spaced ticks, "all"
last."""
    if not curves:
        fail("curves", "at least one learner's {k: [accuracies]}", curves)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.2, 3.6))
    keys = list(next(iter(curves.values())))
    ticks = list(range(len(keys)))  # evenly spaced: 1, 5, 10, 50, all
    for name, curve in curves.items():
        accs = [100 * np.asarray(curve[k], dtype=float) for k in keys]
        mean = np.array([a.mean() for a in accs])
        ax.plot(ticks, mean, marker="o", label=name)
        ax.fill_between(ticks, [a.min() for a in accs], [a.max() for a in accs], alpha=0.2)
    ax.set_xticks(ticks, keys)
    ax.set(xlabel="labels per class", ylabel="test accuracy (%)", title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return ax.figure
