"""`voxel-views`: the `voxels` primitives, each with a rendered picture of it, for learning shapes from
single images (3D-VAE-GAN, Wu et al. 2016, arXiv:1610.07584, Sec. 3.2, which encodes one 2-D view of
an object into the latent code of its voxels).

Items: those of zoo.data.voxels ("voxels" (1, R, R, R) occupancy in {0, 1}, "label") plus "image":
float (1, S, S) in [-1, 1], the shape seen from the isometric corner (azimuth 45°, elevation 35.26°),
shaded grey on a white field by zoo.voxel_render. The camera is fixed, so a view shows the shape's
pose too (the shapes are randomly rotated): the grid to reconstruct is the one in the picture.
"""
from __future__ import annotations

import torch
from torch import Tensor

from zoo.data.voxels import Voxels


class VoxelViews(Voxels):
    """Voxel primitives with their isometric views (S = image_size, 64 by default)."""

    value_range = (0.0, 1.0)  # of "voxels"; "image" is in [-1, 1]

    def __init__(self, resolution: int = 32, split: str = "train", seed: int = 0, size: int | None = None,
                 image_size: int = 64) -> None:
        super().__init__(resolution=resolution, split=split, seed=seed, size=size)
        if image_size < 8:
            raise ValueError(f"image_size must be at least 8, got {image_size}")
        self.image_size = image_size

    def _build(self) -> dict[str, Tensor]:
        from zoo.voxel_render import render_voxels

        items = super()._build()
        pictures = torch.cat([render_voxels(chunk, self.image_size) for chunk in items["voxels"].split(64)])
        return {**items, "image": pictures * 2 - 1}
