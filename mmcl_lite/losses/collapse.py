"""Collapse statistics: how spread out a batch of embeddings is (diagnostics, not objectives).

They sit beside the losses because they are pure functions of tensors that methods report
during training and evaluation reports after it.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _as_float(z) -> torch.Tensor:
    z = z.detach() if torch.is_tensor(z) else torch.as_tensor(z)
    return z.float().cpu() if z.device.type != "cpu" else z.float()


def embedding_std(z) -> float:
    """Mean per-dimension std of L2-normalised embeddings (N, D), times sqrt(D) (SimSiam, Chen &
    He 2021): about 1 for well-spread embeddings, 0 when they have collapsed to one point."""
    z = F.normalize(_as_float(z), dim=1)
    return float(z.std(dim=0).mean() * z.shape[1] ** 0.5)


def effective_rank(z) -> float:
    """exp(entropy of the normalised singular values) of centred embeddings (N, D) (Roy &
    Vetterli, 2007): between 1 (everything on one line: collapse) and min(N, D)."""
    z = _as_float(z)
    s = torch.linalg.svdvals(z - z.mean(0))
    p = s / s.sum().clamp_min(1e-12)
    return float(torch.exp(-(p * torch.log(p.clamp_min(1e-12))).sum()))
