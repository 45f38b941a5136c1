"""The dual encoder that CLIP and UnpairedCLIP share (``DualEncoder``; CLIP itself is
``methods.multimodal.clip``): CLIP (Radford et al., ICML 2021) and a locked-tower variant after
LiT align images with text.

Two towers map an image x and its caption t into one shared space; a batch of N pairs gives an
N x N similarity matrix whose diagonal holds the true pairs, and the symmetric InfoNCE loss asks
each row and each column to pick its diagonal entry:

    I = normalize(g_img(f_img(x))),  T = normalize(g_txt(f_txt(t)))
    loss = clip_loss(I, T, logit_scale)        # logits = exp(logit_scale) * I @ T^T

exp(logit_scale) is the inverse temperature. CLIP learns it, starting at 1/0.07, and clamps it
at 100 so that the logits cannot grow without bound (the clamp is applied in the forward pass
and to the parameter after every optimiser step).

Text towers: ``"scratch"`` is a small BERT (2 layers, width 128) over a word-level tokenizer
trained on the captions; ``"minilm"`` is the pretrained all-MiniLM-L6-v2 sentence encoder,
*locked* (frozen), so only the image tower and the two projections learn. This mirrors LiT
(Zhai et al., "LiT: Zero-Shot Transfer with Locked-image text Tuning", CVPR 2022), which locks a
pretrained *image* tower and trains the text tower; the idea is the same, a pretrained tower
that contrastive training must not disturb, here on the language side. A locked tower gives the
same features every epoch, so by default they are computed once per caption and cached
(``cache_text``), which makes the locked variant as cheap to train as the image tower alone.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...augment import ImageViews
from ...losses import clip_loss
from ...checks import check_bool, check_choice, check_int, check_number, fail, said
from ...models import MLPHead
from ...models import text as text_models
from ..base import COMMON, Method

TEXT_TOWERS = ("scratch", "minilm")

SETTINGS = dict(
    COMMON,                  # encoder (the image tower), in_channels, views, image_size; the
                             # default views crop 80-100% and never flip (the shapes captions
                             # say "on the left", which a flip would make false)
    embed_dim=128,           # size of the shared image-text space
    text_tower="scratch",    # "scratch" (random-init BERT) or "minilm" (locked MiniLM)
    captions=None,           # corpus for the scratch tokenizer (e.g. train.captions); not
                             # stored: the trained tokenizer is, as a JSON string
    tokenizer=None,          # a tokenizer JSON string or PreTrainedTokenizerFast instead
    vocab_size=1000,         # at most this many word types in the scratch tokenizer
    max_length=24,           # tokens per caption incl. [CLS]/[SEP]; longer ones are cut
    text_width=128,          # the scratch text transformer: width, layers, heads,
    text_layers=2,
    text_heads=4,
    text_pooling="mean",     # "mean" over tokens or the "cls" token
    text_dropout=0.0,
    proj_layers=1,           # 1 = linear projections (as CLIP); 2 = an MLP
    proj_hidden=512,         # hidden width when proj_layers = 2
    init_temperature=0.07,   # tau at the start: logit scale 1/tau
    max_logit_scale=100.0,   # the clamp on 1/tau
    learn_temperature=True,  # False keeps tau fixed
    cache_text=True,         # with a locked tower, compute each caption's features once
    minilm_path=None,        # a local copy of all-MiniLM-L6-v2 (default: the PyPI package)
)


class DualEncoder(Method, register=False):
    """Dual-encoder image-text contrastive learning; ``text_tower="minilm"`` locks the text side.
    Settings: see ``SETTINGS`` above. ``encode`` returns the image tower's features, so kNN and
    linear probes work as for the other methods."""

    SETTINGS = SETTINGS

    def __init__(self, **settings):
        super().__init__(**settings)
        c = config = self.config
        text_tower = check_choice(c["text_tower"], "text_tower", TEXT_TOWERS)
        check_int(c["max_length"], "max_length", minimum=3)
        check_int(c["proj_layers"], "proj_layers", minimum=1)
        check_bool(c["learn_temperature"], "learn_temperature")
        check_number(c["max_logit_scale"], "max_logit_scale", low=1.0, low_open=True)
        check_number(c["init_temperature"], "init_temperature", low=0.0, low_open=True)
        check_bool(c["cache_text"], "cache_text")
        if 1 / c["init_temperature"] > c["max_logit_scale"]:
            fail("init_temperature", f"a number T with 1/T <= max_logit_scale="
                 f"{c['max_logit_scale']!r} (> 1)", c["init_temperature"])
        views = self.set_views(c["views"], lambda: ImageViews.weak(size=c["image_size"]).replace(
            crop_scale=(0.8, 1.0), flip_p=0.0))
        tokenizer = c["tokenizer"]
        if text_tower == "scratch":
            tokenizer = text_models.caption_tokenizer(tokenizer, c["captions"], c["vocab_size"])
            config["tokenizer"] = text_models.tokenizer_to_json(tokenizer)
        else:
            config["tokenizer"] = None  # MiniLM brings its own
        config["captions"] = None  # the tokenizer JSON carries the vocabulary
        config["minilm_path"] = None if c["minilm_path"] is None else str(c["minilm_path"])

        self.encoder = self.build_encoder()
        if text_tower == "scratch":
            self.tokenizer = tokenizer
            self.text_tower = text_models.TextTransformer(
                len(tokenizer), width=c["text_width"], layers=c["text_layers"],
                heads=c["text_heads"], max_length=c["max_length"], pooling=c["text_pooling"],
                dropout=c["text_dropout"], pad_token_id=tokenizer.pad_token_id)
        else:
            self.text_tower = text_models.PretrainedSentenceEncoder(c["minilm_path"])
            self.tokenizer = self.text_tower.tokenizer
            # the locked weights load from the package: keep them out of checkpoints
            self.register_state_dict_post_hook(_drop_locked_keys)
            self.register_load_state_dict_post_hook(_ignore_locked_keys)
        self.image_proj = MLPHead(self.encoder.feature_dim, c["proj_hidden"], c["embed_dim"],
                                  c["proj_layers"])
        self.text_proj = MLPHead(self.text_tower.feature_dim, c["proj_hidden"], c["embed_dim"],
                                 c["proj_layers"])
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / c["init_temperature"])),
                                        requires_grad=c["learn_temperature"])
        self.max_log_scale = math.log(c["max_logit_scale"])
        self.views = views
        self.max_length = c["max_length"]
        self.locked_text = text_tower == "minilm"
        self.cache_text = c["cache_text"] and self.locked_text
        self._text_cache: dict[str, torch.Tensor] = {}

    # ---------------------------------------------------------------------------- towers
    def _device(self) -> torch.device:
        return self.logit_scale.device

    def tokenize(self, captions) -> dict:
        """Checked, truncated (with a warning) token ids + attention masks, (N, L) each."""
        return text_models.tokenize(self.tokenizer, captions, self.max_length)

    def text_features(self, input_ids, attention_mask) -> torch.Tensor:
        """The text tower's pooled output, (B, text_dim), before the projection."""
        if self.locked_text:
            with torch.no_grad():
                return self.text_tower(input_ids, attention_mask).float()
        return self.text_tower(input_ids, attention_mask)

    def scale(self) -> torch.Tensor:
        """log of the inverse temperature, clamped to [0, log(max_logit_scale)]."""
        return self.logit_scale.clamp(0.0, self.max_log_scale)

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        """Images (B, C, H, W) -> L2-normalised shared-space embeddings (B, embed_dim)."""
        return F.normalize(self.image_proj(self.encoder(images)), dim=-1)

    def encode_text(self, captions, batch_size: int = 512) -> torch.Tensor:
        """A list of str -> L2-normalised shared-space embeddings (N, embed_dim), on the
        model's device. Captions are checked and truncated as in :meth:`tokenize`."""
        enc = self.tokenize(captions)
        dev, out = self._device(), []
        for start in range(0, len(enc["input_ids"]), batch_size):
            ids = enc["input_ids"][start:start + batch_size].to(dev)
            mask = enc["attention_mask"][start:start + batch_size].to(dev)
            out.append(F.normalize(self.text_proj(self.text_features(ids, mask)), dim=-1))
        return torch.cat(out)

    # -------------------------------------------------------------------------- protocol
    def batch_fields(self, data) -> dict:
        """images, labels, index, and the captions tokenised once for the whole set
        (``input_ids``, ``attention_mask``), or, for a locked tower with ``cache_text``, the
        tower's features of every caption (``text_features``, (N, 384))."""
        if getattr(data, "captions", None) is None:
            fail("data", "image-caption pairs (e.g. make_shapes())",
                 said(f"a {type(data).__name__} without captions"))
        fields = super().batch_fields(data)
        if self.cache_text:
            fields["text_features"] = self.cached_text_features(data.captions)
        else:
            fields.update(self.tokenize(data.captions))
        return fields

    @torch.no_grad()
    def cached_text_features(self, captions, batch_size: int = 256) -> torch.Tensor:
        """Locked-tower features (N, text_dim) on the CPU, each distinct caption computed once."""
        captions = text_models.check_captions(captions)
        missing = list(dict.fromkeys(c for c in captions if c not in self._text_cache))
        dev = self._device()
        for start in range(0, len(missing), batch_size):
            chunk = missing[start:start + batch_size]
            enc = self.tokenize(chunk)
            z = self.text_features(enc["input_ids"].to(dev), enc["attention_mask"].to(dev))
            self._text_cache.update(zip(chunk, z.float().cpu()))
        return torch.stack([self._text_cache[c] for c in captions])

    def training_step(self, batch: dict) -> dict:
        images = self.inputs(batch)
        if "text_features" in batch:
            n_text, text = len(batch["text_features"]), None
        elif "input_ids" in batch and "attention_mask" in batch:
            n_text = len(batch["input_ids"])
        else:
            fail("batch", "'input_ids' and 'attention_mask' (or 'text_features') next to "
                 "'images', as CLIP.batch_fields(data) gives them", said(f"keys {sorted(batch)}"))
        if len(images) != n_text:
            fail("batch", "exactly one caption per image",
                 said(f"{len(images)} images but {n_text} captions"))
        x = self.views(images, generator=self.generator)
        image_emb = self.image_proj(self.encoder(x))
        if "text_features" in batch:
            text = batch["text_features"].float()
        else:
            text = self.text_features(batch["input_ids"], batch["attention_mask"])
        text_emb = self.text_proj(text)
        log_scale = self.scale()
        loss = clip_loss(image_emb, text_emb, log_scale)
        with torch.no_grad():
            sim = F.normalize(image_emb.float(), dim=1) @ F.normalize(text_emb.float(), dim=1).T
            target = torch.arange(len(sim), device=sim.device)
            acc_i2t = (sim.argmax(1) == target).float().mean()
            acc_t2i = (sim.argmax(0) == target).float().mean()
        return {"loss": loss, "logit_scale": log_scale.detach().exp(), "acc_i2t": acc_i2t,
                "acc_t2i": acc_t2i}

    def on_step_end(self, step: int, total_steps: int) -> None:
        with torch.no_grad():  # CLIP's clip: exp(logit_scale) <= max_logit_scale
            self.logit_scale.clamp_(0.0, self.max_log_scale)

    def extra_repr(self) -> str:
        vocab = f", vocabulary={len(self.tokenizer)} tokens"
        return ", ".join(f"{k}={v!r}" for k, v in self.config.items()
                         if k not in ("tokenizer", "captions", "views")) + vocab


def _is_locked(key: str) -> bool:
    return key.startswith("text_tower.") or ".text_tower." in key


def _drop_locked_keys(module, state_dict, prefix, local_metadata):
    for key in [k for k in state_dict if k.startswith(prefix + "text_tower.")]:
        del state_dict[key]


def _ignore_locked_keys(module, incompatible_keys):
    missing = incompatible_keys.missing_keys
    missing[:] = [k for k in missing if not _is_locked(k)]
