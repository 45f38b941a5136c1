"""BYOL (Grill et al., "Bootstrap Your Own Latent", NeurIPS 2020).

An online network (encoder f, projector g, predictor q) learns to predict the projection of
another view made by a target network, an exponential moving average of the online one::

    p = q(g(f(view1))),  t = g_T(f_T(view2))  (no gradient)
    loss = ||p/|p| - t/|t| ||^2 = 2 - 2 cos(p, t),   symmetrised over the two views
    after each optimiser step:   theta_T <- tau * theta_T + (1 - tau) * theta_online

Its views are SimCLR's with the hue rotated anywhere on the colour wheel (``hue=0.5``), so that
colour becomes a much weaker cue for the two views to agree on.

tau follows a cosine schedule from ``base_tau`` up to 1 (``tau_schedule="cosine"``), or stays at
``base_tau`` (``"constant"``); the predictor learns at ``predictor_lr`` times the base lr.
With ``base_tau=0, tau_schedule="constant"`` the target is a copy of the online network after
every step, so BYOL becomes SimSiam (stop-gradient + predictor) with BYOL's loss, heads and
views.
The BYOL paper reports that this collapses with its settings (0.3% top-1, their Table 5); the
SimSiam paper finds the same architecture trains with its own settings (predictor, learning
rate), so the momentum is a help rather than the whole story. Notebook 05 compares tau = 0
with the schedule on the same budget.
"""
from __future__ import annotations

import torch

from ..augment import ImageViews
from ..losses import symmetric_negative_cosine
from ..models import MLPHead, build_encoder, copy_frozen, cosine_tau, ema_update
from .base import Method, capture_config
from .simsiam import normalized_std

TAU_SCHEDULES = ("cosine", "constant")


class BYOL(Method):
    def __init__(self, encoder: str = "convnet", in_channels: int = 3, proj_dim: int = 128,
                 proj_hidden: int = 512, pred_hidden: int = 512, base_tau: float = 0.96,
                 tau_schedule: str = "cosine", predictor_lr: float = 10.0, views=None,
                 image_size: int | None = None):
        # Full hue rotation: with SimCLR's mild hue jitter (0.1) colour survives both views, and
        # BYOL's target lets it settle on colour. Measured on shapes, 1,200 steps, linear probe:
        # 55.5 vs 46.4 (seed 0, notebook 07) and 51.4 vs 40.7 (seed 1) on a CPU; on a GPU (another
        # random stream) only 55.7 vs 53.5.
        # (SimSiam lost 12 points with the same change, so it stays BYOL's own default.)
        views = ImageViews.simclr(size=image_size).replace(hue=0.5) if views is None else views
        views = ImageViews(**views) if isinstance(views, dict) else views
        super().__init__(capture_config(locals()))
        if not 0.0 <= base_tau <= 1.0:
            raise ValueError(f"base_tau: expected a number in [0, 1], got {base_tau!r}")
        if tau_schedule not in TAU_SCHEDULES:
            raise ValueError(f"tau_schedule: expected one of {TAU_SCHEDULES}, got {tau_schedule!r}")
        if not predictor_lr > 0:
            raise ValueError(f"predictor_lr: expected a factor > 0, got {predictor_lr!r}")
        self.encoder = build_encoder(encoder, in_channels)
        self.projector = MLPHead(self.encoder.feature_dim, proj_hidden, proj_dim)
        self.predictor = MLPHead(proj_dim, pred_hidden, proj_dim)
        self.target_encoder = copy_frozen(self.encoder)      # EMA of the online network
        self.target_projector = copy_frozen(self.projector)  # (the target has no predictor)
        self.views = views
        self.base_tau, self.tau_schedule = base_tau, tau_schedule
        self.predictor_lr = predictor_lr
        self.tau = base_tau  # the tau of the next EMA update (reported by training_step)

    def lr_multipliers(self) -> dict[str, float]:
        # A predictor that keeps up with the projector is what makes BYOL learn fast (Tian et
        # al., ICML 2021, fit it near-optimally; SimSiam keeps its lr fixed). Measured on shapes,
        # 1,200 steps on a GPU (hue 0.1 views): linear probe 0.40 at 1x, 0.49-0.54 at 10x.
        return {"predictor.": self.predictor_lr}

    def tau_at(self, step: int, total_steps: int) -> float:
        if self.tau_schedule == "constant":
            return self.base_tau
        return cosine_tau(step, total_steps, self.base_tau)

    def project(self, images: torch.Tensor) -> torch.Tensor:
        """z = g(f(x)): the online network's projection, (B, proj_dim)."""
        return self.projector(self.encoder(images))

    @torch.no_grad()
    def target(self, images: torch.Tensor) -> torch.Tensor:
        """t = g_T(f_T(x)): the target network's projection, no gradient."""
        return self.target_projector(self.target_encoder(images))

    def training_step(self, batch: dict) -> dict:
        images = batch["images"]
        v1, v2 = self.views.pair(images, generator=self.generator)
        z1, z2 = self.project(v1), self.project(v2)
        p1, p2 = self.predictor(z1), self.predictor(z2)  # p = q(z)
        t1, t2 = self.target(v1), self.target(v2)
        # 2 - 2 cos, averaged over both directions: 2 + 2 * (symmetrised negative cosine)
        loss = 2 + 2 * symmetric_negative_cosine(p1, p2, t1, t2)
        return {"loss": loss, "tau": self.tau, "z_std": normalized_std(z1)}

    def on_step_end(self, step: int, total_steps: int) -> None:
        tau = self.tau_at(step, total_steps)
        ema_update(self.target_encoder, self.encoder, tau)
        ema_update(self.target_projector, self.projector, tau)
        self.tau = self.tau_at(step + 1, total_steps)
