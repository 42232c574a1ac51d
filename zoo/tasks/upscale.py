"""`upscale`: super-resolution of an image of any size by a generator conditioned on a `low_res_image`
(latent None, or a latent drawn per tile). The generator says its factor as `scale`.

Tiling keeps memory bounded: each tile is run with `overlap` extra input pixels on every side (fewer at
the image border) and only its core is kept. For a fully-convolutional generator whose receptive field
radius fits in `overlap`, the tiled output equals the untiled one (up to float rounding).
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
    progress_bar,
    require_condition,
)


class UpscaleTask:
    @torch.no_grad()
    def upscale(self, image: Tensor, *, tile: int | None = None, overlap: int = 16, seed: int | None = None,
                progress: bool = False) -> Tensor:
        """`image` (N, C, H, W) or (C, H, W) in the generator's range -> (N, C', scale*H, scale*W)."""
        g = self.sampler
        require_condition(self.name, g, "low_res_image", "upscale")
        x = image_batch(self.name, image, value_range=input_range(g), channels=fixed_dim(g.condition.shape, 0),
                        what="image to upscale")
        scale = int(getattr(g, "scale", 0))
        if scale < 1:
            raise ShapeError(f"{self.name}: the generator does not say its upscaling factor (attribute 'scale')")
        if tile is not None and (tile < 1 or overlap < 0):
            raise InputValueError(f"tile must be >= 1 and overlap >= 0, got tile={tile}, overlap={overlap}")
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        n, _, h, w = x.shape
        if tile is None or (tile >= h and tile >= w):
            return self._upscale_piece(g, x, scale, gen)
        out = None
        spots = [(y, x0) for y in range(0, h, tile) for x0 in range(0, w, tile)]
        with progress_bar(len(spots), "upscale", progress) as bar:
            for y0, x0 in spots:
                y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
                ya, xa = max(0, y0 - overlap), max(0, x0 - overlap)
                yb, xb = min(h, y1 + overlap), min(w, x1 + overlap)
                piece = self._upscale_piece(g, x[:, :, ya:yb, xa:xb], scale, gen)
                if out is None:
                    out = piece.new_empty(n, piece.shape[1], h * scale, w * scale)
                out[:, :, y0 * scale:y1 * scale, x0 * scale:x1 * scale] = \
                    piece[:, :, (y0 - ya) * scale:(y1 - ya) * scale, (x0 - xa) * scale:(x1 - xa) * scale]
                bar.update(1)
        return out

    def _upscale_piece(self, g, x: Tensor, scale: int, gen) -> Tensor:
        z = g.sample_latent(x.shape[0], generator=gen, device="cpu") if g.latent is not None else None
        out = g(z.to(self.device) if z is not None else None, x.to(self.device))
        want = (x.shape[2] * scale, x.shape[3] * scale)
        if tuple(out.shape[2:]) != want:
            raise ShapeError(f"{self.name}: the generator gave {tuple(out.shape[2:])} for a {tuple(x.shape[2:])} "
                             f"input; a x{scale} upscaler must give {want}")
        return out
