"""ESRGAN's training rule (Wang et al. 2018, arXiv:1809.00219, Sec. 3.2-3.3 and 4.1), in two stages.

stage="psnr": the PSNR-oriented model, L1 between the output and the HR image; Adam(2e-4,
β = (0.9, 0.999)), the lr halved at each of `lr_milestones` (the paper: every 2·10⁵ updates).

stage="gan", initialised from the PSNR stage (`--init`):
    L_G = L_percep + λ · L_G^Ra + η · L1,      λ = 5·10⁻³, η = 10⁻² (`adversarial_weight`, `l1_weight`)
L_percep the L1 distance of VGG19 features *before* the activation (`perceptual_layer` "conv5_4", Sec. 3.3),
weighted `perceptual_weight`. The relativistic average discriminator (Sec. 3.2, Eq. 1-2):
    D_Ra(x_r, x_f) = σ(C(x_r) − E_{x_f}[C(x_f)])
    L_D^Ra = −E_{x_r}[log D_Ra(x_r, x_f)] − E_{x_f}[log(1 − D_Ra(x_f, x_r))]
    L_G^Ra = −E_{x_r}[log(1 − D_Ra(x_r, x_f))] − E_{x_f}[log D_Ra(x_f, x_r)]
both halved, as the authors' code averages the two cross-entropies (which λ = 5·10⁻³ was tuned with).
The expectations are the batch means. lr 1e-4 for G and D, halved at `lr_milestones` (the paper: 50k,
100k, 200k, 300k). Per step the generator is updated, then the discriminator on the same batch (the
authors' order).

The networks work on [0, 1] images (the authors'); photos-sr's pairs are in [-1, 1] and are mapped.
`feature_network` "vgg19" needs torchvision's weights (an error when absent); "random-vgg19" is the
documented stand-in (zoo.features.random_trunk). `augment`: one random symmetry of the square per step.
"""
from __future__ import annotations

from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.interfaces import Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup
from zoo.interfaces.schedules import MultiStep

STAGES = ("psnr", "gan")


def _bce(logits: Tensor, target: float) -> Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def relativistic_discriminator_loss(real: Tensor, fake: Tensor) -> Tensor:
    """½(−mean log σ(C(x_r) − mean C(x_f)) − mean log(1 − σ(C(x_f) − mean C(x_r))))."""
    return 0.5 * (_bce(real - fake.mean(), 1.0) + _bce(fake - real.mean(), 0.0))


def relativistic_generator_loss(real: Tensor, fake: Tensor) -> Tensor:
    """½(−mean log(1 − σ(C(x_r) − mean C(x_f))) − mean log σ(C(x_f) − mean C(x_r)))."""
    return 0.5 * (_bce(real - fake.mean(), 0.0) + _bce(fake - real.mean(), 1.0))


def unit_pair(batch: Mapping[str, Tensor], augment: bool) -> tuple[Tensor, Tensor]:
    """(LR, HR) of one step in [0, 1], turned alike by one random symmetry of the square when `augment`."""
    low, high = (batch["low_res"] + 1) / 2, (batch["image"] + 1) / 2
    if augment:
        turn, flip = (int(v) for v in torch.randint(4, (2,)))
        low, high = (torch.rot90(t, turn, dims=(2, 3)) for t in (low, high))
        if flip % 2:
            low, high = low.flip(3), high.flip(3)
    return low, high


class ESRGANObjective(Objective):
    ema = None

    def __init__(self, stage: str = "psnr", lr: float = 2e-4, beta1: float = 0.9, beta2: float = 0.999,
                 lr_milestones=(200_000, 400_000, 600_000, 800_000), lr_factor: float = 0.5,
                 l1_weight: float = 1e-2, adversarial_weight: float = 5e-3, perceptual_weight: float = 1.0,
                 perceptual_layer: str = "conv5_4", feature_network: str = "vgg19", augment: bool = True,
                 scale: int = 4) -> None:
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {', '.join(STAGES)}, got {stage!r}")
        self.stage, self.augment, self.scale = stage, bool(augment), int(scale)
        self.l1_weight, self.adversarial_weight = float(l1_weight), float(adversarial_weight)
        self.perceptual_weight = float(perceptual_weight)
        schedule = MultiStep(tuple(int(m) for m in lr_milestones or ()), float(lr_factor))
        opt = OptimizerSpec("adam", lr=float(lr), betas=(float(beta1), float(beta2)))
        self.groups = (UpdateGroup("generator", ("generator",), opt, lr_schedule=schedule),)
        self.perceptual = None
        if stage == "gan":
            from zoo.features.perceptual import PerceptualLoss
            from zoo.features.random_trunk import perceptual_trunk

            self.perceptual = PerceptualLoss(perceptual_trunk(feature_network), (perceptual_layer,), criterion="l1",
                                             input_range=(0.0, 1.0))
            self.groups += (UpdateGroup("discriminator", ("discriminator",), opt, lr_schedule=schedule),)

    def auxiliary(self) -> Mapping[str, nn.Module]:
        return {"perceptual": self.perceptual} if self.perceptual is not None else {}

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        return self.groups

    def example_batch(self, batch: dict[str, Tensor], generator: torch.Generator) -> dict[str, Tensor]:
        """The benchmark's random HR "image" batch with its ×scale bicubic "low_res", as photos-sr's."""
        low = F.interpolate(batch["image"], scale_factor=1 / self.scale, mode="bicubic", antialias=True,
                            align_corners=False)
        return {**batch, "low_res": low.clamp(-1, 1)}

    def schedule(self, step: int) -> tuple[Phase, ...]:
        if self.stage == "psnr":
            return (Phase("generator", ("generator",)),)
        return (Phase("generator", ("generator",)), Phase("discriminator", ("discriminator",), new_batch=False))

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        G = models["generator"]
        low, high = unit_pair(batch, self.augment)
        fake = G(None, low)
        if phase == "generator" and self.stage == "psnr":
            l1 = F.l1_loss(fake, high)
            return PhaseLosses({"generator": l1}, {"g_l1": l1.detach()})
        D = models["discriminator"]
        if phase == "generator":
            real_c = D(high).detach()  # the real side only conditions G's loss
            l1 = F.l1_loss(fake, high)
            percep = self.perceptual(fake, high)
            adv = relativistic_generator_loss(real_c, D(fake))
            loss = self.perceptual_weight * percep + self.adversarial_weight * adv + self.l1_weight * l1
            return PhaseLosses({"generator": loss}, {"g_loss": loss.detach(), "g_l1": l1.detach(),
                                                     "g_percep": percep.detach(), "g_adv": adv.detach()})
        if phase != "discriminator":
            raise ValueError(f"unknown phase {phase!r}")
        loss = relativistic_discriminator_loss(D(high), D(fake.detach()))
        return PhaseLosses({"discriminator": loss}, {"d_loss": loss.detach()})
