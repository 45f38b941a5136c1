"""In-memory datasets as tensors, and index-batch iterators over them."""
from .batches import index_batches, num_batches
from .cifar import load_cifar10
from .digits import load_digits
from .imageset import ImageSet
from .shapes import make_shapes

__all__ = ["ImageSet", "load_digits", "make_shapes", "load_cifar10", "index_batches",
           "num_batches"]
