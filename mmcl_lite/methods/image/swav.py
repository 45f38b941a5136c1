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

The defaults keep SwAV on the object: global crops that keep 60-100% of the image, no local
crops, no queue and 100 prototypes. A clustering objective is satisfied by any partition that
two views agree on: when a crop can miss a small object, colour and background are the main
signal the views share, and the clusters follow those. Notebooks 06 and 07 measure this
against the paper's multi-crop and queue.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...augment import MultiCropViews
from ...checks import check_int, check_number, check_range, fail, said
from ...losses import embedding_std, swav_loss
from ...models import KeyQueue, MLPHead, Prototypes
from ..base import COMMON, Method

SETTINGS = dict(
    COMMON,                     # encoder, in_channels, views (a MultiCropViews), image_size
                                # (side of the global crops, default 32; local ones are half)
    proj_dim=128,               # z, scored against the prototypes
    proj_hidden=512,            # hidden width of the projection head
    n_prototypes=100,           # K clusters on the unit sphere
    temperature=0.1,            # of the softmax over prototype scores
    epsilon=0.05,               # Sinkhorn's entropic regularisation
    sinkhorn_iterations=3,
    freeze_prototypes_epochs=1,  # prototypes stay fixed for the first epochs
    queue_size=0,               # > 0: earlier embeddings join Sinkhorn
    n_local=0,                  # local crops per image (when views is None)
    crop_scale=(0.6, 1.0),      # the global crops' area (when views is None)
)


class SwAV(Method):
    SETTINGS = SETTINGS

    def __init__(self, **settings):
        super().__init__(**settings)
        c = self.config
        check_int(c["n_prototypes"], "n_prototypes", minimum=1)
        check_number(c["epsilon"], "epsilon", low=0.0, low_open=True)
        check_int(c["sinkhorn_iterations"], "sinkhorn_iterations", minimum=1)
        check_int(c["freeze_prototypes_epochs"], "freeze_prototypes_epochs", minimum=0)
        check_int(c["queue_size"], "queue_size", minimum=0)
        check_int(c["n_local"], "n_local", minimum=0)
        check_range(c["crop_scale"], "crop_scale", 0.0, 1.0, low_open=True)
        views = self.set_views(c["views"], lambda: MultiCropViews.swav(
            c["image_size"] or 32, n_local=c["n_local"], global_scale=tuple(c["crop_scale"])))
        if not isinstance(views, MultiCropViews):
            fail("views", "a MultiCropViews (or its dict)", views, TypeError)
        # the config records what the views really are (given views override both settings)
        c["n_local"], c["crop_scale"] = views.n_local, views.global_views.crop_scale
        if views.n_global + views.n_local < 2:
            fail("views", "at least 2 crops per image",
                 said(f"{views.n_global} global + {views.n_local} local"))
        self.encoder = self.build_encoder()
        self.projector = MLPHead(self.encoder.feature_dim, c["proj_hidden"], c["proj_dim"])
        self.prototypes = Prototypes(c["proj_dim"], c["n_prototypes"])
        self.prototypes.freeze(c["freeze_prototypes_epochs"] > 0)
        self.views = views
        self.codes_from = tuple(range(min(2, views.n_global)))  # the crops that give codes
        self.queues = (nn.ModuleList(KeyQueue(c["queue_size"], c["proj_dim"])
                                     for _ in self.codes_from) if c["queue_size"] > 0 else None)
        self.temperature, self.epsilon = c["temperature"], c["epsilon"]
        self.sinkhorn_iterations = c["sinkhorn_iterations"]
        self.freeze_prototypes_epochs = c["freeze_prototypes_epochs"]

    def project(self, images: torch.Tensor) -> torch.Tensor:
        """z = normalize(g(f(x))), (B, proj_dim)."""
        return F.normalize(self.projector(self.encoder(images)), dim=1)

    def training_step(self, batch: dict) -> dict:
        self.prototypes.normalize_()
        crops = self.views(self.inputs(batch), generator=self.generator)
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
        out = {"loss": loss, "z_std": embedding_std(zs[0]),
               "prototypes_frozen": float(self.prototypes.frozen)}
        if self.queues is not None:
            for queue, i in zip(self.queues, self.codes_from):  # after the loss, as in SwAV
                queue.enqueue(zs[i].detach())
            out["queue_fill"] = len(self.queues[0]) / self.queues[0].size
        return out

    def on_epoch_start(self, epoch: int, epochs: int) -> None:
        # fit counts epochs from 1: frozen during epochs 1 .. freeze_prototypes_epochs
        self.prototypes.freeze(epoch <= self.freeze_prototypes_epochs)
