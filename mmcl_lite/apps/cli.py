"""The command line's arguments: one parser, checked values, one-line errors (exit status 2)."""
from __future__ import annotations

import argparse
import math
import sys

from ..data import DATASETS
from ..data.registry import UEA_PREFIX
from ..methods import METHODS
from ..models import ENCODERS
from ..training.defaults import DEFAULTS
from ..zoo.recipes import RECIPES

BENCHES = {"throughput": "training pairs/s of three data pipelines on this device",
           "step": "one SimCLR step: NCHW, channels_last, torch.compile, the views alone",
           "methods": "SimCLR, MoCo, SimSiam, BYOL, SwAV on one budget, against baselines",
           "recipe": "one zoo recipe (default the demo's) over seeds: accuracy, mean and spread",
           "series": "CPC, TS2Vec, TS-TCC, cross-sensor on UEA sets over seeds, against DTW, "
                     "MiniRocket and published figures",
           "fusion": "CLIP vs a fusion model on swapped-binding captions (relations), over seeds",
           "unpaired": "scarce pairs on shapes: CLIP on the pairs vs + unpaired pools "
                       "(pseudo-pairs, co-clusters, self-supervision), MIL-NCE, missing text"}
SERIES_SEEDS = 5  # bench series: seeds 0..4 unless --seeds says how many


class Parser(argparse.ArgumentParser):
    """argparse, except that an error is one line on stderr (no usage block) and exit 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


class _CommandParser(Parser):
    """The top-level parser. ``bench --seeds`` is read per benchmark once the benchmark is
    known: recipe takes a list of seeds ("0,1,2"), series a count ("5" = seeds 0..4)."""

    def parse_args(self, args=None, namespace=None):
        parsed = super().parse_args(args, namespace)
        if parsed.command == "bench":
            read = _seed_count if parsed.what == "series" else _seed_list
            default = str(SERIES_SEEDS) if parsed.what == "series" else "0,1,2"
            try:
                parsed.seeds = read(default if parsed.seeds is None else parsed.seeds)
            except argparse.ArgumentTypeError as err:
                self.error(f"argument --seeds: {err}")
        return parsed


def _int_at_least(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an int >= {low}, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected an int >= {low}, got {value}")
        return value
    return parse


def _seed_count(text: str) -> int:
    """"5" -> 5: how many seeds (0..n-1) bench series runs."""
    return _int_at_least(1)(text)


def _seed_list(text: str) -> list[int]:
    """"0,1,2" -> [0, 1, 2]: distinct ints >= 0."""
    try:
        seeds = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated ints >= 0, got {text!r}") from None
    if min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"expected distinct ints >= 0, got {text!r}")
    return seeds


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def _choice(options):
    """A case-insensitive choice, returned in its canonical spelling."""
    canonical = {o.lower(): o for o in options}

    def parse(text: str) -> str:
        if text.lower() not in canonical:
            raise argparse.ArgumentTypeError(f"expected one of {list(options)}, got {text!r}")
        return canonical[text.lower()]
    return parse


def _dataset(text: str) -> str:
    """A dataset of the registry (case-insensitive), or "uea:<Name>" as given."""
    if text.lower().startswith(UEA_PREFIX) and len(text) > len(UEA_PREFIX):
        return text
    return _choice(list(DATASETS))(text)


def _first_line(doc) -> str:
    """The paper a method comes from: the first line of its module's docstring."""
    return (doc or "").strip().splitlines()[0].rstrip(".") if doc else ""


def _listing(title: str, items: dict) -> str:
    return title + "\n" + "\n".join(f"  {k:12s} {v}" for k, v in items.items())


