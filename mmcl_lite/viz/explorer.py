"""EmbeddingExplorer: an interactive 2-D map of embeddings, epoch by epoch.

What it shows. Each snapshot of a training run (``History.snapshots``, epoch 0 = before training)
is projected to 2-D (PCA, t-SNE or UMAP) and drawn as a scatter coloured by the label or any
attribute. Clicking a point shows its thumbnail and its k nearest neighbours by *cosine similarity
in the full embedding space* -- the space the loss shapes, not the 2-D map, which distorts
distances. With a text tower (CLIP), a sentence marks the k images it retrieves.

How it is built. Every control is a plain method (``update``, ``select``, ``query``,
``on_click``) acting on one matplotlib Figure, so scripts and tests drive it without a browser.
``widget()`` only wires ipywidgets controls to those methods: under ipympl (``%matplotlib
widget``, JupyterLab) the live figure canvas sits in the layout and takes clicks; under any other
backend (inline, Colab) an ``ipywidgets.Output`` redraws the figure as a picture on each change,
and an item box stands in for clicking. The displayed UI carries a PNG of the figure too, so an
executed notebook shows a picture where no kernel is running.

Why Procrustes. PCA, t-SNE and UMAP fix a 2-D map only up to rotation and reflection (and
t-SNE/UMAP up to much more), so two consecutive epochs projected independently can look flipped
even when the embeddings barely moved. Each frame is therefore rotated/reflected and scaled onto
its neighbouring frame (orthogonal Procrustes: R = U V^T from the SVD of A^T B) along a chain that
starts at a reference frame (the last snapshot), so the slider shows how points move, not how the
projection happens to fall.

ipywidgets and ipympl are imported only inside the methods that build widgets.
"""
from __future__ import annotations

import base64
import io
import math
import textwrap

import matplotlib as mpl
import numpy as np
import torch
from matplotlib.figure import Figure

PROJECTIONS = ("pca", "tsne", "umap")
_MARK_COLOUR = "#d62728"


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
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or len(x) < 3:
        raise ValueError(f"{name}: expected a 2-D array (N >= 3, D), got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError(f"{name}: contains NaN or infinite values")
    return x


def _normalise(z: np.ndarray) -> np.ndarray:
    return z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)


def _frames_from(embeddings, history):
    """[(epoch, (M, D) float32)], and the snapshot index into the data (or None)."""
    if (embeddings is None) == (history is None):
        raise ValueError("embeddings/history: pass exactly one of them")
    if history is not None:
        snaps = getattr(history, "snapshots", None)
        if not snaps:
            raise ValueError("history: has no embedding snapshots; train with "
                             "fit(..., snapshot_data=some_images) to record them")
        frames = [(int(e), _to_numpy(z, f"history.snapshots[{i}]"))
                  for i, (e, z) in enumerate(snaps)]
        index = getattr(history, "snapshot_index", None)
        index = None if index is None else np.asarray(torch.as_tensor(index).cpu(), dtype=np.int64)
    elif isinstance(embeddings, dict):
        frames = [(int(e), _to_numpy(z, f"embeddings[{e!r}]")) for e, z in embeddings.items()]
        index = None
    elif isinstance(embeddings, (list, tuple)) and embeddings \
            and isinstance(embeddings[0], (tuple, list)) and len(embeddings[0]) == 2 \
            and np.isscalar(embeddings[0][0]):
        frames = [(int(e), _to_numpy(z, f"embeddings[{i}]"))
                  for i, (e, z) in enumerate(embeddings)]
        index = None
    elif isinstance(embeddings, (list, tuple)) and embeddings and not np.isscalar(embeddings[0]) \
            and np.ndim(embeddings[0]) == 2:
        frames = [(i, _to_numpy(z, f"embeddings[{i}]")) for i, z in enumerate(embeddings)]
        index = None
    else:
        frames = [(0, _to_numpy(embeddings, "embeddings"))]
        index = None
    frames.sort(key=lambda f: f[0])
    m = len(frames[0][1])
    for e, z in frames:
        if len(z) != m:
            raise ValueError(f"embeddings: every snapshot needs the same {m} items; "
                             f"epoch {e} has {len(z)}")
    if len({e for e, _ in frames}) != len(frames):
        raise ValueError("embeddings: two snapshots share an epoch number")
    return frames, index


