"""Datasets as tensors in memory (one protocol for every modality), and index batches."""
from .base import Dataset, per_class_index
from .batches import index_batches, num_batches
from .images import load_cifar10, load_digits, make_relations, make_shapes
from .imageset import ImageSet
from .registry import DATASETS, load_dataset
from .series import UEA_BUNDLED, load_uea, make_activities
from .seriesset import SeriesSet

__all__ = ["Dataset", "per_class_index", "ImageSet", "SeriesSet", "load_digits", "make_shapes",
           "make_relations",
           "load_cifar10", "index_batches", "num_batches", "DATASETS", "load_dataset",
           "load_uea", "make_activities", "UEA_BUNDLED"]
