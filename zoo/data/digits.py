"""scikit-learn's 1,797 labelled 8×8 handwritten digits, upsampled to 16 or 32 px, values in [-1, 1].

The train/validation split is fixed (stratified by label, drawn once with seed 0), so every model is
measured on the same held-out digits whatever seed it trains with.

Items: {"image": float (1, R, R) in [-1, 1], "label": long in 0..9, "attributes": float (4,)}.

Measured attributes (`measure_attributes`, always on the 8×8 source, ink in [0, 1]), in the spirit of
Morpho-MNIST (Castro, Tan, Kamnitsas, Walker, Glocker, "Morpho-MNIST: Quantitative Assessment and
Diagnostics for Representation Learning", 2019, arXiv:1809.10780), from the ink's moments:
- thickness: ink mass / stroke length, the length taken as half the ink's perimeter (total variation of
  the zero-padded image), so a bar of width t and any length measures about t;
- slant: the shear -mu_xy / mu_yy of the ink's central second moments (x right, y down), positive when
  the digit leans right; mirroring an image flips its sign exactly;
- width: sqrt(12 (mu_xx - mu_xy^2 / mu_yy)), the horizontal extent of the ink once its slant is removed
  (a uniform bar of extent w has variance w^2 / 12), as Morpho-MNIST measures width at the slant;
- height: sqrt(12 mu_yy), the vertical extent.
`Digits.attributes` are these standardised with the mean and standard deviation over all 1,797 digits,
so train and validation share one scale and generated samples can be measured in the same units
(`standardise_attributes`).
"""
from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import Tensor

from zoo.data.shapes import SampleShape

SPLIT_SEED = 0
RESOLUTIONS = (8, 16, 32, 64)
VALIDATION_FRACTION = 0.2
ATTRIBUTE_NAMES = ("thickness", "slant", "width", "height")


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


def measure_attributes(images_8x8: Tensor) -> Tensor:
    """Raw (N, 4) attributes (see the module docstring) of (N, 8, 8) or (N, 1, 8, 8) images.

    Values in [0, 16] (scikit-learn's scale) or [0, 1] are accepted; negative ink counts as none.
    """
    x = torch.as_tensor(images_8x8).float()
    if x.dim() == 4 and x.shape[1] == 1:
        x = x[:, 0]
    if x.dim() != 3 or tuple(x.shape[1:]) != (8, 8):
        raise ValueError(f"measure_attributes takes (N, 8, 8) or (N, 1, 8, 8) images, got {tuple(x.shape)};"
                         " downsample generated samples to 8x8 first")
    if x.numel() and x.max() > 1.0:
        x = x / 16.0
    x = x.clamp(min=0.0)
    eps = 1e-6
    mass = x.sum((1, 2)).clamp_min(eps)
    coords = torch.arange(8, dtype=torch.float32)
    ys, xs = coords[:, None], coords[None, :]
    cx = (x * xs).sum((1, 2)) / mass
    cy = (x * ys).sum((1, 2)) / mass
    dx, dy = xs - cx[:, None, None], ys - cy[:, None, None]
    mu_xx = (x * dx * dx).sum((1, 2)) / mass
    mu_yy = (x * dy * dy).sum((1, 2)) / mass
    mu_xy = (x * dx * dy).sum((1, 2)) / mass
    slant = -mu_xy / mu_yy.clamp_min(eps)
    width = (12 * (mu_xx - mu_xy ** 2 / mu_yy.clamp_min(eps))).clamp_min(0).sqrt()
    height = (12 * mu_yy).sqrt()
    padded = F.pad(x, (1, 1, 1, 1))
    perimeter = (padded.diff(dim=1).abs().sum((1, 2)) + padded.diff(dim=2).abs().sum((1, 2))).clamp_min(eps)
    thickness = mass / (perimeter / 2)
    return torch.stack([thickness, slant, width, height], dim=1)


@functools.lru_cache(maxsize=1)
def _cached_source_digits() -> tuple[Tensor, Tensor]:
    from sklearn.datasets import load_digits

    raw = load_digits()
    return torch.tensor(raw.images, dtype=torch.float32) / 16.0, torch.tensor(raw.target, dtype=torch.long)


def source_digits() -> tuple[Tensor, Tensor]:
    """All 1,797 digits as (N, 8, 8) ink in [0, 1] and their labels (N,) (copies: safe to modify)."""
    images, labels = _cached_source_digits()
    return images.clone(), labels.clone()


@functools.lru_cache(maxsize=1)
def attribute_statistics() -> tuple[Tensor, Tensor, Tensor]:
    """Mean, standard deviation and median of the raw attributes over all 1,797 digits."""
    raw = measure_attributes(source_digits()[0])
    return raw.mean(0), raw.std(0), raw.median(0).values


def standardise_attributes(raw: Tensor) -> Tensor:
    """Raw attributes in units of the full digits set's standard deviation, centred on its mean."""
    mean, std, _ = attribute_statistics()
    return (raw - mean) / std


def load_digits_tensors(resolution: int = 32, split: str = "train") -> tuple[Tensor, Tensor]:
    """Images (N, 1, R, R) in [-1, 1] and labels (N,) of one split ("train", "val" or "all")."""
    if resolution not in RESOLUTIONS:
        raise ValueError(f"digits come at 8, 16, 32 or 64 px, not {resolution}")
    if split not in ("train", "val", "all"):
        raise ValueError(f"split must be 'train', 'val' or 'all', got {split!r}")
    images, labels = source_digits()
    images = images[:, None]  # ink in [0, 1]
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
    """The digits as a dataset of {"image", "label", "attributes"} dicts; `tensors()` gives them all.

    `seed` is accepted for a uniform signature and changes nothing: the digits and their split are fixed.
    """

    value_range = (-1.0, 1.0)
    num_classes = 10
    attribute_names = ATTRIBUTE_NAMES
    sample_shape = SampleShape(channels=(1,), resolutions=RESOLUTIONS, default_resolution=32)

    def __init__(self, resolution: int = 32, split: str = "train", seed: int = 0) -> None:
        self.resolution, self.split, self.seed = resolution, split, seed
        self.images, self.labels = load_digits_tensors(resolution, split)
        raw = measure_attributes(source_digits()[0])
        self.raw_attributes = raw[self._indices()]
        self.attributes = standardise_attributes(self.raw_attributes)

    def _indices(self) -> Tensor:
        if self.split == "all":
            return torch.arange(len(source_digits()[1]))
        train, val = _split_indices(source_digits()[1])
        return train if self.split == "train" else val

    def binary_attribute(self, name: str) -> Tensor:
        """True where the attribute is above its median over all 1,797 digits (one threshold for every split)."""
        if name not in self.attribute_names:
            raise KeyError(f"unknown attribute {name!r}; the digits have {', '.join(self.attribute_names)}")
        j = self.attribute_names.index(name)
        return self.raw_attributes[:, j] > attribute_statistics()[2][j]

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> dict[str, Tensor]:
        return {"image": self.images[i], "label": self.labels[i], "attributes": self.attributes[i]}

    def tensors(self) -> dict[str, Tensor]:
        return {"image": self.images, "label": self.labels, "attributes": self.attributes}
