"""Procedural "shapes": a dataset made on the fly, offline, with known generative factors.

Each image shows one shape (the class) drawn with nuisance factors chosen at random: colour,
size, position, rotation and a patterned background. Shape is what a good representation should
capture; the nuisances change most pixels, so raw pixels are a poor representation of shape.
Every factor is also kept as an attribute and written into an English caption
("a small red triangle near the top left on a striped background") for the multimodal notebooks.

Rendering is vectorised: every pixel of every image is computed with tensor ops from a signed
distance to the shape's outline, in image chunks to bound memory.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ...checks import check_int
from ..imageset import ImageSet

SHAPES = ["circle", "triangle", "square", "star", "cross", "ring"]
COLOURS = {
    "red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 225),
    "yellow": (235, 210, 40), "purple": (150, 60, 190), "orange": (240, 130, 30),
    "cyan": (40, 200, 210), "white": (240, 240, 240),
}
SIZES = {"small": (0.13, 0.17), "medium": (0.20, 0.24), "large": (0.27, 0.31)}  # radius / image
BACKGROUNDS = ["plain", "striped", "checkered", "dotted", "noisy"]
POSITIONS = ["near the top left", "near the top", "near the top right",
             "on the left", "in the centre", "on the right",
             "near the bottom left", "near the bottom", "near the bottom right"]


def _outline_distance(shape: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Signed distance-like value (< 0 inside) in shape units; x, y: (B, H, W), shape: (B,)."""
    rho = torch.sqrt(x * x + y * y + 1e-12)
    phi = torch.atan2(x, -y)  # 0 points up, so a triangle and a star point up when unrotated
    tri_sector = torch.remainder(phi, 2 * math.pi / 3) - math.pi / 3
    star_radius = 0.42 + 0.58 * ((torch.cos(5 * phi) + 1) / 2) ** 2
    arms = torch.minimum(torch.maximum(x.abs() - 0.3, y.abs() - 0.95),
                         torch.maximum(x.abs() - 0.95, y.abs() - 0.3))
    candidates = torch.stack([
        rho - 1.0,                                        # circle
        rho * torch.cos(tri_sector) - 0.55,               # triangle (inradius 0.55)
        torch.maximum(x.abs(), y.abs()) - 0.8,            # square
        (rho - star_radius) * 0.7,                        # star (0.7: not a true SDF; soften edge)
        arms,                                             # cross
        (rho - 0.72).abs() - 0.28,                        # ring
    ], dim=1)                                             # (B, 6, H, W)
    return candidates.gather(1, shape.view(-1, 1, 1, 1).expand(-1, 1, *x.shape[1:])).squeeze(1)


