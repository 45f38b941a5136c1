"""``python -m mmcl_lite bench fusion``: where a dual encoder reads captions as bags of words,
does a fusion model bind?

For each seed, a relations set (``data.make_relations``, generated with that seed) trains three
models on one budget (``training.defaults.FUSION``): CLIP (a dual encoder with the same image
and text towers), the fusion model, and the fusion model without its swapped-caption negatives
(``swap_negatives=False``: in-batch mining alone). Each is scored on held-out images against
their swapped captions (``evaluation.binding_accuracy``: chance 50%), on retrieval (the fusion
model re-ranking its towers' top 10) and, for the fusion models, on filling in masked attribute
words with the image and with a blank one. The table gives mean and spread (max - min) over the
seeds and the training time; progress goes to stderr, the table to stdout.
"""
from __future__ import annotations

import statistics
import time

from .. import evaluation
from ..data import load_dataset
from ..evaluation.binding import RERANK_ITEMS
from ..files import read_json_record
from ..methods import CLIP, Fusion
from ..runtime import fast_mode, seed_everything
from ..training import fit
from ..training.defaults import FUSION, FUSION_FAST
from ..zoo import ARTIFACTS
from .seeded import log, run_over_seeds

MODELS = {  # row name -> (class, settings besides the seed)
    "CLIP (dual encoder)": (CLIP, {}),
    "fusion, mined negatives only": (Fusion, {"swap_negatives": False}),
    "fusion": (Fusion, {}),
}
SHIPPED = ARTIFACTS / "bench-fusion" / "bench.json"
BENCH_FORMAT = "mmcl-lite bench fusion 1"


def budget() -> dict:
    """FUSION (FUSION_FAST in FAST mode)."""
    return FUSION_FAST if fast_mode() else FUSION


def run_seed(seed: int, recipe: dict, progress: bool = True, models=MODELS) -> dict:
    """{row name: score(...) + {"seconds": training time}} for one seed."""
    train, test = load_dataset("relations", n=recipe["n_images"], seed=seed,
                               test_fraction=recipe["test_fraction"])
    out = {}
    for name, (cls, settings) in models.items():
        seed_everything(seed)
        model = cls.for_data(train, seed=seed, **settings)
        started = time.perf_counter()
        history = fit(model, train, epochs=recipe["epochs"], batch_size=recipe["batch_size"],
                      lr=recipe["lr"], weight_decay=recipe["weight_decay"], seed=seed,
                      progress=progress)
        seconds = time.perf_counter() - started
        if history.status != "completed":
            log(f"{name} seed {seed}: {history.status}: {history.message}")
        model.eval()
        out[name] = {**evaluation.binding_report(model, test), "seconds": seconds,
                     "steps": len(history.steps)}
        log(f"seed {seed} {name}: " + ", ".join(
            f"{k} {v:.1%}" for k, v in out[name].get("itm", out[name]["cosine"]).items())
            + f" ({seconds:.0f} s)")
    return out


def _cell(values) -> str:
    mean = statistics.fmean(values)
    spread = max(values) - min(values)
    return f"{100 * mean:5.1f} ± {100 * spread:4.1f}" if len(values) > 1 else f"{100 * mean:5.1f}"


def format_fusion_table(result: dict) -> str:
    """The bench's text table from its result dict (also what ``load_bench`` returns)."""
    runs = result["runs"]  # [per seed: {row: score}]
    kinds = ("colours", "relation", "objects")
    lines = [f"Swapped-binding test: true caption vs swapped caption, held-out images "
             f"(chance 50%); mean ± spread over {len(runs)} seed(s)",
             f"{'model / scorer':46s}" + "".join(f"{k:>14s}" for k in kinds)
             + f"{'i2t R@1':>14s}{'train s':>9s}"]
    for name in MODELS:
        rows = [r[name] for r in runs if name in r]
        if not rows:
            continue
        scorers = [("cosine", "towers' cosine")] + ([("itm", "ITM head")] if "itm" in rows[0]
                                                    else [])
        for key, label in scorers:
            r1 = [r["retrieval"]["i2t_R@1"] for r in rows] if key == "cosine" else None
            lines.append(f"{name + ', ' + label:46s}"
                         + "".join(f"{_cell([r[key][k] for r in rows]):>14s}" for k in kinds)
                         + (f"{_cell(r1):>14s}" if r1 else f"{'':14s}")
                         + f"{statistics.fmean(r['seconds'] for r in rows):9.0f}")
    lines.append("i2t R@1: image-to-caption retrieval among all test captions by the towers' "
                 "cosine (chance 1/N)")
    reranked = [(name, [r[name]["rerank"] for r in runs if "rerank" in r.get(name, {})])
                for name in MODELS]
    reranked = [(name, rows) for name, rows in reranked if rows]
    if reranked:
        lines.append("")
        lines.append(f"Re-ranking the towers' top 10 by the ITM head, first "
                     f"{RERANK_ITEMS} test pairs: R@1 towers -> re-ranked")
        for name, rows in reranked:
            cells = [f"{direction} {_cell([r['dual'][direction + '_R@1'] for r in rows])} -> "
                     f"{_cell([r['reranked'][direction + '_R@1'] for r in rows])}"
                     for direction in ("i2t", "t2i")]
            lines.append(f"{name:46s}" + "    ".join(cells))
    fusion = [r["fusion"] for r in runs if "fusion" in r]
    if fusion:
        lines.append("")
        lines.append("Masked attribute words filled in by the fusion model (chance: 1 in 6 "
                     "colours, 4 shapes, 2 sizes, 4 relation words)")
        words = list(fusion[0]["mlm_image"])
        lines.append(f"{'sees':46s}" + "".join(f"{w:>14s}" for w in words))
        for key, label in (("mlm_image", "the image"), ("mlm_blank", "a blank image")):
            lines.append(f"{label:46s}"
                         + "".join(f"{_cell([r[key][w] for r in fusion]):>14s}" for w in words))
    return "\n".join(lines)


def bench_fusion(seeds=(0, 1, 2), *, progress: bool = True, save=None) -> dict:
    """Train and score the three models with each seed; print the table. Returns {"runs":
    [per seed], "seeds", "recipe", "machine", "table"}; ``save`` (a path) writes it as JSON."""
    recipe = budget()
    about = (f"relations: {recipe['n_images']} scenes per seed "
             f"({1 - recipe['test_fraction']:.0%} train), {recipe['epochs']} epochs at batch "
             f"{recipe['batch_size']}, lr {recipe['lr']}")
    return run_over_seeds(seeds, recipe, about, run_seed, format_fusion_table, BENCH_FORMAT,
                          progress, save)


def load_bench(path=SHIPPED) -> dict:
    """A saved ``bench fusion`` result (default: the one shipped in the zoo)."""
    return read_json_record(path, BENCH_FORMAT, "a bench fusion JSON file")
