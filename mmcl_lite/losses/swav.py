"""SwAV: swapped prediction of cluster assignments across crops.

Caron, Misra, Mairal, Goyal, Bojanowski and Joulin, "Unsupervised Learning of Visual Features by
Contrasting Cluster Assignments", NeurIPS 2020.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..checks import check_int, check_positive, check_same_shape, check_tensor, fail, said
from .sinkhorn import sinkhorn


def swav_loss(scores, codes_from=(0, 1), temperature=0.1, epsilon=0.05, sinkhorn_iterations=3,
              queue_scores=None):
    r"""Predict one crop's cluster code from every other crop of the same image.

    For each crop v, ``scores[v]`` holds z_v^T c_k, the (B, K) similarities of its normalised
    features to the K prototypes. For each code crop i in ``codes_from``, q_i = sinkhorn(scores[i])
    (no gradient); every other crop v predicts it::

        p_v = softmax(scores[v] / temperature)                  (over the K prototypes)
        l(v, i) = -(1/B) sum_b sum_k q_i[b, k] log p_v[b, k]
        loss = 1/|codes_from| sum_{i in codes_from} 1/(V - 1) sum_{v != i} l(v, i)

    with V = len(scores): the averaging of the SwAV code and of lightly's SwaVLoss.

    With small batches the codes can be computed with a queue of earlier samples' scores so that
    equipartition is enforced over more than B samples: ``queue_scores[j]`` (Q, K) joins
    ``scores[codes_from[j]]`` before Sinkhorn, and its rows of the result are discarded after.

    Args:
        scores: list of V >= 2 tensors (B, K), one per crop, global (high-resolution) crops first.
        codes_from: indices of the crops whose codes are computed (SwAV: the 2 global crops).
        temperature: softmax temperature > 0 of the prediction.
        epsilon: Sinkhorn's entropic regularisation > 0.
        sinkhorn_iterations: >= 1.
        queue_scores: None, or one (Q, K) tensor per entry of ``codes_from``.

    Returns:
        A scalar tensor.
    """
    if isinstance(scores, torch.Tensor) or not isinstance(scores, (list, tuple)):
        fail("scores", "a list of (B, K) tensors, one per crop", scores, TypeError)
    if len(scores) < 2:
        fail("scores", "at least 2 crops (to swap predictions)", said(f"{len(scores)}"))
    for v, s in enumerate(scores):
        check_tensor(s, f"scores[{v}]", "(B, K)")
        check_same_shape(s, f"scores[{v}]", scores[0], "scores[0]")
    codes_from = tuple(codes_from)
    if not codes_from or len(set(codes_from)) != len(codes_from) or \
            any(not isinstance(i, int) or not 0 <= i < len(scores) for i in codes_from):
        fail("codes_from", f"distinct crop indices in [0, {len(scores)})", said(repr(codes_from)))
    check_positive(temperature, "temperature")
    check_positive(epsilon, "epsilon")
    check_int(sinkhorn_iterations, "sinkhorn_iterations", 1)
    if queue_scores is not None:
        if len(queue_scores) != len(codes_from):
            fail("queue_scores", f"one (Q, K) tensor per code crop ({len(codes_from)})",
                 said(f"{len(queue_scores)}"))
        for j, qs in enumerate(queue_scores):
            check_tensor(qs, f"queue_scores[{j}]", "(Q, K)")
            if qs.shape[1] != scores[0].shape[1]:
                fail(f"queue_scores[{j}]", f"K = {scores[0].shape[1]} columns",
                     said(f"shape {tuple(qs.shape)}"))

    batch = scores[0].shape[0]
    loss = 0.0
    for j, i in enumerate(codes_from):
        codes_scores = scores[i]
        if queue_scores is not None:
            # Queue first, batch last (as in the SwAV code); keep only the batch's codes.
            codes_scores = torch.cat([queue_scores[j].to(codes_scores), codes_scores])
        q = sinkhorn(codes_scores, epsilon=epsilon, iterations=sinkhorn_iterations)[-batch:]
        predictions = [v for v in range(len(scores)) if v != i]
        for v in predictions:
            log_p = F.log_softmax(scores[v] / temperature, dim=1)
            loss = loss + -(q * log_p).sum(dim=1).mean() / len(predictions)
    return loss / len(codes_from)
