"""Methods that learn from views of one input: SimCLR, MoCo, SimSiam, BYOL, SwAV."""
from .simclr import SimCLR  # noqa: I001 (registration order: the order the course meets them)
from .moco import MoCo
from .simsiam import SimSiam
from .byol import BYOL
from .swav import SwAV

__all__ = ["SimCLR", "MoCo", "SimSiam", "BYOL", "SwAV"]
