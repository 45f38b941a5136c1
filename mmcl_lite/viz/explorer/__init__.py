"""EmbeddingExplorer: an interactive 2-D map of embeddings, epoch by epoch.

What it shows. Each snapshot of a training run (``History.snapshots``, epoch 0 = before training)
is projected to 2-D (PCA, t-SNE or UMAP) and drawn as a scatter coloured by the label or any
attribute. Clicking a point shows its thumbnail and its k nearest neighbours by *cosine similarity
in the full embedding space* -- the space the loss shapes, not the 2-D map, which distorts
distances. With a text tower (CLIP), a sentence marks the k images it retrieves.

How it is built. Every control is a plain method (``update``, ``select``, ``query``,
``on_click``) acting on one matplotlib Figure, so scripts and tests drive it without a browser.
Three parts, one file each: ``state`` (inputs, frames, projections, neighbours, text scores; no
matplotlib), ``figure`` (drawing and pointer hit-testing) and ``widgets`` (ipywidgets controls
wired to those methods, imported only when a UI is built). The displayed UI carries a PNG of the
figure too, so an executed notebook shows a picture where no kernel is running.

Why Procrustes. PCA, t-SNE and UMAP fix a 2-D map only up to rotation and reflection (and
t-SNE/UMAP up to much more), so two consecutive epochs projected independently can look flipped
even when the embeddings barely moved. Each frame is therefore rotated/reflected and scaled onto
its neighbouring frame (orthogonal Procrustes: R = U V^T from the SVD of A^T B) along a chain that
starts at a reference frame (the last snapshot), so the slider shows how points move, not how the
projection happens to fall.
"""
from __future__ import annotations

from .figure import ExplorerFigure
from .state import PROJECTIONS, ExplorerState, procrustes_align
from .widgets import ExplorerWidgets

__all__ = ["EmbeddingExplorer", "explore", "procrustes_align", "PROJECTIONS"]


class EmbeddingExplorer(ExplorerState, ExplorerFigure, ExplorerWidgets):
    """Interactive embedding map over epochs, with neighbours, colour-by and text queries.

    embeddings:  (N, D) tensor/array, a list of (epoch, (N, D)) pairs or {epoch: (N, D)};
    history:     or a History whose ``snapshots`` were recorded by ``fit(snapshot_data=...)``.
    data:        the items behind the rows: an ImageSet (images, labels, attributes and captions
                 are taken from it), an image tensor (N, C, H, W), a series tensor (N, C, T) or a
                 list of N strings. With a History, ``data`` may be the snapshot data itself or a
                 larger set that ``history.snapshot_index`` indexes.
    labels, attributes, class_names, attribute_names: override or supply what ``data`` lacks.
    text_encoder: callable list[str] -> (Q, D) embeddings in the images' space (e.g. a CLIP
                 model's ``encode_text``); enables ``query`` and the text box. Images are compared
                 through ``image_embeddings`` when given, else the last snapshot's embeddings
                 (the ones the final text tower was trained against).
    projection:  "pca" (fast, linear), "tsne" or "umap" (local structure; slower).
    k:           neighbours / query results shown; max_points: a fixed random subset drawn
                 (neighbours and queries still search every item).
    align:       Procrustes-align consecutive frames (see the module docstring).
    hover:       select the point under the mouse as it moves (not only on click).
    """

    def __init__(self, embeddings=None, history=None, data=None, labels=None, attributes=None,
                 text_encoder=None, image_embeddings=None, projection: str = "pca", k: int = 6,
                 max_points: int = 1500, *, class_names=None, attribute_names=None,
                 epoch=None, color_by: str = "label", align: bool = True, hover: bool = False,
                 seed: int = 0, figsize=(9.2, 4.6), title: str = ""):
        super().__init__(embeddings, history, data, labels, attributes, text_encoder,
                         image_embeddings, projection, k, max_points, class_names=class_names,
                         attribute_names=attribute_names, epoch=epoch, color_by=color_by,
                         align=align, seed=seed, title=title)
        self._init_widgets()
        self._build_figure(figsize, hover)
        self.update()

    # ------------------------------------------------------------------ public controls
    def update(self, epoch=None, color_by=None, projection=None):
        """Show another snapshot, colouring or projection; the plain method behind each control.
        Returns self, so calls chain."""
        self._set_view(epoch, color_by, projection)
        self._refresh_positions()
        self._refresh_colours()
        self._title()
        self._draw_panel()
        self._hint.set_text("click a point to see its neighbours" if self._interactive else "")
        self._redraw()
        return self

    def select(self, index):
        """What a click does: show item ``index`` (a row of the embeddings) and its k nearest
        neighbours by cosine similarity in embedding space; marks them on the map."""
        indices = self._set_selection(index)
        self._refresh_marks()
        self._draw_panel()
        self._redraw()
        return indices

    def query(self, text: str, k=None):
        """Mark and show the k images whose embeddings are most similar to ``text``'s.
        Returns their indices (best first). Needs ``text_encoder``."""
        top = self._set_query(text, k)
        self._refresh_marks()
        self._draw_panel()
        self._redraw()
        return top

    def clear(self):
        """Forget the selection and query marks."""
        self._clear_marks()
        self._refresh_marks()
        self._draw_panel()
        self._redraw()

    def __repr__(self) -> str:
        return (f"EmbeddingExplorer({self.num_items} items, {len(self.shown)} shown, "
                f"epochs {self.epochs[0]}..{self.epochs[-1]} ({len(self.epochs)} snapshots), "
                f"{self.projection}, colour by {self.color_by})")


def explore(history_or_embeddings, data=None, **kwargs) -> EmbeddingExplorer:
    """EmbeddingExplorer from a History (with snapshots) or embeddings; in a notebook, put it
    last in a cell to show the interactive UI."""
    if hasattr(history_or_embeddings, "snapshots"):
        return EmbeddingExplorer(history=history_or_embeddings, data=data, **kwargs)
    return EmbeddingExplorer(embeddings=history_or_embeddings, data=data, **kwargs)
