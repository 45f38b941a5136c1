"""Prototypes: SwAV's K learnable cluster centres on the unit sphere.

A linear layer without bias whose weight rows c_k are kept L2-normalised, so that for an
L2-normalised embedding z the score z . c_k is a cosine similarity in [-1, 1].
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..checks import check_int, fail, said


class Prototypes(nn.Module):
    """``Prototypes(dim, k)(z)`` -> scores (B, k) = normalize(z) @ C.T, rows of C unit-norm.

    * :meth:`normalize_` puts the rows back on the unit sphere; call it once per training step,
      before the forward pass (an optimiser step moves them off it), as the SwAV code does.
    * ``frozen = True`` (or :meth:`freeze`) blocks every gradient to the prototypes: the forward
      pass uses a detached weight, so their ``.grad`` stays None and the optimiser leaves them
      alone. SwAV freezes them for the first iterations: while the encoder is still random, the
      prototypes would otherwise chase noise, and freezing makes training start more stably.
    """

    def __init__(self, dim: int, k: int):
        super().__init__()
        for name, value in (("dim", dim), ("k", k)):
            check_int(value, name, minimum=1)
        self.dim, self.k = dim, k
        self.weight = nn.Parameter(torch.empty(k, dim))
        nn.init.normal_(self.weight)
        self.normalize_()
        self.frozen = False

    @torch.no_grad()
    def normalize_(self) -> None:
        """Rescale every prototype (weight row) to unit L2 norm, in place."""
        self.weight.copy_(F.normalize(self.weight, dim=1))

    def freeze(self, frozen: bool = True) -> None:
        """Stop (``True``) or allow (``False``) gradients to reach the prototypes."""
        self.frozen = bool(frozen)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.dim:
            fail("z", f"shape (B, {self.dim})", said(f"shape {tuple(z.shape)}"))
        weight = self.weight.detach() if self.frozen else self.weight
        return F.normalize(z, dim=1) @ weight.T

    def extra_repr(self) -> str:
        return f"dim={self.dim}, k={self.k}, frozen={self.frozen}"
