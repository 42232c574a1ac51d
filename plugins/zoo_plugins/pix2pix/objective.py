"""pix2pix's training rule (Isola et al. 2017, arXiv:1611.07004, Eq. 1-4 and Sec. 3.3):

    G* = arg min_G max_D  L_cGAN(G, D) + λ·L_L1(G),   λ = 100,
    L_cGAN = E[log D(x, y)] + E[log(1 − D(x, G(x)))],  L_L1 = E‖y − G(x)‖₁,

x the input (domain A), y its target (domain B); D sees x concatenated with y or G(x). As in the paper
(and the authors' code): the generator maximises log D(x, G(x)) (non-saturating), the discriminator's
objective is halved ("we divide the objective by 2 while optimizing D"), one D step then one G step on
the same batch, Adam(2e-4, β = (0.5, 0.999)) for both, and a learning rate held for the first half of
training and brought linearly to 0 over the second (`decay_start`, `decay_end` in steps; 0, 0: constant).

`gan_weight` = 0 is the paper's "L1 alone" baseline (Table 1): the same generator on λ·L1 only, the
discriminator never stepped. `gan_loss` = "lsgan" swaps in the least-squares losses (the authors' code
option) instead of the cross-entropy. Unlike the authors' code, G runs twice per step (once per
phase: the trainer computes each phase's losses on its own), so D and G see different dropout draws.
"""
from __future__ import annotations

from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo import losses
from zoo.interfaces import Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup
from zoo.interfaces.schedules import Constant, LinearDecay
from zoo_plugins.pix2pix.pairs import paired_images, palette_tensor

GAN_LOSSES = ("vanilla", "lsgan")


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor, gan_loss: str = "vanilla") -> Tensor:
    """½[ℓ(D(x, y), real) + ℓ(D(x, G(x)), fake)], ℓ the per-patch cross-entropy (or squared error), averaged."""
    if gan_loss == "vanilla":
        return 0.5 * losses.minimax_discriminator_loss(real_logits, fake_logits)
    return 0.5 * (((real_logits - 1) ** 2).mean() + (fake_logits ** 2).mean())


def generator_adversarial_loss(fake_logits: Tensor, gan_loss: str = "vanilla") -> Tensor:
    """ℓ(D(x, G(x)), real): −log D per patch (or (D − 1)²), averaged."""
    if gan_loss == "vanilla":
        return losses.nonsaturating_generator_loss(fake_logits)
    return ((fake_logits - 1) ** 2).mean()


def generator_loss(fake_logits: Tensor | None, output: Tensor, target: Tensor, l1_weight: float,
                   gan_weight: float, gan_loss: str = "vanilla") -> tuple[Tensor, Tensor, Tensor | None]:
    """(gan_weight·L_cGAN + l1_weight·L1, L1, L_cGAN or None)."""
    l1 = F.l1_loss(output, target)
    if fake_logits is None or gan_weight == 0:
        return l1_weight * l1, l1, None
    adversarial = generator_adversarial_loss(fake_logits, gan_loss)
    return gan_weight * adversarial + l1_weight * l1, l1, adversarial


class Pix2PixObjective(Objective):
    ema = None

    def __init__(self, l1_weight: float = 100.0, gan_weight: float = 1.0, gan_loss: str = "vanilla",
                 lr: float = 2e-4, beta1: float = 0.5, beta2: float = 0.999, decay_start: int = 0,
                 decay_end: int = 0, pairing: str = "labels2renders") -> None:
        if gan_loss not in GAN_LOSSES:
            raise ValueError(f"gan_loss must be one of {', '.join(GAN_LOSSES)}, got {gan_loss!r}")
        if l1_weight < 0 or gan_weight < 0:
            raise ValueError(f"l1_weight and gan_weight must be >= 0, got {l1_weight} and {gan_weight}")
        self.l1_weight, self.gan_weight, self.gan_loss = float(l1_weight), float(gan_weight), gan_loss
        self.pairing = pairing
        self.opt = OptimizerSpec("adam", lr=float(lr), betas=(float(beta1), float(beta2)))
        self.lr_schedule = LinearDecay(int(decay_start), int(decay_end)) if decay_end else Constant()

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        return (UpdateGroup("discriminator", ("discriminator",), self.opt, lr_schedule=self.lr_schedule),
                UpdateGroup("generator", ("generator",), self.opt, lr_schedule=self.lr_schedule))

    def schedule(self, step: int) -> tuple[Phase, ...]:
        if self.gan_weight == 0:  # L1 alone: the discriminator is never trained
            return (Phase("generator", ("generator",)),)
        return (Phase("discriminator", ("discriminator",)), Phase("generator", ("generator",), new_batch=False))

    def example_batch(self, batch: dict[str, Tensor], generator: torch.Generator) -> dict[str, Tensor]:
        """The benchmark's batch with a random `layouts` label map beside each image (the pairing's source)."""
        image = batch["image"]
        classes = len(palette_tensor())
        label_map = torch.randint(classes, (image.shape[0], *image.shape[-2:]), generator=generator)
        return {**batch, "label_map": label_map.to(image.device)}

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        if phase not in ("discriminator", "generator"):
            raise ValueError(f"unknown phase {phase!r}")
        G, D = models["generator"], models["discriminator"]
        a, b = paired_images(batch, self.pairing)
        fake = G(None, a)
        if phase == "discriminator":
            loss = discriminator_loss(D(b, a), D(fake.detach(), a), self.gan_loss)
            return PhaseLosses({"discriminator": loss}, {"d_loss": loss.detach()})
        logits = D(fake, a) if self.gan_weight else None
        loss, l1, adversarial = generator_loss(logits, fake, b, self.l1_weight, self.gan_weight, self.gan_loss)
        logs = {"g_loss": loss.detach(), "g_l1": l1.detach()}
        if adversarial is not None:
            logs["g_gan"] = adversarial.detach()
        return PhaseLosses({"generator": loss}, logs)
