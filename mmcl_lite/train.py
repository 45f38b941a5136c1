"""The public training entry point: ``from mmcl_lite.train import fit``.

The code lives in :mod:`mmcl_lite.training`; this module keeps the short import path that the
notebooks and the README use.
"""
from .training import DEFAULTS, History, epochs_for_steps, fit, load_checkpoint, save_checkpoint

__all__ = ["fit", "epochs_for_steps", "History", "save_checkpoint", "load_checkpoint", "DEFAULTS"]
