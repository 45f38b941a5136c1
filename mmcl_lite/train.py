"""The public training entry point: ``from mmcl_lite.train import fit``.

The code lives in :mod:`mmcl_lite.training`; this module keeps the short import path that the
notebooks and the README use.
"""
from .training import DEFAULTS, History, fit, load_checkpoint, save_checkpoint

__all__ = ["fit", "History", "save_checkpoint", "load_checkpoint", "DEFAULTS"]
