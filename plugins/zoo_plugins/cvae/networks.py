"""The conditional VAE's networks (Sohn, Lee & Yan 2015, Sec. 4-5): MLPs with ReLU hidden layers whose
input is concatenated with the one-hot label.

- recognition network q(z|x, y) = N(μ, diag σ²) on [x, onehot(y)];
- generation network p(x|z, y) on [z, onehot(y)], Bernoulli (ink probabilities) or Gaussian.

Deviation: the paper's prior network p(z|x) (its "x" is the conditioning input) is replaced by the
fixed N(0, I), the simplification Sec. 4 itself allows ("the prior can be relaxed to be independent
of the input"); it makes sampling a given digit z ~ N(0, I), y chosen.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Encoder, Generator, LatentSpec, OutputSpec, Posterior
from zoo.losses import MIN_PIXEL_LOGVAR, check_pixel_likelihood, pixel_nll_per_sample


def _mlp(n_in: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())


class ConditionalGaussianEncoder(Encoder):
    def __init__(self, latent_dim: int = 16, resolution: int = 32, channels: int = 1, num_classes: int = 10,
                 hidden: int = 192):
        super().__init__()
        self.condition = ConditionSpec("class", num_classes=num_classes)
        self.input = OutputSpec((channels, resolution, resolution))
        self.latent = LatentSpec((latent_dim,))
        self.num_classes = num_classes
        self.hidden = _mlp(channels * resolution ** 2 + num_classes, hidden)
        self.mean = nn.Linear(hidden, latent_dim)
        self.logvar = nn.Linear(hidden, latent_dim)

    def forward(self, x: Tensor, c: Tensor | None = None) -> Posterior:
        h = self.hidden(torch.cat([x.flatten(1), F.one_hot(c, self.num_classes).to(x.dtype)], 1))
        return Posterior(self.mean(h), self.logvar(h))


class ConditionalDecoder(Generator):
    def __init__(self, latent_dim: int = 16, resolution: int = 32, channels: int = 1, num_classes: int = 10,
                 hidden: int = 192, likelihood: str = "bernoulli"):
        super().__init__()
        self.likelihood = check_pixel_likelihood(likelihood)
        self.condition = ConditionSpec("class", num_classes=num_classes)
        self.latent = LatentSpec((latent_dim,))
        self.output = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.num_classes = num_classes
        pixels = channels * resolution ** 2
        self.hidden = _mlp(latent_dim + num_classes, hidden)
        self.logits = nn.Linear(hidden, pixels)
        self.logvar = nn.Linear(hidden, pixels) if likelihood == "gaussian" else None

    def _params(self, z: Tensor, c: Tensor) -> tuple[Tensor, Tensor | None]:
        h = self.hidden(torch.cat([z, F.one_hot(c, self.num_classes).to(z.dtype)], 1))
        shape = (-1, *self.output.shape)
        logvar = self.logvar(h).clamp(min=MIN_PIXEL_LOGVAR).view(shape) if self.logvar is not None else None
        return self.logits(h).view(shape), logvar

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        logits, _ = self._params(z, c)
        return logits.sigmoid() * 2 - 1

    def nll(self, z: Tensor, x: Tensor, c: Tensor | None = None) -> Tensor:
        """−log p(x|z, y) per sample in nats; `x` in [-1, 1], `c` the labels y."""
        if c is None:
            raise ValueError("ConditionalDecoder.nll needs the labels c")
        logits, logvar = self._params(z, c)
        return pixel_nll_per_sample(self.likelihood, logits, logvar, x)