def parser() -> argparse.ArgumentParser:
    methods = {name: _first_line(sys.modules[cls.__module__].__doc__)
               for name, cls in METHODS.items()}
    epilog = "\n\n".join([_listing("methods (case-insensitive):", methods),
                          _listing("datasets:", DATASETS)])
    p = _CommandParser(prog="python -m mmcl_lite", epilog=epilog,
               formatter_class=argparse.RawDescriptionHelpFormatter,
               description="mmcl-lite: contrastive representation learning, from one modality "
                           "to many.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    d = sub.add_parser("demo", help="SimCLR on shapes vs baselines; figures in runs/demo/")
    d.add_argument("--out", default="runs/demo", help="folder for figures and results.json")
    t = sub.add_parser("train", help="train one method on a dataset and save a checkpoint",
                       epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    t.add_argument("--method", default="SimCLR", type=_choice(list(METHODS)),
                   help=f"one of {', '.join(METHODS)} (case-insensitive)")
    t.add_argument("--data", default="shapes", type=_dataset,
                   help=f"one of {', '.join(DATASETS)}, or uea:<Name> for any problem of the "
                        "UEA/UCR archive (with --download)")
    t.add_argument("--encoder", default=None, type=_choice(list(ENCODERS)),
                   help=f"backbone: one of {', '.join(ENCODERS)} (default: the method's own, "
                        "convnet for images, dilated_conv for series)")
    t.add_argument("--epochs", type=_int_at_least(1), default=DEFAULTS["epochs"])
    t.add_argument("--batch-size", type=_int_at_least(2), default=None,
                   help=f"default {DEFAULTS['batch_size']}, or every item of a smaller set")
    t.add_argument("--lr", type=_positive_float, default=DEFAULTS["lr"])
    t.add_argument("--seed", type=_int_at_least(0), default=0)
    t.add_argument("--max-steps", type=_int_at_least(1), default=None,
                   help="stop after this many optimiser steps (a quick check)")
    t.add_argument("--out", default="runs/train/model.pt", help="checkpoint path")
    t.add_argument("--download", action="store_true", help="allow downloading CIFAR-10")
    b = sub.add_parser("bench", help="print benchmark tables",
                       epilog=_listing("benchmarks:", BENCHES),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("what", type=_choice(list(BENCHES)), help=" or ".join(BENCHES))
    b.add_argument("--encoder", default=None, type=_choice(list(ENCODERS)))
    b.add_argument("--batch-size", type=_int_at_least(2), default=None)
    b.add_argument("--steps", type=_int_at_least(1), default=None,
                   help="methods, series: optimiser steps per method (default from "
                        "training.defaults)")
    b.add_argument("--workers", type=_int_at_least(0), default=None)
    b.add_argument("--data", default="shapes", type=_choice(["shapes", "digits"]),
                   help="methods: the dataset to compare on")
    b.add_argument("--methods", default=None,
                   help="methods: comma-separated names (default SimCLR,MoCo,SimSiam,BYOL,SwAV); "
                        "series: of TS2Vec,CPC,TSTCC,CrossSensor (default all four)")
    b.add_argument("--lr", type=_positive_float, default=None,
                   help="methods: AdamW's base learning rate (default from training.defaults)")
    b.add_argument("--seed", type=_int_at_least(0), default=0,
                   help="methods: seed of the data, its split and the training (default 0); "
                        "methods without negatives move by several points between seeds")
    b.add_argument("--recipe", default="simclr-shapes", type=_choice(list(RECIPES)),
                   help=f"recipe: one of {', '.join(RECIPES)}")
    b.add_argument("--seeds", default=None,
                   help="recipe, fusion, unpaired: comma-separated training seeds (default "
                        "0,1,2); series: how many seeds, 0..n-1 (default {SERIES_SEEDS})")
    b.add_argument("--datasets", default="basicmotions,japanesevowels",
                   help="series: comma-separated series datasets (basicmotions, "
                        "japanesevowels, activities)")
    b.add_argument("--no-baselines", dest="baselines", action="store_false",
                   help="series: skip the raw-SVM, DTW 1-NN, MiniRocket and random-weight rows")
    b.add_argument("--save", default=None,
                   help="series, fusion, unpaired: also write the result as JSON to this path")
    z = sub.add_parser("zoo", help="remake the model zoo's runs (make zoo) and print their times")
    z.add_argument("--names", default=None,
                   help="comma-separated runs and tables (default: all of them)")
    z.add_argument("--out", default=None, help="folder for the runs (default: the kit's own)")
    z.add_argument("--overwrite", action="store_true", help="replace runs that exist")
    return p
