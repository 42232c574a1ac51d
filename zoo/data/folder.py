"""`folder`: a user's own images or voxel grids, so CelebA, FFHQ, DIV2K or ShapeNet train the same way.

Layouts understood under `root`:
- ImageFolder: root/<class>/<file>; classes are the sub-folder names in sorted order, labels their
  indices (`class_names`);
- flat: root/<file>, no labels.
Files are images (.png .jpg .jpeg .bmp .gif .webp .tif .tiff, read with PIL) or, with kind="voxels", .npy
occupancy grids of shape (D, H, W) or (1, D, H, W) holding values in [0, 1] (booleans allowed).
kind="auto" takes whichever kind the folder has (an error if it has both).

Items: images: {"image": float (C, R, R) in [-1, 1], "label": long if classes}: the shorter side is
resized to R (bicubic; PIL anti-aliases when shrinking), then the centre R × R is cropped; C = 3 (RGB)
or 1 (grey, `channels=1`). Voxels: {"voxels": float (1, R, R, R) in [0, 1], "label" if classes},
resampled trilinearly to R³ when the file's size differs (axes kept).

The split is fixed by the file's relative path: a file is in "val" when the CRC-32 of its path falls in
the lowest `val_percent` percent, so adding files never moves old ones between splits; split="all"
takes every file. `seed` changes nothing (files are not random) and exists for a uniform signature.
Items load lazily, one file per __getitem__; `tensors()` loads the split once (up to `limit` files) for
in-memory training. `zoo train ... --dataset folder --data-root ~/celeba` passes `root`; without it,
`root` defaults to the GENZOO_FOLDER_ROOT environment variable.
"""
from __future__ import annotations

import os
import zlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from zoo.data.base import check_positive, check_split
from zoo.data.shapes import SampleShape

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
VOXEL_SUFFIXES = frozenset({".npy"})
ROOT_VARIABLE = "GENZOO_FOLDER_ROOT"


def load_image(path: str | Path, resolution: int, channels: int = 3) -> Tensor:
    """One image file as float (C, R, R) in [-1, 1]: shorter side resized to R, centre crop."""
    from PIL import Image

    from zoo.errors import DataError

    try:
        with Image.open(path) as image:
            image = image.convert("RGB" if channels == 3 else "L")
            image.load()
    except OSError as exc:  # corrupt, truncated or not an image: name the file, in one line
        raise DataError(f"{path}: not a readable image ({' '.join(str(exc).split())})") from None
    w, h = image.size
    scale = resolution / min(w, h)
    new_w, new_h = max(resolution, round(w * scale)), max(resolution, round(h * scale))
    image = image.resize((new_w, new_h), Image.BICUBIC)
    left, top = (new_w - resolution) // 2, (new_h - resolution) // 2
    image = image.crop((left, top, left + resolution, top + resolution))
    array = np.asarray(image, dtype=np.float32) / 127.5 - 1.0
    tensor = torch.from_numpy(array.copy())
    return tensor[None] if channels == 1 else tensor.permute(2, 0, 1).contiguous()


def load_voxels(path: str | Path, resolution: int) -> Tensor:
    """One .npy occupancy grid as float (1, R, R, R) in [0, 1]."""
    array = np.load(path, allow_pickle=False)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 3:
        raise ValueError(f"{path}: voxel grids must be (D, H, W) or (1, D, H, W), got shape {array.shape}")
    grid = torch.from_numpy(array.astype(np.float32))
    if grid.numel() and (grid.min() < 0 or grid.max() > 1):
        raise ValueError(f"{path}: voxel grids must hold occupancy in [0, 1], got values in "
                         f"[{grid.min().item():g}, {grid.max().item():g}]")
    if tuple(grid.shape) != (resolution,) * 3:
        grid = F.interpolate(grid[None, None], size=(resolution,) * 3, mode="trilinear", align_corners=False)[0, 0]
    return grid[None].clamp(0, 1)


def in_validation(relative_path: str, val_percent: int) -> bool:
    return zlib.crc32(relative_path.replace(os.sep, "/").encode()) % 100 < val_percent


