"""The image history pool of CycleGAN (Zhu et al. 2017, Sec. 4, after Shrivastava et al. 2017): the
discriminators are updated with a history of generated images rather than the latest ones only.

The rule (the authors' ImagePool): until the pool holds `size` images, each new image is stored and
returned as is. Once it is full, each new image is, with probability ½, returned as is; otherwise a
uniformly chosen stored image is returned and the new one takes its place. `size` = 0 returns the
batch unchanged. The draws come from the pool's own seeded torch.Generator (u ~ U[0, 1), swap when
u > ½; index ~ U{0..size−1}), so that a seed gives the same history and a checkpoint can resume it.
"""
from __future__ import annotations

import torch
from torch import Tensor


class ImagePool:
    def __init__(self, size: int = 50, seed: int = 0) -> None:
        if size < 0:
            raise ValueError(f"the pool size must be >= 0, got {size}")
        self.size = int(size)
        self.images: list[Tensor] = []
        self.generator = torch.Generator().manual_seed(seed)

    def query(self, images: Tensor) -> Tensor:
        """The batch the discriminator sees in place of `images` (N, ...): detached, stored as described."""
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
                continue
            u = torch.rand((), generator=self.generator).item()
            if u > 0.5:
                index = int(torch.randint(self.size, (), generator=self.generator))
                out.append(self.images[index])
                self.images[index] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)

    def state_dict(self) -> dict:
        return {"images": torch.stack(self.images) if self.images else torch.zeros(0),
                "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        images = state["images"]
        self.images = [] if images.numel() == 0 else [im.clone() for im in images]
        self.generator.set_state(state["generator"])
