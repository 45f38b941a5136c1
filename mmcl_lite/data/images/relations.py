"""Procedural "relations": two shapes per image and a caption that binds attributes to objects.

"a small red circle left of a large blue square" and "a small blue circle left of a large red
square" use exactly the same words; only which colour goes with which shape tells them apart.
A model that compares one vector per image with one vector per caption can get by as a bag of
words on most data, and this set is made so that such shortcuts show: every image has held-out
*hard negatives* that differ from its caption only in binding (``data.text.relations``):

* ``colours``:  the two objects' colours exchanged ("a blue circle ... a red square");
* ``relation``: the relation replaced by its opposite ("right of" for "left of");
* ``objects``:  the two object phrases exchanged, the relation kept ("a large blue square left
  of a small red circle").

Each is false for the image (the two shapes, and the two colours, always differ), and each has
the same bag of words as a true caption: for ``relation`` and ``objects`` it is the true scene
read from the other object ("the square right of the circle").

Objects are drawn with the shapes renderer (``shapes.shape_alpha``) on a plain grey
background; the relation is unambiguous (the objects are apart along its axis by more than
their radii and nearly level across it).
"""
from __future__ import annotations

import torch

from ...checks import check_int
from ..imageset import ImageSet
from .shapes import COLOURS, SHAPES, pixel_grid, render_in_chunks, shape_alpha

# Four shapes that stay distinct at a few pixels' radius, six well-separated colours.
OBJECT_SHAPES = ["circle", "triangle", "square", "cross"]
OBJECT_COLOURS = ["red", "green", "blue", "yellow", "purple", "white"]
OBJECT_SIZES = {"small": (0.10, 0.12), "large": (0.15, 0.18)}  # radius / image side
RELATIONS = ["left of", "right of", "above", "below"]
OPPOSITE = {0: 1, 1: 0, 2: 3, 3: 2}  # index of each relation's converse
# the categorical attributes of a scene, in caption order
CATEGORICAL = ("shape_a", "colour_a", "size_a", "relation", "shape_b", "colour_b", "size_b")


def relation_caption(values: dict) -> str:
    """The caption of one scene: values has shape_a, colour_a, size_a, relation, shape_b, ...
    (ints indexing OBJECT_SHAPES, OBJECT_COLOURS, OBJECT_SIZES, RELATIONS)."""
    def phrase(o):
        return (f"a {list(OBJECT_SIZES)[values['size_' + o]]} "
                f"{OBJECT_COLOURS[values['colour_' + o]]} {OBJECT_SHAPES[values['shape_' + o]]}")
    return f"{phrase('a')} {RELATIONS[values['relation']]} {phrase('b')}"