class Folder(torch.utils.data.Dataset):
    """Images or voxel grids from a folder (ImageFolder classes or flat)."""

    # RGB unless asked for grey (`channels=1`); any resolution (files are resampled)
    sample_shape = SampleShape(channels=(3, 1), default_resolution=64)

    def __init__(self, root: str | Path | None = None, resolution: int = 64, split: str = "train", seed: int = 0,
                 kind: str = "auto", channels: int = 3, val_percent: int = 10, limit: int | None = None) -> None:
        root = root if root is not None else os.environ.get(ROOT_VARIABLE)
        if root is None:
            raise ValueError(f"the folder dataset needs root=PATH (or the {ROOT_VARIABLE} environment variable)")
        self.root = Path(root).expanduser()
        if not self.root.is_dir():
            raise FileNotFoundError(f"folder dataset root {self.root} is not a directory")
        self.resolution = check_positive("resolution", resolution)
        self.split, self.seed = check_split(split, ("train", "val", "all")), seed
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 (grey) or 3 (RGB), got {channels!r}")
        if not 0 <= val_percent <= 100:
            raise ValueError(f"val_percent must be in [0, 100], got {val_percent!r}")
        self.channels, self.val_percent = channels, val_percent
        self.kind = self._resolve_kind(kind)
        suffixes = IMAGE_SUFFIXES if self.kind == "images" else VOXEL_SUFFIXES
        self.class_names = tuple(sorted(p.name for p in self.root.iterdir()
                                        if p.is_dir() and not p.name.startswith(".")))
        files = self._files(suffixes)
        if split != "all":
            files = [(f, c) for f, c in files
                     if in_validation(str(f.relative_to(self.root)), val_percent) == (split == "val")]
        if limit is not None:
            files = files[:check_positive("limit", limit)]
        if not files:
            raise ValueError(f"no {self.kind} files for split {split!r} under {self.root} "
                             f"(looked for {', '.join(sorted(suffixes))})")
        self.files = [f for f, _ in files]
        self.labels = torch.tensor([c for _, c in files], dtype=torch.long) if self.class_names else None
        self.num_classes = len(self.class_names) or None
        self.value_range = (-1.0, 1.0) if self.kind == "images" else (0.0, 1.0)
        self._cache: dict[str, Tensor] | None = None

    def _resolve_kind(self, kind: str) -> str:
        if kind in ("images", "voxels"):
            return kind
        if kind != "auto":
            raise ValueError(f"kind must be 'auto', 'images' or 'voxels', got {kind!r}")
        suffixes = {p.suffix.lower() for p in self.root.rglob("*") if p.is_file()}
        has_images, has_voxels = bool(suffixes & IMAGE_SUFFIXES), bool(suffixes & VOXEL_SUFFIXES)
        if has_images and has_voxels:
            raise ValueError(f"{self.root} holds both images and .npy grids; pass kind='images' or kind='voxels'")
        if not (has_images or has_voxels):
            raise ValueError(f"no image or .npy files under {self.root}")
        return "images" if has_images else "voxels"

    def _files(self, suffixes) -> list[tuple[Path, int]]:
        def listed(folder: Path) -> list[Path]:
            return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes)

        if not self.class_names:
            return [(p, -1) for p in listed(self.root)]
        return [(p, c) for c, name in enumerate(self.class_names) for p in listed(self.root / name)]

    def __len__(self) -> int:
        return len(self.files)

    def _load(self, i: int) -> Tensor:
        if self.kind == "images":
            return load_image(self.files[i], self.resolution, self.channels)
        return load_voxels(self.files[i], self.resolution)

    def __getitem__(self, i: int) -> dict[str, Tensor]:
        key = "image" if self.kind == "images" else "voxels"
        item = {key: self._cache[key][i] if self._cache else self._load(i)}
        if self.labels is not None:
            item["label"] = self.labels[i]
        return item

    def tensors(self) -> dict[str, Tensor]:
        if self._cache is None:
            key = "image" if self.kind == "images" else "voxels"
            self._cache = {key: torch.stack([self._load(i) for i in range(len(self))])}
            if self.labels is not None:
                self._cache["label"] = self.labels
        return dict(self._cache)
