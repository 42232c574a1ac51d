"""The networks of Goodfellow et al. 2014 for MNIST-like images.

Generator: z (uniform noise) → ReLU(1200) → ReLU(1200) → sigmoid(pixels), the "mixture of rectifier
linear activations and sigmoid activations" of Section 5. Discriminator: maxout units with dropout
(Goodfellow 2013), the sigmoid output folded into the loss.
"""
from __future__ import annotations

from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Discriminator, Generator, LatentSpec, OutputSpec


class Maxout(nn.Module):
    """A linear layer producing `pieces` candidates per unit and keeping the largest."""

    def __init__(self, in_features: int, out_features: int, pieces: int) -> None:
        super().__init__()
        self.out_features, self.pieces = out_features, pieces
        self.linear = nn.Linear(in_features, out_features * pieces)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x).view(*x.shape[:-1], self.out_features, self.pieces).amax(-1)


class MLPGenerator(Generator):
    condition = ConditionSpec()

    def __init__(self, latent_dim: int = 100, resolution: int = 28, channels: int = 1, hidden: int = 1200):
        super().__init__()
        # The released code draws z uniformly on [-√3, √3] (unit variance).
        self.latent = LatentSpec((latent_dim,), prior="uniform", low=-3 ** 0.5, high=3 ** 0.5)
        self.output = OutputSpec((channels, resolution, resolution), value_range=(0.0, 1.0))
        self.net = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, channels * resolution * resolution), nn.Sigmoid(),
        )

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        return self.net(z).view(z.shape[0], *self.output.shape)


class MaxoutDiscriminator(Discriminator):
    condition = ConditionSpec()

    def __init__(self, resolution: int = 28, channels: int = 1, d_hidden: int = 240, pieces: int = 5,
                 input_dropout: float = 0.2, hidden_dropout: float = 0.5):
        super().__init__()
        self.input = OutputSpec((channels, resolution, resolution), value_range=(0.0, 1.0))
        n_in = channels * resolution * resolution
        self.layers = nn.ModuleList([
            nn.Sequential(nn.Dropout(input_dropout), Maxout(n_in, d_hidden, pieces)),
            nn.Sequential(nn.Dropout(hidden_dropout), Maxout(d_hidden, d_hidden, pieces)),
        ])
        self.head = nn.Sequential(nn.Dropout(hidden_dropout), nn.Linear(d_hidden, 1))

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        h, feats = x.flatten(1), []
        for layer in self.layers:
            h = layer(h)
            feats.append(h)
        return feats

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        return self.head(self.features(x)[-1]).squeeze(1)
