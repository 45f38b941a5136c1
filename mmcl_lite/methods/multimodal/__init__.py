"""Methods that align two modalities: CLIP (and its locked-text-tower variant)."""
from .clip import CLIP

__all__ = ["CLIP"]
