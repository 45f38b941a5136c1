"""Command line: python -m mmcl_lite demo | train | bench {throughput,step,methods,recipe,series,
fusion,unpaired} | zoo.

This module only dispatches: the parser is ``apps.cli``, each command an app. A bad argument
or bad input ends in one line on stderr and exit status 2, never a traceback.
"""
from __future__ import annotations

import sys


def _run(args) -> None:
    if args.command == "demo":
        from .apps.demo import run_demo
        run_demo(args.out)
    elif args.command == "train":
        from .apps.train import run_train
        run_train(args.method, args.data, args.encoder, args.epochs, args.batch_size, args.lr,
                  args.out, download=args.download, seed=args.seed, max_steps=args.max_steps)
    elif args.command == "zoo":
        from . import zoo
        zoo.make(args.names.split(",") if args.names else None, root=args.out,
                 overwrite=args.overwrite)
    elif args.what == "step":
        from .apps.bench_step import step_levers
        step_levers(batch_size=args.batch_size or 128, steps=args.steps)
    elif args.what == "throughput":
        from .apps.bench_throughput import throughput
        throughput(encoder=args.encoder or "resnet18", batch_size=args.batch_size,
                   steps=args.steps, workers=args.workers)
    elif args.what == "series":
        from .apps.bench_series import SERIES_METHODS, bench_series
        bench_series(args.datasets.split(","),
                     args.methods.split(",") if args.methods else SERIES_METHODS,
                     args.seeds, baselines=args.baselines, steps=args.steps, save=args.save)
    elif args.what == "fusion":
        from .apps.bench_fusion import bench_fusion
        bench_fusion(args.seeds, save=args.save)
    elif args.what == "unpaired":
        from .apps.bench_unpaired import bench_unpaired
        bench_unpaired(args.seeds, save=args.save)
    elif args.what == "recipe":
        from .apps.bench_recipe import bench_recipe
        bench_recipe(args.recipe, seeds=args.seeds)
    else:
        from .apps.bench_methods import compare_methods
        options = dict(steps=args.steps, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                       methods=args.methods.split(",") if args.methods else None)
        # only what was given: the defaults live in training.defaults
        compare_methods(args.data, **{k: v for k, v in options.items() if v is not None})


def main(argv=None) -> None:
    from .apps.cli import parser
    from .checks import BadType, BadValue
    from .runtime import OfflineError

    p = parser()
    args = p.parse_args(argv)
    try:
        _run(args)
    except (BadValue, BadType, OfflineError, FileNotFoundError) as err:
        p.exit(2, f"{p.prog} {args.command}: error: {err}\n")
    except KeyboardInterrupt:
        p.exit(130, f"{p.prog} {args.command}: interrupted\n")


if __name__ == "__main__":
    main(sys.argv[1:])
