"""Turning tensors into pictures: value-range conversion, grids, PNG files (no torchvision needed)."""
from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import Tensor


def to_range(x: Tensor, src: tuple[float, float], dst: tuple[float, float]) -> Tensor:
    """Map values linearly from the interval `src` to the interval `dst`."""
    if tuple(src) == tuple(dst):
        return x
    scale = (dst[1] - dst[0]) / (src[1] - src[0])
    return (x - src[0]) * scale + dst[0]


def to_uint8(x: Tensor, value_range: tuple[float, float] = (-1.0, 1.0)) -> Tensor:
    """Float images in `value_range` to uint8 [0, 255], rounding as PIL and the FID references do."""
    x = to_range(x.detach().float().cpu(), value_range, (0.0, 255.0))
    return x.add(0.5).clamp(0, 255).to(torch.uint8)


def make_grid(images: Tensor, nrow: int | None = None, padding: int = 2, pad_value: float = 0.0) -> Tensor:
    """Tile (N, C, H, W) images into one (C, H', W') image, `nrow` per row (default: square)."""
    if images.dim() != 4:
        raise ValueError(f"make_grid takes (N, C, H, W) images, got shape {tuple(images.shape)}")
    n, c, h, w = images.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / nrow)
    grid = images.new_full((c, rows * (h + padding) + padding, nrow * (w + padding) + padding), pad_value)
    for i in range(n):
        r, col = divmod(i, nrow)
        y, x = padding + r * (h + padding), padding + col * (w + padding)
        grid[:, y:y + h, x:x + w] = images[i]
    return grid


def save_grid(images: Tensor, path: str | Path, *, value_range=(-1.0, 1.0), nrow: int | None = None,
              scale: int = 1) -> Path:
    """Write images as one PNG grid; `scale` enlarges small images (nearest neighbour) for viewing."""
    from PIL import Image

    grid = make_grid(to_uint8(images, value_range), nrow=nrow)
    array = grid.permute(1, 2, 0).numpy()
    mode = "L" if array.shape[2] == 1 else "RGB"
    image = Image.fromarray(array[:, :, 0] if mode == "L" else array, mode=mode)
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path
