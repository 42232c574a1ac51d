"""A paper's training rule as data: the Objective, its update groups, phases, optimizers and EMA."""
from __future__ import annotations

import abc
import dataclasses
from dataclasses import dataclass, field
from typing import Mapping

import torch
from torch import Tensor, nn

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
