"""TS2Vec (Yue, Wang, Duan, Yang, Huang, Tong, Xu, AAAI 2022).

Contextual consistency: the same time steps, seen through two different windows of a series
and with different steps masked, must get the same representation.

    v1, v2, l = overlapping_crops(x)              v1[..., -l:] and v2[..., :l] are the same steps
    r_i = f(v_i, mask = Bernoulli(1 - p))         per-step (B, D, T_i), masked after f's input
                                                  projection (timestamp masking)
    loss = hierarchical_contrastive_loss(r1[..., -l:], r2[..., :l], alpha)

The loss contrasts each step against the other series (instance) and the other steps of the
same series (temporal), at every scale of a max-pool pyramid. There is no projection head and
no other augmentation: the crop and the mask are the views. The representation of a whole
series is the max over its steps of f(x), unmasked, where f is (with ``swa``, as TS2Vec's code
does) the average of the encoder's weights after every step, theta_avg = mean_s theta_s.
"""
from __future__ import annotations

import torch

from ...augment.series.crops import overlapping_crops
from ...checks import check_bool, check_int, check_number, check_probability
from ...losses import hierarchical_contrastive_loss
from ...models import copy_frozen, ema_update
from .common import NO_VIEWS, SERIES_COMMON, SeriesMethod

SETTINGS = dict(
    SERIES_COMMON,        # encoder, in_channels, width, depth, repr_dim, views (default none)
    mask_p=0.5,           # probability that a time step is masked in a view
    alpha=0.5,            # weight of the instance term; 1 - alpha weighs the temporal one
    temporal_unit=0,      # the first pyramid level with a temporal term (0: all of them)
    swa=True,             # represent with the running mean of the weights over the steps
                          # (TS2Vec's AveragedModel); False: the last weights
)


class TS2Vec(SeriesMethod):
    SETTINGS = SETTINGS

    def __init__(self, **settings):
        super().__init__(**settings)
        c = self.config
        check_probability(c["mask_p"], "mask_p", allow_one=False)
        check_number(c["alpha"], "alpha", 0.0, 1.0)
        check_int(c["temporal_unit"], "temporal_unit", minimum=0)
        check_bool(c["swa"], "swa")
        self.views = self.set_series_views(NO_VIEWS)
        self.encoder = self.build_encoder()
        # the weights' running mean, updated after each step (a copy of the encoder until then)
        self.averaged = copy_frozen(self.encoder)
        self.register_buffer("n_averaged", torch.zeros((), dtype=torch.long))

    def represented_by(self):
        """The encoder that represents series: the averaged one with ``swa``."""
        return self.averaged if self.config["swa"] else self.encoder

    def encode(self, inputs: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.represented_by()(inputs, lengths=lengths)

    def per_timestep(self, inputs: torch.Tensor, lengths: torch.Tensor | None = None):
        """The representation of every step, (B, D, T)."""
        return self.represented_by().per_timestep(inputs, lengths=lengths)

    def on_step_end(self, step: int, total_steps: int) -> None:
        n = int(self.n_averaged)
        ema_update(self.averaged, self.encoder, n / (n + 1))    # mean of the n + 1 iterates
        self.n_averaged += 1

    def _masked(self, v: torch.Tensor) -> torch.Tensor:
        """Per-step features of crop ``v`` (B, C + 1, L) whose last channel flags real steps,
        with each real step kept with probability 1 - mask_p."""
        x, real = v[:, :-1], v[:, -1] > 0.5
        keep = torch.rand(real.shape, generator=self.generator, device=self.generator.device)
        keep = keep.to(x.device) >= self.config["mask_p"]
        return self.encoder.per_timestep(x, mask=real & keep)

    def training_step(self, batch: dict) -> dict:
        x = self.views(self.inputs(batch), generator=self.generator)
        # the real-step flags ride along as one more channel, so both crops cut them alike
        flagged = torch.cat([x, self.valid(batch, x)[:, None].to(x.dtype)], dim=1)
        v1, v2, l = overlapping_crops(flagged, 2 ** (self.config["temporal_unit"] + 1),
                                      generator=self.generator)
        r1, r2 = self._masked(v1)[..., -l:], self._masked(v2)[..., :l]
        loss = hierarchical_contrastive_loss(r1, r2, alpha=self.config["alpha"],
                                             temporal_unit=self.config["temporal_unit"])
        return {"loss": loss, "overlap": torch.tensor(float(l))}
