"""GAN-INT-CLS's networks (Reed, Akata, Yan, Logeswaran, Schiele, Lee, "Generative Adversarial Text to
Image Synthesis", ICML 2016, arXiv:1605.05396, Sec. 4.1 and Fig. 2), at 32 px.

- Generator: the text embedding φ(t) is compressed by a fully connected layer and a leaky ReLU (slope
  0.2) to `text_features` (the paper: 1,024 → 128; here 64 → 32) and concatenated to z; a DCGAN
  generator (Radford 2016) turns [z, φ'] (as a 1×1 map) into the image: a 4×4 full convolution, then
  stride-2 full convolutions with batch norm and ReLU, tanh at the output.
- Discriminator: stride-2 convolutions with leaky ReLU (batch norm but at the first) down to 4×4; the
  text embedding is compressed the same way (FC, batch norm, leaky ReLU, as Reed's fcD), replicated
  spatially over the 4×4 map and concatenated as channels; a 1×1 convolution with batch norm and leaky
  ReLU, and a 4×4 convolution to one logit (the paper's sigmoid is in the loss).
Weights N(0, 0.02), batch-norm scales N(1, 0.02) (Reed's weights_init).

`residual=True` is the generator of Reed's released code (github.com/reedscot/icml2016, main_cls_int.lua),
which the paper's Fig. 2 does not show: after the first two full convolutions (and their batch norm, no
ReLU) a residual block (1×1 conv to a quarter of the width, 3×3, 3×3 back, batch norm after each, ReLU
between), the sum, then ReLU; every convolution with a bias. It exists so that the authors' .t7
generators convert (zoo_plugins.ganintcls.convert_t7); the weights trained here use the paper's layout.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Discriminator, Generator, LatentSpec, OutputSpec
from zoo.nn.init import normal_init_


def _stages(resolution: int) -> int:
    stages = math.log2(resolution / 4)
    if resolution < 8 or not stages.is_integer():
        raise ValueError(f"GAN-INT-CLS needs a power-of-two resolution >= 8, got {resolution}")
    return int(stages)


class TextCompression(nn.Sequential):
    """φ(t) -> φ'(t): fully connected, [batch norm,] leaky ReLU 0.2."""

    def __init__(self, text_dim: int, text_features: int, batch_norm: bool = False) -> None:
        super().__init__(nn.Linear(text_dim, text_features),
                         *([nn.BatchNorm1d(text_features)] if batch_norm else []), nn.LeakyReLU(0.2))


class ResidualBlock(nn.Module):
    """Reed's code: x + BN(conv3x3(ReLU(BN(conv3x3(ReLU(BN(conv1x1(x)))))))) with a quarter-width bottleneck."""

    def __init__(self, width: int) -> None:
        super().__init__()
        inner = width // 4
        self.branch = nn.Sequential(nn.Conv2d(width, inner, 1), nn.BatchNorm2d(inner), nn.ReLU(True),
                                    nn.Conv2d(inner, inner, 3, 1, 1), nn.BatchNorm2d(inner), nn.ReLU(True),
                                    nn.Conv2d(inner, width, 3, 1, 1), nn.BatchNorm2d(width))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.branch(x)


class GanIntClsGenerator(Generator):
    def __init__(self, latent_dim: int = 100, text_dim: int = 64, text_features: int = 32, resolution: int = 32,
                 channels: int = 1, g_width: int = 32, text_encoder: str = "char-cnn-rnn",
                 residual: bool = False) -> None:
        super().__init__()
        n = _stages(resolution)
        self.latent = LatentSpec((latent_dim,))
        self.condition = ConditionSpec("text_embedding", shape=(text_dim,))
        self.output = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.text_encoder = text_encoder  # the zoo.text encoder whose embeddings c are (the text task uses it)
        self.compress = TextCompression(text_dim, text_features)
        widths = [g_width * 2 ** i for i in reversed(range(n))]
        if residual and n < 2:
            raise ValueError(f"residual=True needs at least 16 px (two residual stages), got {resolution}")
        layers = [nn.ConvTranspose2d(latent_dim + text_features, widths[0], 4, 1, 0, bias=residual),
                  nn.BatchNorm2d(widths[0]), *([ResidualBlock(widths[0])] if residual else []), nn.ReLU(True)]
        for i, (c_in, c_out) in enumerate(zip(widths, widths[1:])):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=residual), nn.BatchNorm2d(c_out),
                       *([ResidualBlock(c_out)] if residual and i == 0 else []), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        normal_init_(self)

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        h = torch.cat([z, self.compress(c)], 1)  # [z, φ'(t)]
        return self.net(h[:, :, None, None])


class GanIntClsDiscriminator(Discriminator):
    def __init__(self, text_dim: int = 64, text_features: int = 32, resolution: int = 32, channels: int = 1,
                 d_width: int = 32) -> None:
        super().__init__()
        n = _stages(resolution)
        self.input = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.condition = ConditionSpec("text_embedding", shape=(text_dim,))
        widths = [d_width * 2 ** i for i in range(n)]
        layers, c_in = [], channels
        for i, c_out in enumerate(widths):
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=i == 0),
                       *([nn.BatchNorm2d(c_out)] if i else []), nn.LeakyReLU(0.2, True)]
            c_in = c_out
        self.image_net = nn.Sequential(*layers)  # -> (N, widths[-1], 4, 4)
        self.compress = TextCompression(text_dim, text_features, batch_norm=True)
        self.joint = nn.Sequential(nn.Conv2d(widths[-1] + text_features, widths[-1], 1, bias=False),
                                   nn.BatchNorm2d(widths[-1]), nn.LeakyReLU(0.2, True))
        self.head = nn.Conv2d(widths[-1], 1, 4)
        normal_init_(self)

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        h = self.image_net(x)
        t = self.compress(c)[:, :, None, None].expand(-1, -1, *h.shape[-2:])  # replicated over 4×4
        return [h, self.joint(torch.cat([h, t], 1))]

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        return self.head(self.features(x, c)[-1]).flatten()