def _widget_backend() -> bool:
    """True when matplotlib draws through ipympl (``%matplotlib widget`` / ``ipympl``)."""
    backend = str(mpl.rcParams._get_backend_or_none() or "").lower()
    return "ipympl" in backend or backend == "widget"


def _hwc(image) -> np.ndarray:
    image = torch.as_tensor(image).detach().cpu()
    image = image.float() / 255.0 if image.dtype == torch.uint8 else image.float()
    image = image.clamp(0, 1).permute(1, 2, 0)
    return image.squeeze(-1).numpy() if image.shape[-1] == 1 else image.numpy()


# ----------------------------------------------------------------------------- explorer
class EmbeddingExplorer:
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
    """

    def __init__(self, embeddings=None, history=None, data=None, labels=None, attributes=None,
                 text_encoder=None, image_embeddings=None, projection: str = "pca", k: int = 6,
                 max_points: int = 1500, *, class_names=None, attribute_names=None,
                 epoch=None, color_by: str = "label", align: bool = True, hover: bool = False,
                 seed: int = 0, figsize=(9.2, 4.6), title: str = ""):
        self.frames, snapshot_index = _frames_from(embeddings, history)
        self.epochs = [e for e, _ in self.frames]
        self.num_items = len(self.frames[0][1])
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k: expected a positive int, got {k!r}")
        if not isinstance(max_points, int) or max_points < 3:
            raise ValueError(f"max_points: expected an int >= 3, got {max_points!r}")
        if projection not in PROJECTIONS:
            raise ValueError(f"projection: expected one of {PROJECTIONS}, got {projection!r}")
        if text_encoder is not None and not callable(text_encoder):
            raise TypeError(f"text_encoder: expected a callable list[str] -> (Q, D), "
                            f"got {type(text_encoder).__name__}")
        self.k = min(k, self.num_items - 1)
        self.align = align
        self.hover = hover
        self.seed = seed
        self.title = title or (getattr(history, "method", "") if history is not None else "")
        self.text_encoder = text_encoder
        self._image_embeddings = (None if image_embeddings is None
                                  else _normalise(_to_numpy(image_embeddings, "image_embeddings")))
        if self._image_embeddings is not None and len(self._image_embeddings) != self.num_items:
            raise ValueError(f"image_embeddings: expected {self.num_items} rows, "
                             f"got {len(self._image_embeddings)}")
        self._resolve_items(data, snapshot_index, labels, attributes, class_names,
                            attribute_names)
        rng = np.random.default_rng(seed)
        self.shown = (np.arange(self.num_items) if self.num_items <= max_points
                      else np.sort(rng.choice(self.num_items, max_points, replace=False)))
        self._position_in_shown = {int(i): j for j, i in enumerate(self.shown)}
        self._raw, self._aligned, self._unit = {}, {}, {}
        self.epoch = self.epochs[-1] if epoch is None else self._check_epoch(epoch)
        self.projection = projection
        self.color_by = self._check_color_by(color_by)
        self.panel = {"mode": None, "index": None, "text": "", "indices": np.zeros(0, int),
                      "scores": np.zeros(0)}
        self.marked = np.zeros(0, dtype=int)  # items marked by the last query
        self._ui = None
        self.controls = {}  # name -> ipywidget, once widget() has built them
        self._syncing = False
        self._redraw_hook = None  # set by widget(): how a change reaches the screen
        self._build_figure(figsize)
        self.update()

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
                    raise ValueError(f"data: expected {m} items (one per embedding row), "
                                     f"got {data_len}")
                take = torch.as_tensor(snapshot_index)

        def rows(values):
            return values if take is None else (
                [values[i] for i in take.tolist()] if isinstance(values, list) else values[take])

        if hasattr(data, "images"):  # ImageSet
            self.images = rows(data.images).cpu()
            labels = rows(data.labels) if labels is None else labels
            class_names = data.class_names if class_names is None else class_names
            attrs = {k: rows(v) for k, v in getattr(data, "attributes", {}).items()}
            attribute_names = {**getattr(data, "attribute_names", {}), **(attribute_names or {})}
            caps = getattr(data, "captions", None)
            self.captions = None if caps is None else rows(list(caps))
        elif hasattr(data, "series"):  # a series set, when the kit has one
            self.series = rows(torch.as_tensor(data.series)).float().cpu()
            labels = rows(data.labels) if labels is None and hasattr(data, "labels") else labels
            class_names = getattr(data, "class_names", None) if class_names is None else class_names
            attrs = {k: rows(v) for k, v in getattr(data, "attributes", {}).items()}
            attribute_names = {**getattr(data, "attribute_names", {}), **(attribute_names or {})}
            self.captions = None
        else:
            attrs = {}
            if isinstance(data, (list, tuple)) and data and isinstance(data[0], str):
                self.captions = rows(list(data))
            elif data is not None:
                t = torch.as_tensor(data)
                if t.ndim == 4:
                    self.images = rows(t).cpu()
                elif t.ndim == 3:
                    self.series = rows(t).float().cpu()
                else:
                    raise ValueError(f"data: expected an ImageSet, images (N, C, H, W), series "
                                     f"(N, C, T) or a list of strings, got shape "
                                     f"{tuple(t.shape)}")

        def fit_len(values, name):
            values = (values.detach().cpu().numpy() if isinstance(values, torch.Tensor)
                      else np.asarray(values))
            if len(values) == m:
                return values
            if take is not None and len(values) == data_len:
                return values[take.numpy()]
            raise ValueError(f"{name}: expected {m} values, got {len(values)}")

        self.labels = (np.zeros(m, dtype=np.int64) if labels is None
                       else fit_len(labels, "labels"))
        self.class_names = list(class_names) if class_names is not None else None
        for key, value in (attributes or {}).items():
            attrs[key] = value
        self.attributes = {k: fit_len(v, f"attributes[{k!r}]") for k, v in attrs.items()}
        self.attribute_names = dict(attribute_names or {})
        self.has_labels = labels is not None

    def _check_epoch(self, epoch) -> int:
        if epoch not in self.epochs:
            raise ValueError(f"epoch: expected one of the snapshot epochs {self.epochs}, "
                             f"got {epoch!r}")
        return int(epoch)

    def nearest_epoch(self, epoch) -> int:
        """The snapshot epoch closest to ``epoch`` (what the slider snaps to)."""
        return min(self.epochs, key=lambda e: (abs(e - epoch), e))

    @property
    def color_options(self) -> list:
        return ["label"] + list(self.attributes)

    def _check_color_by(self, color_by) -> str:
        if color_by not in self.color_options:
            raise ValueError(f"color_by: expected one of {self.color_options}, got {color_by!r}")
        return color_by

    # ------------------------------------------------------------------ projections
    def _frame(self, epoch) -> np.ndarray:
        return self.frames[self.epochs.index(epoch)][1]

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
            from .plots import project_2d

            self._raw[key] = np.asarray(
                project_2d(self._frame(epoch)[self.shown], projection, self.seed),
                dtype=np.float64)
        return self._raw[key]

    def projected(self, epoch=None, projection=None) -> np.ndarray:
        """2-D coordinates (len(shown), 2) of a snapshot, aligned to its neighbour frame.

        The chain starts at the reference frame (the last snapshot) and walks towards
        ``epoch``: frame e is Procrustes-aligned to the already-aligned frame one step nearer the
        reference. Each frame is computed once per projection and cached."""
        epoch = self.epoch if epoch is None else epoch
        projection = self.projection if projection is None else projection
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

    # ------------------------------------------------------------------ figure
    def _build_figure(self, figsize):
        self._interactive = _widget_backend()
        if self._interactive:
            import matplotlib.pyplot as plt  # ipympl needs a pyplot-managed canvas

            with plt.ioff():
                fig = plt.figure(figsize=figsize)
        else:
            # Not through pyplot: nothing is auto-displayed by the inline backend or kept in
            # pyplot's figure list; an Agg canvas still renders, and takes synthetic events.
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            fig = Figure(figsize=figsize)
            FigureCanvasAgg(fig)
        self.figure = fig
        ncols = 3
        nrows = math.ceil(self.k / ncols)
        outer = fig.add_gridspec(1, 2, width_ratios=[1.45, 1.0], left=0.03, right=0.99,
                                 top=0.91, bottom=0.13, wspace=0.06)
        self.ax = fig.add_subplot(outer[0])
        right = outer[1].subgridspec(1 + nrows, ncols, height_ratios=[1.25] + [1.0] * nrows,
                                     hspace=0.45, wspace=0.15)
        self.selected_ax = fig.add_subplot(right[0, 0])
        self.info_ax = fig.add_subplot(right[0, 1:])
        self.neighbour_axes = [fig.add_subplot(right[1 + i // ncols, i % ncols])
                               for i in range(self.k)]
        for ax in [self.selected_ax, self.info_ax, *self.neighbour_axes]:
            ax.set_axis_off()
        n = len(self.shown)
        size = float(np.clip(3000 / n, 6, 40))
        self.scatter = self.ax.scatter(np.zeros(n), np.zeros(n), s=size, linewidths=0,
                                       picker=True, pickradius=5)
        self._marks = self.ax.scatter([], [], s=size * 5, facecolors="none",
                                      edgecolors=_MARK_COLOUR, linewidths=1.4, zorder=3)
        self._neigh_marks = self.ax.scatter([], [], s=size * 4, facecolors="none",
                                            edgecolors="black", linewidths=1.2, zorder=3)
        self._sel_mark = self.ax.scatter([], [], s=size * 9, marker="*", c="black",
                                         edgecolors="white", linewidths=0.6, zorder=4)
        self.ax.set_xticks([])
        self.ax.set_yticks([])
        self._legend = None
        self._hint = fig.text(0.99, 0.01, "", ha="right", va="bottom", fontsize=7, color="0.4")
        fig.canvas.mpl_connect("button_press_event", self.on_click)
        if self.hover:
            fig.canvas.mpl_connect("motion_notify_event", self._on_move)

    def _colours(self):
        """RGBA per shown point and legend entries for the colour-by choice."""
        values = self.labels if self.color_by == "label" else self.attributes[self.color_by]
        values = np.asarray(values)[self.shown]
        if self.color_by == "label":
            names = self.class_names
        else:
            names = self.attribute_names.get(self.color_by)
        if not (np.issubdtype(values.dtype, np.number) or values.dtype == bool):
            names, values = np.unique(values.astype(str), return_inverse=True)  # string labels
            names = list(names)
        categorical = np.issubdtype(values.dtype, np.integer) or values.dtype == bool
        if categorical:
            values = values.astype(np.int64)
            cats = np.unique(values)
            cmap = mpl.colormaps["tab10" if cats.max(initial=0) < 10 else "tab20"]
            palette = {int(c): cmap(int(c) % cmap.N) for c in cats}
            if names is not None and all(isinstance(n, str) and mpl.colors.is_color_like(n)
                                         for n in names):
                # an attribute that *is* a colour is drawn in that colour (white as light grey)
                def drawn(name):
                    rgba = mpl.colors.to_rgba(name)
                    return mpl.colors.to_rgba("0.75") if min(rgba[:3]) > 0.9 else rgba
                palette = {c: drawn(names[c]) if 0 <= c < len(names) else v
                           for c, v in palette.items()}
            rgba = np.array([palette[int(v)] for v in values])
            entries = [(names[c] if names is not None and 0 <= c < len(names) else str(c),
                        palette[int(c)]) for c in cats]
            return rgba, entries if len(entries) <= 20 else []
        values = values.astype(float)
        lo, hi = np.nanmin(values), np.nanmax(values)
        norm = (values - lo) / (hi - lo if hi > lo else 1.0)
        cmap = mpl.colormaps["viridis"]
        return cmap(norm), [(f"{lo:.3g}", cmap(0.0)), (f"{hi:.3g}", cmap(1.0))]

    def _refresh_colours(self):
        rgba, entries = self._colours()
        self.scatter.set_facecolors(rgba)
        if self._legend is not None:
            self._legend.remove()
            self._legend = None
        if entries:
            from matplotlib.lines import Line2D

            handles = [Line2D([], [], ls="", marker="o", ms=5, color=c, label=name)
                       for name, c in entries]
            self._legend = self.ax.legend(handles=handles, loc="upper center",
                                          bbox_to_anchor=(0.5, -0.01), fontsize=7,
                                          ncol=min(len(handles), 6), frameon=False,
                                          handletextpad=0.1, columnspacing=0.8,
                                          title=self.color_by, title_fontsize=7)

    def _refresh_positions(self):
        xy = self.projected()
        self.scatter.set_offsets(xy)
        lo, hi = xy.min(0), xy.max(0)
        pad = 0.05 * np.maximum(hi - lo, 1e-9)
        self.ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
        self.ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
        self._refresh_marks()

    def _xy_of(self, items) -> np.ndarray:
        pos = [self._position_in_shown[int(i)] for i in items if int(i) in self._position_in_shown]
        return self.projected()[pos] if pos else np.zeros((0, 2))

    def _refresh_marks(self):
        self._marks.set_offsets(self._xy_of(self.marked))
        if self.panel["mode"] == "neighbours":
            self._sel_mark.set_offsets(self._xy_of([self.panel["index"]]))
            self._neigh_marks.set_offsets(self._xy_of(self.panel["indices"]))
        else:
            self._sel_mark.set_offsets(np.zeros((0, 2)))
            self._neigh_marks.set_offsets(np.zeros((0, 2)))

    def _title(self):
        names = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
        head = f"{self.title} · " if self.title else ""
        epoch = f"epoch {self.epoch}" if len(self.epochs) > 1 else "embeddings"
        self.ax.set_title(f"{head}{epoch} · {names[self.projection]} · colour: {self.color_by}",
                          fontsize=9)

    # ------------------------------------------------------------------ item drawing
    def _label_name(self, i) -> str:
        if not self.has_labels:
            return ""
        c = int(self.labels[i]) if np.issubdtype(np.asarray(self.labels).dtype, np.integer) \
            else self.labels[i]
        if self.class_names is not None and isinstance(c, int) and 0 <= c < len(self.class_names):
            return str(self.class_names[c])
        return str(c)

    def _draw_item(self, ax, i, title="", colour="black"):
        ax.clear()
        ax.set_axis_off()
        if self.images is not None:
            ax.imshow(_hwc(self.images[i]), cmap="gray", vmin=0, vmax=1,
                      interpolation="nearest")
        elif self.series is not None:
            ax.set_axis_on()
            ax.plot(self.series[i].T.numpy(), lw=0.7)
            ax.set_xticks([])
            ax.set_yticks([])
        elif self.captions is not None:
            ax.text(0.5, 0.5, textwrap.fill(self.captions[i], 18), ha="center", va="center",
                    fontsize=6, transform=ax.transAxes)
        ax.set_title(title, fontsize=7, color=colour, pad=2)

    def _draw_panel(self):
        for ax in [self.selected_ax, self.info_ax, *self.neighbour_axes]:
            ax.clear()
            ax.set_axis_off()
        p, info = self.panel, self.info_ax
        if p["mode"] is None:
            info.text(0, 0.5, "click a point: its thumbnail and its\nnearest neighbours in "
                      "embedding space\n(cosine, not distance on the map)", ha="left",
                      va="center", fontsize=8, color="0.4", transform=info.transAxes)
            return
        if p["mode"] == "neighbours":
            i = p["index"]
            name = self._label_name(i)
            self._draw_item(self.selected_ax, i, "selected")
            lines = [f"item {i}" + (f" · {name}" if name else "")]
            if self.captions is not None and self.images is not None:
                lines.append(textwrap.fill(self.captions[i], 34))
            lines.append(f"\n{len(p['indices'])} nearest by cosine, epoch {self.epoch}:"
                         + ("\n(green: same label)" if self.has_labels else ""))
            info.text(0.02, 0.5, "\n".join(lines), ha="left", va="center", fontsize=7,
                      transform=info.transAxes)
        else:
            self.selected_ax.text(0.5, 0.5, "text\nquery", ha="center", va="center",
                                  fontsize=9, color=_MARK_COLOUR,
                                  transform=self.selected_ax.transAxes)
            info.text(0.02, 0.5, textwrap.fill(f"“{p['text']}”", 34)
                      + f"\n\ntop {len(p['indices'])} images by cosine\n(ringed in red "
                      "on the map)", ha="left", va="center", fontsize=7,
                      transform=info.transAxes)
        ref = None if p["mode"] != "neighbours" or not self.has_labels else self.labels[p["index"]]
        for ax, j, s in zip(self.neighbour_axes, p["indices"], p["scores"]):
            same = ref is not None and self.labels[j] == ref
            colour = "green" if same else ("firebrick" if ref is not None else "black")
            self._draw_item(ax, int(j), f"{int(j)} · {s:.2f}", colour)

    def _sync_controls(self):
        """Show a change made from Python (update/select) on the widgets, without re-entering."""
        if not self.controls:
            return
        wanted = {"epoch": self.epoch, "color_by": self.color_by, "projection": self.projection}
        if self.panel["mode"] == "neighbours":
            wanted["item"] = self.panel["index"]
        self._syncing = True
        try:
            for name, value in wanted.items():
                if name in self.controls and self.controls[name].value != value:
                    self.controls[name].value = value
        finally:
            self._syncing = False

    def _redraw(self):
        self._sync_controls()
        if self._redraw_hook is not None:
            self._redraw_hook()
        else:
            self.figure.canvas.draw_idle()

    # ------------------------------------------------------------------ public controls
    def update(self, epoch=None, color_by=None, projection=None):
        """Show another snapshot, colouring or projection; the plain method behind each control.
        Returns self, so calls chain."""
        if epoch is not None:
            self.epoch = self._check_epoch(epoch)
        if projection is not None:
            if projection not in PROJECTIONS:
                raise ValueError(f"projection: expected one of {PROJECTIONS}, "
                                 f"got {projection!r}")
            self.projection = projection
        if color_by is not None:
            self.color_by = self._check_color_by(color_by)
        if self.panel["mode"] == "neighbours":  # neighbours depend on the epoch's embeddings
            self.panel.update(self._neighbours(self.panel["index"]))
        self._refresh_positions()
        self._refresh_colours()
        self._title()
        self._draw_panel()
        self._hint.set_text("click a point to see its neighbours" if self._interactive else "")
        self._redraw()
        return self

    def neighbours(self, index, k=None, epoch=None):
        """(indices, cosine similarities) of the k nearest items to ``index`` in the full
        embedding space of a snapshot (the item itself excluded)."""
        z = self.unit_embeddings(epoch)
        sims = z @ z[index]
        sims[index] = -np.inf
        k = self.k if k is None else k
        top = np.argsort(-sims, kind="stable")[:k]
        return top, sims[top]

    def _neighbours(self, index):
        top, sims = self.neighbours(index)
        return {"indices": top, "scores": sims}

    def select(self, index):
        """What a click does: show item ``index`` (a row of the embeddings) and its k nearest
        neighbours by cosine similarity in embedding space; marks them on the map."""
        index = int(index)
        if not 0 <= index < self.num_items:
            raise ValueError(f"index: expected 0 <= index < {self.num_items}, got {index}")
        self.panel = {"mode": "neighbours", "index": index, "text": "", **self._neighbours(index)}
        self._refresh_marks()
        self._draw_panel()
        self._redraw()
        return self.panel["indices"]

    def query(self, text: str, k=None):
        """Mark and show the k images whose embeddings are most similar to ``text``'s.
        Returns their indices (best first). Needs ``text_encoder``."""
        if self.text_encoder is None:
            raise ValueError("text_encoder: query() needs a text_encoder (a callable list[str] -> "
                             "(Q, D) embeddings, e.g. a CLIP model's encode_text)")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"text: expected a non-empty string, got {text!r}")
        k = self.k if k is None else int(k)
        with torch.no_grad():
            q = torch.as_tensor(self.text_encoder([text])).detach().float().cpu().numpy()
        q = _normalise(q.reshape(1, -1))[0]
        images = (self._image_embeddings if self._image_embeddings is not None
                  else self.unit_embeddings(self.epochs[-1]))
        if q.shape[0] != images.shape[1]:
            raise ValueError(f"text_encoder: returned {q.shape[0]}-d embeddings, the images are "
                             f"{images.shape[1]}-d; they must share one space")
        sims = images @ q
        top = np.argsort(-sims, kind="stable")[:k]
        self.marked = top
        self.panel = {"mode": "query", "index": None, "text": text, "indices": top[: self.k],
                      "scores": sims[top[: self.k]]}
        self._refresh_marks()
        self._draw_panel()
        self._redraw()
        return top

    def clear(self):
        """Forget the selection and query marks."""
        self.marked = np.zeros(0, dtype=int)
        self.panel = {"mode": None, "index": None, "text": "", "indices": np.zeros(0, int),
                      "scores": np.zeros(0)}
        self._refresh_marks()
        self._draw_panel()
        self._redraw()

    def point_at(self, x, y, radius: float = 12.0):
        """The item drawn nearest to display (pixel) position (x, y), within ``radius`` px."""
        xy = self.ax.transData.transform(self.projected())
        d2 = ((xy - np.array([x, y])) ** 2).sum(1)
        j = int(np.argmin(d2))
        return int(self.shown[j]) if d2[j] <= radius ** 2 else None

    def on_click(self, event):
        """Matplotlib button-press or pick event -> the nearest drawn point -> select().
        Returns the selected index, or None when the event is not on a point."""
        mouse = getattr(event, "mouseevent", event)
        if getattr(event, "artist", None) is not None and hasattr(event, "ind"):
            if event.artist is not self.scatter or len(event.ind) == 0:
                return None
            if mouse is not None and mouse.x is not None:
                xy = self.ax.transData.transform(self.projected()[np.asarray(event.ind)])
                j = int(np.asarray(event.ind)[np.argmin(((xy - [mouse.x, mouse.y]) ** 2).sum(1))])
            else:
                j = int(event.ind[0])
            index = int(self.shown[j])
        else:
            if getattr(mouse, "inaxes", None) is not self.ax or mouse.x is None:
                return None
            if getattr(self.figure.canvas, "toolbar", None) is not None and \
                    getattr(self.figure.canvas.toolbar, "mode", "") not in ("", None):
                return None  # zooming or panning, not picking
            index = self.point_at(mouse.x, mouse.y)
            if index is None:
                return None
        self.select(index)
        return index

    def _on_move(self, event):
        if event.inaxes is not self.ax or event.x is None:
            return
        index = self.point_at(event.x, event.y, radius=6.0)
        if index is not None and index != self.panel.get("index"):
            self.select(index)

    # ------------------------------------------------------------------ static output
    def static_figure(self):
        """The matplotlib Figure as it stands (drawn), for a picture without a live kernel."""
        self.figure.canvas.draw()
        return self.figure

    def to_png(self, dpi=None) -> bytes:
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=dpi or self.figure.dpi)
        return buf.getvalue()

    def _repr_png_(self):
        return self.to_png()

    # ------------------------------------------------------------------ widgets
    def widget(self):
        """The ipywidgets UI: epoch slider, colour-by and projection dropdowns, a text box when
        a text encoder is given, the figure and its neighbour panel. Built once."""
        if self._ui is not None:
            return self._ui
        import ipywidgets as W  # imported here only: the library must not need it

        status = W.HTML(value="")
        controls = []
        step = int(np.gcd.reduce(np.diff(self.epochs))) if len(self.epochs) > 1 else 1
        slider = W.IntSlider(value=self.epoch, min=self.epochs[0], max=self.epochs[-1],
                             step=max(step, 1), description="epoch", continuous_update=False,
                             disabled=len(self.epochs) < 2, layout=W.Layout(width="320px"))
        colour = W.Dropdown(options=self.color_options, value=self.color_by,
                            description="colour by", layout=W.Layout(width="220px"))
        projection = W.Dropdown(options=list(PROJECTIONS), value=self.projection,
                                description="map", layout=W.Layout(width="170px"))
        controls += [slider, colour, projection]
        self.controls = {"epoch": slider, "color_by": colour, "projection": projection}

        def guarded(fn):
            def handler(change):
                if self._syncing:
                    return
                status.value = "<i>computing…</i>"
                try:
                    fn(change["new"])
                    status.value = ""
                except Exception as err:  # shown, not lost in the kernel log
                    status.value = f"<span style='color:#b00'>{type(err).__name__}: {err}</span>"
            return handler

        def on_epoch(value):
            snapped = self.nearest_epoch(value)
            if snapped != value:
                slider.value = snapped  # re-enters with the snapped value
                return
            self.update(epoch=snapped)

        slider.observe(guarded(on_epoch), names="value")
        colour.observe(guarded(lambda v: self.update(color_by=v)), names="value")
        projection.observe(guarded(lambda v: self.update(projection=v)), names="value")
        rows = [W.HBox(controls)]
        if self.text_encoder is not None:
            text = W.Text(placeholder="type a sentence and press Enter",
                          description="text", continuous_update=False,
                          layout=W.Layout(width="520px"))
            text.observe(guarded(lambda v: self.query(v) if v.strip() else self.clear()),
                         names="value")
            self.controls["text"] = text
            rows.append(text)
        if self._interactive:
            canvas = self.figure.canvas
            canvas.header_visible = False
            canvas.footer_visible = False
            canvas.resizable = False
            canvas.toolbar_position = "left"
            view = canvas
            self._redraw_hook = canvas.draw_idle
        else:
            item = W.BoundedIntText(value=0, min=0, max=self.num_items - 1,
                                    description="item", layout=W.Layout(width="170px"))
            item.observe(guarded(lambda v: self.select(v)), names="value")
            self.controls["item"] = item
            rows[0].children = (*controls, item)
            view = W.Output()

            def redraw():
                from IPython.display import Image, display

                with view:
                    view.clear_output(wait=True)
                    display(Image(self.to_png()))
            self._redraw_hook = redraw
            redraw()
        ui = W.VBox([*rows, view, status])
        ui.add_class("mmcl-explorer")
        self._ui = ui
        self._sync_controls()
        return ui

    def show(self):
        """Display the UI (with a static PNG in the same output for kernel-less viewers)."""
        from IPython.display import display

        display(self)
        return self

    def _repr_mimebundle_(self, include=None, exclude=None):
        # The widget view for live frontends, a PNG for everything else (GitHub, nbviewer, an
        # executed notebook opened untrusted or without a kernel): the ipympl Canvas trick.
        png = base64.b64encode(self.to_png()).decode("ascii")
        bundle = {"text/plain": repr(self), "image/png": png}
        try:
            ui = self.widget()
        except ImportError:
            return bundle
        bundle.update(ui._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["image/png"] = png
        return bundle

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
