"""Spectral co-clustering of a bipartite graph (Dhillon, KDD 2001): group images and captions
together from a noisy, non-negative affinity between them.

With A (n1, n2) >= 0, D1 = diag(row sums), D2 = diag(column sums):

    A_n = D1^{-1/2} A D2^{-1/2} = U S V^T
    Z = [D1^{-1/2} U_{2..l+1} ; D2^{-1/2} V_{2..l+1}],   l = ceil(log2 k)
    k-means on the rows of Z -> one cluster per image and per caption

The first singular pair is dropped: it carries the degrees, not the groups. Nakada et al.
(AISTATS 2023) use such co-clusters to turn unpaired samples into positives: an image and a
caption in one cluster count as a pair of a multi-positive InfoNCE.
"""
from __future__ import annotations

import math

import torch

from ..checks import check_int, check_tensor, fail, said


def spectral_coclusters(affinity: torch.Tensor, n_clusters: int, seed: int = 0):
    """(row_labels (n1,), col_labels (n2,)) int64 cluster indices in [0, n_clusters)."""
    from sklearn.cluster import KMeans

    check_tensor(affinity, "affinity", "(N1, N2)")
    k = check_int(n_clusters, "n_clusters", minimum=2)
    a = affinity.detach().double().cpu()
    if bool((a < 0).any()):
        fail("affinity", "non-negative weights", said(f"a minimum of {float(a.min()):.3g}"))
    d1, d2 = a.sum(1), a.sum(0)
    if bool((d1 == 0).any()) or bool((d2 == 0).any()):
        fail("affinity", "every row and column with some weight (an empty one has no cluster)",
             said(f"{int((d1 == 0).sum())} empty row(s), {int((d2 == 0).sum())} empty column(s)"))
    if k > min(a.shape):
        fail("n_clusters", f"at most {min(a.shape)} (the smaller side of affinity)", k)
    r1, r2 = d1.rsqrt(), d2.rsqrt()
    u, _, vh = torch.linalg.svd(r1[:, None] * a * r2[None, :], full_matrices=False)
    l = max(1, math.ceil(math.log2(k)))
    z = torch.cat([r1[:, None] * u[:, 1:l + 1], r2[:, None] * vh[1:l + 1].T])
    labels = KMeans(k, n_init=10, random_state=seed).fit_predict(z.numpy())
    labels = torch.as_tensor(labels, dtype=torch.long)
    return labels[:a.shape[0]], labels[a.shape[0]:]
