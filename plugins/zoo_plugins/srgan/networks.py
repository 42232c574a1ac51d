"""SRResNet and SRGAN's networks: Ledig et al. 2017, "Photo-Realistic Single Image Super-Resolution Using
a Generative Adversarial Network" (arXiv:1609.04802), Fig. 4, and BasicSR's MSRResNet (the modified
SRResNet of Wang et al. 2018, ESRGAN, Sec. 4.1: no batch norm, whose official files load here).

Generator (SRResNet, the paper's Fig. 4, top): a 9×9 convolution and PReLU; B residual blocks, each
conv3×3 → BN → PReLU → conv3×3 → BN plus the block's input; a conv3×3 → BN whose output is added to
the first layer's (the long skip); log2(scale) sub-pixel blocks, each conv3×3 to 4× the width, pixel
shuffle ×2 (Shi et al. 2016), PReLU; a 9×9 convolution to the image. The paper scales its LR inputs to
[0, 1] and its HR images to [-1, 1]: the generator takes [0, 1] and gives [-1, 1] (no final tanh, as in
the figure).

Discriminator (Fig. 4, bottom): conv3×3 (64) + LeakyReLU(0.2); seven conv3×3 + BN + LeakyReLU(0.2)
blocks, widths 64, 128, 128, 256, 256, 512, 512, strides 2, 1, 2, 1, 2, 1, 2 (eight convolutions in
all, the width doubling while the stride-2 layers halve the size); dense 1024, LeakyReLU(0.2), dense 1
(the logit; the sigmoid is in the loss).
"""
from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Discriminator, Generator, OutputSpec


def check_scale(scale: int, allowed=(2, 4, 8)) -> int:
    if scale not in allowed:
        raise ValueError(f"scale must be one of {', '.join(map(str, allowed))}, got {scale!r}")
    return int(scale)


class ResidualBlock(nn.Module):
    """x + BN(conv(PReLU(BN(conv(x))))) (SRGAN's Fig. 4: k3n64s1 twice)."""

    def __init__(self, width: int):
        super().__init__()
        self.conv1 = nn.Conv2d(width, width, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(width)
        self.act = nn.PReLU(width)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(width)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.bn2(self.conv2(self.act(self.bn1(self.conv1(x)))))


class SubPixelBlock(nn.Module):
    """conv3×3 to 4·width channels, pixel shuffle ×2, PReLU: doubles the size."""

    def __init__(self, width: int):
        super().__init__()
        self.conv = nn.Conv2d(width, width * 4, 3, padding=1)
        self.shuffle = nn.PixelShuffle(2)
        self.act = nn.PReLU(width)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.shuffle(self.conv(x)))


class SRResNetGenerator(Generator):
    """Low-resolution (N, C, h, w) in [0, 1] -> (N, C, scale·h, scale·w) in [-1, 1]; any h, w."""

    latent = None

    def __init__(self, channels: int = 3, width: int = 64, blocks: int = 16, scale: int = 4):
        super().__init__()
        self.scale = check_scale(scale)
        if blocks < 1 or width < 1:
            raise ValueError(f"blocks and width must be >= 1, got blocks={blocks}, width={width}")
        self.condition = ConditionSpec("low_res_image", shape=(channels, "H", "W"), value_range=(0.0, 1.0))
        self.output = OutputSpec((channels, "H", "W"), value_range=(-1.0, 1.0))
        self.head = nn.Sequential(nn.Conv2d(channels, width, 9, padding=4), nn.PReLU(width))
        self.body = nn.Sequential(*(ResidualBlock(width) for _ in range(blocks)))
        self.body_end = nn.Sequential(nn.Conv2d(width, width, 3, padding=1), nn.BatchNorm2d(width))
        self.upsample = nn.Sequential(*(SubPixelBlock(width) for _ in range(int(math.log2(self.scale)))))
        self.tail = nn.Conv2d(width, channels, 9, padding=4)

    def forward(self, z: Tensor | None, c: Tensor | None = None) -> Tensor:
        h = self.head(c)
        h = h + self.body_end(self.body(h))
        return self.tail(self.upsample(h))


