"""The AAE's networks (Makhzani et al. 2016, Appendix A): MLPs of two ReLU hidden layers.

- encoder q(z|x), the three choices of Sec. 2: deterministic (the default), a Gaussian posterior
  (posterior="gaussian", reparameterised, returning a Posterior), or the universal approximator
  posterior (posterior="universal": z = f(x, η) with noise η ~ N(0, I) of `noise_dim` dimensions as an
  extra input, so q(z|x) is any distribution the network can shape);
- decoder p(x|z): sigmoid output (ink probabilities), shown in [-1, 1];
- discriminator: on the latent code, telling prior samples (real) from codes (fake), LeakyReLU.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from zoo.errors import ShapeError
from zoo.interfaces import (ConditionSpec, Discriminator, Encoder, Generator, LatentSpec, OutputSpec, Posterior,
                            check_shape)
from zoo_plugins.aae.priors import PriorLatentSpec, check_prior

POSTERIORS = ("deterministic", "gaussian", "universal")


def _mlp(n_in: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())


class AAEEncoder(Encoder):
    condition = ConditionSpec()

    def __init__(self, latent_dim: int = 8, resolution: int = 32, channels: int = 1, hidden: int = 192,
                 prior: str = "gaussian", posterior: str = "deterministic", noise_dim: int = 8):
        super().__init__()
        check_prior(prior, latent_dim)
        if posterior not in POSTERIORS:
            raise ValueError(f"posterior must be one of {POSTERIORS}, got {posterior!r}")
        if posterior == "universal" and int(noise_dim) < 1:
            raise ValueError(f"the universal approximator posterior needs noise_dim >= 1, got {noise_dim}")
        self.input = OutputSpec((channels, resolution, resolution))
        self.latent = PriorLatentSpec((latent_dim,), prior=prior)
        self.posterior = posterior
        self.noise_dim = int(noise_dim) if posterior == "universal" else 0
        self.hidden = nn.Sequential(nn.Flatten(), _mlp(channels * resolution ** 2 + self.noise_dim, hidden))
        self.code = nn.Linear(hidden, latent_dim)
        self.logvar = nn.Linear(hidden, latent_dim) if posterior == "gaussian" else None

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor | Posterior:
        x = x.flatten(1)
        if self.noise_dim:  # a fresh η per call: the code is a sample of q(z|x)
            x = torch.cat([x, torch.randn(len(x), self.noise_dim, device=x.device, dtype=x.dtype)], 1)
        h = self.hidden(x)
        if self.logvar is None:
            return self.code(h)
        return Posterior(self.code(h), self.logvar(h))


class AAEDecoder(Generator):
    condition = ConditionSpec()

    def __init__(self, latent_dim: int = 8, resolution: int = 32, channels: int = 1, hidden: int = 192,
                 prior: str = "gaussian"):
        super().__init__()
        check_prior(prior, latent_dim)
        self.latent = PriorLatentSpec((latent_dim,), prior=prior)
        self.output = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.hidden = _mlp(latent_dim, hidden)
        self.logits_layer = nn.Linear(hidden, channels * resolution ** 2)

    def logits(self, z: Tensor) -> Tensor:
        return self.logits_layer(self.hidden(z)).view(-1, *self.output.shape)

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        return self.logits(z).sigmoid() * 2 - 1


class LatentDiscriminator(Discriminator):
    """D(z): logits that z came from the prior rather than from the encoder."""

    condition = ConditionSpec()

    def __init__(self, latent_dim: int = 8, d_hidden: int = 128):
        super().__init__()
        self.latent_dim = latent_dim
        self.input = LatentSpec((latent_dim,))  # takes latent codes, not images
        # LeakyReLU(0.2) instead of the paper's ReLU: with ReLU the small discriminator here died (every
        # unit off, D ≡ 1/2) within a few hundred steps once the codes moved, ending the regularisation.
        self.net = nn.Sequential(nn.Linear(latent_dim, d_hidden), nn.LeakyReLU(0.2), nn.Linear(d_hidden, d_hidden),
                                 nn.LeakyReLU(0.2), nn.Linear(d_hidden, 1))

    def check_inputs(self, x=None, c=None, *rest, **kwargs) -> None:
        x = kwargs.get("x", x)
        check_shape(self.owner, "x (latent codes)", x, ("N", self.latent_dim))
        if kwargs.get("c", c) is not None:
            raise ShapeError(f"{self.owner}: takes no condition, but c was given")

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        return self.net(x).squeeze(1)
