"""IcGAN's training (Perarnau et al. 2016, arXiv:1611.06355, Sec. 3): first the cGAN, then the encoders.

- Steps 0 .. gan_steps-1: the conditional GAN game (zoo.objectives.ConditionalAdversarialObjective), with
  y drawn from the training set (the batch's [one-hot class, attributes]).
- Later steps: the encoders, the generator fixed (Sec. 3.2):
  E_z on generated samples: L_ez = E_{z~p_z, y'~p_y} ||z − E_z(G(z, y'))||²  (Eq. 3),
  E_y on real labelled images: L_ey = E_{x,y~p_data} ||y − E_y(x)||²  (Eq. 4).
  Both are squared Euclidean norms over the code, averaged over the batch.
With `gan_steps=0` and `zoo train icgan --init RUN` the encoders train on an already trained cGAN.
"""
from __future__ import annotations

from typing import Mapping

import torch
from torch import Tensor, nn

from zoo.interfaces import OptimizerSpec, Phase, PhaseLosses, UpdateGroup
from zoo.objectives import ConditionalAdversarialObjective


def squared_error(target: Tensor, estimate: Tensor) -> Tensor:
    """E ||target − estimate||²: the squared norm over each code, averaged over the batch (Eqs. 3-4)."""
    return (target - estimate).pow(2).flatten(1).sum(1).mean()


class IcGANObjective(ConditionalAdversarialObjective):
    def __init__(self, gan_steps: int = 4000, encoder_lr: float = 2e-4, generator_loss: str = "nonsaturating",
                 d_steps: int = 1, optimizer: str = "adam", lr: float = 2e-4, beta1: float = 0.5,
                 beta2: float = 0.999) -> None:
        super().__init__(generator_loss=generator_loss, d_steps=d_steps, optimizer=optimizer, lr=lr, beta1=beta1,
                         beta2=beta2)
        if gan_steps < 0:
            raise ValueError(f"gan_steps must be >= 0, got {gan_steps}")
        self.gan_steps = gan_steps
        self.e_opt = OptimizerSpec("adam", lr=encoder_lr, betas=(beta1, beta2))

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        return (*super().update_groups(), UpdateGroup("encoder_z", ("encoder_z",), self.e_opt),
                UpdateGroup("encoder_y", ("encoder_y",), self.e_opt))

    def schedule(self, step: int) -> tuple[Phase, ...]:
        if step < self.gan_steps:
            return super().schedule(step)
        return (Phase("encoders", ("encoder_z", "encoder_y")),)

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        if phase != "encoders":
            return super().losses(phase, batch, models)
        from zoo.nn.conditional_dcgan import condition_from_batch, condition_vector

        G, E_z, E_y = models["generator"], models["encoder_z"], models["encoder_y"]
        real = batch["image"]
        c = condition_from_batch(G.condition, batch)  # y' ~ p_y: label vectors of the training set
        z = G.sample_latent(real.shape[0], device=real.device)
        with torch.no_grad():  # G is fixed while the encoders learn to invert it
            fake = G(z, c)
        loss_z = squared_error(z, E_z(fake))
        loss_y = squared_error(condition_vector(G.condition, c, real.dtype), E_y(real))
        return PhaseLosses({"encoder_z": loss_z, "encoder_y": loss_y},
                           {"ez_loss": loss_z.detach(), "ey_loss": loss_y.detach()})
