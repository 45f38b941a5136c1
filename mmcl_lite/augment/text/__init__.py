"""Views of text: masking tokens for masked language modelling."""
from .masking import mask_tokens

__all__ = ["mask_tokens"]
