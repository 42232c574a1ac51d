"""A paper's training rule as data: the Objective, its update groups, phases, optimizers and EMA,
learning-rate and batch-size schedules, gradient accumulation and auxiliary frozen networks."""
from __future__ import annotations

import abc
import dataclasses
from dataclasses import dataclass, field
from typing import Mapping

import torch
from torch import Tensor, nn

from zoo.interfaces.schedules import BatchSizes, Constant, LRSchedule

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
    """Parameters updated together by one loss: the components' roles and their optimizer.

    A role may name a sub-module, "generator.stage2" (resolved with `get_submodule`): StackGAN trains
    stage II with stage I left alone, InfoGAN's Q head shares D's trunk. `lr_schedule` multiplies the
    optimizer's lr step by step (zoo.interfaces.schedules); at each step of `reset_optimizer_at` the
    optimizer's state (Adam's moments) is cleared before the step, as ProGAN does at each new phase.
    """

    name: str
    roles: tuple[str, ...]
    optimizer: OptimizerSpec = OptimizerSpec()
    clip_grad_norm: float | None = None  # clip the group's total gradient norm before each step
    lr_schedule: LRSchedule = Constant()
    reset_optimizer_at: tuple[int, ...] = ()


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
    """Keep an exponential moving average of a component's weights (used for sampling), saved as `name`.

    Either a fixed `decay` per step, or, with `kimg` set, StyleGAN's half-life in images with ramp-up
    (Karras et al. 2020, StyleGAN2-ADA training loop): ema_nimg = kimg·1000, capped at
    images_seen·rampup when `rampup` is set, and β = 0.5 ** (batch_size / max(ema_nimg, 1e-8)),
    `images_seen` counting the examples of the steps before this one.
    """

    role: str = "generator"
    decay: float = 0.999
    start_step: int = 0  # before this step the average just copies the weights
    kimg: float | None = None  # StyleGAN: 10 (half-life of 10k images)
    rampup: float | None = None  # StyleGAN2-ADA: 0.05 (None: no ramp-up)
    name: str = "ema"

    def decay_at(self, images_seen: int, batch_size: int) -> float:
        """β for the step after `images_seen` examples, with batches of `batch_size` (global)."""
        if self.kimg is None:
            return self.decay
        ema_nimg = self.kimg * 1000
        if self.rampup is not None:
            ema_nimg = min(ema_nimg, images_seen * self.rampup)
        return 0.5 ** (batch_size / max(ema_nimg, 1e-8))

    def describe(self) -> str:
        if self.kimg is None:
            return f"{self.role}, decay {self.decay:g}" + (f" from step {self.start_step}" if self.start_step else "")
        ramp = f", ramp-up {self.rampup:g}" if self.rampup is not None else ""
        return f"{self.role}, half-life {self.kimg:g} kimg{ramp}"


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

    ema: EMASpec | tuple[EMASpec, ...] | None = None  # one average, or several with distinct names
    # Gradient accumulation: split each batch into this many micro-batches and step once on their
    # summed gradients, each micro-batch's loss weighted by its share of the batch (len(micro)/len(batch)),
    # which for losses that are means over the batch gives exactly the full batch's gradient.
    micro_batches: int = 1
    batch_sizes: BatchSizes | None = None  # the batch size asked of the data by step (None: the data's own)
    # Roles `zoo train --init` may load in part (tensors whose names and shapes match); other roles load
    # strictly or not at all.
    partial_init: tuple[str, ...] = ()

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

    def auxiliary(self) -> Mapping[str, nn.Module]:
        """Frozen networks the losses use (VGG19 for a perceptual loss, a judge): the trainer moves them
        to the device in eval mode with requires_grad False, and keeps them out of DDP, the optimizers,
        the checkpoints and the saved weights. The objective keeps its own reference to use them."""
        return {}

    def example_batch(self, batch: dict[str, Tensor], generator: torch.Generator) -> dict[str, Tensor]:
        """A benchmark's train-step batch, completed with keys only this objective reads (an inpainting
        mask, say). `batch` already holds random "image"/"voxels" data of the networks' input shapes and
        the generator's label keys; draw anything added from `generator`."""
        return batch

    def state_dict(self) -> dict:
        """State the objective changes during training (e.g. an adaptive augmentation probability),
        saved in checkpoints; plain containers, numbers and tensors only."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass
