"""KeyQueue: a fixed-size first-in-first-out store of past embeddings (MoCo's negatives, SwAV's
queue of earlier crops for Sinkhorn).

A batch of B only offers B - 1 negatives; a queue decouples the number of negatives from the
batch size by remembering the keys of the last ``size`` samples. The oldest are dropped first:
they were made by the oldest (most different) version of the key encoder.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..checks import check_int, fail, said


class KeyQueue(nn.Module):
    """A ring buffer of ``size`` vectors of dimension ``dim``.

    The storage is a registered buffer, so it follows ``.to(device)`` and is saved in the
    state_dict (with the write pointer and the fill count) like any weight.

    >>> q = KeyQueue(size=4, dim=2)
    >>> q.enqueue(torch.ones(3, 2)); len(q)
    3
    >>> q.keys().shape                 # only the filled part, oldest first
    torch.Size([3, 2])
    """

    def __init__(self, size: int, dim: int):
        super().__init__()
        for name, value in (("size", size), ("dim", dim)):
            check_int(value, name, minimum=1)
        self.size, self.dim = size, dim
        self.register_buffer("queue", torch.zeros(size, dim))
        self.register_buffer("ptr", torch.zeros((), dtype=torch.long))    # next slot to write
        self.register_buffer("count", torch.zeros((), dtype=torch.long))  # filled slots

    def __len__(self) -> int:
        return int(self.count)

    @property
    def full(self) -> bool:
        return len(self) == self.size

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        """Append ``keys`` (B, dim), detached; when full, the oldest B entries are overwritten
        (the write wraps around the end of the buffer)."""
        if not isinstance(keys, torch.Tensor):
            fail("keys", f"a tensor of shape (B, {self.dim})", keys, TypeError)
        if keys.ndim != 2 or keys.shape[1] != self.dim:
            fail("keys", f"a tensor of shape (B, {self.dim})", said(f"shape {tuple(keys.shape)}"))
        b = keys.shape[0]
        if b > self.size:
            fail("keys", f"a batch that fits in the queue (at most size={self.size} rows)",
                 said(f"{b} rows"))
        slots = (self.ptr + torch.arange(b, device=self.queue.device)) % self.size
        self.queue[slots] = keys.detach().to(self.queue.dtype)
        self.ptr.copy_((self.ptr + b) % self.size)
        self.count.copy_(torch.clamp(self.count + b, max=self.size))

    def keys(self) -> torch.Tensor:
        """The stored keys (len(self), dim), oldest first (a view-free copy when wrapped)."""
        n = len(self)
        if n < self.size:
            return self.queue[:n]
        return torch.roll(self.queue, shifts=-int(self.ptr), dims=0)

    @torch.no_grad()
    def reset(self) -> None:
        """Empty the queue."""
        self.queue.zero_()
        self.ptr.zero_()
        self.count.zero_()

    def extra_repr(self) -> str:
        return f"size={self.size}, dim={self.dim}"
