"""SimCLR (Chen, Kornblith, Norouzi, Hinton, ICML 2020).

Two random views of each image go through the same encoder f and projection head g;
the NT-Xent loss pulls the two views of an image together and pushes the other 2N-2 apart:

    h = f(view),  z = g(h),  loss = nt_xent(z1, z2, temperature)

The representation kept for downstream tasks is h (before the head): the head absorbs the
invariances the loss asks for, so h keeps more information (notebook 03 measures this).
"""
from __future__ import annotations

import torch

from ..augment import ImageViews
from ..losses import nt_xent
from ..models import MLPHead, build_encoder
from .base import Method, capture_config


class SimCLR(Method):
    def __init__(self, encoder: str = "convnet", in_channels: int = 3, proj_dim: int = 128,
                 proj_hidden: int = 512, temperature: float = 0.1, views=None,
                 image_size: int | None = None):
        views = ImageViews.simclr(size=image_size) if views is None else views
        views = ImageViews(**views) if isinstance(views, dict) else views
        super().__init__(capture_config(locals()))
        self.encoder = build_encoder(encoder, in_channels)
        self.projector = MLPHead(self.encoder.feature_dim, proj_hidden, proj_dim)
        self.views = views
        self.temperature = temperature

    def project(self, images: torch.Tensor) -> torch.Tensor:
        """z = g(f(x)): the embedding the loss sees, (B, proj_dim)."""
        return self.projector(self.encoder(images))

    def training_step(self, batch: dict) -> dict:
        images = batch["images"]
        v1, v2 = self.views.pair(images, generator=self.generator)
        z1, z2 = self.project(v1), self.project(v2)
        loss = nt_xent(z1, z2, temperature=self.temperature)
        return {"loss": loss}