def _d_block(c_in: int, c_out: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2))


class SRGANDiscriminator(Discriminator):
    """(N, C, R, R) HR images in [-1, 1] -> logits (N,). R must be a multiple of 16."""

    condition = ConditionSpec()

    def __init__(self, resolution: int = 96, channels: int = 3, d_width: int = 64, dense: int = 1024):
        super().__init__()
        if resolution < 16 or resolution % 16:
            raise ValueError(f"the discriminator needs a resolution that is a multiple of 16, got {resolution}")
        self.input = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        w = d_width
        plan = [(w, w, 2), (w, 2 * w, 1), (2 * w, 2 * w, 2), (2 * w, 4 * w, 1), (4 * w, 4 * w, 2),
                (4 * w, 8 * w, 1), (8 * w, 8 * w, 2)]
        self.stem = nn.Sequential(nn.Conv2d(channels, w, 3, 1, 1), nn.LeakyReLU(0.2))
        self.blocks = nn.Sequential(*(_d_block(a, b, s) for a, b, s in plan))
        side = resolution // 16
        self.dense = nn.Sequential(nn.Linear(8 * w * side * side, dense), nn.LeakyReLU(0.2), nn.Linear(dense, 1))

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        self.check_inputs(x, c)
        out, h = [], self.stem(x)
        out.append(h)
        for block in self.blocks:
            h = block(h)
            out.append(h)
        return out

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        return self.dense(self.blocks(self.stem(x)).flatten(1)).squeeze(1)


class MSRResNet(Generator):
    """BasicSR's MSRResNet (ESRGAN's modified SRResNet): no batch norm, ReLU inside the residual blocks,
    LeakyReLU(0.1) elsewhere, the bilinearly upsampled input added to the output; [0, 1] in and out.
    State-dict names are BasicSR's (conv_first, body.N.conv1/conv2, upconv1/2, conv_hr, conv_last)."""

    latent = None

    def __init__(self, channels: int = 3, width: int = 64, blocks: int = 16, scale: int = 4):
        super().__init__()
        self.scale = check_scale(scale, (2, 3, 4))
        self.condition = ConditionSpec("low_res_image", shape=(channels, "H", "W"), value_range=(0.0, 1.0))
        self.output = OutputSpec((channels, "H", "W"), value_range=(0.0, 1.0))
        self.conv_first = nn.Conv2d(channels, width, 3, 1, 1)
        self.body = nn.Sequential(*(PlainResidualBlock(width) for _ in range(blocks)))
        first = self.scale if self.scale in (2, 3) else 2
        self.upconv1 = nn.Conv2d(width, width * first * first, 3, 1, 1)
        self.upconv2 = nn.Conv2d(width, width * 4, 3, 1, 1) if self.scale == 4 else None
        self.conv_hr = nn.Conv2d(width, width, 3, 1, 1)
        self.conv_last = nn.Conv2d(width, channels, 3, 1, 1)
        self.first = first

    def forward(self, z: Tensor | None, c: Tensor | None = None) -> Tensor:
        lrelu = nn.functional.leaky_relu
        h = lrelu(self.conv_first(c), 0.1)
        h = self.body(h)
        h = lrelu(F.pixel_shuffle(self.upconv1(h), self.first), 0.1)
        if self.upconv2 is not None:
            h = lrelu(F.pixel_shuffle(self.upconv2(h), 2), 0.1)
        out = self.conv_last(lrelu(self.conv_hr(h), 0.1))
        return out + F.interpolate(c, scale_factor=self.scale, mode="bilinear", align_corners=False)


class PlainResidualBlock(nn.Module):
    """x + conv(ReLU(conv(x))), no batch norm (EDSR's and MSRResNet's block)."""

    def __init__(self, width: int):
        super().__init__()
        self.conv1 = nn.Conv2d(width, width, 3, 1, 1)
        self.conv2 = nn.Conv2d(width, width, 3, 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv2(F.relu(self.conv1(x)))
