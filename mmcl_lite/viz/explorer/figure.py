"""The explorer's matplotlib figure: the map, its colours and marks, the side panel of items.

``ExplorerFigure`` draws what ``ExplorerState`` holds (it is mixed into ``EmbeddingExplorer``
next to it): one Figure with the 2-D map on the left and, on the right, the selected item, a line
of text and its k neighbours (or a text query's top k). It also turns a click or a mouse move
into the item under the pointer, and renders the figure as a PNG.
"""
from __future__ import annotations

import io
import math
import textwrap

import matplotlib as mpl
import numpy as np
import torch
from matplotlib.figure import Figure

_MARK_COLOUR = "#d62728"


def _widget_backend() -> bool:
    """True when matplotlib draws through ipympl (``%matplotlib widget`` / ``ipympl``)."""
    backend = str(mpl.rcParams._get_backend_or_none() or "").lower()
    return "ipympl" in backend or backend == "widget"


def _hwc(image) -> np.ndarray:
    image = torch.as_tensor(image).detach().cpu()
    image = image.float() / 255.0 if image.dtype == torch.uint8 else image.float()
    image = image.clamp(0, 1).permute(1, 2, 0)
    return image.squeeze(-1).numpy() if image.shape[-1] == 1 else image.numpy()


class ExplorerFigure:
    """Drawing for ``EmbeddingExplorer``; reads the state (``projected``, ``panel``, ...)."""

    # ------------------------------------------------------------------ building
    def _build_figure(self, figsize, hover: bool = False):
        self.hover = hover
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

    # ------------------------------------------------------------------ the map
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

    # ------------------------------------------------------------------ the side panel
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

    # ------------------------------------------------------------------ pointer
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
