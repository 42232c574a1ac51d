"""StyleGAN2's modulated convolution with weight demodulation (Karras et al. 2020, arXiv:1912.04958,
Sec. 2.2, Eq. 1-3), which replaces StyleGAN's AdaIN.

Each sample's style s (one scale per input channel) modulates the weights, w'_ijk = s_i · w_ijk (Eq. 1),
and demodulation rescales each output channel to unit expected standard deviation,
w''_ijk = w'_ijk / sqrt(Σ_ik w'_ijk² + ε) (Eq. 3). Two equal ways to run it (App. B):
- fused: the per-sample weights are one grouped convolution over the batch folded into channels;
- not fused: scale the activations by s, convolve with the shared weights, scale the outputs by the
  demodulation coefficients (cheaper when the batch is large).
Up-sampling is fused into the convolution (a stride-2 transposed convolution, then the [1, 3, 3, 1]
filter: zoo.nn.fir.conv2d_resample).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from zoo.nn.equalized import ACTIVATION_GAINS, EqualLinear, NoiseInjection, bias_act
from zoo.nn.fir import conv2d_resample, fir_filter


def modulated_conv2d(x: Tensor, weight: Tensor, styles: Tensor, *, demodulate: bool = True, up: int = 1,
                     padding: int = 0, resample_filter: Tensor | None = None, fused: bool = True,
                     eps: float = 1e-8) -> Tensor:
    """x (N, I, H, W), weight (O, I, k, k), styles (N, I) -> (N, O, H·up, W·up)."""
    n = x.shape[0]
    out_ch, in_ch, kh, kw = weight.shape
    if styles.shape != (n, in_ch):
        raise ValueError(f"styles must have shape ({n}, {in_ch}), got {tuple(styles.shape)}")
    w = weight.unsqueeze(0) * styles.reshape(n, 1, in_ch, 1, 1)  # (N, O, I, k, k), Eq. 1
    dcoefs = (w.square().sum(dim=[2, 3, 4]) + eps).rsqrt() if demodulate else None  # (N, O), Eq. 3
    if not fused:
        x = x * styles.reshape(n, in_ch, 1, 1).to(x.dtype)
        x = conv2d_resample(x, weight.to(x.dtype), resample_filter, up=up, padding=padding)
        return x * dcoefs.reshape(n, out_ch, 1, 1).to(x.dtype) if demodulate else x
    if demodulate:
        w = w * dcoefs.reshape(n, out_ch, 1, 1, 1)
    x = x.reshape(1, n * in_ch, *x.shape[2:])  # the batch as groups of channels
    x = conv2d_resample(x, w.reshape(n * out_ch, in_ch, kh, kw).to(x.dtype), resample_filter, up=up,
                        padding=padding, groups=n)
    return x.reshape(n, out_ch, *x.shape[2:])


class ModulatedConv2d(nn.Module):
    """A styled convolution layer: the affine A (w -> style, bias initialised to 1), the modulated
    (and by default demodulated) k×k convolution with optional fused 2x up-sampling, the noise B
    (when `resolution` is given), bias and activation. `forward(x, w)` with w (N, w_dim)."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, kernel_size: int = 3, *, up: int = 1,
                 demodulate: bool = True, activation: str = "lrelu", resolution: int | None = None,
                 resample_filter=(1, 3, 3, 1), clamp: float | None = None):
        super().__init__()
        if activation not in ACTIVATION_GAINS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATION_GAINS)}, got {activation!r}")
        self.up, self.demodulate, self.activation, self.clamp = up, demodulate, activation, clamp
        self.padding = kernel_size // 2
        self.affine = EqualLinear(w_dim, in_channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.noise = NoiseInjection(resolution) if resolution is not None else None
        # Without demodulation (toRGB) the styles carry the He constant instead.
        self.style_gain = 1.0 if demodulate else 1 / math.sqrt(in_channels * kernel_size ** 2)
        self.register_buffer("resample_filter", fir_filter(resample_filter), persistent=False)

    def forward(self, x: Tensor, w: Tensor, noise_mode: str = "random", fused: bool | None = None,
                gain: float = 1.0) -> Tensor:
        styles = self.affine(w) * self.style_gain
        fused = (not self.training) if fused is None else fused  # StyleGAN2-ADA's choice per mode
        x = modulated_conv2d(x, self.weight, styles, demodulate=self.demodulate, up=self.up,
                             padding=self.padding, resample_filter=self.resample_filter, fused=fused)
        # x is this layer's own fresh output: outside autograd the noise, bias and activation may overwrite it
        inplace = not torch.is_grad_enabled()
        if self.noise is not None:
            x = self.noise(x, noise_mode, inplace=inplace)
        clamp = self.clamp * gain if self.clamp is not None else None
        return bias_act(x, self.bias, self.activation, gain=gain, clamp=clamp, inplace=inplace)

    def extra_repr(self) -> str:
        o, i, k, _ = self.weight.shape
        return f"{i}, {o}, kernel_size={k}, up={self.up}, demodulate={self.demodulate}"
