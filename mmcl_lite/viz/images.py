"""Image grids: a batch of images, or an image next to its random views."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import torch


def _to_hwc(image: torch.Tensor):
    image = image.detach().cpu()
    image = image.float() / 255.0 if image.dtype == torch.uint8 else image.float()
    image = image.clamp(0, 1).permute(1, 2, 0)
    return image.squeeze(-1).numpy() if image.shape[-1] == 1 else image.numpy()


def show_images(images, titles=None, ncols: int = 8, size: float = 1.4, title: str = ""):
    """A grid of images ((N,C,H,W) uint8 or [0,1] float, or an ImageSet); returns the Figure."""
    images = images.images if hasattr(images, "images") else images
    n = len(images)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(_to_hwc(images[i]), cmap="gray", vmin=0, vmax=1)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_views(images, views, n_views: int = 6, generator=None, size: float = 1.4, title=""):
    """Each row: an original image, then ``n_views`` random views of it made by ``views``."""
    images = images.images if hasattr(images, "images") else images
    made = [views(images, generator=generator) for _ in range(n_views)]
    fig, axes = plt.subplots(len(images), n_views + 1,
                             figsize=(size * (n_views + 1), size * len(images) + 0.3),
                             squeeze=False)
    for r in range(len(images)):
        axes[r, 0].imshow(_to_hwc(images[r]), cmap="gray", vmin=0, vmax=1)
        for c in range(n_views):
            axes[r, c + 1].imshow(_to_hwc(made[c][r]), cmap="gray", vmin=0, vmax=1)
    for ax in axes.flat:
        ax.axis("off")
    axes[0, 0].set_title("original", fontsize=8)
    for c in range(n_views):
        axes[0, c + 1].set_title(f"view {c + 1}", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
