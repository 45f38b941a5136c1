"""Batches are index tensors over data that already sits in memory (on the training device)."""
from __future__ import annotations

import torch


def index_batches(n: int, batch_size: int, *, shuffle: bool = True, drop_last: bool = True,
                  generator: torch.Generator | None = None, device="cpu"):
    """Yield int64 index tensors of length ``batch_size`` covering ``range(n)`` once.

    The permutation is drawn on the CPU from ``generator`` (so it repeats exactly for a seed)
    and moved to ``device`` in one copy.
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size: expected a positive int, got {batch_size!r}")
    if drop_last and batch_size > n:
        raise ValueError(f"batch_size: {batch_size} is larger than the dataset ({n} items); "
                         "use a smaller batch or drop_last=False")
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    order = order.to(device)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        yield order[start:start + batch_size]


def num_batches(n: int, batch_size: int, drop_last: bool = True) -> int:
    return n // batch_size if drop_last else -(-n // batch_size)
