"""Encoders, heads and the helpers that methods are built from."""
from .encoders import ENCODERS, ConvNet, InputNorm, ResNet18, build_encoder
from .heads import MLPHead, ProjectionHead
from .ema import copy_frozen, cosine_tau, ema_update
from .prototypes import Prototypes
from .queue import KeyQueue

__all__ = ["ENCODERS", "ConvNet", "InputNorm", "ResNet18", "build_encoder", "MLPHead",
           "ProjectionHead", "copy_frozen", "cosine_tau", "ema_update", "KeyQueue",
           "Prototypes"]

from .text import (PretrainedSentenceEncoder, TextTransformer,  # noqa: E402
                   build_caption_tokenizer, tokenize)

__all__ += ["PretrainedSentenceEncoder", "TextTransformer", "build_caption_tokenizer", "tokenize"]
