"""Sinkhorn-Knopp: turn prototype scores into balanced soft cluster assignments (SwAV's codes).

Caron, Misra, Mairal, Goyal, Bojanowski and Joulin, "Unsupervised Learning of Visual Features by
Contrasting Cluster Assignments", NeurIPS 2020 (the algorithm: Cuturi, NeurIPS 2013).
"""
from __future__ import annotations

import math

import torch

from ..checks import check_int, check_positive, check_tensor


@torch.no_grad()
def sinkhorn(scores, epsilon=0.05, iterations=3):
    r"""Soft assignments Q of B samples to K prototypes with equal use of every prototype.

    SwAV solves  max_Q  Tr(Q^T C^T Z) + epsilon H(Q)  over the transportation polytope (each sample
    spread over prototypes with total mass 1, each prototype receiving B/K samples). The solution
    has the form  Q = diag(u) exp(scores / epsilon) diag(v), and Sinkhorn-Knopp finds u, v by
    alternately rescaling to fix one marginal, then the other::

        Q = exp(scores / epsilon);  Q = Q / sum(Q)
        repeat `iterations` times:
            Q[:, k] /= K * sum_b Q[b, k]     # each prototype gets 1/K of the mass
            Q[b, :] /= B * sum_k Q[b, k]     # each sample gets 1/B of the mass
        return B * Q

    The last step fixes the samples, so every row of the result sums to exactly 1; the prototype
    columns sum to B/K once it has converged. SwAV uses only 3 iterations: the codes are then only
    roughly balanced, which is enough for a training target (and cheap); a small epsilon or
    B close to K needs many more iterations to converge.

    The codes are targets, so this runs without gradient and in float32 (bf16 would lose the small
    masses). The same steps are carried out on log Q: a row or column sum becomes a logsumexp,
    which subtracts the max before exp, so a small epsilon can neither overflow exp(scores /
    epsilon) nor underflow a whole prototype column to 0 (which would make 0/0 = NaN codes).

    Args:
        scores: (B, K) sample-prototype similarities (e.g. cosine scores in [-1, 1]).
        epsilon: entropic regularisation > 0; smaller gives sharper (closer to one-hot) codes.
        iterations: number of Sinkhorn-Knopp iterations, >= 1.

    Returns:
        (B, K) float32 assignment, detached, on the device of ``scores``.
    """
    check_tensor(scores, "scores", "(B, K)")
    check_positive(epsilon, "epsilon")
    check_int(iterations, "iterations", 1)
    scores = scores.detach().float()
    b, k = scores.shape

    # log Q; the initial division by sum(Q) is skipped: the first normalisation cancels it anyway.
    log_q = scores / epsilon
    for _ in range(iterations):
        # prototypes: each column sums to 1/K
        log_q = log_q - torch.logsumexp(log_q, dim=0, keepdim=True) - math.log(k)
        # samples: each row sums to 1/B
        log_q = log_q - torch.logsumexp(log_q, dim=1, keepdim=True) - math.log(b)
    return torch.exp(log_q) * b
