"""Image datasets: procedural shapes and two-object relations, scikit-learn's digits, CIFAR-10 (downloaded on request)."""
from .cifar import load_cifar10
from .digits import load_digits
from .relations import make_relations
from .shapes import make_shapes

__all__ = ["load_cifar10", "load_digits", "make_relations", "make_shapes"]
