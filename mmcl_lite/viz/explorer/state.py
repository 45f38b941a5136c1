"""What the explorer knows, with nothing drawn: its inputs, the frames, their 2-D maps, the
neighbours of an item and the items a sentence retrieves.

No matplotlib and no ipywidgets here (``project_2d`` is imported only when a map is computed),
so ``ExplorerState`` on its own answers every question the figure shows -- which items are
nearest to item i at epoch e, where the points fall on the aligned map -- in scripts and tests.
"""
from __future__ import annotations

import numpy as np
import torch

from ...checks import check_choice, check_int, fail, said

PROJECTIONS = ("pca", "tsne", "umap")


# ----------------------------------------------------------------------------- helpers
def procrustes_align(source: np.ndarray, target: np.ndarray, scale: bool = True) -> np.ndarray:
    """Rotate/reflect (and scale) ``source`` (N, 2) to best match ``target`` (N, 2).

    Minimises ||s (A - mean A) R + mean B - B||_F over orthogonal R (and s > 0): with
    U S V^T = svd(A_c^T B_c), R = U V^T and s = trace(S) / ||A_c||_F^2.
    """
    a_mean, b_mean = source.mean(0), target.mean(0)
    a, b = source - a_mean, target - b_mean
    u, s, vt = np.linalg.svd(a.T @ b)
    rotation = u @ vt
    factor = s.sum() / max((a * a).sum(), 1e-12) if scale else 1.0
    return factor * a @ rotation + b_mean


def _to_numpy(x, name: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().float().cpu().numpy()
    try:
        x = np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError):
        fail(name, "a 2-D array of numbers (N >= 3, D)", x, TypeError)
    if x.ndim != 2 or len(x) < 3:
        fail(name, "a 2-D array (N >= 3, D)", said(f"shape {x.shape}"))
    bad = int((~np.isfinite(x)).sum())
    if bad:
        fail(name, "finite values", said(f"{bad} NaN/inf value(s) in an array of shape {x.shape}"))
    return x


def _normalise(z: np.ndarray) -> np.ndarray:
    return z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)


def _frames_from(embeddings, history):
    """[(epoch, (M, D) float32)], and the snapshot index into the data (or None)."""
    if (embeddings is None) == (history is None):
        fail("embeddings/history", "exactly one of them",
             said("neither" if embeddings is None else "both"))
    index = None
    if history is not None:
        snaps = getattr(history, "snapshots", None)
        if not snaps:
            fail("history", "embedding snapshots (train with fit(..., snapshot_data=some_images) "
                 "to record them)", said("none"))
        frames = [(int(e), _to_numpy(z, f"history.snapshots[{i}]"))
                  for i, (e, z) in enumerate(snaps)]
        index = getattr(history, "snapshot_index", None)
        index = None if index is None else np.asarray(torch.as_tensor(index).cpu(), dtype=np.int64)
    elif isinstance(embeddings, dict):
        frames = [(int(e), _to_numpy(z, f"embeddings[{e!r}]")) for e, z in embeddings.items()]
    elif isinstance(embeddings, (list, tuple)) and embeddings \
            and isinstance(embeddings[0], (tuple, list)) and len(embeddings[0]) == 2 \
            and np.isscalar(embeddings[0][0]) and np.ndim(embeddings[0][1]) == 2:
        frames = [(int(e), _to_numpy(z, f"embeddings[{i}]"))
                  for i, (e, z) in enumerate(embeddings)]
    elif isinstance(embeddings, (list, tuple)) and embeddings and not np.isscalar(embeddings[0]) \
            and np.ndim(embeddings[0]) == 2:
        frames = [(i, _to_numpy(z, f"embeddings[{i}]")) for i, z in enumerate(embeddings)]
    else:
        frames = [(0, _to_numpy(embeddings, "embeddings"))]
    frames.sort(key=lambda f: f[0])
    m = len(frames[0][1])
    for e, z in frames:
        if len(z) != m:
            fail("embeddings", f"the same {m} items in every snapshot",
                 said(f"{len(z)} at epoch {e}"))
    for (e, _), (next_e, _) in zip(frames, frames[1:]):
        if e == next_e:
            fail("embeddings", "one snapshot per epoch", said(f"epoch {e} twice"))
    return frames, index


def _empty_panel() -> dict:
    return {"mode": None, "index": None, "text": "", "indices": np.zeros(0, int),
            "scores": np.zeros(0)}


