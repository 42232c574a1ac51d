"""StyleGAN's networks (Karras et al. 2019, arXiv:1812.04948, Sec. 2, Fig. 1b and App. C; the official
networks_stylegan.py's G_style / G_mapping / G_synthesis / D_basic):

- mapping: z normalised by pixel norm, `mapping_layers` (8) equalized dense layers with the He gain sqrt(2) in
  the weight, a learning-rate multiplier 0.01 (weights and biases) and a plain leaky ReLU (0.2) -> w; w_avg
  tracked for the truncation trick (zoo.nn.WAverage);
- synthesis: a learned constant 4x4 input (ones at first); per resolution two 3x3 convolutions (the first
  after a 2x nearest up-sampling, followed by the [1, 2, 1] blur), each followed by the layer epilogue:
  per-channel noise, bias, leaky ReLU, AdaIN with that layer's w (zoo.nn.adain); a toRGB 1x1 convolution
  (gain 1) per resolution; 2 log2(R) − 2 ws (18 at 1024 px);
- discriminator: ProGAN's (D_basic): fromRGB per resolution, per resolution two 3x3 convolutions, the
  second after the blur and followed by a 2x2 box down-sampling (before bias and activation), then
  minibatch standard deviation (group 4), a 3x3 convolution, a dense layer and the linear output;
- growing: the `lod` buffer as in zoo.nn.progressive (0: full resolution; k + t: fading in the block at
  R / 2**k with weight 1 − t), images always at R (nearest up-sampled) and D always fed at R.

Channels at resolution r: min(channel_base / r, channel_max) (the official fmap_base = channel_base / 2).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Discriminator, Generator, LatentSpec, OutputSpec
from zoo.interfaces.specs import WSpaceSpec
from zoo.nn import WAverage
from zoo.nn.adain import AdaIN, ChannelNoise, blur2d, blur_filter
from zoo.nn.equalized import LRELU_SLOPE, EqualConv2d, EqualLinear, MinibatchStdDev, pixel_norm
from zoo.nn.progressive import GrowingDiscriminator, check_lod, downscale2d, fade_in, split_lod, upscale2d

RELU_GAIN = math.sqrt(2)


def resolutions(resolution: int) -> list[int]:
    log2 = math.log2(resolution)
    if resolution < 4 or not log2.is_integer():
        raise ValueError(f"StyleGAN needs a power-of-two resolution >= 4, got {resolution}")
    return [2 ** i for i in range(2, int(log2) + 1)]


def channels_at(resolution: int, channel_base: int, channel_max: int) -> int:
    return min(channel_base // resolution, channel_max)


def lrelu(x: Tensor) -> Tensor:
    return F.leaky_relu(x, LRELU_SLOPE)


class MappingNetwork(nn.Module):
    """z (N, z_dim) -> w (N, w_dim); the He gain in the weights, not the activation (unlike StyleGAN2's)."""

    def __init__(self, z_dim: int, w_dim: int, num_layers: int = 8, lr_multiplier: float = 0.01,
                 normalize_latents: bool = True):
        super().__init__()
        dims = [z_dim] + [w_dim] * num_layers
        self.normalize_latents = normalize_latents
        self.layers = nn.ModuleList(EqualLinear(a, b, lr_multiplier=lr_multiplier, he_gain=RELU_GAIN)
                                    for a, b in zip(dims, dims[1:]))

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        x = pixel_norm(z) if self.normalize_latents else z
        for layer in self.layers:
            x = lrelu(layer(x))
        return x


class LayerEpilogue(nn.Module):
    """noise -> bias -> leaky ReLU -> AdaIN(w), after every convolution of the synthesis network (and the const)."""

    def __init__(self, channels: int, w_dim: int, resolution: int):
        super().__init__()
        self.noise = ChannelNoise(channels, resolution)
        self.bias = nn.Parameter(torch.zeros(channels))
        self.style = AdaIN(channels, w_dim)

    def forward(self, x: Tensor, w: Tensor, noise_mode: str = "random") -> Tensor:
        x = lrelu(self.noise(x, noise_mode) + self.bias.view(1, -1, 1, 1))
        return self.style(x, w)


class SynthesisBlock(nn.Module):
    """One resolution: (the constant | up-sample, conv0, blur), epilogue; conv1, epilogue. Takes two ws."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, blur: bool = True):
        super().__init__()
        self.first = in_channels == 0
        if self.first:
            self.const = nn.Parameter(torch.ones(out_channels, resolution, resolution))
        else:
            self.conv0 = EqualConv2d(in_channels, out_channels, 3, bias=False, he_gain=RELU_GAIN)
        self.epi0 = LayerEpilogue(out_channels, w_dim, resolution)
        self.conv1 = EqualConv2d(out_channels, out_channels, 3, bias=False, he_gain=RELU_GAIN)
        self.epi1 = LayerEpilogue(out_channels, w_dim, resolution)
        self.register_buffer("blur_filter", blur_filter() if blur else None, persistent=False)

    def forward(self, x: Tensor | None, ws: Tensor, noise_mode: str = "random") -> Tensor:
        """ws (N, 2, w_dim): the ws of this block's two layers."""
        if self.first:
            x = self.const.unsqueeze(0).expand(ws.shape[0], -1, -1, -1)
        else:
            x = self.conv0(upscale2d(x))
            x = blur2d(x, self.blur_filter) if self.blur_filter is not None else x
        x = self.epi0(x, ws[:, 0], noise_mode)
        return self.epi1(self.conv1(x), ws[:, 1], noise_mode)


class SynthesisNetwork(nn.Module):
    def __init__(self, w_dim: int, resolution: int, img_channels: int, channel_base: int, channel_max: int,
                 blur: bool = True):
        super().__init__()
        self.resolution = resolution
        res = resolutions(resolution)
        ch = [channels_at(r, channel_base, channel_max) for r in res]
        self.blocks = nn.ModuleList(SynthesisBlock(ch[i - 1] if i else 0, ch[i], w_dim, r, blur)
                                    for i, r in enumerate(res))
        self.torgb = nn.ModuleList(EqualConv2d(c, img_channels, 1) for c in ch)  # linear, gain 1
        self.num_ws = 2 * len(res)
        self.register_buffer("lod", torch.zeros([]))  # the growing state, saved with the weights

    @property
    def levels(self) -> int:
        return len(self.blocks) - 1

    def forward(self, ws: Tensor, noise_mode: str | None = None) -> Tensor:
        """ws (N, num_ws, w_dim) -> images at the full resolution for the current lod (unclipped); noise
        "random" while training, else the fixed "const" maps."""
        noise_mode = noise_mode or ("random" if self.training else "const")
        k, alpha = split_lod(float(self.lod))
        top = self.levels - k  # the newest block in use (0: 4x4)
        x = prev = None
        for i, block in enumerate(self.blocks[:top + 1]):
            prev, x = x, block(x, ws[:, 2 * i:2 * i + 2], noise_mode)
        img = self.torgb[top](x)
        if alpha < 1 and top > 0:  # fading in the newest block: blend with the one below, up-sampled
            img = fade_in(upscale2d(self.torgb[top - 1](prev)), img, alpha)
        return upscale2d(img, 2 ** k)


class StyleGANGenerator(Generator):
    condition = ConditionSpec()

    def __init__(self, z_dim: int = 512, w_dim: int = 512, resolution: int = 1024, channels: int = 3,
                 mapping_layers: int = 8, mapping_lr_multiplier: float = 0.01, channel_base: int = 16384,
                 channel_max: int = 512, w_avg_beta: float = 0.995, truncation_cutoff: int | None = 8,
                 blur: bool = True, normalize_latents: bool = True):
        super().__init__()
        self.synthesis = SynthesisNetwork(w_dim, resolution, channels, channel_base, channel_max, blur)
        self.num_ws = self.synthesis.num_ws
        self.truncation_cutoff = truncation_cutoff
        self.latent = LatentSpec((z_dim,), truncation=True,
                                 w_space=WSpaceSpec(w_dim, self.num_ws, avg_beta=w_avg_beta))
        self.output = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.mapping = MappingNetwork(z_dim, w_dim, mapping_layers, mapping_lr_multiplier, normalize_latents)
        self.w_avg = WAverage(w_dim, beta=w_avg_beta)

    @property
    def lod(self) -> Tensor:
        return self.synthesis.lod

    @property
    def levels(self) -> int:
        return self.synthesis.levels

    def set_lod(self, lod: float) -> None:
        check_lod(lod, self.levels, self.synthesis.resolution, "generator")
        self.synthesis.lod.fill_(lod)

    def noise_buffers(self) -> list[Tensor]:
        return [m.noise_const for m in self.synthesis.modules() if isinstance(m, ChannelNoise)]

    def forward(self, z: Tensor, c: Tensor | None = None, truncation_psi: float = 1.0,
                truncation_cutoff: int | None = -1, noise_mode: str | None = None,
                truncation: float | None = None) -> Tensor:
        """Images for z; ψ < 1 moves w towards w_avg on the first `truncation_cutoff` layers (the official
        default 8: coarse and middle styles; None: all layers). `truncation` is ψ as `zoo generate` passes it."""
        psi = truncation_psi if truncation is None else truncation
        cutoff = self.truncation_cutoff if truncation_cutoff == -1 else truncation_cutoff
        img = self.synthesis(self.map_latent(z, psi=psi, cutoff=cutoff), noise_mode)
        # the network's output is unbounded; the images a user sees are clipped to the declared range
        return img if self.training else img.clamp(-1.0, 1.0)


class DiscriminatorBlock(nn.Module):
    """One resolution above 4x4: conv0; blur, conv1, 2x2 box down-sampling, bias, leaky ReLU (box filter and
    bias commute, so the official fused Conv1_down and the separate ops are the same function)."""

    def __init__(self, in_channels: int, out_channels: int, blur: bool = True):
        super().__init__()
        self.conv0 = EqualConv2d(in_channels, in_channels, 3, he_gain=RELU_GAIN)
        self.conv1 = EqualConv2d(in_channels, out_channels, 3, he_gain=RELU_GAIN)
        self.register_buffer("blur_filter", blur_filter() if blur else None, persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        x = lrelu(self.conv0(x))
        x = blur2d(x, self.blur_filter) if self.blur_filter is not None else x
        return lrelu(downscale2d(self.conv1(x)))


class StyleGANDiscriminator(GrowingDiscriminator, Discriminator):
    condition = ConditionSpec()

    def __init__(self, resolution: int = 1024, channels: int = 3, channel_base: int = 16384, channel_max: int = 512,
                 mbstd_group_size: int = 4, mbstd_num_channels: int = 1, blur: bool = True):
        super().__init__()
        self.input = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.resolution = resolution
        res = resolutions(resolution)
        ch = {r: channels_at(r, channel_base, channel_max) for r in [2, *res]}
        self.fromrgb = nn.ModuleList(EqualConv2d(channels, ch[r], 1, he_gain=RELU_GAIN) for r in res)
        self.blocks = nn.ModuleList(DiscriminatorBlock(ch[r], ch[r // 2], blur) for r in res[1:])  # blocks[i]: res[i + 1]
        self.mbstd = MinibatchStdDev(mbstd_group_size, mbstd_num_channels) if mbstd_group_size > 1 else None
        self.conv = EqualConv2d(ch[4] + (mbstd_num_channels if self.mbstd else 0), ch[4], 3, he_gain=RELU_GAIN)
        self.dense0 = EqualLinear(ch[4] * 16, ch[2], he_gain=RELU_GAIN)
        self.dense1 = EqualLinear(ch[2], 1)  # linear, gain 1
        self.register_buffer("lod", torch.zeros([]))

    def from_rgb(self, index: int, img: Tensor) -> Tensor:
        """The fromRGB convolution `index`, then leaky ReLU."""
        return lrelu(self.fromrgb[index](img))

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        h = self.features(x)[-1]
        if self.mbstd is not None:
            h = self.mbstd(h)
        h = lrelu(self.conv(h))
        h = lrelu(self.dense0(h.flatten(1)))
        return self.dense1(h).squeeze(1)
