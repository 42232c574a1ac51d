"""PSNR and SSIM for super-resolution, measured the way SR papers report them.

SSIM: Wang, Bovik, Sheikh, Simoncelli, "Image Quality Assessment: From Error Visibility to Structural
Similarity", IEEE TIP 2004: an 11×11 Gaussian window (σ = 1.5), C₁ = (0.01·L)², C₂ = (0.03·L)², L = 255,
the mean of the SSIM map over the 'valid' region.

The SR convention (SRCNN, Dong et al. 2014, arXiv:1501.00092; SRGAN, Ledig et al. 2017,
arXiv:1609.04802; kept by BasicSR): images quantised to 8 bits, converted to the luma channel Y of
ITU-R BT.601 YCbCr (Y = 16 + 65.481 R + 128.553 G + 24.966 B for R, G, B in [0, 1], as MATLAB's rgb2ycbcr),
`crop_border` pixels (the scale factor) removed on each side, values on the 0–255 scale. Each function
returns one value per image; papers report the mean over a test set.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from zoo.errors import ShapeError


def rgb_to_y(rgb: Tensor) -> Tensor:
    """(N, 3, H, W) RGB in [0, 255] → (N, 1, H, W) BT.601 luma Y in [16, 235]."""
    weights = rgb.new_tensor([65.481, 128.553, 24.966]).view(1, 3, 1, 1) / 255
    return (rgb * weights).sum(1, keepdim=True) + 16.0


def prepare(images: Tensor, *, value_range=(-1.0, 1.0), quantize: bool = True, y_channel: bool = True,
            crop_border: int = 0) -> Tensor:
    """Float images in `value_range` → float64 on the 0–255 scale, Y channel, border cropped."""
    if not isinstance(images, Tensor) or images.ndim != 4 or images.shape[1] not in (1, 3):
        shape = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
        raise ShapeError(f"expected images of shape (N, 1 or 3, H, W), got {shape}")
    lo, hi = value_range
    x = (images.detach().double() - lo) * (255.0 / (hi - lo))
    if quantize:  # the SR pipelines save 8-bit images before measuring them
        x = x.clamp(0, 255).round()
    if y_channel and x.shape[1] == 3:
        x = rgb_to_y(x)
    if crop_border:
        if 2 * crop_border >= min(x.shape[-2:]):
            raise ValueError(f"crop_border={crop_border} leaves nothing of {tuple(x.shape[-2:])} images")
        x = x[..., crop_border:-crop_border, crop_border:-crop_border]
    return x


def _pair(sr: Tensor, hr: Tensor, **kw) -> tuple[Tensor, Tensor]:
    if sr.shape != hr.shape:
        raise ShapeError(f"images to compare must have the same shape, got {tuple(sr.shape)} and {tuple(hr.shape)}")
    return prepare(sr, **kw), prepare(hr, **kw)


def psnr(sr: Tensor, hr: Tensor, *, crop_border: int = 0, y_channel: bool = True, quantize: bool = True,
         value_range=(-1.0, 1.0)) -> Tensor:
    """Peak signal-to-noise ratio in dB, one per image (inf for identical images)."""
    a, b = _pair(sr, hr, crop_border=crop_border, y_channel=y_channel, quantize=quantize, value_range=value_range)
    mse = (a - b).pow(2).flatten(1).mean(1)
    return 10 * torch.log10(255.0 ** 2 / mse)


def gaussian_window(size: int = 11, sigma: float = 1.5, dtype=torch.float64) -> Tensor:
    x = torch.arange(size, dtype=dtype) - (size - 1) / 2
    g = torch.exp(-x ** 2 / (2 * sigma ** 2))
    return g / g.sum()


def ssim(sr: Tensor, hr: Tensor, *, crop_border: int = 0, y_channel: bool = True, quantize: bool = True,
         value_range=(-1.0, 1.0), window: int = 11, sigma: float = 1.5) -> Tensor:
    """Structural similarity, one per image (the mean over channels of each channel's mean SSIM)."""
    a, b = _pair(sr, hr, crop_border=crop_border, y_channel=y_channel, quantize=quantize, value_range=value_range)
    if min(a.shape[-2:]) < window:
        raise ValueError(f"SSIM's {window}×{window} window needs images at least that big, got {tuple(a.shape[-2:])}")
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    g = gaussian_window(window, sigma).to(a.device)
    channels = a.shape[1]

    def blur(x: Tensor) -> Tensor:  # separable Gaussian, 'valid' (no padding), per channel
        x = F.conv2d(x, g.view(1, 1, 1, -1).expand(channels, 1, 1, window), groups=channels)
        return F.conv2d(x, g.view(1, 1, -1, 1).expand(channels, 1, window, 1), groups=channels)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a ** 2
    var_b = blur(b * b) - mu_b ** 2
    cov = blur(a * b) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return ssim_map.mean(dim=(2, 3)).mean(1)


def mean_finite(values: Tensor) -> float:
    """The dataset mean of per-image scores, leaving out infinite PSNRs (identical pairs), which would
    make the mean infinite; inf when every pair is identical."""
    finite = values[torch.isfinite(values)]
    return float(finite.mean()) if len(finite) else math.inf
