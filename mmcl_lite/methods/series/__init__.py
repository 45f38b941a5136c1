"""Methods that learn from time series alone: TS2Vec, CPC, TS-TCC, and cross-sensor contrast."""
from .ts2vec import TS2Vec  # noqa: I001 (registration order: the order notebook 11 meets them)
from .cpc import CPC
from .tstcc import TSTCC
from .cross_sensor import CrossSensor

__all__ = ["TS2Vec", "CPC", "TSTCC", "CrossSensor"]
