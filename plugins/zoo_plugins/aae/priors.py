"""The priors of the AAE paper (Sec. 2.1, Figs. 2 and 4). The adversarial regularisation needs only
samples from p(z), never its density, so any distribution that can be sampled will do:

- "gaussian": N(0, I) in any dimension;
- "mixture": 10 two-dimensional Gaussians arranged around the origin, each elongated along its
  radius, one per digit in the paper's figure;
- "swissroll": a noisy 2-D spiral.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from zoo.interfaces import LatentSpec

PRIORS = ("gaussian", "mixture", "swissroll")
TWO_D_ONLY = ("mixture", "swissroll")

MIXTURE_COMPONENTS = 10
MIXTURE_RADIUS = 4.0  # distance of each component's centre from the origin
MIXTURE_STD = (1.0, 0.25)  # along the radius, across it
SWISSROLL_TURNS = 1.5
SWISSROLL_RADIUS = 5.0
SWISSROLL_NOISE = 0.1


def check_prior(prior: str, latent_dim: int) -> None:
    if prior not in PRIORS:
        raise ValueError(f"prior must be one of {PRIORS}, got {prior!r}")
    if prior in TWO_D_ONLY and latent_dim != 2:
        raise ValueError(f"the {prior!r} prior is two-dimensional; set latent_dim=2 (got {latent_dim})")


def sample_mixture(n: int, generator=None, device=None, dtype=None, *, with_components: bool = False):
    k = torch.randint(MIXTURE_COMPONENTS, (n,), generator=generator)
    eps = torch.randn(n, 2, generator=generator)
    along = MIXTURE_RADIUS + MIXTURE_STD[0] * eps[:, 0]
    across = MIXTURE_STD[1] * eps[:, 1]
    angle = 2 * math.pi * k.float() / MIXTURE_COMPONENTS
    z = torch.stack([along * angle.cos() - across * angle.sin(), along * angle.sin() + across * angle.cos()], 1)
    z = z.to(device=device, dtype=dtype or torch.float32)
    return (z, k) if with_components else z


def sample_swissroll(n: int, generator=None, device=None, dtype=None) -> Tensor:
    t = torch.rand(n, generator=generator).sqrt()  # uniform density along the arc
    angle = 2 * math.pi * SWISSROLL_TURNS * t + 0.5 * math.pi
    radius = SWISSROLL_RADIUS * t
    z = torch.stack([radius * angle.cos(), radius * angle.sin()], 1)
    z = z + SWISSROLL_NOISE * torch.randn(n, 2, generator=generator)
    return z.to(device=device, dtype=dtype or torch.float32)


def sample_prior(prior: str, n: int, latent_dim: int, generator=None, device=None, dtype=None) -> Tensor:
    check_prior(prior, latent_dim)
    if prior == "gaussian":
        return torch.randn(n, latent_dim, generator=generator).to(device=device, dtype=dtype or torch.float32)
    if prior == "mixture":
        return sample_mixture(n, generator, device, dtype)
    return sample_swissroll(n, generator, device, dtype)


@dataclass(frozen=True)
class PriorLatentSpec(LatentSpec):
    """A LatentSpec whose `sample` draws from one of the AAE priors (so `generate` samples it)."""

    def sample(self, n: int, generator: torch.Generator | None = None, device=None,
               dtype: torch.dtype | None = None) -> Tensor:
        return sample_prior(self.prior, n, self.shape[0], generator=generator, device=device, dtype=dtype)
