"""StyleGAN2's networks, config F (Karras et al. 2020, arXiv:1912.04958, Sec. 2-4, Fig. 7 and App. B):

- mapping: z normalised to unit second moment, `mapping_layers` (8 in the paper) equalized fully
  connected layers with leaky ReLU and a learning-rate multiplier 0.01, giving w; w_avg tracked for the
  truncation trick (zoo.nn.WAverage);
- synthesis: a learned constant 4x4 input, per resolution two modulated 3x3 convolutions (the first
  up-sampling, fused), each followed by noise, bias and leaky ReLU; the skip architecture (Fig. 7b): a
  toRGB (1x1 modulated, not demodulated) at every resolution, summed into an image that is up-sampled
  with the [1, 3, 3, 1] filter;
- discriminator: the residual architecture (Fig. 7c): fromRGB at full resolution, per resolution two
  3x3 convolutions (the second down-sampling) plus a 1x1 down-sampling skip, both scaled by sqrt(1/2);
  then minibatch standard deviation (group 4, one channel), a 3x3 convolution, a fully connected layer
  and the output logit.

Channels follow the official rule min(channel_base / resolution, channel_max); ws are shared between a
block's last convolution and its toRGB, so a 2^k px generator takes 2k - 2 ws (8 at 32 px).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Discriminator, Generator, LatentSpec, OutputSpec
from zoo.interfaces.specs import WSpaceSpec
from zoo.nn import WAverage
from zoo.nn.equalized import EqualConv2d, EqualLinear, MinibatchStdDev, NoiseInjection, pixel_norm
from zoo.nn.fir import fir_filter, upsample2d
from zoo.nn.modulated_conv import ModulatedConv2d


def resolutions(resolution: int) -> list[int]:
    log2 = math.log2(resolution)
    if resolution < 8 or not log2.is_integer():
        raise ValueError(f"StyleGAN2 needs a power-of-two resolution >= 8, got {resolution}")
    return [2 ** i for i in range(2, int(log2) + 1)]


def channels_at(resolution: int, channel_base: int, channel_max: int) -> int:
    return min(channel_base // resolution, channel_max)


class MappingNetwork(nn.Module):
    """z (N, z_dim) -> w (N, w_dim)."""

    def __init__(self, z_dim: int, w_dim: int, num_layers: int = 8, lr_multiplier: float = 0.01):
        super().__init__()
        dims = [z_dim] + [w_dim] * num_layers
        self.layers = nn.ModuleList(EqualLinear(a, b, activation="lrelu", lr_multiplier=lr_multiplier)
                                    for a, b in zip(dims, dims[1:]))

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        x = pixel_norm(z)
        for layer in self.layers:
            x = layer(x)
        return x


class SynthesisBlock(nn.Module):
    """One resolution of the skip generator: (const or up-sampling conv0), conv1, toRGB."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, img_channels: int,
                 clamp: float | None = None):
        super().__init__()
        self.first = in_channels == 0
        if self.first:
            self.const = nn.Parameter(torch.randn(out_channels, resolution, resolution))
        else:
            self.conv0 = ModulatedConv2d(in_channels, out_channels, w_dim, up=2, resolution=resolution, clamp=clamp)
        self.conv1 = ModulatedConv2d(out_channels, out_channels, w_dim, resolution=resolution, clamp=clamp)
        self.torgb = ModulatedConv2d(out_channels, img_channels, w_dim, kernel_size=1, demodulate=False,
                                     activation="linear", clamp=clamp)
        self.num_conv = 1 if self.first else 2
        self.register_buffer("resample_filter", fir_filter(), persistent=False)

    def forward(self, x: Tensor | None, img: Tensor | None, ws: Tensor, noise_mode: str = "random",
                fused: bool | None = None) -> tuple[Tensor, Tensor]:
        """ws (N, num_conv + 1, w_dim): one per convolution and one for toRGB."""
        w = iter(ws.unbind(1))
        if self.first:
            x = self.const.unsqueeze(0).expand(ws.shape[0], -1, -1, -1)
        else:
            x = self.conv0(x, next(w), noise_mode, fused)
        x = self.conv1(x, next(w), noise_mode, fused)
        y = self.torgb(x, next(w), fused=fused)
        img = y if img is None else upsample2d(img, self.resample_filter) + y
        return x, img


class SynthesisNetwork(nn.Module):
    def __init__(self, w_dim: int, resolution: int, img_channels: int, channel_base: int, channel_max: int,
                 clamp: float | None = None):
        super().__init__()
        self.blocks = nn.ModuleList()
        prev = 0
        for res in resolutions(resolution):
            ch = channels_at(res, channel_base, channel_max)
            self.blocks.append(SynthesisBlock(prev, ch, w_dim, res, img_channels, clamp=clamp))
            prev = ch
        self.num_ws = sum(b.num_conv for b in self.blocks) + 1

    def forward(self, ws: Tensor, noise_mode: str | None = None, fused: bool | None = None) -> Tensor:
        """ws (N, num_ws, w_dim) -> images; noise "random" while training, else the fixed "const" maps (as the
        official generate.py), which `project` optimises."""
        noise_mode = noise_mode or ("random" if self.training else "const")
        x = img = None
        i = 0
        for block in self.blocks:
            x, img = block(x, img, ws[:, i:i + block.num_conv + 1], noise_mode, fused)
            i += block.num_conv
        return img


