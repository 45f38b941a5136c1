"""Encoders by name, for every modality: ``build_encoder("convnet", in_channels=3)``.

Each encoder has ``modality`` (the batch field it reads: "images" or "series"),
``in_channels`` and ``feature_dim``.
"""
from __future__ import annotations

import torch.nn as nn

from ..checks import check_choice, check_int
from .fusion import CrossModalSeriesEncoder
from .series import DilatedConvEncoder
from .vision import ConvNet, ResNet18

ENCODERS = {"convnet": ConvNet, "resnet18": ResNet18, "dilated_conv": DilatedConvEncoder,
            "crossmodal": CrossModalSeriesEncoder}


def encoders_for(modality: str) -> list[str]:
    """The encoder names that read ``modality`` ("images", "series")."""
    return [name for name, cls in ENCODERS.items() if cls.modality == modality]


def build_encoder(name: str = "convnet", in_channels: int = 3, **kwargs) -> nn.Module:
    """An encoder by name (case-insensitive) for inputs with ``in_channels`` channels (any
    number >= 1); it has ``modality``, ``in_channels`` and ``feature_dim`` attributes."""
    name = check_choice(name, "encoder", ENCODERS, case_insensitive=True)
    check_int(in_channels, "in_channels", minimum=1)
    return ENCODERS[name](in_channels=in_channels, **kwargs)
