"""`photos-inpaint` and `digits-inpaint`: images with rectangular or free-form holes, and their masks.

Items: {"image": float (C, R, R) in [-1, 1], the complete image (the target);
        "mask": float (1, R, R) in {0, 1}, 1 = hole, 0 = kept (see zoo.data.masks);
        "masked": float (C, R, R) in [-1, 1], image * (1 - mask): holes read 0;
        "label": long in 0..9, digits only}.
photos-inpaint crops the shipped scikit-image photographs (C = 3, split by photograph; for one seed the
same crops as photos-sr);
digits-inpaint uses the digits (C = 1) with their fixed split. `mask_kind` is "rectangle",
"free-form" or "mixed" (each item one or the other with probability 1/2). Training masks (and crops)
follow `seed`; validation ones are fixed.
"""
from __future__ import annotations

import torch
from torch import Tensor

from zoo.data.base import InMemoryDataset, check_positive, check_split, item_rng
from zoo.data.masks import MASK_KINDS, apply_mask, random_mask
from zoo.data.photos import photos_for_split, random_crop
from zoo.data.shapes import SampleShape


def _check_kind(kind: str) -> str:
    if kind not in MASK_KINDS:
        raise ValueError(f"mask_kind must be one of {MASK_KINDS}, got {kind!r}")
    return kind


def _masks(name: str, split: str, seed: int, n: int, resolution: int, kind: str) -> Tensor:
    return torch.stack([random_mask(resolution, item_rng(name, split, seed, i), kind) for i in range(n)])


class PhotosInpaint(InMemoryDataset):
    """Photograph crops with holes."""

    sample_shape = SampleShape(channels=(3,), default_resolution=64)

    def __init__(self, resolution: int = 64, split: str = "train", seed: int = 0, mask_kind: str = "mixed",
                 size: int | None = None) -> None:
        self.resolution = check_positive("resolution", resolution)
        self.split, self.seed, self.mask_kind = check_split(split), seed, _check_kind(mask_kind)
        self.photos = photos_for_split(split, resolution)
        super().__init__(size if size is not None else (256 if split == "train" else 64))

    def _build(self) -> dict[str, Tensor]:
        images = torch.stack([random_crop(self.photos, self.resolution, item_rng("photos", self.split, self.seed, i))
                              for i in range(self.size)]) * 2 - 1
        masks = _masks("photos-inpaint", self.split, self.seed, self.size, self.resolution, self.mask_kind)
        return {"image": images, "mask": masks, "masked": apply_mask(images, masks)}


class DigitsInpaint(InMemoryDataset):
    """The digits (all of the split) with holes."""

    num_classes = 10
    sample_shape = SampleShape(channels=(1,), resolutions=(8, 16, 32, 64), default_resolution=32)

    def __init__(self, resolution: int = 32, split: str = "train", seed: int = 0, mask_kind: str = "mixed") -> None:
        from zoo.data.digits import load_digits_tensors

        self.resolution, self.split, self.seed = resolution, check_split(split), seed
        self.mask_kind = _check_kind(mask_kind)
        self.images, self.labels = load_digits_tensors(resolution, split)
        super().__init__(len(self.images))

    def _build(self) -> dict[str, Tensor]:
        masks = _masks("digits-inpaint", self.split, self.seed, self.size, self.resolution, self.mask_kind)
        return {"image": self.images, "label": self.labels, "mask": masks,
                "masked": apply_mask(self.images, masks)}
