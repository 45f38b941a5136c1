"""Training: the one loop (``fit``), what it records (``History``), checkpoints, defaults."""
from .checkpoint import load_checkpoint, save_checkpoint
from .defaults import DEFAULTS
from .loop import fit
from .history import History

__all__ = ["fit", "History", "save_checkpoint", "load_checkpoint", "DEFAULTS"]
