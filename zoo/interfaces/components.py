"""The components every paper implements: Generator, Encoder, Discriminator (and the Posterior an
encoder may return).

Each component is a torch.nn.Module that also declares what it takes and gives (zoo.interfaces.specs),
so the CLI, the trainer, the metrics and the benchmark harness can drive any paper without knowing it.
Inputs are checked before `forward` runs: a wrong shape names the shape that was expected.
"""
from __future__ import annotations

import abc
import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

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

    def map_latent(self, z: Tensor, c: Tensor | None = None, *, psi: float = 1.0, cutoff: int | None = None,
                   update_w_avg: bool | None = None) -> Tensor:
        """z -> ws (N, num_ws, dim) through the mapping network, for generators whose latent declares a
        `w_space` (StyleGAN). In training mode (or with update_w_avg=True) the batch's mean w updates the
        tracked average; psi < 1 truncates towards it (w_avg + psi (w - w_avg)), on the first `cutoff`
        layers only if given (Karras 2019, Sec. 2 and App. B)."""
        space = self.latent.w_space if self.latent is not None else None
        if space is None:
            raise NotImplementedError(f"{self.owner} declares no w_space (a mapping network)")
        w = self.mapping(z) if c is None else self.mapping(z, c)
        check_shape(self.owner, "mapping(z)", w, ("N", space.dim))
        if self.training if update_w_avg is None else update_w_avg:
            self.w_avg.update(w.detach())
        ws = w.unsqueeze(1).expand(-1, space.num_ws, -1)
        return self.w_avg.truncate(ws, psi, cutoff) if psi != 1 else ws

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


@dataclass
class DiscriminatorOutput:
    """Everything a discriminator gives for one batch.

    - `logits`: the adversarial scores, as named heads ({"global": (N,), "patch": (N, 1, h, w)}, Demir &
      Unal 2018) or as a list with one entry per scale (pix2pixHD's multi-scale D, Wang 2018);
    - `features`: per scale, the list of intermediate activations (feature matching, VAE-GAN's Dis_l);
    - `aux`: outputs that are not real/fake scores, e.g. InfoGAN's Q head on D's trunk
      ({"categorical": (N, k) logits, "mean": (N, c), "log_std": (N, c)}) or AC-GAN's class logits.
    """

    logits: Mapping[str, Tensor] | Sequence[Tensor]
    features: list[list[Tensor]] = field(default_factory=list)
    aux: dict[str, Tensor] = field(default_factory=dict)

    def heads(self) -> list[Tensor]:
        """Every adversarial score tensor, heads in order or scales in order (losses sum over them)."""
        return list(self.logits.values()) if isinstance(self.logits, Mapping) else list(self.logits)

    def head(self, name: str) -> Tensor:
        if not isinstance(self.logits, Mapping) or name not in self.logits:
            known = list(self.logits) if isinstance(self.logits, Mapping) else f"{len(self.logits)} scales"
            raise KeyError(f"no discriminator head {name!r}; it has {known}")
        return self.logits[name]


class Discriminator(Component):
    """Scores images: logits of shape (N,) or a map (N, 1, h, w) for PatchGAN.

    `input` says what it judges: an OutputSpec for images or voxels, or a LatentSpec for a
    discriminator on latent codes (AAE's D(z), Makhzani 2016); both are shape-checked alike.
    A discriminator with several heads, scales or auxiliary outputs overrides `outputs`; generic code
    calls `outputs` and sees a plain one as one head named "logits" and `features` as one scale.
    """

    input: OutputSpec | LatentSpec

    @abc.abstractmethod
    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor: ...

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        """Intermediate activations (VAE-GAN's Dis_l, pix2pixHD/SPADE feature matching)."""
        raise NotImplementedError(f"{self.owner} does not expose intermediate features")

    def outputs(self, x: Tensor, c: Tensor | None = None) -> DiscriminatorOutput:
        """Heads, per-scale features and auxiliary outputs; by default forward's logits as the one head
        "logits" and `features` (when implemented) as the one scale."""
        args = (x,) if c is None else (x, c)
        logits = self(*args)
        try:
            feats = [self.features(*args)]
        except NotImplementedError:
            feats = []
        return DiscriminatorOutput({"logits": logits}, feats)

    def check_inputs(self, x=None, c=None, *rest, **kwargs) -> None:
        x, c = kwargs.get("x", x), kwargs.get("c", c)
        check_shape(self.owner, "x", x, ("N", *self.input.shape))
        check_condition(self.owner, self.condition, c, x.shape[0])


def discriminator_outputs(d: nn.Module, x: Tensor, c: Tensor | None = None) -> DiscriminatorOutput:
    """`d.outputs(x, c)` for a Discriminator; a plain module's forward as the one head "logits"."""
    if hasattr(d, "outputs"):
        return d.outputs(x, c)
    return DiscriminatorOutput({"logits": d(x) if c is None else d(x, c)})


def _device_of(module: nn.Module) -> torch.device:
    for p in module.parameters():
        return p.device
    for b in module.buffers():
        return b.device
    return torch.device("cpu")


