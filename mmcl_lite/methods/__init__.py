"""Self-supervised methods, and the supervised baseline they are measured against: each
wires models, views and a loss behind one protocol.

``METHODS`` maps each class name to its class; ``method_by_name`` looks one up
case-insensitively.
"""
from .base import METHODS, Method, method_by_name
from .image import BYOL, MoCo, SimCLR, SimSiam, SwAV
from .multimodal import CLIP, MILNCE, Fusion, UnpairedCLIP
from .series import CPC, TS2Vec, TSTCC, CrossSensor
from .supervised import Supervised

__all__ = ["METHODS", "Method", "method_by_name", "SimCLR", "MoCo", "SimSiam", "BYOL", "SwAV",
           "CLIP", "Fusion", "UnpairedCLIP", "MILNCE", "TS2Vec", "CPC", "TSTCC", "CrossSensor",
           "Supervised"]
