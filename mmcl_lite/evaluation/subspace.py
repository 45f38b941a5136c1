"""How close is a learned subspace to the true one: principal angles (Björck and Golub, 1973).

For matrices A (d, p) and B (d, q), the cosines of the principal angles between their column
spaces are the singular values of Q_A^T Q_B, with Q the orthonormal bases (QR). 0 degrees:
a shared direction; 90: orthogonal.
"""
from __future__ import annotations

import torch

from ..checks import check_tensor, fail, said


def principal_angles(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Angles in degrees, ascending, (min(p, q),), between span(a) and span(b), a (d, p), b (d, q)."""
    check_tensor(a, "a", "(d, p)")
    check_tensor(b, "b", "(d, q)")
    if a.shape[0] != b.shape[0]:
        fail("b", f"{a.shape[0]} rows, as a", said(f"{b.shape[0]}"))
    qa = torch.linalg.qr(a.detach().double())[0]
    qb = torch.linalg.qr(b.detach().double())[0]
    cosines = torch.linalg.svdvals(qa.T @ qb).clamp(-1, 1)
    return torch.rad2deg(torch.arccos(cosines)).float()