def _background(kind, base, other, u, v, g):
    """Patterned backgrounds, (B,3,H,W) floats in [0,1]; kind indexes BACKGROUNDS."""
    b = kind.shape[0]
    freq = torch.empty(b, 1, 1).uniform_(2.5, 5.5, generator=g)
    angle = torch.empty(b, 1, 1).uniform_(0, math.pi, generator=g)
    phase = torch.empty(b, 1, 1).uniform_(0, 1, generator=g)
    stripes = (torch.sin(2 * math.pi * (freq * (u * torch.cos(angle) + v * torch.sin(angle))
                                        + phase)) > 0).float()
    checks = torch.remainder(torch.floor(u * freq + phase) + torch.floor(v * freq + phase), 2)
    du = torch.remainder(u * freq * 1.5 + phase, 1) - 0.5
    dv = torch.remainder(v * freq * 1.5 + phase, 1) - 0.5
    dots = (du * du + dv * dv < 0.08).float()
    coarse = torch.rand(b, 1, 6, 6, generator=g)
    noise = F.interpolate(coarse, size=u.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
    patterns = torch.stack([torch.zeros_like(stripes), stripes, checks, dots, noise], dim=1)
    mix = patterns.gather(1, kind.view(-1, 1, 1, 1).expand(-1, 1, *u.shape[-2:]))  # (B,1,H,W)
    return base.view(b, 3, 1, 1) * (1 - mix) + other.view(b, 3, 1, 1) * mix


def _draw_factors(n: int, g: torch.Generator) -> dict:
    """All random factors for n images, drawn in batch."""
    shape = torch.randperm(n, generator=g) % len(SHAPES)  # balanced classes
    size = torch.randint(len(SIZES), (n,), generator=g)
    lo = torch.tensor([r[0] for r in SIZES.values()])[size]
    hi = torch.tensor([r[1] for r in SIZES.values()])[size]
    radius = lo + (hi - lo) * torch.rand(n, generator=g)
    margin = radius + 0.02
    cx = margin + (1 - 2 * margin) * torch.rand(n, generator=g)
    cy = margin + (1 - 2 * margin) * torch.rand(n, generator=g)
    return {
        "shape": shape,
        "colour": torch.randint(len(COLOURS), (n,), generator=g),
        "size": size,
        "radius": radius,
        "x": cx,
        "y": cy,
        "position": (cy * 3).long().clamp(0, 2) * 3 + (cx * 3).long().clamp(0, 2),
        "rotation": torch.rand(n, generator=g) * 360.0,
        "background": torch.randint(len(BACKGROUNDS), (n,), generator=g),
    }


def shape_alpha(shape, cx, cy, radius, rotation, u, v) -> torch.Tensor:
    """Coverage in [0, 1] of one shape per image, (B, 1, S, S): shape (B,) indexes SHAPES;
    centre cx, cy and radius (B,) are fractions of the image, rotation (B,) in degrees; u, v
    (B, S, S) are the pixel centres' coordinates."""
    b, s = len(shape), u.shape[-1]
    r = radius.view(b, 1, 1)
    dx, dy = (u - cx.view(b, 1, 1)) / r, (v - cy.view(b, 1, 1)) / r
    theta = torch.deg2rad(rotation).view(b, 1, 1)
    x = torch.cos(theta) * dx + torch.sin(theta) * dy
    y = -torch.sin(theta) * dx + torch.cos(theta) * dy
    # distance in pixels -> a one-pixel linear ramp gives cheap anti-aliasing
    return (0.5 - _outline_distance(shape, x, y) * r * s).clamp(0, 1).unsqueeze(1)


def pixel_grid(b: int, s: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(u, v), each (b, s, s): the x and y of every pixel centre as fractions of the image."""
    grid = (torch.arange(s, dtype=torch.float32) + 0.5) / s
    v, u = torch.meshgrid(grid, grid, indexing="ij")
    return u.expand(b, s, s), v.expand(b, s, s)


def _render(f: dict, image_size: int, g: torch.Generator) -> torch.Tensor:
    """Render one chunk of factors to uint8 (B,3,S,S)."""
    b = len(f["shape"])
    u, v = pixel_grid(b, image_size)
    alpha = shape_alpha(f["shape"], f["x"], f["y"], f["radius"], f["rotation"], u, v)
    palette = torch.tensor(list(COLOURS.values()), dtype=torch.float32) / 255
    colour = (palette[f["colour"]] + 0.06 * torch.randn(b, 3, generator=g)).clamp(0, 1)
    # muted backgrounds whose pattern contrast stays below the shape's, so the shape is
    # visible but pixels are dominated by nuisances
    grey = torch.empty(b, 1).uniform_(0.1, 0.5, generator=g)
    base = (grey + 0.1 * torch.randn(b, 3, generator=g)).clamp(0, 1)
    other = (base + torch.empty(b, 3).uniform_(-0.2, 0.2, generator=g)).clamp(0, 1)
    bg = _background(f["background"], base, other, u, v, g)
    image = bg * (1 - alpha) + colour.view(b, 3, 1, 1) * alpha
    return (image * 255).round().clamp(0, 255).to(torch.uint8)


def caption_for(shape: int, colour: int, size: int, position: int, background: int) -> str:
    """The English caption of one image's factors."""
    return (f"a {list(SIZES)[size]} {list(COLOURS)[colour]} {SHAPES[shape]} "
            f"{POSITIONS[position]} on a {BACKGROUNDS[background]} background")


def render_in_chunks(render, factors: dict, image_size: int, g: torch.Generator) -> torch.Tensor:
    """``render(chunk_of_factors, image_size, g)`` over chunks of about 2M pixels (bounded
    memory), concatenated: uint8 (N, 3, S, S)."""
    n = len(next(iter(factors.values())))
    chunk = max(1, 2_000_000 // (image_size * image_size))
    return torch.cat([render({k: v[i:i + chunk] for k, v in factors.items()}, image_size, g)
                      for i in range(0, n, chunk)])


def make_shapes(n: int = 4000, seed: int = 0, image_size: int = 32) -> ImageSet:
    """Render ``n`` shape images (uint8, 3 x image_size x image_size), deterministic by ``seed``.

    labels = shape class (6 classes, balanced). attributes: shape, colour, size, position
    (3x3 grid cell), background (categorical, names in ``attribute_names``) and rotation
    (degrees), x, y (centre, fraction of the image) as floats. captions: one string each.
    """
    check_int(n, "n", minimum=1)
    check_int(seed, "seed", minimum=0)
    check_int(image_size, "image_size", minimum=8)
    g = torch.Generator().manual_seed(seed)
    factors = _draw_factors(n, g)
    images = render_in_chunks(_render, factors, image_size, g)
    categorical = ["shape", "colour", "size", "position", "background"]
    captions = [caption_for(*vals) for vals in
                zip(*(factors[k].tolist() for k in categorical))]
    attributes = {k: factors[k] for k in categorical + ["rotation", "x", "y"]}
    from ..text.shapes import PROMPTS  # the words of this dataset (same floor, imported late)

    return ImageSet(
        images=images, labels=factors["shape"].clone(), class_names=list(SHAPES),
        attributes=attributes, captions=captions, name="shapes", prompts=PROMPTS,
        attribute_names={"shape": list(SHAPES), "colour": list(COLOURS), "size": list(SIZES),
                         "position": list(POSITIONS), "background": list(BACKGROUNDS)})
