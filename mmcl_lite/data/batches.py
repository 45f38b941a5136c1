"""Batches are index tensors over data that already sits in memory (on the training device)."""
from __future__ import annotations

import torch

from ..checks import check_int, fail


def index_batches(n: int, batch_size: int, *, shuffle: bool = True, drop_last: bool = True,
                  generator: torch.Generator | None = None, device="cpu"):
    """Yield int64 index tensors of length ``batch_size`` covering ``range(n)`` once.

    The permutation is drawn on the CPU from ``generator`` (so it repeats exactly for a seed)
    and moved to ``device`` in one copy.
    """
    check_int(batch_size, "batch_size", minimum=1)
    if drop_last and batch_size > n:
        fail("batch_size", f"at most the dataset's {n} items (or drop_last=False)", batch_size)
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    order = order.to(device)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        yield order[start:start + batch_size]


def num_batches(n: int, batch_size: int, drop_last: bool = True) -> int:
    return n // batch_size if drop_last else -(-n // batch_size)
