"""Objectives shared by several papers, registered by each paper's plugin under its own name."""
from __future__ import annotations

from typing import Mapping

from torch import Tensor, nn

from zoo import losses
from zoo.images import to_range
from zoo.interfaces import Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup


class AdversarialObjective(Objective):
    """The two-player game of Goodfellow et al. 2014, Algorithm 1.

    Each training step makes `d_steps` (the paper's k) discriminator updates, each on a fresh
    mini-batch of data and of noise, then one generator update. `generator_loss` is "minimax"
    (descend log(1 − D(G(z))) as in Algorithm 1) or "nonsaturating" (ascend log D(G(z)), Section 3),
    or another of zoo.losses.GENERATOR_LOSSES. Class-conditional pairs pass the batch's labels to both
    networks. Real data arrive in [-1, 1] and are mapped into the generator's output range.
    """

    ema = None

    def __init__(self, generator_loss: str = "nonsaturating", d_steps: int = 1, optimizer: str = "adam",
                 lr: float = 2e-4, beta1: float = 0.5, beta2: float = 0.999, momentum: float = 0.0,
                 d_lr: float | None = None) -> None:
        if generator_loss not in losses.GENERATOR_LOSSES:
            raise ValueError(f"generator_loss must be one of {sorted(losses.GENERATOR_LOSSES)}, "
                             f"got {generator_loss!r}")
        if d_steps < 1:
            raise ValueError(f"d_steps must be >= 1, got {d_steps}")
        self.generator_loss = losses.GENERATOR_LOSSES[generator_loss]
        self.discriminator_loss = losses.DISCRIMINATOR_LOSSES[generator_loss]
        self.d_steps = d_steps
        self.g_opt = OptimizerSpec(optimizer, lr=lr, betas=(beta1, beta2), momentum=momentum)
        self.d_opt = OptimizerSpec(optimizer, lr=d_lr if d_lr is not None else lr, betas=(beta1, beta2),
                                   momentum=momentum)

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        return (UpdateGroup("discriminator", ("discriminator",), self.d_opt),
                UpdateGroup("generator", ("generator",), self.g_opt))

    def schedule(self, step: int) -> tuple[Phase, ...]:
        return (Phase("discriminator", ("discriminator",), repeats=self.d_steps),
                Phase("generator", ("generator",)))

    def condition(self, G: nn.Module, batch: Mapping[str, Tensor]) -> Tensor | None:
        """What both networks are conditioned on: the batch's labels for a class-conditional pair."""
        return batch.get("label") if G.condition.kind == "class" else None

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        G, D = models["generator"], models["discriminator"]
        real = batch["image"]
        n = real.shape[0]
        c = self.condition(G, batch)
        z = G.sample_latent(n, device=real.device)
        fake = G(z, c)
        if phase == "discriminator":
            real = to_range(real, (-1.0, 1.0), G.output.value_range)
            real_logits, fake_logits = D(real, c), D(fake.detach(), c)
            loss = self.discriminator_loss(real_logits, fake_logits)
            return PhaseLosses({"discriminator": loss},
                               {"d_loss": loss.detach(), "d_real": real_logits.detach().mean(),
                                "d_fake": fake_logits.detach().mean()})
        if phase == "generator":
            loss = self.generator_loss(D(fake, c))
            return PhaseLosses({"generator": loss}, {"g_loss": loss.detach()})
        raise ValueError(f"unknown phase {phase!r}")


class ConditionalAdversarialObjective(AdversarialObjective):
    """AdversarialObjective for generators whose condition is built from the batch by
    `zoo.nn.conditional_dcgan.condition_from_batch`: the labels, or [one-hot label, attributes]. Real and
    generated images of a step share the batch's conditions (y drawn from the training set, IcGAN Sec. 3.3)."""

    def condition(self, G: nn.Module, batch: Mapping[str, Tensor]) -> Tensor:
        from zoo.nn.conditional_dcgan import condition_from_batch

        return condition_from_batch(G.condition, batch)
