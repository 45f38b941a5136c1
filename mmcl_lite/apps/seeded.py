"""What the benchmarks that repeat over seeds share: progress lines on stderr, and one driver
that checks the seeds, prints the machine and the budget, runs each seed, prints the table and
saves the result as JSON."""
from __future__ import annotations

import sys

from ..checks import check_int, fail
from ..files import write_json
from ..runtime import describe


def log(text: str) -> None:
    """A progress line on stderr (the table goes to stdout)."""
    print(text, file=sys.stderr, flush=True)


def run_over_seeds(seeds, recipe: dict, about: str, run_seed, format_table, bench_format: str,
                   progress: bool = True, save=None) -> dict:
    """``run_seed(seed, recipe, progress)`` for each seed; returns {"format", "runs", "seeds",
    "recipe", "machine", "table"} (``format_table(result)``), printed, and written as JSON to
    ``save`` when given. ``about``: the budget in one line."""
    seeds = [check_int(s, "seeds", minimum=0) for s in seeds]
    if not seeds:
        fail("seeds", "at least one seed", seeds)
    print(describe())
    print(about)
    runs = [run_seed(s, recipe, progress) for s in seeds]
    result = {"format": bench_format, "runs": runs, "seeds": seeds, "recipe": dict(recipe),
              "machine": describe()}
    result["table"] = format_table(result)
    print(result["table"])
    if save is not None:
        write_json(save, result)
    return result
