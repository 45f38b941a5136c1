"""Self-supervised methods: each wires models, views and a loss behind one protocol."""
from .base import METHODS, Method
from .simclr import SimCLR
from .moco import MoCo
from .simsiam import SimSiam
from .byol import BYOL
from .swav import SwAV

__all__ = ["METHODS", "Method", "SimCLR", "MoCo", "SimSiam", "BYOL", "SwAV"]

from .clip import CLIP  # noqa: E402

__all__ += ["CLIP"]
