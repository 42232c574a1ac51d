"""scikit-learn's 1,797 labelled 8×8 handwritten digits, upsampled to 16 or 32 px, values in [-1, 1].

The train/validation split is fixed (stratified by label, drawn once with seed 0), so every model is
measured on the same held-out digits whatever seed it trains with.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

SPLIT_SEED = 0
VALIDATION_FRACTION = 0.2


def _split_indices(labels: Tensor) -> tuple[Tensor, Tensor]:
    g = torch.Generator().manual_seed(SPLIT_SEED)
    train, val = [], []
    for digit in range(10):
        idx = torch.nonzero(labels == digit).flatten()
        idx = idx[torch.randperm(len(idx), generator=g)]
        n_val = round(len(idx) * VALIDATION_FRACTION)
        val.append(idx[:n_val])
        train.append(idx[n_val:])
    return torch.cat(train).sort().values, torch.cat(val).sort().values


def load_digits_tensors(resolution: int = 32, split: str = "train") -> tuple[Tensor, Tensor]:
    """Images (N, 1, R, R) in [-1, 1] and labels (N,) of one split ("train", "val" or "all")."""
    from sklearn.datasets import load_digits

    if resolution not in (8, 16, 32, 64):
        raise ValueError(f"digits come at 8, 16, 32 or 64 px, not {resolution}")
    if split not in ("train", "val", "all"):
        raise ValueError(f"split must be 'train', 'val' or 'all', got {split!r}")
    raw = load_digits()
    images = torch.tensor(raw.images, dtype=torch.float32)[:, None] / 16.0  # ink in [0, 1]
    labels = torch.tensor(raw.target, dtype=torch.long)
    if resolution != 8:
        # bicubic with antialias keeps strokes smooth; clamp the small overshoot
        images = F.interpolate(images, size=(resolution, resolution), mode="bicubic", align_corners=False)
        images = images.clamp(0, 1)
    images = images * 2 - 1
    if split != "all":
        train, val = _split_indices(labels)
        keep = train if split == "train" else val
        images, labels = images[keep], labels[keep]
    return images.contiguous(), labels


class Digits(torch.utils.data.Dataset):
    """The digits as a dataset of {"image", "label"} dicts; `tensors()` gives them all at once."""

    value_range = (-1.0, 1.0)
    num_classes = 10

    def __init__(self, resolution: int = 32, split: str = "train") -> None:
        self.resolution, self.split = resolution, split
        self.images, self.labels = load_digits_tensors(resolution, split)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> dict[str, Tensor]:
        return {"image": self.images[i], "label": self.labels[i]}

    def tensors(self) -> dict[str, Tensor]:
        return {"image": self.images, "label": self.labels}
