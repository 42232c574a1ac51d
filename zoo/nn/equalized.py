"""Layers of the ProGAN/StyleGAN family (Karras et al. 2018, arXiv:1710.10196, Sec. 4.1 and 3;
Karras et al. 2019 and 2020).

- Equalized learning rate: weights are drawn from N(0, 1) and scaled at run time by the He constant
  he_gain/sqrt(fan_in), so every layer learns at the same speed under Adam. StyleGAN2 keeps he_gain 1
  and puts sqrt(2) in the activation; ProGAN's layers (its get_weight) carry it in the weight
  (he_gain=sqrt(2), sqrt(2)/4 for the 4x4 dense layer, 1 for toRGB and the output) with a plain leaky
  ReLU after the bias, which moves the bias relative to the scale. `lr_multiplier` (StyleGAN's
  mapping network: 0.01) stores weights divided by it and scales them back at run time, which divides
  their effective learning rate by the same factor.
- The activation carries a gain: leaky ReLU (slope 0.2) times sqrt(2) keeps the variance, and an
  optional `clamp` bounds the output (the official networks clamp at 256 to protect fp16).
- Pixel norm: each feature vector divided by its root mean square (ProGAN Sec. 4.2; StyleGAN's z).
- Minibatch standard deviation (ProGAN Sec. 3; StyleGAN2's grouped form): the std of each feature over
  groups of `group_size` samples, averaged over `num_channels` channel groups, appended as channels.
- Noise injection (StyleGAN Sec. 2): per-pixel Gaussian noise times a learned per-layer strength.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.nn.fir import conv2d_resample, fir_filter

LRELU_SLOPE = 0.2
ACTIVATION_GAINS = {"linear": 1.0, "lrelu": math.sqrt(2)}


def bias_act(x: Tensor, bias: Tensor | None, activation: str = "linear", gain: float = 1.0,
             clamp: float | None = None, inplace: bool = False) -> Tensor:
    """(activation(x + bias) · gain of the activation · gain), clamped to ±clamp; bias along dim 1.
    `inplace` (for a fresh x outside autograd) writes into x: at 1024 px each step would otherwise
    allocate another 128 MB map, which costs more than the arithmetic on a CPU. It is ignored where the
    bias's dtype differs from x's (x + bias would promote, e.g. bf16 + fp32 under autocast)."""
    if activation not in ACTIVATION_GAINS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATION_GAINS)}, got {activation!r}")
    gain = ACTIVATION_GAINS[activation] * gain
    inplace = inplace and (bias is None or bias.dtype == x.dtype)
    if bias is not None:
        b = bias.reshape(1, -1, *([1] * (x.dim() - 2)))
        x = x.add_(b) if inplace else x + b
    if activation == "lrelu":
        x = F.leaky_relu(x, LRELU_SLOPE, inplace=inplace)
    if gain != 1:
        x = x.mul_(gain) if inplace else x * gain
    if clamp is not None:
        x = x.clamp_(-clamp, clamp) if inplace else x.clamp(-clamp, clamp)
    return x


def pixel_norm(x: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x / sqrt(mean(x², dim) + eps)."""
    return x * (x.square().mean(dim=dim, keepdim=True) + eps).rsqrt()


class PixelNorm(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return pixel_norm(x)


class EqualLinear(nn.Module):
    """A fully connected layer with the equalized learning rate; `bias_init` (StyleGAN's style affines: 1)."""

    def __init__(self, in_features: int, out_features: int, *, bias: bool = True, bias_init: float = 0.0,
                 lr_multiplier: float = 1.0, activation: str = "linear", he_gain: float = 1.0):
        super().__init__()
        if activation not in ACTIVATION_GAINS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATION_GAINS)}, got {activation!r}")
        self.activation = activation
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init))) if bias else None
        self.weight_gain = lr_multiplier * he_gain / math.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x: Tensor) -> Tensor:
        w = self.weight * self.weight_gain
        b = self.bias * self.bias_gain if self.bias is not None else None
        if self.activation == "linear" and b is not None:
            return torch.addmm(b.unsqueeze(0), x, w.t())
        return bias_act(x @ w.t(), b, self.activation)

    def extra_repr(self) -> str:
        return (f"in={self.weight.shape[1]}, out={self.weight.shape[0]}, activation={self.activation}, "
                f"lr_multiplier={self.bias_gain:g}")


