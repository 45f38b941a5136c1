"""The public evaluation entry point: ``from mmcl_lite import evaluate``.

The code lives in :mod:`mmcl_lite.evaluation`; this module keeps the short import path that the
notebooks and the README use (``evaluate.embed``, ``evaluate.knn_accuracy``, ...).
"""
from .evaluation import *  # noqa: F401,F403
from .evaluation import __all__  # noqa: F401
