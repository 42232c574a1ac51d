"""What the in-memory datasets share: split checking, per-item seeds and a lazily built tensor cache.

Conventions for every dataset in zoo/data:
- items are dicts of tensors; images are float (C, H, W) in [-1, 1]; `tensors()` returns all items of
  the split as one dict of stacked tensors (what zoo.data.batches.TensorBatches consumes);
- `split` is "train" or "val". The validation items never depend on `seed`: every model is measured on
  the same held-out items whatever seed it trained with; `seed` only changes the training draw;
- procedural items are drawn from a generator seeded by (dataset, split, seed, index), so item i is
  the same whatever the dataset's size, and train and validation come from disjoint streams.
"""
from __future__ import annotations

import hashlib

import numpy as np
import torch
from torch import Tensor

SPLITS = ("train", "val")
VALIDATION_SEED = 0  # the fixed stream of validation items; `seed` never reaches it


def check_split(split: str, allowed: tuple[str, ...] = SPLITS) -> str:
    if split not in allowed:
        raise ValueError(f"split must be one of {', '.join(map(repr, allowed))}, got {split!r}")
    return split


def check_positive(name: str, value) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def item_seed(dataset: str, split: str, seed: int, index: int) -> int:
    """A 63-bit seed for one item; validation ignores `seed` (see the module docstring)."""
    seed = VALIDATION_SEED if split == "val" else seed
    digest = hashlib.sha256(f"{dataset}/{split}/{seed}/{index}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def item_rng(dataset: str, split: str, seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng(item_seed(dataset, split, seed, index))


class InMemoryDataset(torch.utils.data.Dataset):
    """A dataset whose items are built once, on first access, and kept as stacked tensors."""

    value_range = (-1.0, 1.0)

    def __init__(self, size: int) -> None:
        self.size = check_positive("size", size)
        self._cache: dict[str, Tensor] | None = None

    def _build(self) -> dict[str, Tensor]:
        raise NotImplementedError

    def tensors(self) -> dict[str, Tensor]:
        if self._cache is None:
            self._cache = self._build()
        return dict(self._cache)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, i: int) -> dict[str, Tensor]:
        if not -self.size <= i < self.size:
            raise IndexError(f"index {i} out of range for {self.size} items")
        return {k: v[i] for k, v in self.tensors().items()}
