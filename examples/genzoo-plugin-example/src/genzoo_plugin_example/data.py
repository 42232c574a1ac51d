"""blob-ring: a Gaussian blob at one of 8 places on a ring, the image analogue of the mixture of
8 two-dimensional Gaussians on a circle that Mao et al. 2017 use in their stability experiments.
Procedural (nothing to download); the label is the mode's index.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

MODES = 8


def mode_centres(resolution: int) -> Tensor:
    """(8, 2) pixel coordinates (row, column) of the modes, on a ring of radius 0.3·resolution."""
    angles = torch.arange(MODES, dtype=torch.float32) * (2 * math.pi / MODES)
    centre, radius = (resolution - 1) / 2, 0.3 * resolution
    return torch.stack([centre - radius * torch.cos(angles), centre + radius * torch.sin(angles)], dim=1)


def render(positions: Tensor, resolution: int, width: float) -> Tensor:
    """(N, 1, R, R) images in [-1, 1] with a Gaussian blob of std `width` pixels at each (row, col)."""
    grid = torch.arange(resolution, dtype=torch.float32)
    rows = torch.exp(-((grid[None, :] - positions[:, :1]) ** 2) / (2 * width ** 2))
    cols = torch.exp(-((grid[None, :] - positions[:, 1:]) ** 2) / (2 * width ** 2))
    return (rows[:, :, None] * cols[:, None, :])[:, None] * 2 - 1


class BlobRing(torch.utils.data.Dataset):
    """`size` images; train and val differ only in their seed. Jitter of ±0.5 px keeps the modes narrow."""

    value_range = (-1.0, 1.0)
    num_classes = MODES

    def __init__(self, resolution: int = 16, split: str = "train", size: int = 2048) -> None:
        if split not in ("train", "val", "all"):
            raise ValueError(f"split must be 'train', 'val' or 'all', got {split!r}")
        g = torch.Generator().manual_seed({"train": 0, "val": 1, "all": 2}[split])
        self.labels = torch.randint(MODES, (size,), generator=g)
        jitter = torch.rand(size, 2, generator=g) - 0.5
        self.images = render(mode_centres(resolution)[self.labels] + jitter, resolution, width=resolution / 16)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> dict[str, Tensor]:
        return {"image": self.images[i], "label": self.labels[i]}

    def tensors(self) -> dict[str, Tensor]:
        return {"image": self.images, "label": self.labels}
