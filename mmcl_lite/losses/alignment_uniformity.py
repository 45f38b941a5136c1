"""Alignment and uniformity: the two properties a contrastive loss optimises.

Wang and Isola, "Understanding Contrastive Representation Learning through Alignment and
Uniformity on the Hypersphere", ICML 2020.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..checks import (check_nonzero_rows, check_positive, check_rows, check_same_shape,
                      check_tensor)


def alignment(z1, z2, alpha=2):
    r"""How close positive pairs are: lower is better.

    With f(x), f(y) the L2-normalised embeddings of a positive pair::

        L_align = E_{(x, y) positive} || f(x) - f(y) ||_2 ^ alpha

    Args:
        z1, z2: (N, D) embeddings, row i of each is a positive pair.
        alpha: exponent > 0 (the paper uses 2).

    Returns:
        A scalar in [0, 2 ** alpha]: 0 when every pair coincides.
    """
    check_tensor(z1, "z1", "(N, D)")
    check_tensor(z2, "z2", "(N, D)")
    check_same_shape(z2, "z2", z1, "z1")
    check_nonzero_rows(z1, "z1")
    check_nonzero_rows(z2, "z2")
    check_positive(alpha, "alpha")
    z1, z2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    return (z1 - z2).norm(dim=1).pow(alpha).mean()


def uniformity(z, t=2):
    r"""How evenly the embeddings spread over the unit sphere: lower (more negative) is better.

    With f the L2-normalised embeddings and the expectation over all distinct pairs i < j::

        L_uniform = log E_{i<j} exp( -t || f(x_i) - f(x_j) ||_2^2 )

    It is the log of the average Gaussian-kernel potential: pairs close together push it up.

    Args:
        z: (N, D) embeddings, N >= 2.
        t: kernel scale > 0 (the paper uses 2).

    Returns:
        A scalar in [-4t, 0]: 0 when every embedding is the same point.
    """
    check_tensor(z, "z", "(N, D)")
    check_rows(z, "z", 2, "uniformity is an average over pairs")
    check_nonzero_rows(z, "z")
    check_positive(t, "t")
    z = F.normalize(z, dim=1)
    # For unit vectors ||a - b||^2 = 2 - 2 a.b: one matmul, smooth gradients, works on any device.
    sq_dist = (2 - 2 * z @ z.T).clamp_min(0)
    i, j = torch.triu_indices(len(z), len(z), offset=1, device=z.device)
    # log-mean-exp via logsumexp, so that a large t cannot underflow to log(0).
    return torch.logsumexp(-t * sq_dist[i, j], dim=0) - math.log(len(i))
