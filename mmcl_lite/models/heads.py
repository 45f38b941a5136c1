"""Projection and prediction heads: small MLPs put on top of an encoder."""
from __future__ import annotations

import torch.nn as nn

from ..checks import check_int


class MLPHead(nn.Sequential):
    """Linear -> BN -> ReLU repeated (num_layers - 1) times, then Linear to ``out_dim``.

    SimCLR's projection head g(h) is the 2-layer version; SimSiam/BYOL predictors use the same
    shape with a bottleneck hidden size. ``last_bn`` adds a BatchNorm without affine at the end
    (SimSiam's projector does this).
    """

    def __init__(self, in_dim: int, hidden_dim: int, out_dim: int, num_layers: int = 2,
                 batch_norm: bool = True, last_bn: bool = False):
        check_int(num_layers, "num_layers", minimum=1)
        layers, dim = [], in_dim
        for _ in range(num_layers - 1):
            layers.append(nn.Linear(dim, hidden_dim, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm1d(hidden_dim))
            layers.append(nn.ReLU(inplace=True))
            dim = hidden_dim
        layers.append(nn.Linear(dim, out_dim))
        if last_bn:
            layers.append(nn.BatchNorm1d(out_dim, affine=False))
        super().__init__(*layers)
        self.out_dim = out_dim

    def __getitem__(self, idx):
        # nn.Sequential rebuilds a slice with self.__class__(OrderedDict), which this
        # constructor does not take: a slice (e.g. head[:-1], the layers before the output)
        # is returned as a plain nn.Sequential.
        if isinstance(idx, slice):
            return nn.Sequential(*list(self)[idx])
        return super().__getitem__(idx)
