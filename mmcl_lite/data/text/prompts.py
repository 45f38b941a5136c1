"""Prompts for zero-shot evaluation: what a dataset says about the words that name its classes.

A :class:`Prompts` travels with a dataset (``ImageSet.prompts``): its templates per attribute,
synonyms that its captions never use, and the attribute combinations it holds out for
compositional tests. Evaluation and methods take these from the dataset or as arguments, so
they know no dataset themselves.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ...checks import check_choice

# The generic templates CLIP used for ImageNet-style data (Radford et al. 2021, their prompt
# engineering section); a caption-trained tokenizer has never seen most of these words.
CLIP_TEMPLATES = [
    "a photo of a {}.",
    "a drawing of a {}.",
    "an image of a {}.",
    "a picture of a {}.",
    "a {} shape.",
]


@dataclass
class Prompts:
    """templates: {attribute or tuple of attributes: [strings with one "{}"]};
    synonyms:  {attribute: {class name: [words the captions never use]}};
    held_out:  [(value, value), ...] combinations of ``held_out_attributes`` kept out of
               training in compositional tests;
    default_attribute: the attribute zero-shot evaluation classifies when not told;
    corpus:    captions that use every word the dataset can write (a tokenizer's vocabulary);
    negatives: None, or a function(data) -> {kind: [one caption per item]} giving captions with
               each caption's words and another meaning (hard negatives for matching)."""

    templates: dict = field(default_factory=dict)
    synonyms: dict = field(default_factory=dict)
    held_out: list = field(default_factory=list)
    held_out_attributes: tuple = ()
    corpus: list = field(default_factory=list)
    default_attribute: str = "label"   # what zero-shot classifies when not told
    negatives: object = None           # function(data) -> {kind: captions}, or None

    def templates_for(self, attribute) -> list:
        """The templates for ``attribute`` ("shape", ("colour", "shape"), ...), or ["a {}"]."""
        key = tuple(attribute) if isinstance(attribute, (list, tuple)) else attribute
        return list(self.templates.get(key, ["a {}"]))

    def paraphrases(self, attribute: str = "shape", templates=None, synonyms=None) -> dict:
        """{class: prompts}: every synonym of the class in every template of ``attribute``."""
        if synonyms is None:
            check_choice(attribute, "attribute", sorted(self.synonyms))
            synonyms = self.synonyms[attribute]
        templates = self.templates_for(attribute) if templates is None else templates
        return paraphrase_prompts(templates, synonyms)


def paraphrase_prompts(templates, synonyms: dict) -> dict:
    """{class: [t.format(word) for word in synonyms[class] for t in templates]}.

    Only the class word changes, so a comparison on these prompts measures whether the text
    tower understands the new word, not whether it copes with a new sentence shape."""
    return {name: [t.format(word) for word in words for t in templates]
            for name, words in synonyms.items()}


def caption_words(captions) -> set:
    """The lower-cased words of a caption corpus (to check which prompt words are new)."""
    return {w for c in captions for w in c.lower().replace(".", " ").split()}


def novel_words(prompts, captions) -> set:
    """Words of ``prompts`` that never occur in ``captions``."""
    return caption_words(prompts) - caption_words(captions)
