"""Supervised learning from labels: the baseline that self-supervision is measured against.

The same encoder f, trained from scratch with a linear classifier W on top and cross-entropy
on one random view of each labelled item (the views are the augmentation a supervised
recipe would use too):

    h = f(view(x))  (B, D),   logits = W h + b  (B, n_classes),   loss = CE(logits, y)

``predict(x)`` gives class indices from the classifier. Its training step reads the batch's
labels, so ``fit`` on a set of few labels (``data.per_class(k)``) trains it on exactly those;
the label-efficiency lesson (notebook 03) compares it with a linear probe on self-supervised
features.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..augment import ImageViews
from ..checks import check_int, check_probability, fail, said
from .base import COMMON, Method

SETTINGS = dict(
    COMMON,             # encoder, in_channels, views (default ImageViews.simclr), image_size
    n_classes=10,       # outputs of the classifier; labels must lie in [0, n_classes)
    label_smoothing=0.0,  # cross-entropy's smoothing of the one-hot targets
)


class Supervised(Method):
    SETTINGS = SETTINGS

    def __init__(self, **settings):
        super().__init__(**settings)
        c = self.config
        check_int(c["n_classes"], "n_classes", minimum=2)
        check_probability(c["label_smoothing"], "label_smoothing", allow_one=False)
        self.views = self.set_views(c["views"], lambda: ImageViews.simclr(size=c["image_size"]))
        self.encoder = self.build_encoder()
        self.classifier = nn.Linear(self.encoder.feature_dim, c["n_classes"])

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """W f(x) + b: (B, n_classes)."""
        return self.classifier(self.encoder(x))

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Class indices (B,) of unaugmented inputs."""
        return self.logits(x).argmax(1)

    def batch_fields(self, data) -> dict:
        """The dataset's fields, its labels checked once against ``n_classes``."""
        fields = super().batch_fields(data)
        top = int(fields["labels"].max()) if len(fields["labels"]) else 0
        if top >= self.config["n_classes"]:
            fail("labels", f"class indices below n_classes={self.config['n_classes']}",
                 said(f"a label {top}; build Supervised with n_classes={top + 1} or more"))
        return fields

    def training_step(self, batch: dict) -> dict:
        y = batch["labels"]
        logits = self.logits(self.views(self.inputs(batch), generator=self.generator))
        loss = F.cross_entropy(logits, y, label_smoothing=self.config["label_smoothing"])
        return {"loss": loss, "accuracy": (logits.argmax(1) == y).float().mean().detach()}