class EqualConv2d(nn.Module):
    """A k×k convolution with the equalized learning rate, 'same' padding and an optional fused 2x
    up- or down-sampling through the FIR filter (StyleGAN2's discriminator convolutions and skips)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *, bias: bool = True,
                 activation: str = "linear", up: int = 1, down: int = 1, resample_filter=(1, 3, 3, 1),
                 clamp: float | None = None, he_gain: float = 1.0):
        super().__init__()
        if activation not in ACTIVATION_GAINS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATION_GAINS)}, got {activation!r}")
        self.activation, self.up, self.down, self.clamp = activation, up, down, clamp
        self.padding = kernel_size // 2
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain = he_gain / math.sqrt(in_channels * kernel_size ** 2)
        self.register_buffer("resample_filter", fir_filter(resample_filter), persistent=False)

    def forward(self, x: Tensor, gain: float = 1.0) -> Tensor:
        x = conv2d_resample(x, self.weight * self.weight_gain, self.resample_filter, up=self.up, down=self.down,
                            padding=self.padding)
        clamp = self.clamp * gain if self.clamp is not None else None
        return bias_act(x, self.bias, self.activation, gain=gain, clamp=clamp)

    def extra_repr(self) -> str:
        o, i, k, _ = self.weight.shape
        return f"{i}, {o}, kernel_size={k}, activation={self.activation}, up={self.up}, down={self.down}"


class MinibatchStdDev(nn.Module):
    """Appends `num_channels` feature maps: the standard deviation of each feature over a group of
    `group_size` samples (sample i is in group i mod N/G), averaged over the features and pixels of each of
    `num_channels` channel groups. A batch smaller than the group size forms one group."""

    def __init__(self, group_size: int | None = 4, num_channels: int = 1):
        super().__init__()
        self.group_size, self.num_channels = group_size, num_channels

    def forward(self, x: Tensor) -> Tensor:
        n, c, h, w = x.shape
        g = min(self.group_size, n) if self.group_size is not None else n
        if n % g:
            raise ValueError(f"minibatch std: the batch ({n}) must be a multiple of the group size ({g})")
        f = self.num_channels
        y = x.reshape(g, -1, f, c // f, h, w)  # (G, N/G, F, C/F, H, W)
        y = (y - y.mean(dim=0)).square().mean(dim=0)  # variance over each group
        y = (y + 1e-8).sqrt().mean(dim=[2, 3, 4])  # (N/G, F)
        y = y.reshape(-1, f, 1, 1).repeat(g, 1, h, w)  # back to (N, F, H, W)
        return torch.cat([x, y], dim=1)

    def extra_repr(self) -> str:
        return f"group_size={self.group_size}, num_channels={self.num_channels}"


class NoiseInjection(nn.Module):
    """x + strength · noise, with a learned scalar strength (0 at first) and per-pixel N(0, 1) noise shared
    over channels: fresh each call ("random"), a fixed buffer ("const", what projection optimises) or
    none ("none")."""

    MODES = ("random", "const", "none")

    def __init__(self, resolution: int):
        super().__init__()
        self.strength = nn.Parameter(torch.zeros([]))
        self.register_buffer("noise_const", torch.randn(resolution, resolution))

    def forward(self, x: Tensor, mode: str = "random", inplace: bool = False) -> Tensor:
        """`inplace`: add into x (a fresh x outside autograd; see bias_act)."""
        if mode == "random":
            noise = torch.randn(x.shape[0], 1, *x.shape[2:], device=x.device, dtype=x.dtype) * self.strength
        elif mode == "const":
            noise = self.noise_const.to(x.dtype) * self.strength
        elif mode == "none":
            return x
        else:
            raise ValueError(f"noise mode must be one of {self.MODES}, got {mode!r}")
        return x.add_(noise) if inplace and noise.dtype == x.dtype else x + noise
