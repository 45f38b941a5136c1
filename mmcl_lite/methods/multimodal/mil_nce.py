"""MIL-NCE (Miech et al., "End-to-End Learning of Visual Representations from Uncurated
Instructional Videos", CVPR 2020): CLIP's dual encoder trained on weakly aligned text, where each
image comes with a bag of K candidate captions of which at least one describes it.

    I_i = normalize(g_img(f_img(x_i))),  T_ik = normalize(g_txt(f_txt(t_ik)))   (B, K, D)
    bag_loss="mil":    loss = mil_nce(I, T, logit_scale)      # every candidate of bag i positive
    bag_loss="sample": loss = clip_loss(I, T[i, k_i], logit_scale), k_i drawn at random each step

"sample" is plain CLIP on such data: it trusts one candidate, which is wrong with probability
(K - 1) / K when one caption per bag is right. The data carries ``caption_bags``
(``data.pairing.caption_bags``); its ``captions`` (the true ones) are never read in training.
A set without bags trains with each caption as a bag of one.
"""
from __future__ import annotations

import torch

from ...checks import check_choice, fail, said
from ...losses import clip_loss, mil_nce
from .common import SETTINGS as CLIP_SETTINGS
from .common import DualEncoder

SETTINGS = dict(CLIP_SETTINGS, bag_loss="mil")  # "mil" (MIL-NCE) or "sample" (plain CLIP)
BAG_LOSSES = ("mil", "sample")


class MILNCE(DualEncoder):
    """CLIP's towers trained on caption bags. Settings: ``SETTINGS`` (CLIP's + ``bag_loss``)."""

    SETTINGS = SETTINGS

    def __init__(self, **settings):
        super().__init__(**settings)
        check_choice(self.config["bag_loss"], "bag_loss", BAG_LOSSES)

    def batch_fields(self, data) -> dict:
        """images, labels, index and every bag's captions: ``bag_ids`` and ``bag_mask``
        (N, K, L), or, for a locked tower with ``cache_text``, ``bag_features`` (N, K, dim)."""
        fields = super().batch_fields(data)  # checks that the set has captions
        bags = getattr(data, "caption_bags", None)
        if bags is None:  # no bags: each caption is a bag of one (CLIP, image to text)
            bags = [[c] for c in data.captions]
        for key in ("input_ids", "attention_mask", "text_features"):
            fields.pop(key, None)  # the true captions: evaluation only
        n, k = len(bags), len(bags[0])
        flat = [c for bag in bags for c in bag]
        if self.cache_text:
            fields["bag_features"] = self.cached_text_features(flat).reshape(n, k, -1)
        else:
            enc = self.tokenize(flat)
            fields["bag_ids"] = enc["input_ids"].reshape(n, k, -1)
            fields["bag_mask"] = enc["attention_mask"].reshape(n, k, -1)
        return fields

    def _bag_embeddings(self, batch: dict, pick=None) -> torch.Tensor:
        """(B, K, D) projected candidates, or (B, D) of the candidate ``pick`` (B,) of each."""
        if "bag_features" in batch:
            text = batch["bag_features"].float()
            text = text if pick is None else text[torch.arange(len(text)), pick]
            return self.text_proj(text)
        ids, mask = batch["bag_ids"], batch["bag_mask"]
        if pick is not None:
            rows = torch.arange(len(ids), device=ids.device)
            return self.text_proj(self.text_features(ids[rows, pick], mask[rows, pick]))
        b, k, length = ids.shape
        text = self.text_features(ids.reshape(b * k, length), mask.reshape(b * k, length))
        return self.text_proj(text).reshape(b, k, -1)

    def training_step(self, batch: dict) -> dict:
        if "bag_ids" not in batch and "bag_features" not in batch:
            fail("batch", "caption bags, as MILNCE.batch_fields(data) gives them",
                 said(f"keys {sorted(batch)}"))
        x = self.views(self.inputs(batch), generator=self.generator)
        image_emb = self.image_proj(self.encoder(x))
        log_scale = self.scale()
        if self.config["bag_loss"] == "mil":
            loss = mil_nce(image_emb, self._bag_embeddings(batch), log_scale)
        else:
            k = (batch["bag_features"] if "bag_features" in batch else batch["bag_ids"]).shape[1]
            pick = torch.randint(0, k, (len(image_emb),), generator=self.generator,
                                 device=self.generator.device).to(image_emb.device)
            loss = clip_loss(image_emb, self._bag_embeddings(batch, pick), log_scale)
        return {"loss": loss, "logit_scale": log_scale.detach().exp()}
