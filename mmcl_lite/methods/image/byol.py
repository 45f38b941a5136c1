"""BYOL (Grill et al., "Bootstrap Your Own Latent", NeurIPS 2020).

An online network (encoder f, projector g, predictor q) learns to predict the projection of
another view made by a target network, an exponential moving average of the online one::

    p = q(g(f(view1))),  t = g_T(f_T(view2))  (no gradient)
    loss = ||p/|p| - t/|t| ||^2 = 2 - 2 cos(p, t),   symmetrised over the two views
    after each optimiser step:   theta_T <- tau * theta_T + (1 - tau) * theta_online

Its views are SimCLR's with the hue rotated anywhere on the colour wheel (``hue=0.5``), so that
colour becomes a much weaker cue for the two views to agree on.

The EMA coefficient tau follows a cosine schedule from ``ema`` up to 1
(``ema_schedule="cosine"``), or stays at ``ema`` (``"constant"``); the predictor learns at
``predictor_lr_scale`` times the base lr. With ``ema=0, ema_schedule="constant"`` the target is
a copy of the online network after every step, so BYOL becomes SimSiam (stop-gradient +
predictor) with BYOL's loss, heads and views.
The BYOL paper reports that this collapses with its settings (0.3% top-1, their Table 5); the
SimSiam paper finds the same architecture trains with its own settings (predictor, learning
rate), so the momentum is a help rather than the whole story. Notebook 05 compares tau = 0
with the schedule on the same budget.
"""
from __future__ import annotations

import torch

from ...augment import ImageViews
from ...checks import check_choice, check_positive
from ...losses import embedding_std, symmetric_negative_cosine
from ...models import MLPHead, copy_frozen, cosine_tau, ema_update
from ..base import COMMON, Method

EMA_SCHEDULES = ("cosine", "constant")

SETTINGS = dict(
    COMMON,                 # encoder, in_channels, views, image_size; the default views are
                            # SimCLR's with the hue turned anywhere on the colour wheel
                            # (hue=0.5), so colour is a weak cue for the views to agree on
    proj_dim=128,           # z = g(h)
    proj_hidden=512,        # hidden width of the projector g
    pred_hidden=512,        # hidden width of the predictor q
    ema=0.96,               # the target's EMA coefficient tau at step 0
    ema_schedule="cosine",  # "cosine": tau rises to 1 over training; "constant": stays at ema
    predictor_lr_scale=10.0,  # the predictor learns at this multiple of the base lr
)


class BYOL(Method):
    SETTINGS = SETTINGS

    def __init__(self, **settings):
        super().__init__(**settings)
        c = self.config
        check_choice(c["ema_schedule"], "ema_schedule", EMA_SCHEDULES)
        check_positive(c["predictor_lr_scale"], "predictor_lr_scale")
        self.views = self.set_views(
            c["views"], lambda: ImageViews.simclr(size=c["image_size"]).replace(hue=0.5))
        self.encoder = self.build_encoder()
        self.projector = MLPHead(self.encoder.feature_dim, c["proj_hidden"], c["proj_dim"])
        self.predictor = MLPHead(c["proj_dim"], c["pred_hidden"], c["proj_dim"])
        self.target_encoder = copy_frozen(self.encoder)      # EMA of the online network
        self.target_projector = copy_frozen(self.projector)  # (the target has no predictor)
        self.tau = c["ema"]  # the tau of the next EMA update (reported by training_step)

    def tau_at(self, step: int, total_steps: int) -> float:
        if self.config["ema_schedule"] == "constant":
            return self.config["ema"]
        return cosine_tau(step, total_steps, self.config["ema"])

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """z = g(f(x)): the online network's projection, (B, proj_dim)."""
        return self.projector(self.encoder(x))

    @torch.no_grad()
    def target(self, x: torch.Tensor) -> torch.Tensor:
        """t = g_T(f_T(x)): the target network's projection, no gradient."""
        return self.target_projector(self.target_encoder(x))

    def training_step(self, batch: dict) -> dict:
        v1, v2 = self.views.pair(self.inputs(batch), generator=self.generator)
        z1, z2 = self.project(v1), self.project(v2)
        p1, p2 = self.predictor(z1), self.predictor(z2)  # p = q(z)
        t1, t2 = self.target(v1), self.target(v2)
        # 2 - 2 cos, averaged over both directions: 2 + 2 * (symmetrised negative cosine)
        loss = 2 + 2 * symmetric_negative_cosine(p1, p2, t1, t2)
        return {"loss": loss, "tau": self.tau, "z_std": embedding_std(z1)}

    def on_fit_start(self, step: int, total_steps: int) -> None:
        self.tau = self.tau_at(step, total_steps)

    def on_step_end(self, step: int, total_steps: int) -> None:
        tau = self.tau_at(step, total_steps)
        ema_update(self.target_encoder, self.encoder, tau)
        ema_update(self.target_projector, self.projector, tau)
        self.tau = self.tau_at(step + 1, total_steps)
