"""Cross-sensor contrast: each sensor of a device is a view of the same moment (CMC: Tian,
Krishnan, Isola, ECCV 2020, with sensors in place of colour channels).

The channels split into groups, one per sensor (accelerometer x, y, z; gyroscope x, y, z).
Each group has its own encoder f_g and projection head p_g; the groups of one series must
match each other and no other series of the batch:

    v = view(x)                               one view, so both sensors see the same moment
    z_g = normalize(p_g(f_g(v[:, group g])))  (B, P) for each group g
    loss = mean over pairs g < g' of  ( CE(z_g z_g'^T / tau, I) + CE(z_g' z_g^T / tau, I) ) / 2
                                      (CLIP's symmetric loss, losses.clip_loss)

What one sensor can say about the other is the motion itself, so that is what the features
keep. ``encode`` gives every group's features side by side, (B, G * D); ``encode_group`` one
sensor's alone, for retrieval across sensors.
"""
from __future__ import annotations

import itertools
import math

import torch
import torch.nn as nn

from ...augment import SeriesViews
from ...checks import fail, said
from ...losses import clip_loss
from ...models import ChannelGroupEncoder, MLPHead
from .common import SERIES_COMMON, SeriesMethod

SETTINGS = dict(
    SERIES_COMMON,       # encoder, in_channels, width, depth, repr_dim (per group), views
    groups=None,         # channel indices per sensor, e.g. [[0, 1, 2], [3, 4, 5]]; for_data
                         # reads them from the channel names (acc_*, gyro_*, ...)
    proj_dim=128,        # the projection the loss compares
    proj_hidden=512,     # hidden width of each 2-layer projection head
    temperature=0.1,     # InfoNCE's tau
)


def sensor_groups(channel_names) -> list | None:
    """Channel indices grouped by sensor, the name before the first "_" ("acc_x" -> "acc"), in
    order of first appearance; None when the names do not give two or more sensors."""
    if not channel_names or not all(isinstance(n, str) and "_" in n for n in channel_names):
        return None
    groups: dict[str, list] = {}
    for i, name in enumerate(channel_names):
        groups.setdefault(name.split("_")[0], []).append(i)
    return list(groups.values()) if len(groups) >= 2 else None


class CrossSensor(SeriesMethod):
    SETTINGS = SETTINGS

    def __init__(self, **settings):
        super().__init__(**settings)
        c = self.config
        if c["groups"] is None:
            fail("groups", "the channel indices of each sensor, e.g. [[0, 1, 2], [3, 4, 5]] "
                 "(CrossSensor.for_data(data) reads them from data.channel_names)", None)
        self.views = self.set_series_views(SeriesViews())
        self.check_series_encoder()
        self.encoder = ChannelGroupEncoder(c["in_channels"], c["groups"], c["width"],
                                           c["depth"], c["repr_dim"],   # checks the groups
                                           pool_padding=c["pool_padding"])
        c["groups"] = [list(g) for g in self.encoder.groups]            # plain data
        self.projectors = nn.ModuleList(
            MLPHead(c["repr_dim"], c["proj_hidden"], c["proj_dim"]) for _ in c["groups"])

    @classmethod
    def for_data(cls, data, **settings) -> "CrossSensor":
        """Sized for ``data``, the sensor groups read from its channel names unless given."""
        if settings.get("groups") is None:
            groups = sensor_groups(getattr(data, "channel_names", None))
            if groups is None:
                fail("data", "series whose channel names name two or more sensors "
                     "(acc_x, ..., gyro_x, ...), or groups=[[...], [...]]",
                     said(f"channel names {getattr(data, 'channel_names', None)}"))
            settings["groups"] = groups
        return super().for_data(data, **settings)

    def encode_group(self, inputs: torch.Tensor, group: int,
                     lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Features (B, D) of sensor ``group`` alone."""
        return self.encoder.per_group(inputs, group, lengths)

    def training_step(self, batch: dict) -> dict:
        v = self.views(self.inputs(batch), generator=self.generator)
        lengths = batch.get("lengths")
        z = [p(self.encoder.per_group(v, g, lengths)) for g, p in enumerate(self.projectors)]
        scale = math.log(1 / self.config["temperature"])   # clip_loss takes log(1 / tau)
        losses = [clip_loss(z[a], z[b], scale)
                  for a, b in itertools.combinations(range(len(z)), 2)]
        return {"loss": torch.stack(losses).mean()}
