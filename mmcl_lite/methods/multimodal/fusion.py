"""A small fusion model in the ALBEF/FLAVA layout: two towers, then text that attends to the image.

The unimodal towers are kept, so the contrastive loss still trains a dual encoder; on top, a
fusion encoder lets every text token look at the image's patches, and two more objectives need
that look (Li et al., "Align before Fuse", NeurIPS 2021; Singh et al., "FLAVA", CVPR 2022)::

    patches = PatchTokens(ConvNet.feature_map(x))            (B, P, W)
    text    = TextTransformer.token_states(ids)               (B, L, W)
    ITC: clip_loss(g_img(mean patch features), g_txt(pooled text), logit_scale)
    ITM: [CLS] of Fusion(text_j, patches_i) -> match or not; for each image a hard negative
         caption and for each caption a hard negative image, drawn from the ITC similarities,
         and, where the data offers them, one of its own captions with the binding swapped
    MLM: Fusion(masked text, patches) -> the masked words, which the picture often decides
    loss = itc_weight * ITC + itm_weight * ITM + mlm_weight * MLM

``match_probability(images, captions)`` scores image-caption pairs with the fusion head;
``encode_image`` / ``encode_text`` give the dual encoder's embeddings, as CLIP's do.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...augment import ImageViews, mask_tokens
from ...checks import check_bool, check_choice, check_int, check_number, check_probability, fail, said
from ...losses import clip_loss, itm_loss, mine_hard_negatives, mlm_loss
from ...models import FusionEncoder, MLPHead, PatchTokens
from ...models import text as text_models
from ..base import COMMON, Method

SETTINGS = dict(
    COMMON,                  # encoder (must be "convnet": its feature map gives the patches),
                             # in_channels, views (default: crop 80-100%, never flipped, as the
                             # captions say "left of"), image_size, seed
    patch_grid=4,            # side of the ConvNet's feature map: image side / 8 (32 -> 4x4)
    embed_dim=128,           # the contrastive space of the two towers
    captions=None,           # corpus for the scratch tokenizer (e.g. train.captions)
    tokenizer=None,          # a tokenizer JSON string or PreTrainedTokenizerFast instead
    vocab_size=1000,         # at most this many word types in the tokenizer
    max_length=24,           # tokens per caption incl. [CLS]/[SEP]; longer ones are cut
    width=128,               # the text tower's and the fusion encoder's width
    text_layers=2,           # the unimodal text tower (a small BERT)
    fusion_layers=2,         # text-to-image fusion layers
    heads=4,                 # attention heads in both
    text_pooling="mean",     # the text tower's vector for ITC: "mean" of tokens or "cls"
    init_temperature=0.07,   # ITC's tau at the start (learned, 1/tau clamped at 100)
    itc_weight=1.0,          # the weights of the three losses
    itm_weight=1.0,
    mlm_weight=1.0,
    mask_prob=0.3,           # the chance that MLM masks each word (BERT: 0.15, short captions
                             # here: more words per caption)
    swap_negatives=True,     # where the data offers them (data.prompts.negatives: its captions
                             # with the same words and another meaning), one per image is an
                             # extra ITM negative; in-batch mining alone rarely meets one
)


class Fusion(Method):
    """Image-text contrastive learning plus a fusion encoder trained by ITM and masked language
    modelling. Settings: see ``SETTINGS``. ``encode`` returns the image tower's pooled
    features (probes work as for every method)."""

    SETTINGS = SETTINGS

    def __init__(self, **settings):
        super().__init__(**settings)
        c = config = self.config
        check_choice(c["encoder"], "encoder", ("convnet",), case_insensitive=True)
        for name in ("patch_grid", "embed_dim", "width", "text_layers", "fusion_layers", "heads"):
            check_int(c[name], name, minimum=1)
        check_int(c["max_length"], "max_length", minimum=3)
        check_number(c["init_temperature"], "init_temperature", low=0.01)
        for name in ("itc_weight", "itm_weight", "mlm_weight"):
            check_number(c[name], name, low=0.0)
        check_probability(c["mask_prob"], "mask_prob", allow_one=False)
        check_bool(c["swap_negatives"], "swap_negatives")
        self.views = self.set_views(c["views"], lambda: ImageViews.weak(size=c["image_size"])
                                    .replace(crop_scale=(0.8, 1.0), flip_p=0.0))
        self.tokenizer = text_models.caption_tokenizer(c["tokenizer"], c["captions"],
                                                       c["vocab_size"])
        config["tokenizer"] = text_models.tokenizer_to_json(self.tokenizer)
        config["captions"] = None  # the tokenizer JSON carries the vocabulary
        width, vocab = c["width"], len(self.tokenizer)
        self.encoder = self.build_encoder()
        self.patches = PatchTokens(self.encoder.feature_dim, width, c["patch_grid"])
        self.text_tower = text_models.TextTransformer(
            vocab, width=width, layers=c["text_layers"], heads=c["heads"],
            max_length=c["max_length"], pooling=c["text_pooling"],
            pad_token_id=self.tokenizer.pad_token_id)
        self.fusion = FusionEncoder(width, c["fusion_layers"], c["heads"])
        self.image_proj = nn.Linear(self.encoder.feature_dim, c["embed_dim"])
        self.text_proj = nn.Linear(width, c["embed_dim"])
        self.itm_head = nn.Linear(width, 2)
        self.mlm_head = MLPHead(width, width, vocab, num_layers=2, batch_norm=False)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / c["init_temperature"])))
        self.max_log_scale = math.log(100.0)
        self.max_length = c["max_length"]
        self.special_ids = [self.tokenizer.convert_tokens_to_ids(t)
                            for t in text_models.SPECIAL_TOKENS]

    @classmethod
    def for_data(cls, data, **settings):
        side = data.images.shape[-1] if settings.get("image_size") is None \
            else settings["image_size"]
        return super().for_data(data, **{"patch_grid": max(1, side // 8), **settings})

    # ---------------------------------------------------------------------------- pieces
    def _device(self) -> torch.device:
        return self.logit_scale.device

    def scale(self) -> torch.Tensor:
        return self.logit_scale.clamp(0.0, self.max_log_scale)

    def tokenize(self, captions) -> dict:
        return text_models.tokenize(self.tokenizer, captions, self.max_length)

    def image_parts(self, images):
        """(patch tokens (B, P, W), dual-encoder embedding (B, embed_dim), not normalised)."""
        fmap = self.encoder.feature_map(images)
        return self.patches(fmap), self.image_proj(fmap.mean((2, 3)))

    def text_parts(self, input_ids, attention_mask):
        """(token states (B, L, W), dual-encoder embedding (B, embed_dim), not normalised)."""
        states = self.text_tower.token_states(input_ids, attention_mask)
        return states, self.text_proj(self.text_tower.pool(states, attention_mask))

    def match_logits(self, text_states, attention_mask, patches, need_weights=False):
        """ITM logits (B, 2) of each text with the image in the same row (and the
        cross-attention weights when asked)."""
        fused, weights = self.fusion(text_states, attention_mask, patches, need_weights)
        return self.itm_head(fused[:, 0]), weights

    # -------------------------------------------------------------------------- protocol
    def batch_fields(self, data) -> dict:
        """images, labels, index and the captions tokenised once (input_ids, attention_mask);
        with ``swap_negatives`` and a dataset that offers negatives, also each item's K
        negative captions (swap_input_ids, swap_attention_mask: (N, K, L))."""
        if getattr(data, "captions", None) is None:
            fail("data", "image-caption pairs (e.g. make_relations())",
                 said(f"a {type(data).__name__} without captions"))
        captions = list(data.captions)
        negatives = getattr(getattr(data, "prompts", None), "negatives", None)
        kinds = list(negatives(data).values()) if negatives and self.config["swap_negatives"] \
            else []
        enc = self.tokenize(captions + [c for kind in kinds for c in kind])  # one padding
        n, fields = len(captions), super().batch_fields(data)
        fields.update({k: v[:n] for k, v in enc.items()})
        if kinds:
            for k, v in enc.items():  # (K*N, L) -> (N, K, L)
                fields["swap_" + k] = v[n:].view(len(kinds), n, -1).transpose(0, 1)
        return fields

    def training_step(self, batch: dict) -> dict:
        images = self.inputs(batch)
        if "input_ids" not in batch or "attention_mask" not in batch:
            fail("batch", "'input_ids' and 'attention_mask' next to 'images', as "
                 "Fusion.batch_fields(data) gives them", said(f"keys {sorted(batch)}"))
        ids, mask = batch["input_ids"], batch["attention_mask"]
        if len(images) != len(ids):
            fail("batch", "exactly one caption per image",
                 said(f"{len(images)} images but {len(ids)} captions"))
        patches, image_emb = self.image_parts(self.views(images, generator=self.generator))
        states, text_emb = self.text_parts(ids, mask)
        log_scale = self.scale()
        itc = clip_loss(image_emb, text_emb, log_scale)

        # ITM: each image with its caption, with a hard negative caption, and each caption
        # with a hard negative image; identical captions are never drawn as negatives.
        b = len(ids)
        with torch.no_grad():
            sim = F.normalize(image_emb.float(), dim=1) @ F.normalize(text_emb.float(), dim=1).T
            sim = sim * log_scale.exp()
            same = (ids[:, None, :] == ids[None, :, :]).all(-1)
            neg_text = mine_hard_negatives(sim, same, self.generator)
            neg_image = mine_hard_negatives(sim.T, same, self.generator)
        texts, masks = [states, states[neg_text], states], [mask, mask[neg_text], mask]
        images = [patches, patches, patches[neg_image]]
        if "swap_input_ids" in batch:  # and one swapped caption of its own per image
            pick = torch.randint(batch["swap_input_ids"].shape[1], (b,), device=ids.device,
                                 generator=self.generator)
            rows = torch.arange(b, device=ids.device)
            swap_ids = batch["swap_input_ids"][rows, pick]
            swap_mask = batch["swap_attention_mask"][rows, pick]
            texts.append(self.text_tower.token_states(swap_ids, swap_mask))
            masks.append(swap_mask)
            images.append(patches)
        logits, _ = self.match_logits(torch.cat(texts), torch.cat(masks), torch.cat(images))
        labels = torch.zeros(len(logits), dtype=torch.long, device=logits.device)
        labels[:b] = 1
        itm = itm_loss(logits, labels)

        masked_ids, mlm_labels = mask_tokens(
            ids, mask, self.config["mask_prob"], self.tokenizer.mask_token_id, self.special_ids,
            vocab_size=len(self.tokenizer), generator=self.generator)
        masked_states = self.text_tower.token_states(masked_ids, mask)
        fused, _ = self.fusion(masked_states, mask, patches)
        mlm = mlm_loss(self.mlm_head(fused), mlm_labels)

        c = self.config
        loss = c["itc_weight"] * itc + c["itm_weight"] * itm + c["mlm_weight"] * mlm
        with torch.no_grad():
            itm_acc = (logits.argmax(1) == labels).float().mean()
        return {"loss": loss, "itc": itc.detach(), "itm": itm.detach(), "mlm": mlm.detach(),
                "itm_acc": itm_acc, "logit_scale": log_scale.detach().exp()}

    def on_step_end(self, step: int, total_steps: int) -> None:
        with torch.no_grad():
            self.logit_scale.clamp_(0.0, self.max_log_scale)

    # ------------------------------------------------------------------------ evaluation
    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        """Images (B, C, H, W) -> L2-normalised dual-encoder embeddings (B, embed_dim)."""
        return F.normalize(self.image_proj(self.encoder(images)), dim=-1)

    def encode_text(self, captions) -> torch.Tensor:
        """A list of str -> L2-normalised dual-encoder embeddings (N, embed_dim)."""
        enc = self.tokenize(captions)
        dev = self._device()
        return F.normalize(self.text_parts(enc["input_ids"].to(dev),
                                           enc["attention_mask"].to(dev))[1], dim=-1)

    @torch.no_grad()
    def match_probability(self, images: torch.Tensor, captions, batch_size: int = 256,
                          need_weights: bool = False):
        """p(image i and caption i are a pair), (N,), from the fusion head; with
        ``need_weights`` also the cross-attention, one (N, L, P) per layer, and the tokens."""
        captions = text_models.check_captions(captions)
        if len(images) != len(captions):
            fail("captions", f"one caption per image ({len(images)})", said(f"{len(captions)}"))
        enc = self.tokenize(captions)
        dev, probs, maps = self._device(), [], []
        for s in range(0, len(captions), batch_size):
            x = images[s:s + batch_size].to(dev)
            ids = enc["input_ids"][s:s + batch_size].to(dev)
            mask = enc["attention_mask"][s:s + batch_size].to(dev)
            patches, _ = self.image_parts(x)
            logits, w = self.match_logits(self.text_tower.token_states(ids, mask), mask,
                                          patches, need_weights)
            probs.append(logits.float().softmax(1)[:, 1].cpu())
            maps.append([m.float().cpu() for m in w])
        p = torch.cat(probs)
        if not need_weights:
            return p
        layers = [torch.cat([m[i] for m in maps]) for i in range(len(maps[0]))]
        return p, layers, enc

    @torch.no_grad()
    def mlm_logits(self, images: torch.Tensor, input_ids, attention_mask) -> torch.Tensor:
        """Vocabulary scores (N, L, V) at every position of (already masked) token ids, the
        text attending to ``images``."""
        dev = self._device()
        patches, _ = self.image_parts(images.to(dev))
        ids, mask = input_ids.to(dev), attention_mask.to(dev)
        fused, _ = self.fusion(self.text_tower.token_states(ids, mask), mask, patches)
        return self.mlm_head(fused).float().cpu()

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.config.items()
                         if k not in ("tokenizer", "captions", "views"))
