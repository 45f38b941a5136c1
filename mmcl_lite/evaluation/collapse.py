"""Collapse statistics of embeddings (defined beside the losses, which methods also report)."""
from ..losses.collapse import effective_rank, embedding_std

__all__ = ["effective_rank", "embedding_std"]
