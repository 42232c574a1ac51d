"""The interfaces every paper implements: Generator, Encoder, Discriminator, Objective.

Each component is a torch.nn.Module that also declares what it takes and gives (the specs below),
so the CLI, the trainer, the metrics and the benchmark harness can drive any paper without knowing it.
Inputs are checked before `forward` runs: a wrong shape names the shape that was expected.
"""
from __future__ import annotations

import abc
import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import torch
from torch import Tensor, nn

from zoo.errors import ShapeError

CONDITION_KINDS = ("none", "class", "attributes", "segmentation", "low_res_image", "masked_image",
                   "text_embedding", "image")


# -- specs --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LatentSpec:
    """A latent code: its per-sample shape and the prior it is drawn from."""

    shape: tuple[int, ...]
    prior: str = "normal"  # "normal" | "uniform" (on [low, high])
    low: float = -1.0
    high: float = 1.0
    truncation: bool = False  # whether the generator supports the truncation trick

    def sample(self, n: int, generator: torch.Generator | None = None, device=None,
               dtype: torch.dtype | None = None) -> Tensor:
        size = (n, *self.shape)
        if self.prior == "normal":
            return torch.randn(size, generator=generator, device=device, dtype=dtype)
        if self.prior == "uniform":
            u = torch.rand(size, generator=generator, device=device, dtype=dtype)
            return u * (self.high - self.low) + self.low
        raise ValueError(f"unknown latent prior {self.prior!r}; expected 'normal' or 'uniform'")


@dataclass(frozen=True)
class ConditionSpec:
    """What a conditional component takes as `c`.

    kind "class" takes integer labels of shape (N,); every other kind takes a float tensor of shape
    (N, *shape): attributes (N, A), a segmentation map (N, classes, H, W), a low-resolution or masked
    image (N, C, H, W), a text embedding (N, D).
    """

    kind: str = "none"
    shape: tuple[int, ...] | None = None
    num_classes: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in CONDITION_KINDS:
            raise ValueError(f"unknown condition kind {self.kind!r}; expected one of {CONDITION_KINDS}")
        if self.kind == "class" and not self.num_classes:
            raise ValueError("a 'class' condition needs num_classes")

    @property
    def required(self) -> bool:
        return self.kind != "none"


@dataclass(frozen=True)
class OutputSpec:
    """An image C×H×W or a voxel grid C×D×H×W, with the range its values lie in."""

    shape: tuple[int, ...]
    kind: str = "image"  # "image" | "voxels"
    value_range: tuple[float, float] = (-1.0, 1.0)

    def __post_init__(self) -> None:
        expected = {"image": 3, "voxels": 4}.get(self.kind)
        if expected is None or len(self.shape) != expected:
            raise ValueError(f"output kind {self.kind!r} needs a {expected}-d shape, got {self.shape}")


