"""Negative cosine similarity with a stop-gradient: the SimSiam (and, up to an affine map, BYOL) loss.

Chen and He, "Exploring Simple Siamese Representation Learning", CVPR 2021 (SimSiam);
Grill et al., "Bootstrap Your Own Latent", NeurIPS 2020 (BYOL).
"""
from __future__ import annotations

import torch.nn.functional as F

from ..checks import check_same_shape, check_tensor


def negative_cosine_similarity(p, z):
    r"""D(p, z) = - mean_i cos(p_i, stopgrad(z_i)): the predictor output chases a fixed target.

    ::

        D(p, z) = -(1/N) sum_i  p_i . z_i / (||p_i||_2 ||z_i||_2),   z treated as a constant

    The stop-gradient is part of the loss, not an implementation detail: SimSiam shows that
    without it the two branches collapse to a constant output. So ``z`` is detached here and no
    gradient ever reaches it through this loss (p gets all of it).

    Args:
        p: (N, D) predictor outputs (gradient flows).
        z: (N, D) targets, projector outputs of the other view (detached).

    Returns:
        A scalar in [-1, 1]: -1 when every p_i points the same way as its z_i.
    """
    check_tensor(p, "p", "(N, D)")
    check_tensor(z, "z", "(N, D)")
    check_same_shape(z, "z", p, "p")
    return _d(p, z)


def _d(p, z):
    # .detach() is the stop-gradient: z is a target here, not something to move.
    return -F.cosine_similarity(p, z.detach(), dim=1).mean()


def symmetric_negative_cosine(p1, p2, z1, z2):
    r"""SimSiam's symmetrised loss: L = D(p1, z2) / 2 + D(p2, z1) / 2.

    Each view's prediction chases the other view's (stop-gradient) projection, in both directions.

    BYOL uses the squared distance of the normalised vectors instead,
    ||p/||p|| - z/||z|| ||^2 = 2 - 2 cos(p, z) = 2 + 2 D(p, z): an affine map of the same quantity,
    so the gradients are the same up to a factor 2 (BYOL's target z comes from the momentum network).

    Args:
        p1, p2: (N, D) predictor outputs of views 1 and 2.
        z1, z2: (N, D) projector outputs of views 1 and 2 (detached inside).

    Returns:
        A scalar in [-1, 1], unchanged when the views are swapped.
    """
    for name, x in (("p1", p1), ("p2", p2), ("z1", z1), ("z2", z2)):
        check_tensor(x, name, "(N, D)")
        check_same_shape(x, name, p1, "p1")
    return 0.5 * (_d(p1, z2) + _d(p2, z1))
