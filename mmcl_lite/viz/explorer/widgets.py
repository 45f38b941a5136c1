"""The explorer's ipywidgets UI: controls wired to the plain methods, and how a change is shown.

Under ipympl (``%matplotlib widget``, JupyterLab) the live figure canvas sits in the layout and
takes clicks; under any other backend (inline, Colab) an ``ipywidgets.Output`` redraws the
figure as a picture on each change, and an item box stands in for clicking. ipywidgets and
IPython are imported only inside the methods that need them.
"""
from __future__ import annotations

import base64

import numpy as np

from ...runtime import fast_mode
from .state import PROJECTIONS


class ExplorerWidgets:
    """The notebook side of ``EmbeddingExplorer``: ``widget()``, ``show()`` and the display
    bundle; drives the same ``update``/``select``/``query``/``clear`` a script calls."""

    def _init_widgets(self):
        self._ui = None
        self.controls = {}  # name -> ipywidget, once widget() has built them
        self._syncing = False
        self._redraw_hook = None  # set by widget(): how a change reaches the screen

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
        if fast_mode():
            # Test runs of the notebooks (nbmake) have no frontend, and nbclient can stall for
            # good on the explorer's widget traffic (jupyter/nbclient#312): they get the PNG.
            # The widgets are tested by tests/test_explorer.py and the browser test.
            return bundle
        try:
            ui = self.widget()
        except ImportError:
            return bundle
        bundle.update(ui._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["image/png"] = png
        return bundle
