"""SwAV (Caron et al., "Unsupervised Learning of Visual Features by Contrasting Cluster
Assignments", NeurIPS 2020).

Instead of comparing features directly, SwAV compares cluster assignments. Every crop's
normalised projection z is scored against K learnable prototypes c_k on the unit sphere; the
scores of a global crop are turned into balanced soft codes q by Sinkhorn-Knopp (every
prototype gets the same share of the batch: this equipartition is what rules out collapse),
and every other crop of the same image has to predict those codes::

    z = normalize(g(f(crop))),  scores = z @ C.T,  q_i = sinkhorn(scores_i)  (no gradient)
    loss = swav_loss(scores, codes_from=global crops)   (cross-entropy of softmax(scores_v / t)
                                                           against q_i, for every v != i)

Multi-crop (``augment.MultiCropViews``): two global crops and ``n_local`` small ones; the small
crops are cheap and only predict, they never provide codes. Each step starts by putting the
prototypes back on the unit sphere. The prototypes stay frozen for the first
``freeze_prototypes_epochs`` epochs (set by fit through ``on_epoch_start``). With
``queue_size > 0`` the global crops' embeddings of earlier batches join the batch in Sinkhorn
(scored with the current prototypes), so that equipartition is imposed over more samples than
the batch holds; their codes are discarded.

The defaults are what made SwAV learn shape on ``shapes`` (GPU runs, 1,200 steps of 128;
linear probe, random encoder 37.6%): global crops that keep 60-100% of the image, no local
crops, no queue and 100 prototypes give 75.6% (seed 1: 72.6%). The earlier defaults, modelled
on the paper (crops of 30-100%, two local crops, a queue of 1,024, 30 prototypes), gave 32%.
A clustering objective is satisfied by any partition that two views agree on: when a crop can
miss the small object, colour and background are the main signal the views share, and the
clusters follow those. From the defaults with 300 prototypes (76.1%), one change at a
time: two local crops of 16 px 32%, the same crops at 32 px 59%, a queue of 1,024 54% (the
stale embeddings of a network that still changes fast; the paper starts its queue after 15
epochs); with 3,000 prototypes, crops of 30-100% instead of 60-100%: 38% against 69%. The
number of prototypes matters little: 30 to 3,000 gave 69-76%.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..augment import ImageViews, MultiCropViews
from ..losses import swav_loss
from ..models import KeyQueue, MLPHead, Prototypes, build_encoder
from .base import Method, capture_config
from .simsiam import normalized_std


def _as_multicrop(views) -> MultiCropViews:
    """A MultiCropViews from itself or from its config dict (what a checkpoint stores)."""
    if isinstance(views, MultiCropViews):
        return views
    if isinstance(views, dict):
        views = dict(views)
        for name in ("global_views", "local_views"):
            if isinstance(views.get(name), dict):
                views[name] = ImageViews(**views[name])
        return MultiCropViews(**views)
    raise TypeError(f"views: expected a MultiCropViews (or its dict), got {type(views).__name__}")


class SwAV(Method):
    def __init__(self, encoder: str = "convnet", in_channels: int = 3, proj_dim: int = 128,
                 proj_hidden: int = 512, n_prototypes: int = 100, temperature: float = 0.1,
                 epsilon: float = 0.05, sinkhorn_iterations: int = 3,
                 freeze_prototypes_epochs: int = 1, queue_size: int = 0, n_local: int = 0,
                 crop_scale: tuple[float, float] = (0.6, 1.0), views=None,
                 image_size: int | None = None):
        # image_size: side of the global crops (default 32; local crops are half of it).
        # n_local and crop_scale (the global crops' area) build the views when views is None.
        if views is None:
            views = MultiCropViews.swav(image_size or 32, n_local=n_local, global_scale=crop_scale)
        views = _as_multicrop(views)
        # the config records what the views really are (given views override both arguments)
        n_local, crop_scale = views.n_local, views.global_views.crop_scale
        super().__init__(capture_config(locals()))
        if views.n_global + views.n_local < 2:
            raise ValueError("views: SwAV needs at least 2 crops per image, got "
                             f"{views.n_global} global + {views.n_local} local")
        self.encoder = build_encoder(encoder, in_channels)
        self.projector = MLPHead(self.encoder.feature_dim, proj_hidden, proj_dim)
        self.prototypes = Prototypes(proj_dim, n_prototypes)
        self.prototypes.freeze(freeze_prototypes_epochs > 0)
        self.views = views
        self.codes_from = tuple(range(min(2, views.n_global)))  # the crops that give codes
        self.queues = (nn.ModuleList(KeyQueue(queue_size, proj_dim) for _ in self.codes_from)
                       if queue_size > 0 else None)
        self.temperature, self.epsilon = temperature, epsilon
        self.sinkhorn_iterations = sinkhorn_iterations
        self.freeze_prototypes_epochs = freeze_prototypes_epochs

    def project(self, images: torch.Tensor) -> torch.Tensor:
        """z = normalize(g(f(x))), (B, proj_dim)."""
        return F.normalize(self.projector(self.encoder(images)), dim=1)

    def training_step(self, batch: dict) -> dict:
        self.prototypes.normalize_()
        crops = self.views(batch["images"], generator=self.generator)
        n_global = self.views.n_global
        # One forward pass per resolution (crops of one size share a batch and its BN).
        zs = []
        for group in (crops[:n_global], crops[n_global:]):
            if group:
                zs.extend(self.project(torch.cat(group)).chunk(len(group)))
        scores = [self.prototypes(z) for z in zs]
        queue_scores = None
        if self.queues is not None and len(self.queues[0]) > 0:
            with torch.no_grad():
                queue_scores = [self.prototypes(q.keys()) for q in self.queues]
        loss = swav_loss(scores, codes_from=self.codes_from, temperature=self.temperature,
                         epsilon=self.epsilon, sinkhorn_iterations=self.sinkhorn_iterations,
                         queue_scores=queue_scores)
        out = {"loss": loss, "z_std": normalized_std(zs[0]),
               "prototypes_frozen": float(self.prototypes.frozen)}
        if self.queues is not None:
            for queue, i in zip(self.queues, self.codes_from):  # after the loss, as in SwAV
                queue.enqueue(zs[i].detach())
            out["queue_fill"] = len(self.queues[0]) / self.queues[0].size
        return out

    def on_epoch_start(self, epoch: int, epochs: int) -> None:
        # fit counts epochs from 1: frozen during epochs 1 .. freeze_prototypes_epochs
        self.prototypes.freeze(epoch <= self.freeze_prototypes_epochs)
