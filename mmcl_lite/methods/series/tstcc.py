"""TS-TCC (Eldele, Ragab, Chen, Wu, Kwoh, Li, Guan, IJCAI 2021).

Two views of each series, a weak one (scale and jitter) and a strong one (shuffled segments
and jitter), go through one encoder. Two contrasts tie them together:

    z^w, z^s = normalize(f(weak(x))), normalize(f(strong(x)))      per step, (B, D, T)
    c^w, c^s = context(z^w)[:, :, t], context(z^s)[:, :, t]       a causal summary up to a
                                                                    random step t
    temporal:   c^s predicts z^w_{t+1..t+K} and c^w predicts z^s_{t+1..t+K}, each against the
                other series' futures (temporal_contrast_loss)
    contextual: NT-Xent between g(c^w) and g(c^s) over the batch (g a projection head)

    loss = lambda_tc * (TC(c^s -> z^w) + TC(c^w -> z^s)) + lambda_cc * NT-Xent

Predicting one view's future from the other view's past makes the features robust to the
perturbations and predictive across time. The representation is the max over steps of f(x).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ...augment import SeriesViews
from ...checks import check_number, check_positive
from ...losses import nt_xent, temporal_contrast_loss
from ...models import ContextNetwork, MLPHead
from .common import SERIES_COMMON, SeriesMethod

SETTINGS = dict(
    SERIES_COMMON,        # encoder, in_channels, width, depth, repr_dim, views (default weak)
    strong_views=None,    # the strong views; None: SeriesViews.strong()
    horizons=4,           # K future steps predicted (fewer when a batch's series are short)
    context_dim=64,       # Dc of the causal transformer (a multiple of its 4 heads)
    proj_dim=32,          # the contextual contrast's projection
    temperature=0.2,      # NT-Xent's tau for the contextual contrast (TS-TCC's value)
    lambda_tc=1.0,        # weight of the temporal contrast (TS-TCC's lambda_1)
    lambda_cc=0.7,        # weight of the contextual contrast (TS-TCC's lambda_2)
)


class TSTCC(SeriesMethod):
    SETTINGS = SETTINGS

    def __init__(self, **settings):
        super().__init__(**settings)
        c = self.config
        check_number(c["lambda_tc"], "lambda_tc", low=0.0)
        check_number(c["lambda_cc"], "lambda_cc", low=0.0)
        check_positive(c["temperature"], "temperature")
        self.views = self.set_series_views(SeriesViews.weak())
        self.strong_views = self.set_series_views(SeriesViews.strong(), "strong_views")
        self.encoder = self.build_encoder()
        self.context = ContextNetwork(c["repr_dim"], c["context_dim"], kind="transformer")
        self.predictors = self.build_predictors()
        self.projector = MLPHead(c["context_dim"], c["context_dim"], c["proj_dim"])

    def _step(self, x: torch.Tensor, views, lengths) -> torch.Tensor:
        """Unit per-step features of a view of x: (B, D, T)."""
        z = self.encoder.per_timestep(views(x, generator=self.generator), lengths=lengths)
        return F.normalize(z, dim=1)

    def batch_fields(self, data) -> dict:
        fields = super().batch_fields(data)
        self.check_horizons(fields)
        return fields

    def training_step(self, batch: dict) -> dict:
        x, lengths = self.inputs(batch), batch.get("lengths")
        zw, zs = self._step(x, self.views, lengths), self._step(x, self.strong_views, lengths)
        # an anchor step t with K real steps after it in every series of the batch
        shortest = self.shortest(batch, x)
        horizons = min(self.config["horizons"], shortest - 1)
        t = int(torch.randint(shortest - horizons, (1,), generator=self.generator,
                              device=self.generator.device))
        cw = self.context(zw[..., : t + 1])[..., t]                    # (B, Dc)
        cs = self.context(zs[..., : t + 1])[..., t]
        future = slice(t + 1, t + 1 + horizons)
        maps = self.predictors[:horizons]
        tc = (temporal_contrast_loss(cs, zw[..., future], maps)
              + temporal_contrast_loss(cw, zs[..., future], maps))
        cc = nt_xent(self.projector(cw), self.projector(cs), temperature=self.config["temperature"])
        loss = self.config["lambda_tc"] * tc + self.config["lambda_cc"] * cc
        return {"loss": loss, "temporal": tc.detach(), "contextual": cc.detach()}
