"""Contrastive and self-supervised objectives: one per file, pure functions of tensors.

Each docstring carries the paper, the formula and the shapes; each function L2-normalises where
the paper does and raises ValueError naming the argument on bad input.
"""
from .alignment_uniformity import alignment, uniformity
from .clip import clip_loss
from .coclusters import cocluster_loss, cocluster_positives
from .collapse import effective_rank, embedding_std
from .cpc import cpc_loss
from .hierarchical import (hierarchical_contrastive_loss, instance_contrastive_loss,
                           temporal_contrastive_loss)
from .info_nce import info_nce
from .itm import itm_loss, mine_hard_negatives
from .mlm import mlm_loss
from .multi_positive import mil_nce, multi_positive_nce
from .pseudo_pairs import pseudo_pair_loss, pseudo_pairs
from .negative_cosine import negative_cosine_similarity, symmetric_negative_cosine
from .nt_xent import nt_xent
from .sinkhorn import sinkhorn
from .swav import swav_loss
from .temporal_contrast import temporal_contrast_loss

__all__ = [
    "alignment",
    "clip_loss",
    "cocluster_loss",
    "cocluster_positives",
    "cpc_loss",
    "effective_rank",
    "embedding_std",
    "hierarchical_contrastive_loss",
    "info_nce",
    "itm_loss",
    "mil_nce",
    "mine_hard_negatives",
    "mlm_loss",
    "multi_positive_nce",
    "pseudo_pair_loss",
    "pseudo_pairs",
    "instance_contrastive_loss",
    "negative_cosine_similarity",
    "nt_xent",
    "sinkhorn",
    "swav_loss",
    "symmetric_negative_cosine",
    "temporal_contrast_loss",
    "temporal_contrastive_loss",
    "uniformity",
]
