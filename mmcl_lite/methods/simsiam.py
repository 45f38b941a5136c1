"""SimSiam (Chen and He, "Exploring Simple Siamese Representation Learning", CVPR 2021).

No negatives, no momentum encoder: two views go through the same encoder f and projector g,
a small predictor h maps one view's projection onto the other's, and the target side gets
no gradient (stop-gradient)::

    z = g(f(view)),  p = h(z),   loss = D(p1, sg(z2)) / 2 + D(p2, sg(z1)) / 2,
    D(p, z) = -cos(p, z)

Nothing in this loss forbids the trivial solution "every image gives the same z" (loss -1).
SimSiam avoids it in practice only with both the stop-gradient and the predictor; the flags
``stop_gradient=False`` and ``use_predictor=False`` remove them, so that notebook 05 can show
the collapse. Watch the ``z_std`` scalar that training_step reports: the std of the
normalised projections z times sqrt(dim), about 1 when they are spread out and 0 when every
image gives the same z. The BN without affine at the end of the projector (``proj_last_bn``)
standardises every dimension of z over the batch, so z can never become one constant point;
it blunts the collapse to a "dimensional" one (all dimensions carrying the same signal).
``proj_last_bn=False`` shows the full collapse: without the stop-gradient, z_std falls below
0.01 and the effective rank of z to about 1 (notebook 05 measures it). The backbone itself need
not collapse as far: the projector alone can absorb the trivial solution.

The heads are the SimSiam paper's CIFAR ones: a 2,048-wide projector and a 512-wide predictor
bottleneck. On shapes (1,200 steps, batch 128, weight decay 0.01, CPU) they beat the
256-wide projector with a 128-wide predictor on both seeds measured: linear probe 53.7% against
44.6% (seed 0) and 48.1% against 39.7% (seed 1), for about 1.5x the time per step.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..augment import ImageViews
from ..losses import symmetric_negative_cosine
from ..models import MLPHead, build_encoder
from .base import Method, capture_config


def normalized_std(z: torch.Tensor) -> torch.Tensor:
    """Mean per-dimension std of L2-normalised z, times sqrt(dim): ~1 spread out, 0 collapsed."""
    z = F.normalize(z.detach().float(), dim=1)
    return z.std(dim=0).mean() * z.shape[1] ** 0.5


class SimSiam(Method):
    def __init__(self, encoder: str = "convnet", in_channels: int = 3, proj_dim: int = 2048,
                 proj_hidden: int = 2048, pred_hidden: int = 512, views=None,
                 image_size: int | None = None, stop_gradient: bool = True,
                 use_predictor: bool = True, proj_last_bn: bool = True):
        views = ImageViews.simclr(size=image_size) if views is None else views
        views = ImageViews(**views) if isinstance(views, dict) else views
        super().__init__(capture_config(locals()))
        self.encoder = build_encoder(encoder, in_channels)
        # projector: BN (without affine) on its output too, as in the SimSiam code
        self.projector = MLPHead(self.encoder.feature_dim, proj_hidden, proj_dim,
                                 last_bn=proj_last_bn)
        # predictor: a bottleneck MLP (hidden = dim / 4 in the paper)
        self.predictor = MLPHead(proj_dim, pred_hidden, proj_dim) if use_predictor else nn.Identity()
        self.views = views
        self.stop_gradient, self.use_predictor = stop_gradient, use_predictor

    def project(self, images: torch.Tensor) -> torch.Tensor:
        """z = g(f(x)), (B, proj_dim)."""
        return self.projector(self.encoder(images))

    def similarity_loss(self, p1, p2, z1, z2) -> torch.Tensor:
        """D(p1, z2)/2 + D(p2, z1)/2, with the stop-gradient on z unless it is switched off."""
        if self.stop_gradient:
            return symmetric_negative_cosine(p1, p2, z1, z2)
        # The ablation: the same formula, but the gradient also flows into the targets.
        return -0.5 * (F.cosine_similarity(p1, z2, dim=1).mean()
                       + F.cosine_similarity(p2, z1, dim=1).mean())

    def training_step(self, batch: dict) -> dict:
        images = batch["images"]
        v1, v2 = self.views.pair(images, generator=self.generator)
        z1, z2 = self.project(v1), self.project(v2)
        p1, p2 = self.predictor(z1), self.predictor(z2)
        loss = self.similarity_loss(p1, p2, z1, z2)
        return {"loss": loss, "z_std": normalized_std(z1)}
