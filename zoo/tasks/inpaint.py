"""`inpaint`: fill the holes of an image with a generator conditioned on a `masked_image`.

Convention of the condition: the image with its holes set to 0, and the mask appended as one more
channel, (N, C + 1, H, W); mask 1 marks a hole. Known pixels are copied from the input into the output
unchanged, so only the holes come from the generator.

Any image size: a generator that takes one size (R × R, the size it was trained at, as a global
discriminator fixes it) fills tiles of that size. An image smaller than R on a side is first padded to
R by reflection (its mask too, so a reflected hole stays a hole) and cropped back; a larger one is
covered by R × R tiles that overlap by half (the last one flush with the border), and each pixel takes
the average of its tiles' outputs weighted by a tent that is highest at a tile's centre, where the
generator saw the most context. An image of exactly R × R is one tile: the generator's output as is.
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
        x = image_batch(self.name, image, value_range=input_range(g), channels=channels).to(self.device)
        hole = mask_batch(self.name, mask, x.shape[0], tuple(x.shape[2:])).to(self.device)
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        if size is None or tuple(x.shape[2:]) == tuple(size):
            filled = self._fill(g, x, hole, gen)
        else:
            filled = self._fill_tiles(g, x, hole, gen, size)
        return torch.where(hole, filled, x)

    def _fill(self, g, x: Tensor, hole: Tensor, gen) -> Tensor:
        c = torch.cat([x.masked_fill(hole, 0.0), hole.to(x.dtype)], 1)
        z = g.sample_latent(x.shape[0], generator=gen, device="cpu") if g.latent is not None else None
        filled = g(z.to(self.device) if z is not None else None, c)
        if filled.shape != x.shape:
            raise ShapeError(f"{self.name}: the generator gave {tuple(filled.shape)} for an image of {tuple(x.shape)}")
        return filled

    def _fill_tiles(self, g, x: Tensor, hole: Tensor, gen, size: tuple[int, int]) -> Tensor:
        """The generator's fill of an image of another size than its own (see the module's docstring)."""
        h, w = x.shape[2:]
        pad_h, pad_w = max(0, size[0] - h), max(0, size[1] - w)
        if pad_h or pad_w:
            x, hole = _pad_to(x, hole, pad_h, pad_w)
        big_h, big_w = x.shape[2:]
        total = torch.zeros_like(x)
        weight = x.new_zeros(1, 1, big_h, big_w)
        tent = _tent(size[0], x)[:, None] * _tent(size[1], x)[None, :]
        for top in tile_starts(big_h, size[0]):
            for left in tile_starts(big_w, size[1]):
                window = (slice(None), slice(None), slice(top, top + size[0]), slice(left, left + size[1]))
                total[window] += tent * self._fill(g, x[window], hole[window], gen)
                weight[window] += tent
        return (total / weight)[:, :, :h, :w]


def tile_starts(length: int, tile: int) -> list[int]:
    """Offsets of tiles of `tile` pixels covering `length` >= tile, overlapping by half, the last flush."""
    step = max(1, tile // 2)
    starts = list(range(0, length - tile + 1, step))
    if starts[-1] != length - tile:
        starts.append(length - tile)
    return starts


def _tent(n: int, like: Tensor) -> Tensor:
    """1, 2, ..., up to the middle and back down: every pixel of a tile counts, its centre most."""
    i = torch.arange(n, dtype=like.dtype, device=like.device)
    return torch.minimum(i + 1, n - i)


def _pad_to(x: Tensor, hole: Tensor, pad_h: int, pad_w: int) -> tuple[Tensor, Tensor]:
    """Pad at the bottom and right by reflection (replication where the image is too small to reflect)."""
    mode = "reflect" if pad_h < x.shape[2] and pad_w < x.shape[3] else "replicate"
    pad = (0, pad_w, 0, pad_h)
    x = torch.nn.functional.pad(x, pad, mode=mode)
    hole = torch.nn.functional.pad(hole.to(x.dtype), pad, mode=mode) > 0.5
    return x, hole
