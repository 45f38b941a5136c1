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
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...checks import check_choice, check_number, check_probability, fail, said
from ...losses import clip_loss, pseudo_pair_loss, pseudo_pairs
from ...losses.pseudo_pairs import RULES
from ...models import copy_frozen, ema_update
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
)


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
        x = self.views(self.inputs(batch), generator=self.generator)
        image_emb = self.image_proj(self.encoder(x))
        text = batch["text_features"].float() if "text_features" in batch else \
            self.text_features(batch["input_ids"], batch["attention_mask"])
        text_emb = self.text_proj(text)
        log_scale = self.scale()
        zero = image_emb.sum() * 0.0
        loss_p = clip_loss(image_emb[paired], text_emb[paired], log_scale) \
            if int(paired.sum()) >= 2 else zero
        out = {"paired_loss": loss_p.detach()}
        loss_u = zero
        rows = (~paired).nonzero().squeeze(1)
        if self.teacher_on and len(rows) >= 2:
            sim = self._teacher_similarity(x[rows], batch, rows)
            r, c = pseudo_pairs(sim, self.config["pseudo_rule"], self.config["pseudo_threshold"])
            out["proposed"] = torch.tensor(float(len(r)))
            if len(r):
                logits = log_scale.exp() * F.normalize(image_emb[rows], dim=1) @ \
                    F.normalize(text_emb[rows], dim=1).T
                loss_u = pseudo_pair_loss(logits, r, c)
                if "caption_labels" in batch:
                    right = batch["labels"][rows][r] == batch["caption_labels"][rows][c]
                    out["precision"] = right.float().mean()
        out["unpaired_loss"] = loss_u.detach()
        out["loss"] = loss_p + self.config["unpaired_weight"] * loss_u
        return out

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
