"""The words of the relations dataset: its hard negatives, attribute words and a corpus.

``binding_negatives(data)`` rewrites every caption of a ``make_relations`` set in the three
ways that keep its bag of words and change its meaning (see ``data.images.relations``).
"""
from __future__ import annotations

from ...checks import check_choice, fail, said
from ..images.relations import (CATEGORICAL, OBJECT_COLOURS, OBJECT_SHAPES, OBJECT_SIZES,
                                OPPOSITE, RELATIONS, relation_caption)
from .prompts import Prompts

SWAP_KINDS = ("colours", "relation", "objects")

# The one-word attribute values a masked-language test asks for ("left" of "left of").
ATTRIBUTE_WORDS = {
    "colour": list(OBJECT_COLOURS),
    "shape": list(OBJECT_SHAPES),
    "size": list(OBJECT_SIZES),
    "relation": [r.split()[0] for r in RELATIONS],
}


def swap(values: dict, kind: str) -> dict:
    """One scene's attribute values with the binding changed by ``kind`` (SWAP_KINDS)."""
    v = dict(values)
    if kind == "colours":
        v["colour_a"], v["colour_b"] = values["colour_b"], values["colour_a"]
    elif kind == "relation":
        v["relation"] = OPPOSITE[values["relation"]]
    else:  # "objects": the two phrases change places, the relation word stays
        for a in ("shape", "colour", "size"):
            v[a + "_a"], v[a + "_b"] = values[a + "_b"], values[a + "_a"]
    return v


def binding_negatives(data, kinds=SWAP_KINDS) -> dict:
    """{kind: [caption per item]}: each item's caption with its binding swapped by ``kind``,
    a false description of the image with the same words as a true one."""
    missing = [k for k in CATEGORICAL if k not in getattr(data, "attributes", {})]
    if missing:
        fail("data", "a relations set (make_relations) with the attributes "
             f"{list(CATEGORICAL)}", said(f"a set without {missing}"))
    kinds = [check_choice(k, "kinds", SWAP_KINDS) for k in kinds]
    rows = [dict(zip(CATEGORICAL, vals))
            for vals in zip(*(data.attributes[k].tolist() for k in CATEGORICAL))]
    return {kind: [relation_caption(swap(r, kind)) for r in rows] for kind in kinds}


def caption_corpus() -> list[str]:
    """Captions that together use every word ``make_relations`` can write."""
    n = max(len(OBJECT_SHAPES), len(OBJECT_COLOURS), len(RELATIONS))
    return [relation_caption({"shape_a": i % len(OBJECT_SHAPES),
                              "shape_b": (i + 1) % len(OBJECT_SHAPES),
                              "colour_a": i % len(OBJECT_COLOURS),
                              "colour_b": (i + 1) % len(OBJECT_COLOURS),
                              "size_a": i % 2, "size_b": (i + 1) % 2,
                              "relation": i % len(RELATIONS)}) for i in range(n)]


PROMPTS = Prompts(templates={"relation": ["a shape {} a shape"]}, corpus=caption_corpus(),
                  default_attribute="relation", negatives=binding_negatives)
