"""Hole masks for inpainting: axis-aligned rectangles and free-form brush strokes.

Convention throughout genzoo: mask = 1 marks the HOLE (pixels to be filled), 0 the pixels kept; the
masked image is image * (1 - mask), so holes read 0, the middle of [-1, 1].

Free-form strokes follow the random brush-stroke generator of DeepFill v2 (Yu, Lin, Yang, Shen, Lu,
Huang, "Free-Form Image Inpainting with Gated Convolution", ICCV 2019, arXiv:1806.03589, Algorithm 1):
one to three strokes, each a polyline of 4-12 vertices whose turning angles alternate around 2π/5,
segment lengths drawn around a radius of (image diagonal / 8), drawn with a thick brush and round
joints, then flipped at random. Brush widths are given for 256 px (12-40) and scaled to the mask size.
Rectangles (the holes of Context Encoders and of Iizuka et al.'s completion network) take a quarter
to a half of each side.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

MASK_KINDS = ("rectangle", "free-form", "mixed")


def rectangle_mask(size: int, rng: np.random.Generator, min_fraction: float = 0.25,
                   max_fraction: float = 0.5) -> Tensor:
    """A (1, size, size) mask with one random rectangle of ones."""
    h = int(round(size * rng.uniform(min_fraction, max_fraction)))
    w = int(round(size * rng.uniform(min_fraction, max_fraction)))
    h, w = max(h, 1), max(w, 1)
    top, left = rng.integers(size - h + 1), rng.integers(size - w + 1)
    mask = torch.zeros(1, size, size)
    mask[:, top:top + h, left:left + w] = 1.0
    return mask


def free_form_mask(size: int, rng: np.random.Generator) -> Tensor:
    """A (1, size, size) mask of random thick brush strokes (DeepFill v2's generator, see above)."""
    from PIL import Image, ImageDraw

    unit = size / 256.0  # the original parameters are for 256 px images
    mean_angle, angle_range = 2 * math.pi / 5, 2 * math.pi / 15
    min_width, max_width = max(1.0, 12 * unit), max(2.0, 40 * unit)
    radius = math.sqrt(2) * size / 8
    canvas = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(canvas)
    for _ in range(rng.integers(1, 4)):
        n_vertices = rng.integers(4, 13)
        low = mean_angle - rng.uniform(0, angle_range)
        high = mean_angle + rng.uniform(0, angle_range)
        vertices = [(float(rng.integers(size)), float(rng.integers(size)))]
        for i in range(n_vertices):
            turn = rng.uniform(low, high)
            angle = 2 * math.pi - turn if i % 2 == 0 else turn
            length = float(np.clip(rng.normal(radius, radius / 2), 0, 2 * radius))
            x, y = vertices[-1]
            vertices.append((float(np.clip(x + length * math.cos(angle), 0, size - 1)),
                             float(np.clip(y + length * math.sin(angle), 0, size - 1))))
        width = int(round(rng.uniform(min_width, max_width)))
        draw.line(vertices, fill=255, width=width)
        for x, y in vertices:  # round joints
            r = width / 2
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    mask = torch.from_numpy(np.asarray(canvas, dtype=np.float32) / 255.0)
    if rng.random() < 0.5:
        mask = mask.flip(1)
    if rng.random() < 0.5:
        mask = mask.flip(0)
    return (mask > 0.5).float()[None]


def random_mask(size: int, rng: np.random.Generator, kind: str = "mixed") -> Tensor:
    """A rectangle, a free-form mask, or (mixed) either with probability 1/2."""
    if kind not in MASK_KINDS:
        raise ValueError(f"mask kind must be one of {MASK_KINDS}, got {kind!r}")
    if kind == "mixed":
        kind = "rectangle" if rng.random() < 0.5 else "free-form"
    return rectangle_mask(size, rng) if kind == "rectangle" else free_form_mask(size, rng)


def mask_of_size(kind: str, height: int, width: int, rng: np.random.Generator) -> Tensor:
    """A (1, height, width) mask for an image of any shape: "rectangle" takes a quarter to a half of
    each side; "free-form" strokes are drawn on a square of the longer side and cropped."""
    if kind == "rectangle":
        h = max(1, int(round(height * rng.uniform(0.25, 0.5))))
        w = max(1, int(round(width * rng.uniform(0.25, 0.5))))
        top, left = rng.integers(height - h + 1), rng.integers(width - w + 1)
        mask = torch.zeros(1, height, width)
        mask[:, top:top + h, left:left + w] = 1.0
        return mask
    if kind == "free-form":
        return free_form_mask(max(height, width), rng)[:, :height, :width].contiguous()
    raise ValueError(f"mask kind must be 'rectangle' or 'free-form', got {kind!r}")


def apply_mask(images: Tensor, masks: Tensor) -> Tensor:
    """Holes (mask = 1) set to 0, the middle of [-1, 1]; kept pixels unchanged."""
    return images * (1 - masks)
