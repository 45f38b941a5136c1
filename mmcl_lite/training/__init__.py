"""Training: the one loop (``fit``), what it records (``History``), checkpoints, defaults."""
from .checkpoint import load_checkpoint, save_checkpoint
from .defaults import DEFAULTS
from .loop import epochs_for_steps, fit
from .history import History

__all__ = ["fit", "epochs_for_steps", "History", "save_checkpoint", "load_checkpoint", "DEFAULTS"]
