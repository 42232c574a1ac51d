"""`inpaint`: fill the holes of an image with a generator conditioned on a `masked_image`.

Convention of the condition: the image with its holes set to 0, and the mask appended as one more
channel, (N, C + 1, H, W); mask 1 marks a hole. Known pixels are copied from the input into the output
unchanged, so only the holes come from the generator.
"""
from __future__ import annotations

import torch
from torch import Tensor

from zoo.errors import ShapeError
from zoo.tasks.checks import (
    InputValueError,
    fixed_dim,
    image_batch,
    input_range,
    require_condition,
)


def mask_batch(owner: str, mask, n: int, size: tuple[int, int]) -> Tensor:
    """A mask (H, W), (1, H, W), (N, 1, H, W) of 0/1 values (bool or numbers) as a (N, 1, H, W) bool tensor."""
    if not isinstance(mask, Tensor):
        raise ShapeError(f"{owner}: mask must be a tensor of shape (N, 1, H, W), got {type(mask).__name__}")
    m = mask
    while m.dim() < 4:
        m = m[None]
    h, w = size
    if m.dim() != 4 or m.shape[1] != 1 or tuple(m.shape[2:]) != (h, w) or m.shape[0] not in (1, n):
        raise ShapeError(f"{owner}: mask must have shape ({n}, 1, {h}, {w}) or ({h}, {w}), got {tuple(mask.shape)}")
    if m.dtype != torch.bool:
        if not bool(((m == 0) | (m == 1)).all()):
            raise InputValueError(f"{owner}: mask values must be 0 (keep) or 1 (hole)")
        m = m != 0
    return m.expand(n, 1, h, w)


class InpaintTask:
    @torch.no_grad()
    def inpaint(self, image: Tensor, mask: Tensor, *, seed: int | None = None) -> Tensor:
        g = self.sampler
        require_condition(self.name, g, "masked_image", "inpaint")
        shape = g.condition.shape
        channels = fixed_dim(shape, 0) - 1 if fixed_dim(shape, 0) else None
        size = (shape[1], shape[2]) if fixed_dim(shape, 1) and fixed_dim(shape, 2) else None
        x = image_batch(self.name, image, value_range=input_range(g), channels=channels, size=size).to(self.device)
        hole = mask_batch(self.name, mask, x.shape[0], tuple(x.shape[2:])).to(self.device)
        c = torch.cat([x.masked_fill(hole, 0.0), hole.to(x.dtype)], 1)
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        z = g.sample_latent(x.shape[0], generator=gen, device="cpu") if g.latent is not None else None
        filled = g(z.to(self.device) if z is not None else None, c)
        if filled.shape != x.shape:
            raise ShapeError(f"{self.name}: the generator gave {tuple(filled.shape)} for an image of {tuple(x.shape)}")
        return torch.where(hole, filled, x)
