"""SimSiam (Chen and He, "Exploring Simple Siamese Representation Learning", CVPR 2021).

No negatives, no momentum encoder: two views go through the same encoder f and projector g,
a small predictor h maps one view's projection onto the other's, and the target side gets
no gradient (stop-gradient)::

    z = g(f(view)),  p = h(z),   loss = D(p1, sg(z2)) / 2 + D(p2, sg(z1)) / 2,
    D(p, z) = -cos(p, z)

Nothing in this loss forbids the trivial solution "every image gives the same z" (loss -1).
SimSiam avoids it in practice only with both the stop-gradient and the predictor; the flags
``stop_gradient=False`` and ``use_predictor=False`` remove them, so that notebook 05 can show
the collapse. Watch the ``z_std`` scalar that training_step reports: the std of the
normalised projections z times sqrt(dim), about 1 when they are spread out and 0 when every
image gives the same z. The BN without affine at the end of the projector (``proj_last_bn``)
standardises every dimension of z over the batch, so z can never become one constant point;
it blunts the collapse to a "dimensional" one (all dimensions carrying the same signal).
``proj_last_bn=False`` shows the full collapse: without the stop-gradient, z_std heads for 0
and the effective rank of z for 1, the values of a single point (notebook 05 measures both).
The backbone itself need not collapse as far: the projector alone can absorb the trivial
solution.

The heads are the SimSiam paper's CIFAR ones: a 2,048-wide projector and a 512-wide predictor
bottleneck (notebook 05 compares them with narrower ones). With them, and with AdamW, the small
ConvNet on shapes loses feature dimensions early and does not learn; BYOL's heads (projector
512 -> 128, predictor 512) with ``predictor_lr_scale=10`` do (``tests/test_learning.py``).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...augment import ImageViews
from ...checks import check_bool, check_positive
from ...losses import embedding_std, symmetric_negative_cosine
from ...models import MLPHead
from ..base import COMMON, Method

SETTINGS = dict(
    COMMON,              # encoder, in_channels, views (default ImageViews.simclr), image_size
    proj_dim=2048,       # z = g(h)
    proj_hidden=2048,    # hidden width of the projector g
    pred_hidden=512,     # the predictor's bottleneck (dim / 4 in the paper)
    stop_gradient=True,  # False: the ablation that collapses
    use_predictor=True,  # False: the other ablation
    proj_last_bn=True,   # BN without affine on z, as in the SimSiam code
    predictor_lr_scale=1.0,  # the predictor learns at this multiple of the base lr (the paper
                             # keeps it undecayed; BYOL's 10 also lets SimSiam learn on shapes)
)


class SimSiam(Method):
    SETTINGS = SETTINGS

    def __init__(self, **settings):
        super().__init__(**settings)
        c = self.config
        for name in ("stop_gradient", "use_predictor", "proj_last_bn"):
            check_bool(c[name], name)
        check_positive(c["predictor_lr_scale"], "predictor_lr_scale")
        self.views = self.set_views(c["views"], lambda: ImageViews.simclr(size=c["image_size"]))
        self.encoder = self.build_encoder()
        self.projector = MLPHead(self.encoder.feature_dim, c["proj_hidden"], c["proj_dim"],
                                 last_bn=c["proj_last_bn"])
        self.predictor = (MLPHead(c["proj_dim"], c["pred_hidden"], c["proj_dim"])
                          if c["use_predictor"] else nn.Identity())
        self.stop_gradient, self.use_predictor = c["stop_gradient"], c["use_predictor"]

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """z = g(f(x)), (B, proj_dim)."""
        return self.projector(self.encoder(x))

    def similarity_loss(self, p1, p2, z1, z2) -> torch.Tensor:
        """D(p1, z2)/2 + D(p2, z1)/2, with the stop-gradient on z unless it is switched off."""
        if self.stop_gradient:
            return symmetric_negative_cosine(p1, p2, z1, z2)
        # The ablation: the same formula, but the gradient also flows into the targets.
        return -0.5 * (F.cosine_similarity(p1, z2, dim=1).mean()
                       + F.cosine_similarity(p2, z1, dim=1).mean())

    def training_step(self, batch: dict) -> dict:
        v1, v2 = self.views.pair(self.inputs(batch), generator=self.generator)
        z1, z2 = self.project(v1), self.project(v2)
        p1, p2 = self.predictor(z1), self.predictor(z2)
        loss = self.similarity_loss(p1, p2, z1, z2)
        return {"loss": loss, "z_std": embedding_std(z1)}
