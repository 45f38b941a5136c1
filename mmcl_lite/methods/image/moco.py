"""MoCo v2 (He et al., CVPR 2020; Chen, Fan, Girshick, He, arXiv:2003.04297, 2020).

Contrastive learning with a dictionary that is bigger than the batch. The query encoder
f_q (backbone + MLP head) is trained by gradient descent; the key encoder f_k is a momentum
(EMA) copy of it, and the keys of the last ``queue_size`` samples wait in a FIFO queue as
negatives::

    q = f_q(view1),  k = f_k(view2)  (no gradient),   loss = info_nce(q, k, queue, t)
    after the optimiser step:   theta_k <- m * theta_k + (1 - m) * theta_q   (m = ``ema``)
    then the batch's keys enter the queue and the oldest leave it.

The slow key encoder is what makes the queue work: keys computed many steps ago by an encoder
that moved very little are still comparable with today's queries.

Batch-norm leakage on one device. BN computes statistics over the batch, so a sample's
output carries a little information about the other samples it was normalised with. If the
queries and their positive keys are normalised with the statistics of the same set of
images, the network can recognise its positive by that shared "batch signature" instead of
by content, and the pretext task gets easy without the features getting good (MoCo, Sec. 3.3).
MoCo's fix, shuffling BN, shuffles the keys across GPUs so that each GPU normalises its
queries and its keys with different sets of samples. On one device, plain shuffling does
nothing (statistics over the whole batch do not depend on its order), so we emulate the
GPUs as in the authors' single-GPU CIFAR demo: both branches run in ``bn_splits`` groups,
each with its own BN statistics ("split-batch BN"); queries are grouped in batch order, keys
after a random permutation, and the keys are put back in order afterwards. Sample i's
query and key are then normalised together with different companions.
``shuffle_bn=False`` runs both branches on the whole batch (the leaky version, for comparison).

The loss is symmetrised (``symmetric=True``, as in MoCo v3 and the option of the CIFAR demo,
where it behaves like twice the epochs of the one-way loss): each view is once the query
and once the key, the two InfoNCE terms are averaged and both views' keys are enqueued, so
every image gives two training signals per step. ``symmetric=False`` is the original MoCo v2
(query view 1, key view 2, enqueue view-2 keys).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ...augment import ImageViews
from ...checks import check_bool, check_choice, check_int, fail, said
from ...losses import info_nce
from ...models import KeyQueue, MLPHead, copy_frozen, ema_update
from ..base import COMMON, Method

SETTINGS = dict(
    COMMON,                 # encoder, in_channels, views (default ImageViews.simclr), image_size
    proj_dim=128,           # q, k: the embeddings the loss sees
    proj_hidden=512,        # hidden width of the projection head
    queue_size=4096,        # negatives kept from earlier batches
    ema=0.99,               # the key encoder's EMA coefficient m
    ema_schedule="constant",  # MoCo keeps m fixed
    temperature=0.2,        # InfoNCE's tau
    shuffle_bn=True,        # split-batch BN, MoCo's fix for BN leakage on one device
    bn_splits=4,            # groups with their own BN statistics when shuffle_bn
    symmetric=True,         # each view is once the query and once the key
)


class MoCo(Method):
    SETTINGS = SETTINGS

    def __init__(self, **settings):
        super().__init__(**settings)
        c = self.config
        check_choice(c["ema_schedule"], "ema_schedule", ("constant",))
        check_int(c["queue_size"], "queue_size", minimum=1)
        check_bool(c["shuffle_bn"], "shuffle_bn")
        check_bool(c["symmetric"], "symmetric")
        if c["shuffle_bn"] and (isinstance(c["bn_splits"], bool)
                                or not isinstance(c["bn_splits"], int) or c["bn_splits"] < 2):
            fail("bn_splits", "an int >= 2 with shuffle_bn (one group is the whole batch, where "
                 "shuffling changes nothing)", c["bn_splits"])
        self.views = self.set_views(c["views"], lambda: ImageViews.simclr(size=c["image_size"]))
        self.encoder = self.build_encoder()                       # f_q's backbone
        self.projector = MLPHead(self.encoder.feature_dim, c["proj_hidden"], c["proj_dim"])
        self.key_encoder = copy_frozen(self.encoder)              # f_k: EMA of f_q, no gradient
        self.key_projector = copy_frozen(self.projector)
        self.queue = KeyQueue(c["queue_size"], c["proj_dim"])     # negatives: normalised keys
        self.ema, self.temperature = c["ema"], c["temperature"]
        self.shuffle_bn, self.bn_splits = c["shuffle_bn"], c["bn_splits"]
        self.symmetric = c["symmetric"]

    def _embed(self, encoder, projector, x: torch.Tensor, shuffle: bool) -> torch.Tensor:
        """projector(encoder(x)), with BN statistics per group of the batch (see the module
        docstring); ``shuffle`` permutes the batch before grouping and restores its order."""
        if not self.shuffle_bn:
            return projector(encoder(x))
        n = x.shape[0]
        if n < 2 * self.bn_splits:
            fail("batch", f"at least {2 * self.bn_splits} samples (split-batch BN needs >= 2 per "
                 f"group, bn_splits={self.bn_splits})", said(f"{n}"))
        g = self.generator
        perm = torch.randperm(n, generator=g, device=g.device).to(x.device) if shuffle else None
        if perm is not None:
            x = x[perm]
        out = torch.cat([projector(encoder(part)) for part in x.tensor_split(self.bn_splits)])
        return out[torch.argsort(perm)] if perm is not None else out

    def query(self, images: torch.Tensor) -> torch.Tensor:
        """q = f_q(x), (B, proj_dim), with gradient."""
        return self._embed(self.encoder, self.projector, images, shuffle=False)

    @torch.no_grad()
    def key(self, images: torch.Tensor) -> torch.Tensor:
        """k = f_k(x), L2-normalised, (B, proj_dim), without gradient (shuffled BN groups)."""
        return F.normalize(self._embed(self.key_encoder, self.key_projector, images,
                                       shuffle=True), dim=1)

    def training_step(self, batch: dict) -> dict:
        images = self.inputs(batch)
        v1, v2 = self.views.pair(images, generator=self.generator)
        # The queue holds keys of earlier batches; while it is still empty (the very first
        # step) the batch's other keys are the negatives instead.
        negatives = self.queue.keys() if len(self.queue) else None
        k2 = self.key(v2)
        loss = info_nce(self.query(v1), k2, negatives, temperature=self.temperature)
        new_keys = k2
        if self.symmetric:
            k1 = self.key(v1)
            loss = 0.5 * (loss + info_nce(self.query(v2), k1, negatives,
                                          temperature=self.temperature))
            new_keys = torch.cat([k1, k2])
        if len(new_keys) > self.queue.size:
            fail("queue_size", f"at least the {len(new_keys)} keys one step enqueues "
                 "(2 x batch_size when symmetric)", self.queue.size)
        self.queue.enqueue(new_keys)  # after the loss: a key is never its own negative
        return {"loss": loss, "queue_fill": len(self.queue) / self.queue.size}

    def on_step_end(self, step: int, total_steps: int) -> None:
        ema_update(self.key_encoder, self.encoder, self.ema)
        ema_update(self.key_projector, self.projector, self.ema)