def _distinct_pair(n: int, k: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Two different values in [0, k) per item, uniformly over ordered pairs."""
    first = torch.randint(k, (n,), generator=g)
    second = (first + torch.randint(1, k, (n,), generator=g)) % k
    return first, second


def _place(relation: torch.Tensor, ra: torch.Tensor, rb: torch.Tensor, g: torch.Generator):
    """Centres (xa, ya, xb, yb) so that object a is ``relation`` object b: apart along the
    relation's axis by ra + rb + 0.05..0.2, within 0.06 of each other across it."""
    n = len(relation)
    gap = ra + rb + 0.05 + 0.15 * torch.rand(n, generator=g)
    a_first = (relation == 0) | (relation == 2)          # left of / above: a has the lower coordinate
    r_first, r_second = torch.where(a_first, ra, rb), torch.where(a_first, rb, ra)
    room = (1 - 0.02 - r_second - gap) - (0.02 + r_first)
    along_first = 0.02 + r_first + room.clamp_min(0) * torch.rand(n, generator=g)
    along_second = along_first + gap
    along_a = torch.where(a_first, along_first, along_second)
    along_b = torch.where(a_first, along_second, along_first)
    r_max = torch.maximum(ra, rb)
    centre = 0.02 + r_max + 0.06 + (1 - 2 * (0.02 + r_max + 0.06)) * torch.rand(n, generator=g)
    across_a = centre + 0.06 * (2 * torch.rand(n, generator=g) - 1)
    across_b = centre + 0.06 * (2 * torch.rand(n, generator=g) - 1)
    horizontal = relation < 2
    xa, ya = torch.where(horizontal, along_a, across_a), torch.where(horizontal, across_a, along_a)
    xb, yb = torch.where(horizontal, along_b, across_b), torch.where(horizontal, across_b, along_b)
    return xa, ya, xb, yb


def _draw_scenes(n: int, g: torch.Generator) -> dict:
    shape_a, shape_b = _distinct_pair(n, len(OBJECT_SHAPES), g)
    colour_a, colour_b = _distinct_pair(n, len(OBJECT_COLOURS), g)
    size_a = torch.randint(len(OBJECT_SIZES), (n,), generator=g)
    size_b = torch.randint(len(OBJECT_SIZES), (n,), generator=g)
    relation = torch.randperm(n, generator=g) % len(RELATIONS)  # balanced classes
    bounds = torch.tensor(list(OBJECT_SIZES.values()))
    ra = bounds[size_a, 0] + (bounds[size_a, 1] - bounds[size_a, 0]) * torch.rand(n, generator=g)
    rb = bounds[size_b, 0] + (bounds[size_b, 1] - bounds[size_b, 0]) * torch.rand(n, generator=g)
    xa, ya, xb, yb = _place(relation, ra, rb, g)
    return dict(shape_a=shape_a, colour_a=colour_a, size_a=size_a, shape_b=shape_b,
                colour_b=colour_b, size_b=size_b, relation=relation, radius_a=ra, radius_b=rb,
                x_a=xa, y_a=ya, x_b=xb, y_b=yb,
                rotation_a=torch.rand(n, generator=g) * 360.0,
                rotation_b=torch.rand(n, generator=g) * 360.0)


def _render_scenes(f: dict, image_size: int, g: torch.Generator) -> torch.Tensor:
    """uint8 (B, 3, S, S): a grey background, then object a, then object b on top."""
    b = len(f["relation"])
    u, v = pixel_grid(b, image_size)
    palette = torch.tensor([COLOURS[c] for c in OBJECT_COLOURS], dtype=torch.float32) / 255
    shape_index = torch.tensor([SHAPES.index(s) for s in OBJECT_SHAPES])
    grey = torch.empty(b, 1, 1, 1).uniform_(0.15, 0.45, generator=g)
    image = (grey + 0.03 * torch.randn(b, 3, 1, 1, generator=g)).expand(b, 3, image_size,
                                                                         image_size)
    for o in ("a", "b"):
        alpha = shape_alpha(shape_index[f["shape_" + o]], f["x_" + o], f["y_" + o],
                            f["radius_" + o], f["rotation_" + o], u, v)
        colour = (palette[f["colour_" + o]] + 0.05 * torch.randn(b, 3, generator=g)).clamp(0, 1)
        image = image * (1 - alpha) + colour.view(b, 3, 1, 1) * alpha
    return (image * 255).round().clamp(0, 255).to(torch.uint8)


def make_relations(n: int = 4000, seed: int = 0, image_size: int = 32) -> ImageSet:
    """Render ``n`` two-object scenes (uint8, 3 x image_size x image_size), deterministic by
    ``seed``, each with a caption "a {size} {colour} {shape} {relation} a {size} {colour}
    {shape}".

    labels = the relation (4 balanced classes: left of, right of, above, below). attributes:
    shape_a, colour_a, size_a, shape_b, colour_b, size_b, relation (categorical, names in
    ``attribute_names``; object a is the caption's first) and x_a, y_a, x_b, y_b (centres, as
    fractions of the image). Within an image the two shapes differ and the two colours differ.
    ``data.text.relations.binding_negatives(data)`` gives each image's hard-negative captions.
    """
    check_int(n, "n", minimum=1)
    check_int(seed, "seed", minimum=0)
    check_int(image_size, "image_size", minimum=16)
    g = torch.Generator().manual_seed(seed)
    scenes = _draw_scenes(n, g)
    images = render_in_chunks(_render_scenes, scenes, image_size, g)
    attributes = {k: scenes[k] for k in CATEGORICAL + ("x_a", "y_a", "x_b", "y_b")}
    captions = [relation_caption(dict(zip(CATEGORICAL, vals)))
                for vals in zip(*(scenes[k].tolist() for k in CATEGORICAL))]
    names = {"shape": OBJECT_SHAPES, "colour": OBJECT_COLOURS, "size": list(OBJECT_SIZES)}
    attribute_names = {f"{a}_{o}": list(names[a]) for a in names for o in ("a", "b")}
    attribute_names["relation"] = list(RELATIONS)
    from ..text.relations import PROMPTS  # the words of this dataset (same floor, imported late)

    return ImageSet(images=images, labels=scenes["relation"].clone(), class_names=list(RELATIONS),
                    attributes=attributes, attribute_names=attribute_names, captions=captions,
                    name="relations", prompts=PROMPTS)
