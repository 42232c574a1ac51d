"""Progressive GAN's networks (Karras et al. 2018, arXiv:1710.10196, Sec. 2-4 and Table 2; the official
TensorFlow `G_paper` / `D_paper`):

- generator: z normalised by pixel norm; a dense layer to 4x4 (He gain sqrt(2)/4, as the official code
  keeps from its Theano version), then per resolution 3x3 convolutions (two per block, the first after a
  2x nearest up-sampling), each followed by leaky ReLU (0.2) and pixelwise feature normalisation (Sec.
  4.2, eps 1e-8); a toRGB 1x1 convolution per resolution (linear, gain 1);
- discriminator: a fromRGB 1x1 convolution per resolution (leaky ReLU), per resolution two 3x3
  convolutions and a 2x2 box down-sampling (before the second activation, as the official fused
  Conv1_down; after it with fused_scale=False), then the minibatch standard deviation (Sec. 3: group 4, one
  feature map), a 3x3 convolution, a dense layer and the linear output;
- every layer has the equalized learning rate (Sec. 4.1: N(0, 1) weights scaled at run time by the He
  constant, zoo.nn.equalized with he_gain); growing follows the `lod` buffer (zoo.nn.progressive).

Channels at resolution r: min(channel_base / r, channel_max) (the official fmap_base = channel_base / 2),
or an explicit `channel_list` (one per resolution from 4 px, as pytorch_GAN_zoo's depthScales); the
discriminator's dense width is the rule at 2 px (the list's first entry).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Discriminator, Generator, LatentSpec, OutputSpec
from zoo.nn.equalized import LRELU_SLOPE, EqualConv2d, EqualLinear, MinibatchStdDev, pixel_norm
from zoo.nn.progressive import GrowingDiscriminator, check_lod, downscale2d, fade_in, split_lod, upscale2d

RELU_GAIN = math.sqrt(2)


def resolutions(resolution: int) -> list[int]:
    log2 = math.log2(resolution)
    if resolution < 4 or not log2.is_integer():
        raise ValueError(f"ProGAN needs a power-of-two resolution >= 4, got {resolution}")
    return [2 ** i for i in range(2, int(log2) + 1)]


def channel_table(resolution: int, channel_base: int, channel_max: int,
                  channel_list: list[int] | None = None) -> dict[int, int]:
    """Channels by resolution, 2 px included (the discriminator's dense width)."""
    res = resolutions(resolution)
    if channel_list is not None:
        if len(channel_list) != len(res) or min(channel_list) < 1:
            raise ValueError(f"channel_list needs one positive width per resolution {res}, got {channel_list}")
        return {2: int(channel_list[0]), **{r: int(c) for r, c in zip(res, channel_list)}}
    return {r: min(channel_base // r, channel_max) for r in [2, *res]}


def lrelu(x: Tensor) -> Tensor:
    return F.leaky_relu(x, LRELU_SLOPE)


class ConvLayer(nn.Module):
    """An equalized k x k convolution with the He gain in its weight, then leaky ReLU (and pixel norm)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, pixelnorm: bool = False):
        super().__init__()
        self.conv = EqualConv2d(in_channels, out_channels, kernel_size, he_gain=RELU_GAIN)
        self.pixelnorm = pixelnorm

    def forward(self, x: Tensor) -> Tensor:
        x = lrelu(self.conv(x))
        return pixel_norm(x) if self.pixelnorm else x


class GeneratorBlock(nn.Module):
    """One resolution above 4x4: 2x nearest up-sampling, two 3x3 convolutions."""

    def __init__(self, in_channels: int, out_channels: int, pixelnorm: bool = True):
        super().__init__()
        self.conv0 = ConvLayer(in_channels, out_channels, pixelnorm=pixelnorm)
        self.conv1 = ConvLayer(out_channels, out_channels, pixelnorm=pixelnorm)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv1(self.conv0(upscale2d(x)))


class ProGANGenerator(Generator):
    condition = ConditionSpec()

    def __init__(self, z_dim: int = 512, resolution: int = 1024, channels: int = 3, channel_base: int = 16384,
                 channel_max: int = 512, channel_list: list[int] | None = None, normalize_latents: bool = True,
                 pixelnorm: bool = True, dense_gain: float = RELU_GAIN / 4):
        super().__init__()
        self.latent = LatentSpec((z_dim,))
        self.output = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.resolution, self.normalize_latents, self.pixelnorm = resolution, normalize_latents, pixelnorm
        ch = channel_table(resolution, channel_base, channel_max, channel_list)
        self.dense = EqualLinear(z_dim, ch[4] * 16, bias=False, he_gain=dense_gain)
        # one bias per unit of the 4x4 map: the official network's per-channel bias is the case of equal
        # values (its converter broadcasts it), pytorch_GAN_zoo's format layer has one per unit
        self.dense_bias = nn.Parameter(torch.zeros(ch[4], 4, 4))
        self.conv = ConvLayer(ch[4], ch[4], pixelnorm=pixelnorm)
        res = resolutions(resolution)
        self.blocks = nn.ModuleList(GeneratorBlock(ch[r // 2], ch[r], pixelnorm) for r in res[1:])
        self.torgb = nn.ModuleList(EqualConv2d(ch[r], channels, 1) for r in res)  # linear, gain 1
        # the level of detail (0: full resolution); the growing state, saved with the weights
        self.register_buffer("lod", torch.zeros([]))

    @property
    def levels(self) -> int:
        return len(self.blocks)

    def set_lod(self, lod: float) -> None:
        check_lod(lod, self.levels, self.resolution, "generator")
        self.lod.fill_(lod)

    def synthesize(self, z: Tensor) -> Tensor:
        """Images at the full resolution for the current lod, unclipped."""
        k, alpha = split_lod(float(self.lod))
        top = self.levels - k  # index of the newest block in use (0: the 4x4 one)
        x = pixel_norm(z) if self.normalize_latents else z
        x = lrelu(self.dense(x).view(-1, *self.dense_bias.shape) + self.dense_bias)
        x = self.conv(pixel_norm(x) if self.pixelnorm else x)
        prev = x
        for block in self.blocks[:top]:
            prev, x = x, block(x)
        img = self.torgb[top](x)
        if alpha < 1 and top > 0:  # fading in the newest block: blend with the one below, up-sampled
            img = fade_in(upscale2d(self.torgb[top - 1](prev)), img, alpha)
        return upscale2d(img, 2 ** k)

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        img = self.synthesize(z)
        # the network's output is unbounded; the images a user sees are clipped to the declared range
        return img if self.training else img.clamp(-1.0, 1.0)


class DiscriminatorBlock(nn.Module):
    """One resolution above 4x4: two 3x3 convolutions and a 2x2 box down-sampling. `fused_scale` (the official
    default, its Conv1_down) down-samples the second convolution's output before the activation; otherwise
    (its fused_scale=False, pytorch_GAN_zoo) the activation comes first."""

    def __init__(self, in_channels: int, out_channels: int, fused_scale: bool = True):
        super().__init__()
        self.conv0 = ConvLayer(in_channels, in_channels)
        self.conv1 = ConvLayer(in_channels, out_channels)
        self.fused_scale = fused_scale

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv0(x)
        if self.fused_scale:  # box filter and bias commute: lrelu(down(conv(x)) + b)
            return lrelu(downscale2d(self.conv1.conv(x)))
        return downscale2d(self.conv1(x))


class ProGANDiscriminator(GrowingDiscriminator, Discriminator):
    condition = ConditionSpec()

    def __init__(self, resolution: int = 1024, channels: int = 3, channel_base: int = 16384, channel_max: int = 512,
                 channel_list: list[int] | None = None, mbstd_group_size: int = 4,
                 mbstd_variant: str = "official", fused_scale: bool = True):
        super().__init__()
        self.input = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.resolution = resolution
        ch = channel_table(resolution, channel_base, channel_max, channel_list)
        res = resolutions(resolution)
        self.fromrgb = nn.ModuleList(ConvLayer(channels, ch[r], kernel_size=1) for r in res)
        self.blocks = nn.ModuleList(DiscriminatorBlock(ch[r], ch[r // 2], fused_scale) for r in res[1:])  # blocks[i]: res[i + 1]
        if mbstd_variant not in ("official", "pytorch_gan_zoo"):
            raise ValueError(f"mbstd_variant must be 'official' or 'pytorch_gan_zoo', got {mbstd_variant!r}")
        self.mbstd = (None if mbstd_group_size < 2 else MinibatchStdDev(mbstd_group_size, 1)
                      if mbstd_variant == "official" else GanZooMinibatchStdDev(mbstd_group_size))
        self.conv = ConvLayer(ch[4] + (self.mbstd is not None), ch[4])
        self.dense0 = EqualLinear(ch[4] * 16, ch[2], he_gain=RELU_GAIN)
        self.dense1 = EqualLinear(ch[2], 1)  # linear, gain 1
        self.register_buffer("lod", torch.zeros([]))

    def from_rgb(self, index: int, img: Tensor) -> Tensor:
        """The fromRGB layer `index` (a ConvLayer: its leaky ReLU included)."""
        return self.fromrgb[index](img)

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        h = self.features(x)[-1]
        if self.mbstd is not None:
            h = self.mbstd(h)
        h = lrelu(self.dense0(self.conv(h).flatten(1)))
        return self.dense1(h).squeeze(1)


class GanZooMinibatchStdDev(nn.Module):
    """facebookresearch/pytorch_GAN_zoo's variant of the layer, for its converted discriminators: groups of
    consecutive samples, the unbiased variance, one group of the whole batch when the group size does not
    divide it, and a zero map for groups of one."""

    def __init__(self, group_size: int = 4):
        super().__init__()
        self.group_size = group_size

    def forward(self, x: Tensor) -> Tensor:
        n, c, h, w = x.shape
        g = min(n, self.group_size)
        g = n if n % g else g
        if g < 2:
            return torch.cat([x, x.new_zeros(n, 1, h, w)], dim=1)
        y = x.reshape(n // g, g, c, h, w).var(dim=1, unbiased=True)
        y = (y + 1e-8).sqrt().flatten(1).mean(1)  # (N / G,)
        y = y.repeat_interleave(g).view(n, 1, 1, 1).expand(n, 1, h, w)
        return torch.cat([x, y], dim=1)
