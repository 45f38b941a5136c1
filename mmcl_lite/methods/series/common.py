"""What the series methods share: their settings, their encoder, and the steps of a batch.

Every series method reads a batch ``{"series": (B, C, T), "lengths": (B,) when padded, ...}``
and keeps as its representation the encoder's max-pool over each series' real steps,
(B, D) = max_t f(x)[:, :, t], which ``evaluation.evaluate_series`` probes.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ...augment import SeriesViews
from ...checks import check_int, fail, said
from ...models import build_series_encoder
from ..base import Method

# Settings every series method has (the encoder is TS2Vec's by default, the same for all of
# them, so that a comparison is about the objective).
SERIES_COMMON = dict(
    encoder="dilated_conv",  # the series backbone (models.ENCODERS)
    in_channels=1,           # channels C of the series (for_data reads it from the data)
    width=64,                # hidden channels of the dilated convolutions
    depth=10,                # residual blocks: receptive field 1 + 4 (2^depth - 1) steps
    repr_dim=320,            # D, per time step and after the max-pool
    pool_padding=True,       # padded series: max-pool over the whole padded window, as the
                             # TS2Vec and TS-TCC code do (False: over the real steps only)
    views=None,              # a SeriesViews (or its dict); None: the method's own default
    seed=None,               # an int makes the initial weights repeat exactly
)

NO_VIEWS = SeriesViews(crop_scale=(1.0, 1.0), scale_sigma=0.0, jitter_sigma=0.0)


class SeriesMethod(Method, register=False):
    """A method on series: builds the configured series encoder; ``valid`` marks real steps."""

    causal = False  # CPC's encoder must not see the future it predicts

    def check_series_encoder(self) -> None:
        """A clear error when ``encoder`` names a backbone of another modality."""
        if self.input_modality != "series":
            fail("encoder", f"a series encoder for {type(self).__name__} (dilated_conv)",
                 self.config["encoder"])

    def build_encoder(self):
        c = self.config
        self.check_series_encoder()
        return build_series_encoder(c["encoder"], c["in_channels"], c["width"], c["depth"],
                                    c["repr_dim"], causal=self.causal,
                                    pool_padding=c["pool_padding"])

    def set_series_views(self, default: SeriesViews, key: str = "views") -> SeriesViews:
        """``config[key]``, or ``default`` when it is None (recorded as plain data)."""
        views = self.config[key]
        views = self.set_views(default if views is None else views, None, key)
        if not isinstance(views, SeriesViews):
            fail(key, f"SeriesViews for {type(self).__name__}", said(type(views).__name__),
                 TypeError)
        return views

    def build_predictors(self) -> nn.ModuleList:
        """One linear map W_k: context_dim -> repr_dim per horizon k = 1..``horizons``."""
        c = self.config
        check_int(c["horizons"], "horizons", minimum=1)
        check_int(c["context_dim"], "context_dim", minimum=1)
        return nn.ModuleList(nn.Linear(c["context_dim"], c["repr_dim"])
                             for _ in range(c["horizons"]))

    def check_horizons(self, data_fields: dict) -> None:
        """``horizons`` must leave a step to predict from: fewer than the series' T steps."""
        steps = data_fields["series"].shape[-1]
        if self.config["horizons"] >= steps:
            fail("horizons", f"fewer than the series' {steps} steps (a prediction k steps "
                 "ahead needs a step t and a step t + k)", self.config["horizons"])

    @staticmethod
    def valid(batch: dict, x: torch.Tensor) -> torch.Tensor:
        """(B, T) bool: True on each series' real steps (all of them when not padded)."""
        lengths = batch.get("lengths")
        if lengths is None:
            return torch.ones(x.shape[0], x.shape[-1], dtype=torch.bool, device=x.device)
        return torch.arange(x.shape[-1], device=x.device)[None, :] < lengths[:, None]

    @staticmethod
    def shortest(batch: dict, x: torch.Tensor) -> int:
        """The fewest real steps of any series in the batch (T when not padded)."""
        lengths = batch.get("lengths")
        return x.shape[-1] if lengths is None else int(lengths.min())