class StyleGAN2Generator(Generator):
    condition = ConditionSpec()

    def __init__(self, z_dim: int = 512, w_dim: int = 512, resolution: int = 1024, channels: int = 3,
                 mapping_layers: int = 8, mapping_lr_multiplier: float = 0.01, channel_base: int = 32768,
                 channel_max: int = 512, w_avg_beta: float = 0.995, conv_clamp: float | None = None):
        super().__init__()
        self.synthesis = SynthesisNetwork(w_dim, resolution, channels, channel_base, channel_max, conv_clamp)
        self.num_ws = self.synthesis.num_ws
        self.latent = LatentSpec((z_dim,), truncation=True,
                                 w_space=WSpaceSpec(w_dim, self.num_ws, avg_beta=w_avg_beta))
        self.output = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.mapping = MappingNetwork(z_dim, w_dim, mapping_layers, mapping_lr_multiplier)
        self.w_avg = WAverage(w_dim, beta=w_avg_beta)

    def noise_buffers(self) -> list[Tensor]:
        return [m.noise_const for m in self.synthesis.modules() if isinstance(m, NoiseInjection)]

    def forward(self, z: Tensor, c: Tensor | None = None, truncation_psi: float = 1.0,
                truncation_cutoff: int | None = None, noise_mode: str | None = None,
                truncation: float | None = None) -> Tensor:
        """Images for z; ψ < 1 truncates w towards w_avg on the first `truncation_cutoff` layers (all when None).
        `truncation` is ψ under the name `zoo generate --truncation` passes."""
        psi = truncation_psi if truncation is None else truncation
        ws = self.map_latent(z, psi=psi, cutoff=truncation_cutoff)
        img = self.synthesis(ws, noise_mode)
        # The networks' output is unbounded; the images a user sees are clipped to the declared range.
        return img if self.training else img.clamp(-1.0, 1.0)


class DiscriminatorBlock(nn.Module):
    """One resolution of the residual discriminator: (fromRGB), conv0, down-sampling conv1, and the
    down-sampling 1x1 skip; the two paths are summed with gains sqrt(1/2)."""

    def __init__(self, in_channels: int, tmp_channels: int, out_channels: int, img_channels: int,
                 clamp: float | None = None):
        super().__init__()
        self.fromrgb = (EqualConv2d(img_channels, tmp_channels, 1, activation="lrelu", clamp=clamp)
                        if in_channels == 0 else None)
        self.conv0 = EqualConv2d(tmp_channels, tmp_channels, 3, activation="lrelu", clamp=clamp)
        self.conv1 = EqualConv2d(tmp_channels, out_channels, 3, activation="lrelu", down=2, clamp=clamp)
        self.skip = EqualConv2d(tmp_channels, out_channels, 1, bias=False, down=2)

    def forward(self, x: Tensor) -> Tensor:
        if self.fromrgb is not None:
            x = self.fromrgb(x)
        y = self.skip(x, gain=math.sqrt(0.5))
        x = self.conv1(self.conv0(x), gain=math.sqrt(0.5))
        return y + x


class StyleGAN2Discriminator(Discriminator):
    condition = ConditionSpec()

    def __init__(self, resolution: int = 1024, channels: int = 3, channel_base: int = 32768,
                 channel_max: int = 512, mbstd_group_size: int = 4, mbstd_num_channels: int = 1,
                 conv_clamp: float | None = None):
        super().__init__()
        self.input = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        res_list = resolutions(resolution)[::-1]  # e.g. 32, 16, 8, 4
        self.blocks = nn.ModuleList(
            DiscriminatorBlock(0 if i == 0 else channels_at(res, channel_base, channel_max),
                               channels_at(res, channel_base, channel_max),
                               channels_at(res // 2, channel_base, channel_max), channels, clamp=conv_clamp)
            for i, res in enumerate(res_list[:-1]))
        ch = channels_at(4, channel_base, channel_max)
        self.mbstd = MinibatchStdDev(mbstd_group_size, mbstd_num_channels)
        self.conv = EqualConv2d(ch + mbstd_num_channels, ch, 3, activation="lrelu", clamp=conv_clamp)
        self.fc = EqualLinear(ch * 16, ch, activation="lrelu")
        self.out = EqualLinear(ch, 1)

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        feats = []
        for block in self.blocks:
            x = block(x)
            feats.append(x)
        return feats

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        x = self.features(x)[-1]
        x = self.conv(self.mbstd(x))
        return self.out(self.fc(x.flatten(1))).squeeze(1)
