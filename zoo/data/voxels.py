"""`voxels`: procedural 3-D primitives with a random rotation and size, as occupancy grids, labelled.

A stand-in for ShapeNet's voxelised objects in 3D-GAN (Wu, Zhang, Xue, Freeman, Tenenbaum, "Learning a
Probabilistic Latent Space of Object Shapes via 3D Generative-Adversarial Modeling", NeurIPS 2016,
arXiv:1610.07584), whose generator ends in a sigmoid over a 64³ occupancy grid.

Items: {"voxels": float (1, R, R, R), axes (z, y, x), occupancy in {0, 1} (1 = inside the shape), or
        in [0, 1] with soft=True (a partial-volume estimate, clamp(0.5 - sdf / voxel_size, 0, 1));
        "label": long, the index of the primitive in CLASSES}.
R is 32 or 64. Each shape is given by its signed distance function in its own frame, sized by a random
bounding radius in [0.45, 0.9] of the grid's half-width (so every pose fits inside the grid) and a random
aspect where the primitive has one, then turned by a uniformly random rotation (a normalised Gaussian
quaternion). Shapes are centred, as ShapeNet models are. Training shapes follow `seed`; validation ones
are fixed. Default sizes: 256 training / 64 validation shapes at 32³, 128 / 32 at 64³ (a 64³ float grid
is 1 MiB).
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from zoo.data.base import InMemoryDataset, check_split, item_rng

CLASSES = ("sphere", "cube", "cylinder", "cone", "torus", "octahedron")
RESOLUTIONS = (32, 64)


def random_rotation(rng: np.random.Generator) -> Tensor:
    """A 3×3 rotation drawn uniformly (Haar) from a normalised 4-D Gaussian quaternion."""
    q = rng.normal(size=4)
    w, x, y, z = (q / np.linalg.norm(q)).tolist()
    return torch.tensor([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def _length(*parts: Tensor) -> Tensor:
    return torch.sqrt(sum(p * p for p in parts))


def _sdf_box(p: Tensor, half: float) -> Tensor:
    q = p.abs() - half
    outside = _length(*q.clamp_min(0).unbind(-1))
    return outside + q.max(-1).values.clamp_max(0)


def _sdf_cylinder(p: Tensor, radius: float, half_height: float) -> Tensor:
    dx = _length(p[..., 0], p[..., 1]) - radius
    dz = p[..., 2].abs() - half_height
    return _length(dx.clamp_min(0), dz.clamp_min(0)) + torch.maximum(dx, dz).clamp_max(0)


def _sdf_cone(p: Tensor, radius: float, half_height: float) -> Tensor:
    """A solid cone along z: base disc of `radius` at z = -h, apex at z = +h (exact distance)."""
    qx, qy = _length(p[..., 0], p[..., 1]), p[..., 2]
    h = half_height
    # distance to the base cap and to the slanted side (segment from base rim (r, -h) to apex (0, h))
    ca_x = qx - torch.where(qy < 0, torch.full_like(qx, radius), torch.zeros_like(qx)).minimum(qx)
    ca_y = qy.abs() - h
    k2x, k2y = -radius, 2 * h
    t = (((0 - qx) * k2x + (h - qy) * k2y) / (k2x * k2x + k2y * k2y)).clamp(0, 1)
    cb_x, cb_y = qx - 0 + k2x * t, qy - h + k2y * t
    sign = torch.where((cb_x < 0) & (ca_y < 0), -1.0, 1.0)
    return sign * torch.sqrt(torch.minimum(ca_x * ca_x + ca_y * ca_y, cb_x * cb_x + cb_y * cb_y))


def _sdf_torus(p: Tensor, major: float, minor: float) -> Tensor:
    return _length(_length(p[..., 0], p[..., 1]) - major, p[..., 2]) - minor


def primitive_sdf(label: int, points: Tensor, rng: np.random.Generator) -> Tensor:
    """Signed distance (negative inside) of a random primitive of class `label` at `points` (..., 3)."""
    radius = rng.uniform(0.45, 0.9)  # bounding radius in units of the grid's half-width
    name = CLASSES[label]
    if name == "sphere":
        return points.norm(dim=-1) - radius
    if name == "cube":
        return _sdf_box(points, radius / math.sqrt(3))
    if name == "octahedron":
        return (points.abs().sum(-1) - radius) / math.sqrt(3)  # a bound, exact in sign
    theta = rng.uniform(math.radians(25), math.radians(65))
    if name == "cylinder":
        return _sdf_cylinder(points, radius * math.sin(theta), radius * math.cos(theta))
    if name == "cone":
        return _sdf_cone(points, radius * math.sin(theta), radius * math.cos(theta))
    if name == "torus":
        minor = radius * rng.uniform(0.2, 0.4)
        return _sdf_torus(points, radius - minor, minor)
    raise ValueError(f"unknown primitive {name!r}")


def voxel_centres(resolution: int) -> Tensor:
    """(R, R, R, 3) coordinates (x, y, z) in [-1, 1] of the voxel centres, indexed [z, y, x]."""
    c = (torch.arange(resolution, dtype=torch.float32) + 0.5) * (2 / resolution) - 1
    z, y, x = torch.meshgrid(c, c, c, indexing="ij")
    return torch.stack([x, y, z], dim=-1)


def random_shape(label: int, resolution: int, rng: np.random.Generator, soft: bool = False) -> Tensor:
    """One (1, R, R, R) occupancy grid of a randomly sized and rotated primitive."""
    rotation = random_rotation(rng)
    local = voxel_centres(resolution) @ rotation  # row vectors: p_local = R^T p
    sdf = primitive_sdf(label, local, rng)
    if soft:
        return (0.5 - sdf / (2 / resolution)).clamp(0, 1)[None]
    return (sdf <= 0).float()[None]


class Voxels(InMemoryDataset):
    """Labelled occupancy grids of procedural primitives; classes cycle so every class is equally common."""

    num_classes = len(CLASSES)
    class_names = CLASSES
    value_range = (0.0, 1.0)

    def __init__(self, resolution: int = 32, split: str = "train", seed: int = 0, size: int | None = None,
                 soft: bool = False) -> None:
        if resolution not in RESOLUTIONS:
            raise ValueError(f"voxels come at {RESOLUTIONS} per side, not {resolution!r}")
        self.resolution, self.split, self.seed, self.soft = resolution, check_split(split), seed, soft
        default = {32: 256, 64: 128}[resolution] // (1 if split == "train" else 4)
        super().__init__(size if size is not None else default)

    def _build(self) -> dict[str, Tensor]:
        labels = torch.arange(self.size) % len(CLASSES)
        grids = torch.stack([random_shape(int(c), self.resolution, item_rng("voxels", self.split, self.seed, i),
                                          soft=self.soft) for i, c in enumerate(labels)])
        return {"voxels": grids, "label": labels}
