"""StyleGAN's (v1) per-layer blocks (Karras et al. 2019, arXiv:1812.04948, Sec. 2 and Fig. 1b; the official
networks_stylegan.py):

- AdaIN (Eq. 1): instance normalisation (each feature map to zero mean and unit variance, eps 1e-8), then a
  per-channel scale and bias from w through an equalized dense layer A (gain 1): x·(y_s + 1) + y_b, the
  "+ 1" added at run time as the official style_mod does, so that a zero-initialised layer is the identity;
- per-channel noise (B): one N(0, 1) map per sample, broadcast over channels and scaled by a learned
  per-channel strength (zero at first); StyleGAN2 keeps one scalar per layer (zoo.nn.equalized.NoiseInjection);
- blur2d: the [1, 2, 1] low-pass filter (normalised, zero padding), applied after each up-sampling in G and
  before each down-sampling in D (Sec. 2, after Zhang 2019).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from zoo.nn.equalized import EqualLinear
from zoo.nn.fir import fir_filter, upfirdn2d


def instance_norm(x: Tensor, eps: float = 1e-8) -> Tensor:
    """Each (sample, channel) map to zero mean and unit second moment: (x − μ) / sqrt(mean((x − μ)²) + eps)."""
    x = x - x.mean(dim=[2, 3], keepdim=True)
    return x * (x.square().mean(dim=[2, 3], keepdim=True) + eps).rsqrt()


class AdaIN(nn.Module):
    """instance_norm(x) · (y_s + 1) + y_b with (y_s, y_b) = A(w), A an equalized dense layer w_dim -> 2C."""

    def __init__(self, channels: int, w_dim: int):
        super().__init__()
        self.channels = channels
        self.affine = EqualLinear(w_dim, 2 * channels)  # gain 1, bias 0 (the official StyleMod)

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        style = self.affine(w).view(-1, 2, self.channels, 1, 1)
        return instance_norm(x) * (style[:, 0] + 1) + style[:, 1]


class ChannelNoise(nn.Module):
    """x + noise · strength, noise (N, 1, H, W) shared over channels, strength (C,) learned from zero: fresh
    noise each call ("random"), the fixed buffer `noise_const` ("const") or none ("none")."""

    MODES = ("random", "const", "none")

    def __init__(self, channels: int, resolution: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(channels))
        self.register_buffer("noise_const", torch.randn(resolution, resolution))

    def forward(self, x: Tensor, mode: str = "random") -> Tensor:
        if mode == "none":
            return x
        if mode == "random":
            noise = torch.randn(x.shape[0], 1, *x.shape[2:], device=x.device, dtype=x.dtype)
        elif mode == "const":
            noise = self.noise_const.to(x.dtype)
        else:
            raise ValueError(f"noise mode must be one of {self.MODES}, got {mode!r}")
        return x + noise * self.weight.view(1, -1, 1, 1)


def blur2d(x: Tensor, f: Tensor) -> Tensor:
    """x filtered by the (k, k) filter f with 'same' zero padding (k odd), every channel alike."""
    p = f.shape[-1] // 2
    return upfirdn2d(x, f, padding=p)


def blur_filter(taps=(1, 2, 1)) -> Tensor:
    return fir_filter(taps)
