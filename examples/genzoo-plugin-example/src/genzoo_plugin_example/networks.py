"""The networks of a class-conditional least-squares GAN for small grey-scale images.

Mao et al. 2017, "Least Squares Generative Adversarial Networks" (arXiv:1611.04076): their model for
datasets with many classes (3,740 Chinese characters) conditions both networks on the label through a
linear mapping Φ(y) of its one-hot code: the generator takes [z, Φ(y)], the discriminator concatenates Φ(y)
to a hidden layer. The paper does this inside convolutional networks; here the networks are small
MLPs (deviation: a size that trains on a CPU in a minute), the conditioning is the paper's. The
discriminator's output is a raw score: the least-squares loss needs no sigmoid.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from zoo.interfaces import ConditionSpec, Discriminator, Generator, LatentSpec, OutputSpec


class LabelMapping(nn.Module):
    """Φ(y): a linear map of the one-hot label (an embedding lookup computes exactly that)."""

    def __init__(self, num_classes: int, dim: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.linear = nn.Linear(num_classes, dim, bias=False)

    def forward(self, y: Tensor) -> Tensor:
        return self.linear(F.one_hot(y, self.num_classes).to(self.linear.weight.dtype))


class ConditionalMLPGenerator(Generator):
    """[z, Φ(y)] → ReLU(hidden) → ReLU(2·hidden) → tanh(pixels)."""

    def __init__(self, latent_dim: int = 16, num_classes: int = 10, label_dim: int = 10, resolution: int = 16,
                 channels: int = 1, g_hidden: int = 128) -> None:
        super().__init__()
        self.latent = LatentSpec((latent_dim,), prior="normal")
        self.condition = ConditionSpec("class", num_classes=num_classes)
        self.output = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.label = LabelMapping(num_classes, label_dim)
        self.net = nn.Sequential(
            nn.Linear(latent_dim + label_dim, g_hidden), nn.BatchNorm1d(g_hidden), nn.ReLU(),
            nn.Linear(g_hidden, 2 * g_hidden), nn.BatchNorm1d(2 * g_hidden), nn.ReLU(),
            nn.Linear(2 * g_hidden, channels * resolution * resolution), nn.Tanh(),
        )

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        h = torch.cat([z, self.label(c)], dim=1)
        return self.net(h).view(z.shape[0], *self.output.shape)


class ConditionalMLPDiscriminator(Discriminator):
    """x → LeakyReLU(2·hidden), then [h, Φ(y)] → LeakyReLU(hidden) → one least-squares score."""

    def __init__(self, num_classes: int = 10, label_dim: int = 10, resolution: int = 16, channels: int = 1,
                 d_hidden: int = 128) -> None:
        super().__init__()
        self.condition = ConditionSpec("class", num_classes=num_classes)
        self.input = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.label = LabelMapping(num_classes, label_dim)
        self.image = nn.Sequential(nn.Linear(channels * resolution * resolution, 2 * d_hidden), nn.LeakyReLU(0.2))
        self.joint = nn.Sequential(nn.Linear(2 * d_hidden + label_dim, d_hidden), nn.LeakyReLU(0.2))
        self.head = nn.Linear(d_hidden, 1)

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        h1 = self.image(x.flatten(1))
        h2 = self.joint(torch.cat([h1, self.label(c)], dim=1))
        return [h1, h2]

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        return self.head(self.features(x, c)[-1]).squeeze(1)
