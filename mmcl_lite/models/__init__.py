"""Encoders for every modality, heads, and the helpers that methods are built from."""
from .coclustering import spectral_coclusters
from .encoders import ENCODERS, build_encoder, encoders_for
from .ema import copy_frozen, cosine_tau, ema_update
from .fusion import CrossModalSeriesEncoder, FusionEncoder, PatchTokens
from .heads import MLPHead
from .prototypes import Prototypes
from .queue import KeyQueue
from .context import ContextNetwork
from .series import ChannelGroupEncoder, DilatedConvEncoder, build_series_encoder
from .text import PretrainedSentenceEncoder, TextTransformer, build_caption_tokenizer, tokenize
from .vision import ConvNet, InputNorm, ResNet18

__all__ = ["ENCODERS", "ConvNet", "DilatedConvEncoder", "ChannelGroupEncoder",
           "ContextNetwork", "build_series_encoder", "InputNorm", "ResNet18",
           "build_encoder", "encoders_for", "FusionEncoder", "PatchTokens",
           "CrossModalSeriesEncoder", "spectral_coclusters", "MLPHead", "copy_frozen", "cosine_tau",
           "ema_update", "KeyQueue", "Prototypes", "PretrainedSentenceEncoder",
           "TextTransformer", "build_caption_tokenizer", "tokenize"]
