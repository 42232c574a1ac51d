"""The least-squares GAN objective of Mao et al. 2017 (arXiv:1611.04076), Eq. 2:

    min_D  ½·E_x[(D(x) − b)²] + ½·E_z[(D(G(z)) − a)²]
    min_G  ½·E_z[(D(G(z)) − c)²]

with the a-b-c coding of fake, real and "what G wants D to believe". Eq. 9 (a=0, b=c=1) is the coding
the paper trains with; a=−1, b=1, c=0 (Eq. 8) makes the loss minimise the Pearson χ² divergence.
One discriminator update, then one generator update, per step; each draws its own mini-batch.
"""
from __future__ import annotations

from typing import Mapping

from torch import Tensor, nn

from zoo.interfaces import Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup


def least_squares_d_loss(real_scores: Tensor, fake_scores: Tensor, a: float, b: float) -> Tensor:
    return 0.5 * ((real_scores - b) ** 2).mean() + 0.5 * ((fake_scores - a) ** 2).mean()


def least_squares_g_loss(fake_scores: Tensor, c: float) -> Tensor:
    return 0.5 * ((fake_scores - c) ** 2).mean()


class LeastSquaresObjective(Objective):
    def __init__(self, a: float = 0.0, b: float = 1.0, c: float = 1.0, lr: float = 2e-4, beta1: float = 0.5,
                 beta2: float = 0.999) -> None:
        self.a, self.b, self.c = a, b, c
        self.optimizer = OptimizerSpec("adam", lr=lr, betas=(beta1, beta2))

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        return (UpdateGroup("discriminator", ("discriminator",), self.optimizer),
                UpdateGroup("generator", ("generator",), self.optimizer))

    def schedule(self, step: int) -> tuple[Phase, ...]:
        return (Phase("discriminator", ("discriminator",)), Phase("generator", ("generator",)))

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        G, D = models["generator"], models["discriminator"]
        real, labels = batch["image"], batch["label"]
        fake = G(G.sample_latent(real.shape[0], device=real.device), labels)
        if phase == "discriminator":
            real_scores, fake_scores = D(real, labels), D(fake.detach(), labels)
            loss = least_squares_d_loss(real_scores, fake_scores, self.a, self.b)
            return PhaseLosses({"discriminator": loss}, {"d_loss": loss.detach(),
                                                          "d_real": real_scores.detach().mean(),
                                                          "d_fake": fake_scores.detach().mean()})
        if phase == "generator":
            loss = least_squares_g_loss(D(fake, labels), self.c)
            return PhaseLosses({"generator": loss}, {"g_loss": loss.detach()})
        raise ValueError(f"unknown phase {phase!r}; expected 'discriminator' or 'generator'")
