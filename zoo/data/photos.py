"""scikit-image's sample photographs that ship inside the installed package, and random crops of them.

Some of `skimage.data`'s images are fetched with pooch on first use; nothing may be downloaded here, so
only the files already present in the package's data folder are used (`available_photos`), read
directly with PIL, and the others are skipped without a network call. The split is by photograph and
fixed (`PHOTOS`): no crop of a validation photograph is ever a training crop.
"""
from __future__ import annotations

import functools
import os

import numpy as np
import torch
from torch import Tensor

# name (as in skimage.data) -> (file in skimage's data folder, split). Grey photographs become RGB.
PHOTOS: dict[str, tuple[str, str]] = {
    "astronaut": ("astronaut.png", "train"),
    "coffee": ("coffee.png", "train"),
    "rocket": ("rocket.jpg", "train"),
    "retina": ("retina.jpg", "train"),
    "hubble_deep_field": ("hubble_deep_field.jpg", "train"),
    "immunohistochemistry": ("ihc.png", "train"),
    "camera": ("camera.png", "train"),
    "brick": ("brick.png", "train"),
    "grass": ("grass.png", "train"),
    "gravel": ("gravel.png", "train"),
    "coins": ("coins.png", "train"),
    "chelsea": ("chelsea.png", "val"),
    "stereo_motorcycle": ("motorcycle_left.png", "val"),
    "page": ("page.png", "val"),
}
MIN_CROP_STD = 0.04  # reject near-uniform crops (retina's and hubble's black borders) of [0, 1] pixels
MAX_TRIES = 50


def _data_dir() -> str:
    import skimage.data

    return skimage.data.data_dir


def available_photos(split: str | None = None) -> list[str]:
    """Names of the photographs of `split` (or all) whose files ship with the installed scikit-image."""
    try:
        folder = _data_dir()
    except ImportError as exc:
        raise ImportError("the photo datasets need scikit-image (pip install scikit-image)") from exc
    return [name for name, (filename, where) in PHOTOS.items()
            if (split is None or where == split) and os.path.isfile(os.path.join(folder, filename))]


@functools.lru_cache(maxsize=None)
def load_photo(name: str) -> Tensor:
    """One photograph as uint8 (3, H, W)."""
    from PIL import Image

    if name not in PHOTOS:
        raise KeyError(f"unknown photograph {name!r}; known: {', '.join(PHOTOS)}")
    path = os.path.join(_data_dir(), PHOTOS[name][0])
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} is not part of this scikit-image install (it would need a download)")
    with Image.open(path) as image:
        array = np.asarray(image.convert("RGB"))
    return torch.from_numpy(array.copy()).permute(2, 0, 1).contiguous()


def photos_for_split(split: str, crop: int) -> list[str]:
    """The split's shipped photographs large enough for `crop`-pixel crops, or a clear error."""
    names = [n for n in available_photos(split) if min(load_photo(n).shape[1:]) >= crop]
    if not names:
        raise ValueError(f"no shipped scikit-image photograph of the {split!r} split is at least {crop} px "
                         f"on its short side; use a smaller resolution")
    return names


def random_crop(names: list[str], crop: int, rng: np.random.Generator) -> Tensor:
    """A (3, crop, crop) crop in [0, 1] of a photograph drawn uniformly from `names`, not near-uniform."""
    for _ in range(MAX_TRIES):
        photo = load_photo(names[rng.integers(len(names))])
        h, w = photo.shape[1:]
        top, left = rng.integers(h - crop + 1), rng.integers(w - crop + 1)
        patch = photo[:, top:top + crop, left:left + crop].float() / 255.0
        if patch.std() >= MIN_CROP_STD:
            return patch
    return patch  # a flat crop after many tries: keep it rather than loop forever
