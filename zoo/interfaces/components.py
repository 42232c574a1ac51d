"""The components every paper implements: Generator, Encoder, Discriminator (and the Posterior an
encoder may return).

Each component is a torch.nn.Module that also declares what it takes and gives (zoo.interfaces.specs),
so the CLI, the trainer, the metrics and the benchmark harness can drive any paper without knowing it.
Inputs are checked before `forward` runs: a wrong shape names the shape that was expected.
"""
from __future__ import annotations

import abc
import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from zoo.errors import ShapeError
from zoo.interfaces.specs import ConditionSpec, LatentSpec, OutputSpec, check_condition, check_shape

# -- components ---------------------------------------------------------------------------------
class Component(nn.Module):
    """Base of all components: a name for messages and input checks that run before forward."""

    condition: ConditionSpec = ConditionSpec()

    def __init__(self) -> None:
        super().__init__()
        self.register_forward_pre_hook(_check_inputs_hook, with_kwargs=True)

    @property
    def owner(self) -> str:
        return type(self).__name__

    def check_inputs(self, *args: Any, **kwargs: Any) -> None:  # overridden per role
        pass


def _check_inputs_hook(module: Component, args: tuple, kwargs: dict):
    module.check_inputs(*args, **kwargs)
    return None


class Generator(Component):
    """Maps a latent z (and a condition c) to an image or voxel grid.

    Subclasses set `latent` (None for generators without one, e.g. SRGAN), `condition`, `output`.
    """

    latent: LatentSpec | None
    output: OutputSpec

    @abc.abstractmethod
    def forward(self, z: Tensor | None, c: Tensor | None = None) -> Tensor: ...

    def sample_latent(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor | None:
        if self.latent is None:
            return None
        device = device if device is not None else _device_of(self)
        return self.latent.sample(n, generator=generator, device=device)

    def sample_condition(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor | None:
        """Random class labels for class-conditional generators; other conditions must be given."""
        if self.condition.kind == "none":
            return None
        if self.condition.kind == "class":
            device = device if device is not None else _device_of(self)
            labels = torch.randint(self.condition.num_classes, (n,), generator=generator)
            return labels.to(device)
        raise ValueError(f"{self.owner}: a {self.condition.kind!r} condition cannot be sampled; pass c")

    def check_inputs(self, z=None, c=None, *rest, **kwargs) -> None:
        c = kwargs.get("c", c)
        z = kwargs.get("z", z)
        if self.latent is None:
            if z is not None:
                raise ShapeError(f"{self.owner}: has no latent; pass z=None")
            n = c.shape[0] if isinstance(c, Tensor) else 0
        else:
            check_shape(self.owner, "z", z, ("N", *self.latent.shape))
            n = z.shape[0]
        check_condition(self.owner, self.condition, c, n)


@dataclass
class Posterior:
    """A diagonal Gaussian q(z|x) = N(mean, exp(logvar)): reparameterised samples and the KL to N(0, I)."""

    mean: Tensor
    logvar: Tensor

    @property
    def std(self) -> Tensor:
        return torch.exp(0.5 * self.logvar)

    def sample(self, generator: torch.Generator | None = None) -> Tensor:
        eps = torch.randn(self.mean.shape, generator=generator, device=self.mean.device, dtype=self.mean.dtype)
        return self.mean + self.std * eps

    def mode(self) -> Tensor:
        return self.mean

    def kl(self) -> Tensor:
        """KL(q || N(0, I)) per sample, summed over latent dimensions (Kingma & Welling 2014, App. B)."""
        kl = 0.5 * (self.mean.pow(2) + self.logvar.exp() - 1.0 - self.logvar)
        return kl.flatten(1).sum(1)

    def log_prob(self, z: Tensor) -> Tensor:
        """log q(z|x) per sample."""
        lp = -0.5 * (((z - self.mean) ** 2) / self.logvar.exp() + self.logvar + math.log(2 * math.pi))
        return lp.flatten(1).sum(1)


class Encoder(Component):
    """Maps an image (and a condition) to a latent tensor or a Posterior."""

    input: OutputSpec
    latent: LatentSpec

    @abc.abstractmethod
    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor | Posterior: ...

    def check_inputs(self, x=None, c=None, *rest, **kwargs) -> None:
        x, c = kwargs.get("x", x), kwargs.get("c", c)
        check_shape(self.owner, "x", x, ("N", *self.input.shape))
        check_condition(self.owner, self.condition, c, x.shape[0])


class Discriminator(Component):
    """Scores images: logits of shape (N,) or a map (N, 1, h, w) for PatchGAN.

    `input` says what it judges: an OutputSpec for images or voxels, or a LatentSpec for a
    discriminator on latent codes (AAE's D(z), Makhzani 2016); both are shape-checked alike.
    """

    input: OutputSpec | LatentSpec

    @abc.abstractmethod
    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor: ...

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        """Intermediate activations (VAE-GAN's Dis_l, pix2pixHD/SPADE feature matching)."""
        raise NotImplementedError(f"{self.owner} does not expose intermediate features")

    def check_inputs(self, x=None, c=None, *rest, **kwargs) -> None:
        x, c = kwargs.get("x", x), kwargs.get("c", c)
        check_shape(self.owner, "x", x, ("N", *self.input.shape))
        check_condition(self.owner, self.condition, c, x.shape[0])


def _device_of(module: nn.Module) -> torch.device:
    for p in module.parameters():
        return p.device
    for b in module.buffers():
        return b.device
    return torch.device("cpu")


