"""`translate`: image-to-image translation by generators conditioned on an `image`.

Convention: the component `generator` maps domain A to B (direction "ab", also spelt "AtoB"); a model
that also maps back (CycleGAN) has a second component `generator_ba` ("ba", "BtoA"). pix2pix has only "ab".

Any image size: a generator declares the size it was trained at (R × R). An image of that size is
translated as is. Another size is covered by R × R tiles overlapping by half (the last one flush with the
border; an image smaller than R on a side is first padded to R by reflection and cropped back), and each
pixel takes the average of its tiles' outputs weighted by a tent highest at a tile's centre — the rule
zoo.tasks.inpaint follows.

`seed` fixes the generator's noise: its latent if it draws one, and torch's global generator for the
duration of the call (pix2pix's noise is dropout, kept on at test time), leaving the caller's state as it was.
"""
from __future__ import annotations

import torch
from torch import Tensor

from zoo.tasks.checks import (
    InputValueError,
    fixed_dim,
    image_batch,
    input_range,
    require_condition,
)
from zoo.tasks.inpaint import tile_starts

DIRECTION_ROLES = {"ab": "generator", "ba": "generator_ba"}
# the authors' spelling (pytorch-CycleGAN-and-pix2pix's --direction AtoB | BtoA), case-insensitive
DIRECTION_ALIASES = {"atob": "ab", "btoa": "ba", "ab": "ab", "ba": "ba"}


def normalise_direction(direction: str) -> str:
    """"AtoB" / "ab" -> "ab", "BtoA" / "ba" -> "ba"; anything else is returned unchanged (and refused later)."""
    return DIRECTION_ALIASES.get(str(direction).lower(), direction)


def _tent(n: int, like: Tensor) -> Tensor:
    i = torch.arange(n, dtype=like.dtype, device=like.device)
    return torch.minimum(i + 1, n - i)


class TranslateTask:
    @property
    def directions(self) -> tuple[str, ...]:
        return tuple(d for d, role in DIRECTION_ROLES.items() if role in self.components)

    def translator(self, direction: str = "ab"):
        """The generator that translates in `direction` ("ab"/"AtoB" or "ba"/"BtoA")."""
        d = normalise_direction(direction)
        if d not in self.directions:
            raise InputValueError(f"{self.name}: no direction {direction!r}; it translates "
                                  f"{' and '.join(repr(x) for x in self.directions)}")
        return self.sampler if d == "ab" else self.components[DIRECTION_ROLES[d]]

    @torch.no_grad()
    def translate(self, image: Tensor, *, direction: str = "ab", seed: int | None = None) -> Tensor:
        g = self.translator(direction)
        require_condition(self.name, g, "image", "translate")
        shape = g.condition.shape
        size = (shape[1], shape[2]) if fixed_dim(shape, 1) and fixed_dim(shape, 2) else None
        x = image_batch(self.name, image, value_range=input_range(g), channels=fixed_dim(shape, 0)).to(self.device)
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed)
            gen = torch.Generator().manual_seed(seed) if seed is not None else None
            if size is None or tuple(x.shape[2:]) == tuple(size):
                return self._run(g, x, gen)
            return self._run_tiles(g, x, gen, size)

    def _run(self, g, x: Tensor, gen) -> Tensor:
        z = g.sample_latent(x.shape[0], generator=gen, device="cpu") if g.latent is not None else None
        return g(z.to(self.device) if z is not None else None, x)

    def _run_tiles(self, g, x: Tensor, gen, size: tuple[int, int]) -> Tensor:
        h, w = x.shape[2:]
        pad_h, pad_w = max(0, size[0] - h), max(0, size[1] - w)
        if pad_h or pad_w:
            mode = "reflect" if pad_h < h and pad_w < w else "replicate"
            x = torch.nn.functional.pad(x, (0, pad_w, 0, pad_h), mode=mode)
        big_h, big_w = x.shape[2:]
        total, weight = None, x.new_zeros(1, 1, big_h, big_w)
        tent = _tent(size[0], x)[:, None] * _tent(size[1], x)[None, :]
        for top in tile_starts(big_h, size[0]):
            for left in tile_starts(big_w, size[1]):
                window = (slice(None), slice(None), slice(top, top + size[0]), slice(left, left + size[1]))
                out = self._run(g, x[window], gen)
                if total is None:
                    total = x.new_zeros(x.shape[0], out.shape[1], big_h, big_w)
                total[window] += tent * out
                weight[window] += tent
        return (total / weight)[:, :, :h, :w]
