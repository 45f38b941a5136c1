"""CLIP that also learns from unpaired images and captions, through a teacher's pseudo-pairs.

A batch holds some known pairs (``paired`` True) and some rows where an image sits next to an
unrelated caption (``data.pairing.unpaired_set``). The known pairs train as in CLIP. For the
unpaired rows, a *teacher* (a copy of the towers taken once the pairs alone have trained them
for ``pseudo_start`` of the steps, then frozen or followed by an EMA) scores every unpaired image
against every unpaired caption of the batch, proposes pseudo-pairs (``losses.pseudo_pairs``:
mutual nearest neighbours or the top B, above an optional threshold) and the student is trained
to match them (``losses.pseudo_pair_loss``), after Nakada et al. (AISTATS 2023)::

    loss = clip_loss(I_p, T_p, s) + unpaired_weight * pseudo_pair_loss(s * I_u T_u^T, P)
    P = pseudo_pairs(teacher similarities of the unpaired rows)

Each step reports how many pairs were proposed and, where the batch carries ``caption_labels``
(the label of the item a caption came from), their precision: the share whose caption names the
image's class. A collapsing precision shows in the History, never hidden.

Two other ways to use the unpaired rows, chosen by settings:

* ``unpaired_loss="coclusters"``: the teacher's affinities exp((cos - 1) / 0.1) of the unpaired
  rows are co-clustered (``models.spectral_coclusters``, k = ``coclusters``) and every image and
  caption of one cluster count as positives (``losses.cocluster_loss``); ``"none"`` drops the
  unpaired rows from the cross-modal loss (they still pass through the towers: an ablation);
* ``image_ssl_weight > 0``: unimodal self-supervision on every image of the batch, paired or
  not: SimCLR's NT-Xent between the CLIP view and a strongly augmented view, through a head of
  its own (``ssl_views``, ``ssl_temperature``)::

    loss += image_ssl_weight * nt_xent(g(f(x_clip)), g(f(x_strong)), ssl_temperature)
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...augment import ImageViews
from ...checks import (check_choice, check_int, check_number, check_probability, check_rows,
                       fail, said)
from ...losses import (clip_loss, cocluster_loss, cocluster_positives, nt_xent,
                       pseudo_pair_loss, pseudo_pairs)
from ...losses.pseudo_pairs import RULES
from ...models import MLPHead, copy_frozen, ema_update, spectral_coclusters
from .common import SETTINGS as CLIP_SETTINGS
from .common import DualEncoder

SETTINGS = dict(
    CLIP_SETTINGS,           # the towers, tokenizer and temperature of CLIP
    pseudo_rule="mutual",    # "mutual" nearest neighbours or "topb" (the B largest entries)
    pseudo_threshold=None,   # keep proposals whose teacher cosine is at least this (None: all)
    pseudo_start=0.3,        # share of the steps trained on the pairs alone before the teacher
    teacher="ema",           # "ema": the teacher follows the student; "frozen": it never moves
    teacher_ema=0.99,        # the EMA coefficient of an "ema" teacher
    unpaired_weight=1.0,     # the weight of the pseudo-pair loss
    unpaired_loss="pseudo",  # "pseudo" pairs, "coclusters" or "none" (unpaired rows unused)
    coclusters=6,            # k of the co-clustering variant
    image_ssl_weight=0.0,    # > 0: SimCLR on every image as well (unimodal self-supervision)
    ssl_temperature=0.1,     # its NT-Xent temperature
    ssl_views=None,          # its strong views (default: SimCLR's, ImageViews.simclr)
)
UNPAIRED_LOSSES = ("pseudo", "coclusters", "none")
AFFINITY_TEMPERATURE = 0.1  # co-clusters: affinity exp((cos - 1) / 0.1), in (0, 1]


class UnpairedCLIP(DualEncoder):
    """CLIP on known pairs plus pseudo-pairs of unpaired images and captions. Settings: see
    ``SETTINGS``. Its data marks the true pairs (``paired``, as ``data.pairing.unpaired_set``
    makes it); a set without that mark is all pairs, and the method is then CLIP."""

    SETTINGS = SETTINGS

    def __init__(self, **settings):
        super().__init__(**settings)
        c = self.config
        check_choice(c["pseudo_rule"], "pseudo_rule", RULES)
        check_choice(c["teacher"], "teacher", ("ema", "frozen"))
        check_probability(c["teacher_ema"], "teacher_ema")
        check_probability(c["pseudo_start"], "pseudo_start", allow_one=False)
        check_number(c["unpaired_weight"], "unpaired_weight", low=0.0)
        if c["pseudo_threshold"] is not None:
            check_number(c["pseudo_threshold"], "pseudo_threshold", -1.0, 1.0)
        check_choice(c["unpaired_loss"], "unpaired_loss", UNPAIRED_LOSSES)
        check_int(c["coclusters"], "coclusters", minimum=2)
        check_number(c["image_ssl_weight"], "image_ssl_weight", low=0.0)
        check_number(c["ssl_temperature"], "ssl_temperature", low=0.0, low_open=True)
        if c["image_ssl_weight"] > 0:
            self.ssl_views = self.set_views(
                c["ssl_views"], lambda: ImageViews.simclr(size=c["image_size"]),
                key="ssl_views")
            self.ssl_head = MLPHead(self.encoder.feature_dim, c["proj_hidden"], c["embed_dim"])
        # a locked text tower never changes: the teacher uses it as it is
        self.followed = ("encoder", "image_proj", "text_proj") + \
            (() if self.locked_text else ("text_tower",))
        self.teacher = nn.ModuleDict({n: copy_frozen(getattr(self, n)) for n in self.followed})
        self.teacher_on, self.start_step = False, 0

    def batch_fields(self, data) -> dict:
        """CLIP's fields, plus ``paired`` and, where the data has them, ``caption_labels``."""
        fields = super().batch_fields(data)
        # no ``paired``: every caption is its image's (ImageSet's convention), as in CLIP
        fields["paired"] = data.paired if data.paired is not None else \
            torch.ones(len(data), dtype=torch.bool)
        if "caption_label" in data.attributes:
            fields["caption_labels"] = data.attributes["caption_label"]
        return fields

    def _teacher_similarity(self, images, batch, rows) -> torch.Tensor:
        t = self.teacher
        with torch.no_grad():
            zi = F.normalize(t["image_proj"](t["encoder"](images)), dim=1)
            if "text_features" in batch:
                text = batch["text_features"][rows].float()
            else:
                tower = t["text_tower"] if "text_tower" in t else self.text_tower
                text = tower(batch["input_ids"][rows], batch["attention_mask"][rows])
            return zi @ F.normalize(t["text_proj"](text), dim=1).T

    def _follow(self, tau: float) -> None:
        """teacher <- tau * teacher + (1 - tau) * student (tau = 0: a copy)."""
        for name in self.followed:
            ema_update(self.teacher[name], getattr(self, name), tau)

    def training_step(self, batch: dict) -> dict:
        if "paired" not in batch:
            fail("batch", "a 'paired' field, as UnpairedCLIP.batch_fields(data) gives it",
                 said(f"keys {sorted(batch)}"))
        paired = batch["paired"]
        images = self.inputs(batch)
        check_rows(images, "batch", 2, "pairs and pseudo-pairs need in-batch negatives: "
                   "batch_size >= 2")
        x = self.views(images, generator=self.generator)
        features = self.encoder(x)
        image_emb = self.image_proj(features)
        text = batch["text_features"].float() if "text_features" in batch else \
            self.text_features(batch["input_ids"], batch["attention_mask"])
        text_emb = self.text_proj(text)
        log_scale = self.scale()
        zero = image_emb.sum() * 0.0
        loss_p = clip_loss(image_emb[paired], text_emb[paired], log_scale) \
            if int(paired.sum()) >= 2 else zero
        out = {"paired_loss": loss_p.detach()}
        rows = (~paired).nonzero().squeeze(1)
        loss_u = zero
        if self.teacher_on and len(rows) >= 2 and self.config["unpaired_loss"] != "none":
            sim = self._teacher_similarity(x[rows], batch, rows)
            logits = log_scale.exp() * F.normalize(image_emb[rows], dim=1) @ \
                F.normalize(text_emb[rows], dim=1).T
            loss_u = self._unpaired_loss(sim, logits, batch, rows, out)
        out["unpaired_loss"] = loss_u.detach()
        out["loss"] = loss_p + self.config["unpaired_weight"] * loss_u
        if self.config["image_ssl_weight"] > 0:
            strong = self.ssl_views(images, generator=self.generator)
            loss_s = nt_xent(self.ssl_head(features), self.ssl_head(self.encoder(strong)),
                             self.config["ssl_temperature"])
            out["ssl_loss"] = loss_s.detach()
            out["loss"] = out["loss"] + self.config["image_ssl_weight"] * loss_s
        return out

    def _unpaired_loss(self, sim, logits, batch, rows, out: dict) -> torch.Tensor:
        """The loss on the unpaired rows from the teacher's cosines ``sim`` (U, U) and the
        student's scaled logits (U, U); records "proposed" and "precision" in ``out``."""
        c = self.config
        if c["unpaired_loss"] == "pseudo":
            r, cols = pseudo_pairs(sim, c["pseudo_rule"], c["pseudo_threshold"])
            positives = torch.zeros_like(sim, dtype=torch.bool)
            positives[r, cols] = True
        else:
            affinity = ((sim.float() - 1) / AFFINITY_TEMPERATURE).exp()
            k = min(c["coclusters"], len(rows))
            row_labels, col_labels = spectral_coclusters(affinity, k, seed=0)
            positives = cocluster_positives(row_labels, col_labels).to(sim.device)
        out["proposed"] = positives.sum().float()
        if "caption_labels" in batch and bool(positives.any()):
            right = batch["labels"][rows][:, None] == batch["caption_labels"][rows][None, :]
            out["precision"] = right[positives].float().mean()
        if not bool(positives.any()):
            return logits.sum() * 0.0
        if c["unpaired_loss"] == "pseudo":
            return pseudo_pair_loss(logits, r, cols)
        return cocluster_loss(logits, positives)

    def on_fit_start(self, step: int, total_steps: int) -> None:
        self.start_step = int(self.config["pseudo_start"] * total_steps)
        self._maybe_start_teacher(step)   # a run resumed past the start

    def on_step_end(self, step: int, total_steps: int) -> None:
        super().on_step_end(step, total_steps)
        if self.teacher_on and self.config["teacher"] == "ema":
            self._follow(self.config["teacher_ema"])
        self._maybe_start_teacher(step + 1)

    def _maybe_start_teacher(self, step: int) -> None:
        """From ``start_step`` on, the teacher exists: a copy of the student at that step."""
        if not self.teacher_on and step >= self.start_step:
            self._follow(0.0)
            self.teacher_on = True
