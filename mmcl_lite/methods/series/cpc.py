"""CPC, contrastive predictive coding (van den Oord, Li, Vinyals, arXiv:1807.03748, 2018).

A causal encoder gives per-step features z_t that see only x_0..x_t; a GRU summarises them
into a context c_t; from c_t, one linear map per horizon predicts the features k steps ahead,
and InfoNCE asks each prediction to pick the true z_{t+k} out of the series' other steps and
the other series' step t + k:

    z = f_causal(view(x))  (B, D, T),   c = GRU(z)  (B, Dc, T)
    loss = cpc_loss(c, z, [W_1 .. W_K], temperature)

Predicting the future well needs slow features of the series (its activity, its speaker),
which is what the downstream task reads. The representation is the max over steps of z.
"""
from __future__ import annotations

from ...augment import SeriesViews
from ...losses import cpc_loss
from ...models import ContextNetwork
from .common import SERIES_COMMON, SeriesMethod

SETTINGS = dict(
    SERIES_COMMON,       # encoder, in_channels, width, depth, repr_dim, views (default weak)
    horizons=8,          # K: predict 1..K steps ahead (fewer in a batch of shorter series)
    context_dim=128,     # Dc, the GRU's hidden size
    temperature=0.1,     # InfoNCE's tau on normalised predictions and targets
)


class CPC(SeriesMethod):
    SETTINGS = SETTINGS
    causal = True

    def __init__(self, **settings):
        super().__init__(**settings)
        c = self.config
        self.views = self.set_series_views(SeriesViews.weak())
        self.encoder = self.build_encoder()
        self.context = ContextNetwork(c["repr_dim"], c["context_dim"], kind="gru")
        self.predictors = self.build_predictors()

    def batch_fields(self, data) -> dict:
        fields = super().batch_fields(data)
        self.check_horizons(fields)
        return fields

    def training_step(self, batch: dict) -> dict:
        x = self.views(self.inputs(batch), generator=self.generator)
        lengths = batch.get("lengths")
        z = self.encoder.per_timestep(x, lengths=lengths)
        # a batch whose longest series has T' steps can predict at most T' - 1 ahead
        longest = x.shape[-1] if lengths is None else int(lengths.max())
        horizons = min(self.config["horizons"], longest - 1)
        loss = cpc_loss(self.context(z), z, self.predictors[:horizons],
                        temperature=self.config["temperature"], lengths=lengths)
        return {"loss": loss}