# ----------------------------------------------------------------------------- state
class ExplorerState:
    """The data side of ``EmbeddingExplorer`` (see it for the arguments): snapshots, items,
    projections, the current view (epoch, colour-by, projection) and what the panel shows."""

    def __init__(self, embeddings=None, history=None, data=None, labels=None, attributes=None,
                 text_encoder=None, image_embeddings=None, projection: str = "pca", k: int = 6,
                 max_points: int = 1500, *, class_names=None, attribute_names=None,
                 epoch=None, color_by: str = "label", align: bool = True, seed: int = 0,
                 title: str = ""):
        self.frames, snapshot_index = _frames_from(embeddings, history)
        self.epochs = [e for e, _ in self.frames]
        self.num_items = len(self.frames[0][1])
        max_points = check_int(max_points, "max_points", minimum=3)
        self.projection = check_choice(projection, "projection", PROJECTIONS)
        if text_encoder is not None and not callable(text_encoder):
            fail("text_encoder", "a callable list[str] -> (Q, D)", text_encoder, TypeError)
        self.k = min(check_int(k, "k", minimum=1), self.num_items - 1)
        self.align = align
        self.seed = seed
        self.title = title or (getattr(history, "method", "") if history is not None else "")
        self.text_encoder = text_encoder
        self._image_embeddings = None
        if image_embeddings is not None:
            z = _to_numpy(image_embeddings, "image_embeddings")
            if len(z) != self.num_items:
                fail("image_embeddings", f"{self.num_items} rows (one per embedding row)",
                     said(f"{len(z)}"))
            self._image_embeddings = _normalise(z)
        self._resolve_items(data, snapshot_index, labels, attributes, class_names,
                            attribute_names)
        rng = np.random.default_rng(seed)
        self.shown = (np.arange(self.num_items) if self.num_items <= max_points
                      else np.sort(rng.choice(self.num_items, max_points, replace=False)))
        self._position_in_shown = {int(i): j for j, i in enumerate(self.shown)}
        self._raw, self._aligned, self._unit = {}, {}, {}
        self.epoch = self.epochs[-1] if epoch is None else self._check_epoch(epoch)
        self.color_by = self._check_color_by(color_by)
        self.panel = _empty_panel()
        self.marked = np.zeros(0, dtype=int)  # items marked by the last query

    # ------------------------------------------------------------------ inputs
    def _resolve_items(self, data, snapshot_index, labels, attributes, class_names,
                       attribute_names):
        m = self.num_items
        self.images = self.series = self.captions = None
        data_len = None
        take = None
        if data is not None:
            data_len = len(data)
            if data_len != m:
                if snapshot_index is None or len(snapshot_index) != m:
                    fail("data", f"{m} items (one per embedding row)", said(f"{data_len}"))
                take = torch.as_tensor(snapshot_index)

        def rows(values):
            return values if take is None else (
                [values[i] for i in take.tolist()] if isinstance(values, list) else values[take])

        attrs = {}
        if hasattr(data, "images") or hasattr(data, "series"):  # an ImageSet or a series set
            if hasattr(data, "images"):
                self.images = rows(data.images).cpu()
                caps = getattr(data, "captions", None)
                self.captions = None if caps is None else rows(list(caps))
            else:
                self.series = rows(torch.as_tensor(data.series)).float().cpu()
            if labels is None and hasattr(data, "labels"):
                labels = rows(data.labels)
            class_names = getattr(data, "class_names", None) if class_names is None else class_names
            attrs = {k: rows(v) for k, v in getattr(data, "attributes", {}).items()}
            attribute_names = {**getattr(data, "attribute_names", {}), **(attribute_names or {})}
        elif isinstance(data, (list, tuple)) and data and isinstance(data[0], str):
            self.captions = rows(list(data))
        elif data is not None:
            t = torch.as_tensor(data)
            if t.ndim not in (3, 4):
                fail("data", "an ImageSet, images (N, C, H, W), series (N, C, T) or a list of "
                     "strings", said(f"shape {tuple(t.shape)}"))
            if t.ndim == 4:
                self.images = rows(t).cpu()
            else:
                self.series = rows(t).float().cpu()

        def fit_len(values, name):
            values = (values.detach().cpu().numpy() if isinstance(values, torch.Tensor)
                      else np.asarray(values))
            if len(values) == m:
                return values
            if take is not None and len(values) == data_len:
                return values[take.numpy()]
            fail(name, f"{m} values (one per embedding row)", said(f"{len(values)}"))

        self.labels = (np.zeros(m, dtype=np.int64) if labels is None
                       else fit_len(labels, "labels"))
        self.class_names = list(class_names) if class_names is not None else None
        attrs.update(attributes or {})
        self.attributes = {k: fit_len(v, f"attributes[{k!r}]") for k, v in attrs.items()}
        self.attribute_names = dict(attribute_names or {})
        self.has_labels = labels is not None

    def _check_epoch(self, epoch) -> int:
        if epoch not in self.epochs:
            fail("epoch", f"one of the snapshot epochs {self.epochs}", epoch)
        return int(epoch)

    def _check_index(self, index) -> int:
        if isinstance(index, torch.Tensor) and index.numel() == 1:
            index = index.item()
        return check_int(index, "index", 0, self.num_items - 1)

    def nearest_epoch(self, epoch) -> int:
        """The snapshot epoch closest to ``epoch`` (what the slider snaps to)."""
        return min(self.epochs, key=lambda e: (abs(e - epoch), e))

    @property
    def color_options(self) -> list:
        return ["label"] + list(self.attributes)

    def _check_color_by(self, color_by) -> str:
        return check_choice(color_by, "color_by", self.color_options)

    # ------------------------------------------------------------------ projections
    def _frame(self, epoch) -> np.ndarray:
        return self.frames[self.epochs.index(self._check_epoch(epoch))][1]

    def unit_embeddings(self, epoch=None) -> np.ndarray:
        """L2-normalised (M, D) embeddings of a snapshot (cached)."""
        epoch = self.epoch if epoch is None else epoch
        if epoch not in self._unit:
            self._unit[epoch] = _normalise(self._frame(epoch))
        return self._unit[epoch]

    def raw_projection(self, epoch, projection) -> np.ndarray:
        """2-D map of the shown points of one snapshot, before alignment (cached)."""
        key = (epoch, projection)
        if key not in self._raw:
            from ..plots import project_2d  # imports matplotlib: only when a map is drawn

            self._raw[key] = np.asarray(
                project_2d(self._frame(epoch)[self.shown], projection, self.seed),
                dtype=np.float64)
        return self._raw[key]

    def projected(self, epoch=None, projection=None) -> np.ndarray:
        """2-D coordinates (len(shown), 2) of a snapshot, aligned to its neighbour frame.

        The chain starts at the reference frame (the last snapshot) and walks towards
        ``epoch``: frame e is Procrustes-aligned to the already-aligned frame one step nearer the
        reference. Each frame is computed once per projection and cached."""
        epoch = self.epoch if epoch is None else self._check_epoch(epoch)
        projection = (self.projection if projection is None
                      else check_choice(projection, "projection", PROJECTIONS))
        if (epoch, projection) not in self._aligned:
            pos = self.epochs.index(epoch)
            ref = len(self.epochs) - 1
            start = pos  # walk back from the target to the nearest frame already aligned
            while start < ref and (self.epochs[start + 1], projection) not in self._aligned:
                start += 1
            for p in range(start, pos - 1, -1):  # then align forward, frame by frame
                xy = self.raw_projection(self.epochs[p], projection)
                if self.align and p != ref:
                    xy = procrustes_align(xy, self._aligned[(self.epochs[p + 1], projection)])
                self._aligned[(self.epochs[p], projection)] = xy
        return self._aligned[(epoch, projection)]

    # ------------------------------------------------------------------ neighbours and queries
    def neighbours(self, index, k=None, epoch=None):
        """(indices, cosine similarities) of the k nearest items to ``index`` in the full
        embedding space of a snapshot (the item itself excluded)."""
        index = self._check_index(index)
        k = self.k if k is None else check_int(k, "k", minimum=1)
        z = self.unit_embeddings(epoch)
        sims = z @ z[index]
        sims[index] = -np.inf
        top = np.argsort(-sims, kind="stable")[:k]
        return top, sims[top]

    def _neighbours(self, index):
        top, sims = self.neighbours(index)
        return {"indices": top, "scores": sims}

    def _text_scores(self, text: str) -> np.ndarray:
        """Cosine similarity (M,) of every image to ``text`` through ``text_encoder``."""
        if self.text_encoder is None:
            fail("text_encoder", "a callable list[str] -> (Q, D) embeddings (e.g. a CLIP "
                 "model's encode_text) for query()", None)
        if not isinstance(text, str):
            fail("text", "a non-empty string", text, TypeError)
        if not text.strip():
            fail("text", "a non-empty string", text)
        with torch.no_grad():
            q = torch.as_tensor(self.text_encoder([text])).detach().float().cpu().numpy()
        q = _normalise(q.reshape(1, -1))[0]
        images = (self._image_embeddings if self._image_embeddings is not None
                  else self.unit_embeddings(self.epochs[-1]))
        if q.shape[0] != images.shape[1]:
            fail("text_encoder", f"{images.shape[1]}-d embeddings (the images' space)",
                 said(f"{q.shape[0]}-d"))
        return images @ q

    # ------------------------------------------------------------------ what the controls change
    def _set_view(self, epoch=None, color_by=None, projection=None):
        if epoch is not None:
            self.epoch = self._check_epoch(epoch)
        if projection is not None:
            self.projection = check_choice(projection, "projection", PROJECTIONS)
        if color_by is not None:
            self.color_by = self._check_color_by(color_by)
        if self.panel["mode"] == "neighbours":  # neighbours depend on the epoch's embeddings
            self.panel.update(self._neighbours(self.panel["index"]))

    def _set_selection(self, index) -> np.ndarray:
        index = self._check_index(index)
        self.panel = {"mode": "neighbours", "index": index, "text": "", **self._neighbours(index)}
        return self.panel["indices"]

    def _set_query(self, text: str, k=None) -> np.ndarray:
        k = self.k if k is None else check_int(k, "k", minimum=1)
        sims = self._text_scores(text)
        top = np.argsort(-sims, kind="stable")[:k]
        self.marked = top
        self.panel = {"mode": "query", "index": None, "text": text, "indices": top[: self.k],
                      "scores": sims[top[: self.k]]}
        return top

    def _clear_marks(self):
        self.marked = np.zeros(0, dtype=int)
        self.panel = _empty_panel()
