"""`translate`: image-to-image translation by generators conditioned on an `image`.

Convention: the component `generator` maps domain A to B (direction "ab"); a model that also maps back
(CycleGAN) has a second component `generator_ba` (direction "ba"). pix2pix has only "ab".
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

DIRECTION_ROLES = {"ab": "generator", "ba": "generator_ba"}


class TranslateTask:
    @property
    def directions(self) -> tuple[str, ...]:
        return tuple(d for d, role in DIRECTION_ROLES.items() if role in self.components)

    @torch.no_grad()
    def translate(self, image: Tensor, *, direction: str = "ab", seed: int | None = None) -> Tensor:
        if direction not in self.directions:
            raise InputValueError(f"{self.name}: no direction {direction!r}; it translates "
                                  f"{' and '.join(repr(d) for d in self.directions)}")
        g = self.sampler if direction == "ab" else self.components[DIRECTION_ROLES[direction]]
        require_condition(self.name, g, "image", "translate")
        shape = g.condition.shape
        size = (shape[1], shape[2]) if fixed_dim(shape, 1) and fixed_dim(shape, 2) else None
        x = image_batch(self.name, image, value_range=input_range(g), channels=fixed_dim(shape, 0), size=size)
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        z = g.sample_latent(x.shape[0], generator=gen, device="cpu") if g.latent is not None else None
        return g(z.to(self.device) if z is not None else None, x.to(self.device))
