"""Image encoders (backbones): a small ConvNet for CPUs and ResNet-18 with the CIFAR stem.

Every encoder takes images as uint8 (0..255) or float (0..1), (B, C, H, W) with any number of
channels C, normalises them itself (so callers never forget to) and returns features
(B, feature_dim). ``modality = "images"`` tells a method which batch field to read.
"""
from __future__ import annotations

import torch
import torch.nn as nn


class InputNorm(nn.Module):
    """uint8 or [0,1] float -> roughly zero-mean unit-variance input: (x - 0.5) / 0.25."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype == torch.uint8:
            x = x.float() / 255.0
        return (x - 0.5) / 0.25


def _conv_block(c_in: int, c_out: int, pool: bool) -> nn.Sequential:
    layers = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
              nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class ConvNet(nn.Module):
    """Four 3x3 conv-BN-ReLU blocks of width w, 2w, 4w, 8w, each of the first three followed by
    a 2x2 max-pool, then global average pooling: features (B, 8w). At w=32 that is 0.4M
    parameters and ~15M multiply-adds per 32x32 image (ResNet-18: 556M), which is what makes
    training in minutes on a laptop CPU possible. Any input size >= 8 works (global pooling)."""

    modality = "images"

    def __init__(self, in_channels: int = 3, width: int = 32):
        super().__init__()
        self.in_channels = in_channels
        self.feature_dim = 8 * width
        self.net = nn.Sequential(
            InputNorm(),
            _conv_block(in_channels, width, pool=True),
            _conv_block(width, 2 * width, pool=True),
            _conv_block(2 * width, 4 * width, pool=True),
            _conv_block(4 * width, 8 * width, pool=False),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """The last block's map before pooling, (B, 8w, H/8, W/8): one vector per image region
        (``forward`` is its spatial mean)."""
        return self.net[:-2](x)


class ResNet18(nn.Module):
    """torchvision's ResNet-18 with the CIFAR stem (3x3 conv, stride 1, no max-pool), as in the
    SimCLR paper's CIFAR experiments: 32x32 inputs keep enough resolution. Features (B, 512)."""

    modality = "images"

    def __init__(self, in_channels: int = 3):
        super().__init__()
        self.in_channels = in_channels
        from torchvision.models import resnet18

        net = resnet18(weights=None)
        net.conv1 = nn.Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
        net.maxpool = nn.Identity()
        net.fc = nn.Identity()
        self.feature_dim = 512
        self.norm = InputNorm()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.norm(x))
