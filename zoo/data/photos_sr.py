"""`photos-sr`: high-resolution crops of scikit-image's photographs with bicubic low-resolution pairs.

Items: {"image": float (3, R, R) in [-1, 1], the high-resolution crop (the target);
        "low_res": float (3, R/s, R/s) in [-1, 1], the same crop shrunk s = 2 or 4 times}.
The low-resolution image is the bicubic, anti-aliased downscale of the crop, as SRGAN builds its
pairs (Ledig et al., "Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial
Network", 2017, arXiv:1609.04802: "obtained the LR images by downsampling the HR images using bicubic
kernel with downsampling factor r = 4"). They used MATLAB's imresize; torch's anti-aliased bicubic is
the same kernel up to boundary handling.
Split by photograph (zoo.data.photos.PHOTOS); training crops follow `seed`, validation crops are fixed.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from zoo.data.base import InMemoryDataset, check_positive, check_split, item_rng
from zoo.data.photos import photos_for_split, random_crop
from zoo.data.shapes import SampleShape

SCALES = (2, 4)


def bicubic_downscale(images: Tensor, scale: int) -> Tensor:
    """(N, C, H, W) images shrunk `scale` times with an anti-aliased bicubic kernel, same value range."""
    lo, hi = images.min(), images.max()
    small = F.interpolate(images, scale_factor=1 / scale, mode="bicubic", antialias=True, align_corners=False)
    return small.clamp(lo, hi)  # bicubic overshoots a little at edges


class PhotosSR(InMemoryDataset):
    """Crops of the shipped photographs with their ×`scale` bicubic low-resolution versions."""

    sample_shape = SampleShape(channels=(3,), default_resolution=64)

    def __init__(self, resolution: int = 64, split: str = "train", seed: int = 0, scale: int = 4,
                 size: int | None = None) -> None:
        self.resolution = check_positive("resolution", resolution)
        self.split, self.seed = check_split(split), seed
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
        if resolution % scale:
            raise ValueError(f"resolution {resolution} is not divisible by the scale {scale}")
        self.scale = scale
        self.photos = photos_for_split(split, resolution)
        super().__init__(size if size is not None else (256 if split == "train" else 64))

    def _build(self) -> dict[str, Tensor]:
        crops = torch.stack([random_crop(self.photos, self.resolution, item_rng("photos", self.split, self.seed, i))
                             for i in range(self.size)])
        return {"image": crops * 2 - 1, "low_res": bicubic_downscale(crops, self.scale) * 2 - 1}