def _fmt(shape: Sequence[Any]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


def check_shape(owner: str, what: str, tensor: Any, expected: Sequence[int | str]) -> None:
    """Raise ShapeError unless `tensor` has `expected` shape ("N" and other strings match any size)."""
    if not isinstance(tensor, Tensor):
        raise ShapeError(f"{owner}: {what} must be a tensor of shape {_fmt(expected)}, got {type(tensor).__name__}")
    actual = tuple(tensor.shape)
    ok = len(actual) == len(expected) and all(
        isinstance(e, str) or a == e for a, e in zip(actual, expected))
    if not ok:
        raise ShapeError(f"{owner}: {what} must have shape {_fmt(expected)}, got {_fmt(actual)}")


def check_condition(owner: str, spec: ConditionSpec, c: Any, n: int) -> None:
    if spec.kind == "none":
        if c is not None:
            raise ShapeError(f"{owner}: takes no condition, but c was given")
        return
    if c is None:
        raise ShapeError(f"{owner}: needs a {spec.kind!r} condition c; none was given")
    if spec.kind == "class":
        check_shape(owner, "c (class labels)", c, (n,))
        if c.dtype.is_floating_point:
            raise ShapeError(f"{owner}: class labels c must be integers, got {c.dtype}")
        return
    check_shape(owner, f"c ({spec.kind})", c, (n, *(spec.shape or ())))


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


# -- objectives ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class OptimizerSpec:
    """Which optimizer an update group uses, with the paper's hyper-parameters."""

    name: str = "adam"  # adam | sgd | rmsprop
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    momentum: float = 0.0
    weight_decay: float = 0.0
    eps: float = 1e-8

    def build(self, params) -> torch.optim.Optimizer:
        if self.name == "adam":
            return torch.optim.Adam(params, lr=self.lr, betas=self.betas, eps=self.eps,
                                    weight_decay=self.weight_decay)
        if self.name == "sgd":
            return torch.optim.SGD(params, lr=self.lr, momentum=self.momentum, weight_decay=self.weight_decay)
        if self.name == "rmsprop":
            return torch.optim.RMSprop(params, lr=self.lr, weight_decay=self.weight_decay, eps=self.eps)
        raise ValueError(f"unknown optimizer {self.name!r}; expected adam, sgd or rmsprop")

    def lazy(self, interval: int) -> "OptimizerSpec":
        """The spec for a group whose regulariser runs every `interval` steps (lazy regularisation,
        Karras et al. 2020, StyleGAN2, arXiv:1912.04958, App. B): with c = interval / (interval + 1),
        lr·c and betas**c keep Adam's effective step the same as with the penalty every step."""
        c = interval / (interval + 1)
        return dataclasses.replace(self, lr=self.lr * c, betas=(self.betas[0] ** c, self.betas[1] ** c))


@dataclass(frozen=True)
class UpdateGroup:
    """Parameters updated together by one loss: the components' roles and their optimizer."""

    name: str
    roles: tuple[str, ...]
    optimizer: OptimizerSpec = OptimizerSpec()
    clip_grad_norm: float | None = None  # clip the group's total gradient norm before each step


@dataclass(frozen=True)
class Phase:
    """One forward pass whose losses update `groups`, repeated `repeats` times in a row.

    GAN's Algorithm 1 is Phase("discriminator", ("discriminator",), repeats=k) then
    Phase("generator", ("generator",)); VAE-GAN's Algorithm 1 is one phase updating three groups.
    A phase with `interval` N > 1 runs only on steps divisible by N and its losses are multiplied by N:
    StyleGAN2's lazy regularisation, e.g. Phase("r1", ("discriminator",), interval=16).
    """

    name: str
    groups: tuple[str, ...]
    repeats: int = 1
    interval: int = 1
    # False: reuse the previous phase's mini-batch, as when one batch serves both of AAE's phases
    # (Makhzani 2016, Sec. 2) or a pix2pix/CycleGAN discriminator and generator update
    new_batch: bool = True


@dataclass(frozen=True)
class EMASpec:
    """Keep an exponential moving average of a component's weights (used for sampling)."""

    role: str = "generator"
    decay: float = 0.999
    start_step: int = 0  # before this step the average just copies the weights


@dataclass
class PhaseLosses:
    """A phase's result: one loss per update group, and scalars to log."""

    updates: dict[str, Tensor]
    logs: dict[str, Tensor] = field(default_factory=dict)


class Objective(abc.ABC):
    """A paper's training rule: its update groups, their schedule, and the losses of one phase.

    The trainer routes each group's loss only into that group's parameters, so a loss never
    leaks gradients into a network it does not update.
    """

    ema: EMASpec | None = None

    @abc.abstractmethod
    def update_groups(self) -> tuple[UpdateGroup, ...]: ...

    @abc.abstractmethod
    def schedule(self, step: int) -> tuple[Phase, ...]:
        """The phases of training step `step` (may change with the step: progressive growing)."""

    @abc.abstractmethod
    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses: ...

    # Optional hooks (the defaults do nothing) --------------------------------------------------
    def begin_step(self, step: int, models: Mapping[str, nn.Module]) -> None:
        """Called before each step's phases with the bare components: set model state that depends
        on the step, such as progressive growing's current resolution and fade-in alpha. Derive it
        from `step` alone so that a resumed run sets the same state."""

    def state_dict(self) -> dict:
        """State the objective changes during training (e.g. an adaptive augmentation probability),
        saved in checkpoints; plain containers, numbers and tensors only."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass
