"""Two linear encoders without bias, the model of the linear theory of multimodal contrastive
learning (Nakada et al., AISTATS 2023): f1(x) = W1 x, f2(y) = W2 y, W1 (r, d1), W2 (r, d2)."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..checks import check_int


class LinearDualEncoder(nn.Module):
    """logits(x (B, d1), y (C, d2)) = exp(log_scale) * cos(W1 x_i, W2 y_j), (B, C)."""

    def __init__(self, d1: int, d2: int, rank: int):
        super().__init__()
        for name, value in (("d1", d1), ("d2", d2), ("rank", rank)):
            check_int(value, name, minimum=1)
        self.e1 = nn.Linear(d1, rank, bias=False)
        self.e2 = nn.Linear(d2, rank, bias=False)

    def logits(self, x: torch.Tensor, y: torch.Tensor, log_scale: float = 0.0) -> torch.Tensor:
        return F.normalize(self.e1(x), dim=1) @ F.normalize(self.e2(y), dim=1).T * \
            torch.tensor(log_scale).exp()
