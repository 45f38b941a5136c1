"""The words that go with a dataset: prompt templates, synonyms, held-out combinations."""
from . import relations, shapes
from .prompts import CLIP_TEMPLATES, Prompts, caption_words, novel_words, paraphrase_prompts

__all__ = ["CLIP_TEMPLATES", "Prompts", "caption_words", "novel_words", "paraphrase_prompts",
           "relations", "shapes"]
