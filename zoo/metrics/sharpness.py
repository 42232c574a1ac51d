"""No-reference sharpness of super-resolved images, to show the PSNR-vs-detail trade of GAN-trained SR
models (Ledig et al. 2017 and Wang et al. 2018 report that their GAN models lose PSNR to the MSE/L1
models while restoring texture; PSNR alone rewards blur).

Both measures are computed on the BT.601 luma Y (0–255, as zoo.metrics.psnr_ssim) of one image at a time
and reported as a ratio to the ground truth's value, so 1.0 means "as much detail as the real photograph",
below 1 blurrier, above 1 more (possibly invented) high-frequency content:

- gradient: the mean Sobel gradient magnitude √(G_x² + G_y²) over the 'valid' region;
- high_frequency: the share of the image's spectral power (|FFT|², mean removed) at radial frequencies
  above `cutoff` × Nyquist — for a ×4 model the band the LR image could not hold is above 0.25.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from zoo.metrics.psnr_ssim import prepare

SOBEL_X = ((-1.0, 0.0, 1.0), (-2.0, 0.0, 2.0), (-1.0, 0.0, 1.0))


def gradient_magnitude(y: Tensor) -> Tensor:
    """(N, 1, H, W) -> the mean Sobel gradient magnitude per image (N,)."""
    kx = y.new_tensor(SOBEL_X).view(1, 1, 3, 3)
    gx, gy = F.conv2d(y, kx), F.conv2d(y, kx.transpose(2, 3))
    return (gx ** 2 + gy ** 2).sqrt().flatten(1).mean(1)


def high_frequency_share(y: Tensor, cutoff: float = 0.25) -> Tensor:
    """(N, 1, H, W) -> the share of spectral power above `cutoff`·Nyquist per image (N,)."""
    y = y - y.mean(dim=(-2, -1), keepdim=True)
    power = torch.fft.fft2(y[:, 0]).abs() ** 2
    fy = torch.fft.fftfreq(y.shape[-2], dtype=y.dtype, device=y.device).abs() * 2  # 1 = Nyquist
    fx = torch.fft.fftfreq(y.shape[-1], dtype=y.dtype, device=y.device).abs() * 2
    radius = torch.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2)
    high = (power * (radius > cutoff)).flatten(1).sum(1)
    return high / power.flatten(1).sum(1).clamp_min(1e-12)


def sharpness_ratios(sr: Tensor, hr: Tensor, *, crop_border: int = 0, value_range=(-1.0, 1.0),
                     cutoff: float = 0.25) -> dict[str, Tensor]:
    """{"gradient": (N,), "high_frequency": (N,)}: each measure of `sr` over the same of `hr`."""
    a = prepare(sr, value_range=value_range, crop_border=crop_border)
    b = prepare(hr, value_range=value_range, crop_border=crop_border)
    return {"gradient": gradient_magnitude(a) / gradient_magnitude(b).clamp_min(1e-12),
            "high_frequency": high_frequency_share(a, cutoff) / high_frequency_share(b, cutoff).clamp_min(1e-12)}
