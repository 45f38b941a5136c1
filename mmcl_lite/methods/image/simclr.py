"""SimCLR (Chen, Kornblith, Norouzi, Hinton, ICML 2020).

Two random views of each image go through the same encoder f and projection head g;
the NT-Xent loss pulls the two views of an image together and pushes the other 2N-2 apart:

    h = f(view),  z = g(h),  loss = nt_xent(z1, z2, temperature)

The representation kept for downstream tasks is h (before the head): the head absorbs the
invariances the loss asks for, so h keeps more information (notebook 03 measures this).
"""
from __future__ import annotations

import torch

from ...augment import ImageViews
from ...losses import nt_xent
from ...models import MLPHead
from ..base import COMMON, Method

SETTINGS = dict(
    COMMON,             # encoder, in_channels, views (default ImageViews.simclr), image_size
    proj_dim=128,       # z = g(h), what the loss sees
    proj_hidden=512,    # hidden width of the 2-layer projection head g
    temperature=0.1,    # NT-Xent's tau
)


class SimCLR(Method):
    SETTINGS = SETTINGS

    def __init__(self, **settings):
        super().__init__(**settings)
        c = self.config
        self.views = self.set_views(c["views"], lambda: ImageViews.simclr(size=c["image_size"]))
        self.encoder = self.build_encoder()
        self.projector = MLPHead(self.encoder.feature_dim, c["proj_hidden"], c["proj_dim"])
        self.temperature = c["temperature"]

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """z = g(f(x)): the embedding the loss sees, (B, proj_dim)."""
        return self.projector(self.encoder(x))

    def training_step(self, batch: dict) -> dict:
        v1, v2 = self.views.pair(self.inputs(batch), generator=self.generator)
        z1, z2 = self.project(v1), self.project(v2)
        loss = nt_xent(z1, z2, temperature=self.temperature)
        return {"loss": loss}
