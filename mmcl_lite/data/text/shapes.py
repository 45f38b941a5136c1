"""The words of the shapes dataset: prompt templates, synonyms, held-out pairs, a corpus.

``PROMPTS`` is attached to every set ``make_shapes`` returns (``data.prompts``).
"""
from __future__ import annotations

from ..images.shapes import BACKGROUNDS, COLOURS, POSITIONS, SHAPES, SIZES, caption_for
from .prompts import Prompts

# Caption-style prompts: they use the words of the shapes captions and marginalise the
# nuisances (size, place, background) that the class does not fix.
SHAPE_TEMPLATES = [
    "a {}",
    "a small {}",
    "a medium {}",
    "a large {}",
    "a {} in the centre",
    "a {} on a plain background",
]
COLOUR_TEMPLATES = [f"a {{}} {shape}" for shape in SHAPES]
# For (colour, shape) pairs, e.g. "red triangle"
PAIR_TEMPLATES = ["a {}", "a small {}", "a medium {}", "a large {}", "a {} in the centre"]
TEMPLATES = {"shape": SHAPE_TEMPLATES, "colour": COLOUR_TEMPLATES,
             ("colour", "shape"): PAIR_TEMPLATES}

# Synonyms for each class that avoid every shape and colour word of the shapes captions (and
# share no word piece with the class name): a from-scratch word-level tokenizer maps them to
# [UNK]; a pretrained language model may know them. The first ones listed are synonyms that
# all-MiniLM-L6-v2 itself places nearest the right class name (checked in its own embedding
# space with the caption-style templates); the last of each shape, and "crimson", it does not
# ("doughnut" lands nearer "star" than "ring"): a locked text tower passes on its gaps too.
SYNONYMS = {
    "shape": {
        "circle": ["disc", "oval", "round dot"],
        "triangle": ["three-sided polygon", "three-cornered shape", "delta"],
        "square": ["box", "tile", "four-sided block"],
        "star": ["asterisk", "twinkle", "pentagram"],
        "cross": ["crucifix", "first-aid symbol", "plus sign"],
        "ring": ["halo", "bracelet", "doughnut"],
    },
    "colour": {
        "red": ["scarlet", "crimson"],
        "green": ["leafy", "grass-coloured"],
        "blue": ["navy", "sky-coloured"],
        "yellow": ["canary-coloured", "golden"],
        "purple": ["violet", "lavender"],
        "orange": ["tangerine", "apricot"],
        "cyan": ["turquoise", "aqua"],  # MiniLM calls both "blue"
        "white": ["ivory", "milky"],
    },
}

# One colour held out per shape, each colour at most once: every shape and every colour is
# still seen in training, only these pairings are not.
HELD_OUT = [("circle", "red"), ("triangle", "green"), ("square", "blue"),
            ("star", "yellow"), ("cross", "purple"), ("ring", "orange")]


def caption_corpus() -> list[str]:
    """Captions that use every word the ``make_shapes`` generator can write (a tokenizer built
    on them covers every caption the dataset can produce)."""
    n = max(len(SHAPES), len(COLOURS), len(SIZES), len(POSITIONS), len(BACKGROUNDS))
    return [caption_for(i % len(SHAPES), i % len(COLOURS), i % len(SIZES), i % len(POSITIONS),
                        i % len(BACKGROUNDS)) for i in range(n)]


PROMPTS = Prompts(templates=TEMPLATES, synonyms=SYNONYMS, held_out=HELD_OUT,
                  held_out_attributes=("shape", "colour"), corpus=caption_corpus(),
                  default_attribute="shape")

PARAPHRASES = {a: PROMPTS.paraphrases(a) for a in SYNONYMS}
"""Ready-made ``templates=`` dicts: ``zero_shot_accuracy(m, data, "shape",
templates=PARAPHRASES["shape"])``."""
