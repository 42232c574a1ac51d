"""StackGAN's training rule (Zhang et al. 2017, arXiv:1612.03242, Sec. 3-4; as the authors'
StackGAN-Pytorch trainer), both stages in one run: Stage-I for the first `stage1_steps` steps, then
Stage-II with Stage-I frozen (its update group no longer runs, and it is kept in eval mode so its batch
norm statistics stay put too).

Stage k's D (matching-aware, Eq. 3 and 5): −[log D(x, φ_t) + ½(log(1 − D(x, φ_t̂)) + log(1 − D(G(z, t), φ_t)))]
with x the real image at the stage's size, φ_t its text's embedding, φ_t̂ a mismatching text's
(zoo.text.pairs); D compresses φ itself, as the paper (the authors' code gives it G's CA mean instead).
Stage k's G (Eq. 4 and 6): −log D(G(z, t), φ_t) + λ KL(N(μ, Σ) ‖ N(0, I)), λ = `kl_weight` = 1 (the paper's),
the KL averaged over the batch and the condition's dimensions (the authors' KL_loss).
Adam (2e-4, β1 = 0.5); the learning rate halves every `lr_halve_every` steps (the paper: every 100 epochs).
Stage-I sees the real digits average-pooled to its size.
"""
from __future__ import annotations

from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.interfaces import Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup
from zoo.interfaces.schedules import Constant, Step
from zoo.losses import matching_aware_discriminator_loss, nonsaturating_generator_loss
from zoo.text.pairs import mismatched_texts


def conditioning_augmentation_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(μ, diag exp(logvar)) ‖ N(0, I)) per dimension, averaged over batch and dimensions."""
    return (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).mean()


class StackGANObjective(Objective):
    ema = None

    def __init__(self, stage1_steps: int = 1000, lr: float = 2e-4, beta1: float = 0.5, beta2: float = 0.999,
                 kl_weight: float = 1.0, wrong_weight: float = 0.5, lr_halve_every: int = 0) -> None:
        if stage1_steps < 0:
            raise ValueError(f"stage1_steps must be >= 0, got {stage1_steps}")
        self.stage1_steps, self.kl_weight, self.wrong_weight = stage1_steps, kl_weight, wrong_weight
        self.opt = OptimizerSpec("adam", lr=lr, betas=(beta1, beta2))
        self.lr_schedule = Step(every=lr_halve_every, factor=0.5) if lr_halve_every else Constant()

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        group = lambda name, role: UpdateGroup(name, (role,), self.opt, lr_schedule=self.lr_schedule)  # noqa: E731
        return (group("discriminator", "discriminator"), group("stage1", "generator.stage1"),
                group("discriminator_2", "discriminator_2"), group("stage2", "generator.stage2"))

    def stage(self, step: int) -> int:
        return 1 if step < self.stage1_steps else 2

    def schedule(self, step: int) -> tuple[Phase, ...]:
        if self.stage(step) == 1:
            return Phase("discriminator", ("discriminator",)), Phase("stage1", ("stage1",), new_batch=False)
        return Phase("discriminator_2", ("discriminator_2",)), Phase("stage2", ("stage2",), new_batch=False)

    def begin_step(self, step: int, models: Mapping[str, nn.Module]) -> None:
        if self.stage(step) == 2:
            models["generator"].stage1.eval()  # frozen: no batch-norm statistics updates either

    @staticmethod
    def _generate(G: nn.Module, stage: int, latent: Tensor, text: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """The stage's (image, μ, log σ²) for latents [z, ε₁, ε₂]."""
        return G.stage1_forward(latent, text) if stage == 1 else G.stage2_forward(latent, text)[1:]

    def example_batch(self, batch: dict[str, Tensor], generator: torch.Generator) -> dict[str, Tensor]:
        """The benchmark's batch with a description id per caption (all different: every other caption
        is a valid mismatch)."""
        n = batch["image"].shape[0]
        return {**batch, "description_id": torch.randperm(n, generator=generator).to(batch["image"].device)}

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        G, text = models["generator"], batch["text_embedding"]
        stage = 1 if phase in ("discriminator", "stage1") else 2
        D = models["discriminator" if stage == 1 else "discriminator_2"]
        real = batch["image"]
        if stage == 1:
            real = F.adaptive_avg_pool2d(real, G.stage1_output.shape[-1])
        z = G.sample_latent(real.shape[0], device=real.device)
        if phase.startswith("discriminator"):
            with torch.no_grad():
                fake, _, _ = self._generate(G, stage, z, text)
            wrong, valid = mismatched_texts(text, batch["description_id"])
            right_logits, wrong_logits, fake_logits = D(real, text), D(real, wrong)[valid], D(fake, text)
            loss = matching_aware_discriminator_loss(right_logits, wrong_logits, fake_logits, self.wrong_weight)
            return PhaseLosses({phase: loss}, {f"d{stage}_loss": loss.detach(),
                                               f"d{stage}_real": right_logits.detach().mean(),
                                               f"d{stage}_wrong": wrong_logits.detach().mean(),
                                               f"d{stage}_fake": fake_logits.detach().mean()})
        if phase in ("stage1", "stage2"):
            fake, mu, logvar = self._generate(G, stage, z, text)
            adversarial = nonsaturating_generator_loss(D(fake, text))
            kl = conditioning_augmentation_kl(mu, logvar)
            loss = adversarial + self.kl_weight * kl
            return PhaseLosses({phase: loss}, {f"g{stage}_loss": adversarial.detach(), f"kl{stage}": kl.detach()})
        raise ValueError(f"unknown phase {phase!r}")
