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


class GanIntClsGenerator(Generator):
    def __init__(self, latent_dim: int = 100, text_dim: int = 64, text_features: int = 32, resolution: int = 32,
                 channels: int = 1, g_width: int = 32, text_encoder: str = "char-cnn-rnn") -> None:
        super().__init__()
        n = _stages(resolution)
        self.latent = LatentSpec((latent_dim,))
        self.condition = ConditionSpec("text_embedding", shape=(text_dim,))
        self.output = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.text_encoder = text_encoder  # the zoo.text encoder whose embeddings c are (the text task uses it)
        self.compress = TextCompression(text_dim, text_features)
        widths = [g_width * 2 ** i for i in reversed(range(n))]
        layers = [nn.ConvTranspose2d(latent_dim + text_features, widths[0], 4, 1, 0, bias=False),
                  nn.BatchNorm2d(widths[0]), nn.ReLU(True)]
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)]
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
