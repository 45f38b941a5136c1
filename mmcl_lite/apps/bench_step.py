"""``python -m mmcl_lite bench step``: what one training step costs, and which levers pay.

Times a full SimCLR step (views, forward, backward, optimiser) on the current device with the
default ConvNet at batch 128 on 32-px shapes, three ways: weights in the default (NCHW)
layout, in channels_last (what ``fit`` uses), and channels_last under ``torch.compile``
(with its one-off compile time). Views alone are timed too. Prints a table.
"""
from __future__ import annotations

import time

import torch

from ..data import make_shapes
from ..methods import SimCLR
from ..runtime import as_device, describe
from ..training.loop import train_step


def _sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize()


def _median_seconds(fn, repeats: int, dev) -> float:
    times = []
    for _ in range(repeats):
        _sync(dev)
        t0 = time.perf_counter()
        fn()
        _sync(dev)
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def step_levers(batch_size: int = 128, steps: int | None = None, device=None,
                compile: bool = True) -> dict:
    """{variant: seconds per step} (median of ``steps`` after warm-up); prints the table."""
    dev = as_device(device)
    steps = steps or (20 if dev.type == "cuda" else 8)
    data = make_shapes(max(2 * batch_size, 256), seed=0)
    rows, extra = {}, {}
    variants = [("eager, NCHW", False, False), ("eager, channels_last (fit's)", True, False)]
    if compile:
        variants.append(("torch.compile, channels_last", True, True))
    for name, channels_last, compiled in variants:
        method = SimCLR(seed=0).to(dev).train()
        if channels_last:
            method.to(memory_format=torch.channels_last)
        method.seed_views(0, dev)
        opt = method.configure_optimizer(2e-3, 1e-4)
        batch = {k: v[:batch_size].to(dev) for k, v in method.batch_fields(data).items()}
        if compiled:
            method.encoder = torch.compile(method.encoder)
            t0 = time.perf_counter()
            train_step(method, opt, batch, dev)
            extra[name] = f"after a {time.perf_counter() - t0:.0f} s compile"
        for _ in range(2):
            train_step(method, opt, batch, dev)
        rows[name] = _median_seconds(lambda: train_step(method, opt, batch, dev), steps, dev)
    views = SimCLR(seed=0).views
    gen = torch.Generator(device=dev).manual_seed(0)
    images = data.images[:batch_size].to(dev)
    rows["the views alone"] = _median_seconds(lambda: views.pair(images, generator=gen),
                                              steps, dev)
    print(describe())
    print(f"SimCLR step, ConvNet, batch {batch_size}, 32x32 shapes (median of {steps}):")
    for name, seconds in rows.items():
        print(f"  {name:32s} {1000 * seconds:8.1f} ms  {extra.get(name, '')}")
    return rows
