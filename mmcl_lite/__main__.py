"""Command line: python -m mmcl_lite demo | train | bench {throughput,methods}."""
from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mmcl_lite", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="SimCLR on shapes vs baselines; figures in runs/demo/")
    d.add_argument("--out", default="runs/demo")
    t = sub.add_parser("train", help="train one method on a dataset and save a checkpoint")
    t.add_argument("--method", default="SimCLR")
    t.add_argument("--data", default="shapes", choices=["shapes", "digits", "cifar10"])
    t.add_argument("--encoder", default="convnet", choices=["convnet", "resnet18"])
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--batch-size", type=int, default=256)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--out", default="runs/train/model.pt")
    t.add_argument("--download", action="store_true", help="allow downloading CIFAR-10")
    b = sub.add_parser("bench", help="print benchmark tables")
    b.add_argument("what", choices=["throughput", "methods"])
    b.add_argument("--encoder", default=None)
    b.add_argument("--batch-size", type=int, default=None)
    b.add_argument("--steps", type=int, default=None)
    b.add_argument("--workers", type=int, default=None)
    b.add_argument("--data", default="shapes", choices=["shapes", "digits"],
                   help="methods: the dataset to compare on")
    b.add_argument("--methods", default=None,
                   help="methods: comma-separated names (default SimCLR,MoCo,SimSiam,BYOL,SwAV)")
    b.add_argument("--lr", type=float, default=None,
                   help="methods: AdamW's base learning rate (default 2e-3)")
    b.add_argument("--seed", type=int, default=0,
                   help="methods: seed of the data, its split and the training (default 0); "
                        "methods without negatives move by several points between seeds")
    return p


def _load(name: str, download: bool):
    from .data import load_cifar10, load_digits, make_shapes

    if name == "shapes":
        return make_shapes(6000).split(0.25)
    if name == "digits":
        return load_digits().split(0.25)
    return load_cifar10(train=True, download=download), load_cifar10(train=False,
                                                                      download=download)


def _train(args) -> None:
    from . import evaluate
    from .checkpoint import save_checkpoint
    from .methods import METHODS
    from .train import fit

    if args.method not in METHODS:
        sys.exit(f"--method: expected one of {sorted(METHODS)}, got {args.method!r}")
    train, test = _load(args.data, args.download)
    method = METHODS[args.method](encoder=args.encoder, in_channels=train.channels)
    history = fit(method, train, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                  knn_monitor=(train.subset(slice(0, 5000)), test.subset(slice(0, 2000))),
                  checkpoint=args.out)
    print(evaluate.format_table(evaluate.compare(method, train, test, name=args.method)))
    save_checkpoint(method, args.out, history)
    print(f"checkpoint: {args.out}")


def main(argv=None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from .demo import run_demo
        run_demo(args.out)
    elif args.command == "train":
        _train(args)
    elif args.what == "throughput":
        from .bench import throughput
        throughput(encoder=args.encoder or "resnet18", batch_size=args.batch_size,
                   steps=args.steps, workers=args.workers)
    else:
        from .bench_methods import LR, compare_methods
        compare_methods(args.data, steps=args.steps, batch_size=args.batch_size or 128,
                        methods=args.methods.split(",") if args.methods else None,
                        lr=LR if args.lr is None else args.lr, seed=args.seed)


if __name__ == "__main__":
    main()
