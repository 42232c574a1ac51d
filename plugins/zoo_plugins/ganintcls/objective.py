"""GAN-INT-CLS's training rule (Reed et al. 2016, arXiv:1605.05396, Alg. 1 and Sec. 4.2-4.3).

Discriminator (GAN-CLS, the matching-aware D): −[log D(x, h) + ½(log(1 − D(x, ĥ)) + log(1 − D(x̂, h)))]
with x a real image, h its text, ĥ a mismatching text (zoo.text.pairs.mismatched_texts: another row's
text of a different description; the paper draws a wrong text, Reed's code a wrong image, the same pair
kind) and x̂ = G(z, h).
Generator (GAN-INT): −log D(G(z, t), t) over the batch's texts and, with weight `interp_weight` (Reed: 1),
over the interpolations t = β t1 + (1 − β) t2, β = 0.5, between the batch's two halves (Eq. 5), averaged
over all 1.5 N terms as Reed's weighted BCE does; fresh z for all of them.
Adam (2e-4, β1 = 0.5) for both; the learning rate halves every `lr_halve_every` steps (Reed: every 100
of 600 epochs; 0: never).
"""
from __future__ import annotations

from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.interfaces import Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup
from zoo.interfaces.schedules import Constant, Step
from zoo.losses import matching_aware_discriminator_loss
from zoo.text.pairs import interpolated_texts, mismatched_texts


def interpolating_generator_loss(own_logits: Tensor, interpolated_logits: Tensor,
                                 interp_weight: float = 1.0) -> Tensor:
    """−log D over the N own-text fakes (weight 1) and the N/2 interpolated-text ones (weight
    `interp_weight`), divided by the number of terms (Reed's BCECriterion(weights), averaged)."""
    total = F.softplus(-own_logits).sum() + interp_weight * F.softplus(-interpolated_logits).sum()
    return total / (own_logits.numel() + interpolated_logits.numel())


class GanIntClsObjective(Objective):
    ema = None

    def __init__(self, lr: float = 2e-4, beta1: float = 0.5, beta2: float = 0.999, wrong_weight: float = 0.5,
                 interp_weight: float = 1.0, beta: float = 0.5, lr_halve_every: int = 0) -> None:
        if not 0 <= wrong_weight <= 1:
            raise ValueError(f"wrong_weight must lie in [0, 1], got {wrong_weight}")
        self.wrong_weight, self.interp_weight, self.beta = wrong_weight, interp_weight, beta
        schedule = Step(every=lr_halve_every, factor=0.5) if lr_halve_every else Constant()
        self.opt = OptimizerSpec("adam", lr=lr, betas=(beta1, beta2))
        self.lr_schedule = schedule

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        return (UpdateGroup("discriminator", ("discriminator",), self.opt, lr_schedule=self.lr_schedule),
                UpdateGroup("generator", ("generator",), self.opt, lr_schedule=self.lr_schedule))

    def schedule(self, step: int) -> tuple[Phase, ...]:
        return (Phase("discriminator", ("discriminator",)), Phase("generator", ("generator",), new_batch=False))

    def example_batch(self, batch: dict[str, Tensor], generator: torch.Generator) -> dict[str, Tensor]:
        """The benchmark's batch with a description id per caption (all different: every other caption
        is a valid mismatch)."""
        n = batch["image"].shape[0]
        return {**batch, "description_id": torch.randperm(n, generator=generator).to(batch["image"].device)}

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        G, D = models["generator"], models["discriminator"]
        real, text = batch["image"], batch["text_embedding"]
        n = real.shape[0]
        if phase == "discriminator":
            wrong, valid = mismatched_texts(text, batch["description_id"])
            with torch.no_grad():
                fake = G(G.sample_latent(n, device=real.device), text)
            right_logits = D(real, text)
            wrong_logits = D(real, wrong)[valid]
            fake_logits = D(fake, text)
            loss = matching_aware_discriminator_loss(right_logits, wrong_logits, fake_logits, self.wrong_weight)
            return PhaseLosses({"discriminator": loss},
                               {"d_loss": loss.detach(), "d_real": right_logits.detach().mean(),
                                "d_wrong": wrong_logits.detach().mean(), "d_fake": fake_logits.detach().mean()})
        if phase == "generator":
            mixed = interpolated_texts(text, self.beta)
            texts = torch.cat([text, mixed])
            logits = D(G(G.sample_latent(len(texts), device=real.device), texts), texts)
            loss = interpolating_generator_loss(logits[:n], logits[n:], self.interp_weight)
            return PhaseLosses({"generator": loss}, {"g_loss": loss.detach()})
        raise ValueError(f"unknown phase {phase!r}")
