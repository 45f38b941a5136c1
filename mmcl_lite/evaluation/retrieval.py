"""Cross-modal retrieval: rank all captions for each image and all images for each caption.

With N images and their N captions (pair i <-> i), Recall@K is the fraction of queries whose
true partner is in the top K, the median rank where it lands (1 = first).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..checks import check_same_shape, check_tensor, fail, said
from .zeroshot import image_embeddings, text_embeddings


def retrieval_ranks(image_emb, text_emb) -> tuple[np.ndarray, np.ndarray]:
    """(i2t, t2i) 1-based ranks of the true partner (pair i <-> i) for every query.

    Rank = 1 + the number of candidates scored strictly higher than the true one."""
    a = torch.as_tensor(image_emb).float().cpu()
    b = torch.as_tensor(text_emb).float().cpu()
    check_tensor(a, "image_emb", "(N, D)")
    check_tensor(b, "text_emb", "(N, D)")
    check_same_shape(b, "text_emb", a, "image_emb")  # pair i <-> i
    sim = F.normalize(a, dim=1) @ F.normalize(b, dim=1).T
    true = sim.diagonal()
    i2t = 1 + (sim > true[:, None]).sum(1)
    t2i = 1 + (sim > true[None, :]).sum(0)
    return i2t.numpy(), t2i.numpy()


def retrieval_metrics(image_emb, text_emb, ks=(1, 5, 10)) -> dict:
    """Recall@K and median rank in both directions, ground truth image i <-> text i.

    Keys: "i2t_R@1", "i2t_R@5", "i2t_R@10", "i2t_median_rank", "i2t_mean_rank" and the same
    with "t2i_". Recalls are fractions in [0, 1]; ranks start at 1. Chance R@K is K/N.
    """
    ranks = dict(zip(("i2t", "t2i"), retrieval_ranks(image_emb, text_emb)))
    out = {}
    for direction, r in ranks.items():
        for k in ks:
            out[f"{direction}_R@{k}"] = float((r <= k).mean())
        out[f"{direction}_median_rank"] = float(np.median(r))
        out[f"{direction}_mean_rank"] = float(r.mean())
    return out


def evaluate_retrieval(model, data, max_items: int = 1000, ks=(1, 5, 10)) -> dict:
    """:func:`retrieval_metrics` on the first ``max_items`` image-caption pairs of ``data``."""
    if getattr(data, "captions", None) is None:
        fail("data", "a set with captions (retrieval needs them)", said("a set without captions"))
    n = min(len(data), max_items)
    return retrieval_metrics(image_embeddings(model, data.images[:n]),
                             text_embeddings(model, data.captions[:n]), ks)


