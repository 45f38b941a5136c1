"""The headless main job: SimCLR on shapes, compared with the two baselines.

``python -m mmcl_lite demo`` (or ``make demo``) trains with a progress bar, prints a table of
linear-probe and kNN accuracy for raw pixels, a random encoder and SimCLR, and writes figures
to runs/demo/. FAST mode (MMCL_FAST=1) shrinks everything to a smoke run.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from .. import evaluation as evaluate
from ..data import make_shapes
from ..methods import SimCLR
from ..runtime import describe, fast_mode, seed_everything
from ..training import fit
from ..training.defaults import DEMO, DEMO_FAST


def run_demo(out_dir="runs/demo", settings: dict | None = None, progress: bool = True) -> dict:
    """Train, evaluate against the baselines, save figures + results.json; return the rows."""
    cfg = dict(DEMO_FAST if fast_mode() else DEMO, **(settings or {}))
    print(describe())
    print("settings:", cfg)
    seed_everything(0)
    train, test = make_shapes(cfg["n_images"], seed=0).split(0.25, seed=0)
    method = SimCLR(temperature=cfg["temperature"], views=cfg["views"], seed=0)
    history = fit(method, train, epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                  lr=cfg["lr"], knn_monitor=(train, test), progress=progress)
    t0 = time.perf_counter()
    rows = evaluate.compare(method, train, test, name="SimCLR")
    print(f"\ntrained {history.seconds:.0f}s ({history.step_seconds:.0f}s in optimiser steps, the "
          f"rest in the per-epoch kNN monitor), evaluated {time.perf_counter() - t0:.0f}s "
          f"({history.status})")
    print(evaluate.format_table(rows, title="shape classification on held-out images "
                                            f"(chance {100 / train.num_classes:.1f}%)"))
    _save(out_dir, rows, history, method, test)
    return rows


def _save(out_dir, rows, history, method, test) -> None:
    from ..viz import embedding_panel, plot_history, results_bar

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plot_history(history).savefig(out / "training.png", dpi=110)
    results_bar(rows, title="shapes: linear probe and kNN").savefig(out / "results.png", dpi=110)
    sub = test.subset(slice(0, 600))
    panel = {"raw pixels": evaluate.raw_pixel_features(sub),
             "random encoder": evaluate.embed(method.fresh_copy(), sub),
             "SimCLR": evaluate.embed(method, sub)}
    embedding_panel(panel, sub.labels, sub.class_names).savefig(out / "embeddings.png", dpi=110)
    (out / "results.json").write_text(json.dumps(
        {"rows": rows, "seconds": history.seconds, "status": history.status}, indent=2))
    print(f"figures and results.json written to {out}/")
