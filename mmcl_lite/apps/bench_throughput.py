"""Benchmarks that print tables (speed claims live here, never in timed tests).

``throughput``: SimCLR training pairs per second three ways on the current device:
  1. model alone  - forward/backward/step on views made once in advance (the ceiling);
  2. batched views - our ImageViews on the whole batch, on the device, every step;
  3. per-sample   - torchvision.transforms.v2 per image in DataLoader workers (the usual way).

What keeps (2) close to (1) on a GPU: the view parameters are drawn on the device (no
host-to-device copy, which would stall the CPU until the GPU drains), and both views come from
one call on the batch stacked twice (half the kernel launches). The README's benchmark table
has the measured figures.
"""
from __future__ import annotations

import os
import time

import torch

from ..augment import ImageViews
from ..data import make_shapes
from ..methods import SimCLR
from ..runtime import as_device, autocast


def _sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize()


def _step(method, optimizer, v1, v2, dev):
    from ..losses import nt_xent

    with autocast(dev):
        loss = nt_xent(method.project(v1), method.project(v2), method.temperature)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


class _PerSampleViews(torch.utils.data.Dataset):
    """Two torchvision.transforms.v2 views of one uint8 CHW image per item."""

    def __init__(self, images):
        from torchvision.transforms import v2

        self.images = images
        self.t = v2.Compose([
            v2.RandomResizedCrop(images.shape[-1], scale=(0.2, 1.0), antialias=False),
            v2.RandomHorizontalFlip(),
            v2.RandomApply([v2.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
            v2.RandomGrayscale(p=0.2),
            v2.ToDtype(torch.float32, scale=True),
        ])

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        x = self.images[i]
        return self.t(x), self.t(x)


def _timed(fn, steps: int, warmup: int, dev) -> float:
    for _ in range(warmup):
        fn()
    _sync(dev)
    t0 = time.perf_counter()
    for _ in range(steps):
        fn()
    _sync(dev)
    return time.perf_counter() - t0


def throughput(encoder: str = "resnet18", batch_size: int | None = None, steps: int | None = None,
               workers: int | None = None, device=None) -> dict:
    """Measure the three pipelines; returns {name: pairs_per_second} and prints a table."""
    dev = as_device(device)
    on_gpu = dev.type == "cuda"
    batch_size = batch_size or (512 if on_gpu else 64)
    steps = steps or (30 if on_gpu else 4)
    workers = workers if workers is not None else max(1, (os.cpu_count() or 2) - 2)
    data = make_shapes(max(4 * batch_size, 2048), seed=0)
    images = data.images.to(dev)
    method = SimCLR(encoder=encoder).to(dev)
    if on_gpu:
        method.to(memory_format=torch.channels_last)
        torch.backends.cudnn.benchmark = True
    method.train()
    opt = torch.optim.SGD(method.parameters(), lr=0.01, momentum=0.9)
    views, gen = ImageViews.simclr(), torch.Generator(device=dev).manual_seed(0)
    fixed = images[:batch_size]
    v1, v2 = views.pair(fixed, generator=gen)
    results = {}
    t = _timed(lambda: _step(method, opt, v1, v2, dev), steps, 3, dev)
    results["model alone (pre-made views)"] = steps * batch_size / t

    def batched():
        idx = torch.randint(len(images), (batch_size,), device=dev)
        x = images[idx]
        _step(method, opt, *views.pair(x, generator=gen), dev)
    t = _timed(batched, steps, 3, dev)
    results["batched views (mmcl_lite)"] = steps * batch_size / t

    loader = torch.utils.data.DataLoader(
        _PerSampleViews(data.images), batch_size=batch_size, shuffle=True, drop_last=True,
        num_workers=workers, pin_memory=on_gpu, persistent_workers=workers > 0)
    it = iter(_cycle(loader))

    def per_sample():
        a, b = next(it)
        _step(method, opt, a.to(dev, non_blocking=True), b.to(dev, non_blocking=True), dev)
    t = _timed(per_sample, steps, 3, dev)
    results[f"per-sample v2 ({workers} workers)"] = steps * batch_size / t
    _print_throughput(results, dev, encoder, batch_size)
    return results


def _cycle(loader):
    while True:
        yield from loader


def _print_throughput(results: dict, dev, encoder: str, batch_size: int) -> None:
    name = torch.cuda.get_device_name(0) if dev.type == "cuda" else f"cpu x{torch.get_num_threads()}"
    base = results["model alone (pre-made views)"]
    per_sample = [v for k, v in results.items() if k.startswith("per-sample")][0]
    print(f"SimCLR throughput, {encoder} at 32x32, batch {batch_size}, on {name}")
    print(f"{'pipeline':34s}{'pairs/s':>10s}{'vs model':>10s}{'vs per-sample':>15s}")
    for k, v in results.items():
        print(f"{k:34s}{v:10.0f}{v / base:9.0%} {v / per_sample:13.2f}x")
