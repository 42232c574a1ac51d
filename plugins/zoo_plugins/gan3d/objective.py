"""3D-GAN's and 3D-VAE-GAN's training rules (Wu et al. 2016, arXiv:1610.07584, Sec. 3.1-3.2, 4).

3D-GAN: L_3D-GAN = log D(x) + log(1 − D(G(z))); D descends its binary cross-entropy, G the
non-saturating −log D(G(z)). Adam with lr_G 0.0025, lr_D 10⁻⁵, β1 0.5 (batch 100 in the paper).
The adaptive update: "the discriminator is updated only if its accuracy in the last batch is not
higher than 80 %". Here D's accuracy is measured in every step's generator phase, on that step's real
batch and generated shapes, with the D that judged them (real counted right when its logit > 0, fake
when < 0); the next step's `schedule` holds the D phase only when that accuracy is below
`d_threshold` (1 turns the rule off: D is updated on every step). The accuracy is objective state (saved in checkpoints), so the trainer needs no hook:
a step whose schedule has no D phase leaves D's weights and Adam moments untouched.

Instance noise (not in the paper; off by default, `instance_noise=0`): Gaussian noise of standard
deviation `instance_noise`, falling linearly to 0 at step `instance_noise_steps`, added to every grid
D sees (real and generated, both phases), to hide that real grids are binary and G's sigmoid outputs
are not. Tried at DCGAN's rates (2e-4 both, 32³, widths 16, batch 32, std 0.2) it did not help: with
the 80 % rule D still stayed above 90 % accuracy and was not stepped after step 1 (250 steps); updated
every step D still won at once (D loss 0.014 by step 50). Kept as an option, unused by the shipped sets.

Real and generated shapes pass through D as one batch (shared batch-norm statistics) in both phases.
With separate batches D's batch norms normalise each kind by its own statistics; trained so here (the
first gan3d.voxels-32 attempt, 800 steps), D rated an empty grid above the real shapes, rarely dropped
below 80 % accuracy, so was rarely updated, and G collapsed to near-empty grids (occupancy 0.5 %
against the data's 7.5 %). InfoGAN's plugin met the same (docs/testing.md).

3D-VAE-GAN: L = L_3D-GAN + α1·L_KL + α2·L_recon with L_KL = KL(q(z|y) ‖ N(0, I)) and
L_recon = ‖G(E(y)) − x‖² (y: an image of shape x), α1 = 5, α2 = 10⁻⁴ in the paper. E descends
α1·L_KL + α2·L_recon, G its GAN loss + α2·L_recon, D its GAN loss (adaptively, as above). The
paper writes ‖·‖₂; taken squared here, summed over voxels and averaged over the batch (with the plain
norm the term is at most 10⁻⁴·√R³ ≈ 0.02 and could not shape anything).
"""
from __future__ import annotations

from typing import Mapping

import torch
from torch import Tensor, nn

from zoo import losses
from zoo.interfaces import Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup


def discriminator_accuracy(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Fraction of the 2N shapes D classifies right: real with logit > 0, generated with logit < 0."""
    right = torch.cat([(real_logits > 0).float(), (fake_logits < 0).float()])
    return right.mean()


def noise_level(step: int, start: float, steps: int) -> float:
    """Instance noise's standard deviation at `step`: `start`, falling linearly to 0 at `steps`."""
    if start <= 0.0 or steps <= 0:
        return 0.0
    return start * max(0.0, 1.0 - step / steps)


def judge_together(D: nn.Module, real: Tensor, fake: Tensor, noise: float = 0.0) -> tuple[Tensor, Tensor]:
    """D's logits of real and generated shapes from one pass over both (shared batch-norm statistics),
    each grid first given Gaussian noise of standard deviation `noise`."""
    grids = torch.cat([real, fake])
    if noise > 0.0:
        grids = grids + noise * torch.randn_like(grids)
    logits = D(grids)
    return logits[:len(real)], logits[len(real):]


def reconstruction_loss(recon: Tensor, target: Tensor) -> Tensor:
    """‖G(E(y)) − x‖² per shape (summed over voxels), averaged over the batch."""
    return (recon - target).pow(2).flatten(1).sum(1).mean()


class Gan3DObjective(Objective):
    """3D-GAN: a D phase (only while D's last accuracy is below `d_threshold`), then a G phase."""

    ema = None

    def __init__(self, g_lr: float = 0.0025, d_lr: float = 1e-5, beta1: float = 0.5, beta2: float = 0.999,
                 d_threshold: float = 0.8, instance_noise: float = 0.0, instance_noise_steps: int = 0) -> None:
        if not 0.0 < d_threshold <= 1.0:
            raise ValueError(f"d_threshold must lie in (0, 1], got {d_threshold}")
        if instance_noise < 0.0:
            raise ValueError(f"instance_noise must be >= 0, got {instance_noise}")
        self.instance_noise, self.instance_noise_steps = float(instance_noise), int(instance_noise_steps)
        self.noise = noise_level(0, self.instance_noise, self.instance_noise_steps)
        self.g_opt = OptimizerSpec("adam", lr=g_lr, betas=(beta1, beta2))
        self.d_opt = OptimizerSpec("adam", lr=d_lr, betas=(beta1, beta2))
        self.d_threshold = d_threshold
        self.last_accuracy = 0.0  # D has judged nothing yet: it is updated on the first step

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        return (UpdateGroup("discriminator", ("discriminator",), self.d_opt),
                UpdateGroup("generator", ("generator",), self.g_opt))

    def updates_discriminator(self) -> bool:
        # d_threshold = 1 turns the rule off (D updated every step, even after a perfect batch)
        return self.d_threshold >= 1.0 or self.last_accuracy < self.d_threshold

    def generator_phases(self) -> tuple[Phase, ...]:
        return (Phase("generator", ("generator",)),)

    def schedule(self, step: int) -> tuple[Phase, ...]:
        self.noise = noise_level(step, self.instance_noise, self.instance_noise_steps)
        d_phase = (Phase("discriminator", ("discriminator",)),) if self.updates_discriminator() else ()
        return d_phase + self.generator_phases()

    def state_dict(self) -> dict:
        return {"last_accuracy": self.last_accuracy}

    def load_state_dict(self, state: dict) -> None:
        self.last_accuracy = float(state.get("last_accuracy", 0.0))

    def discriminator_losses(self, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        G, D = models["generator"], models["discriminator"]
        real = batch["voxels"]
        with torch.no_grad():
            fake = G(G.sample_latent(real.shape[0], device=real.device))
        real_logits, fake_logits = judge_together(D, real, fake, self.noise)
        loss = losses.minimax_discriminator_loss(real_logits, fake_logits)
        return PhaseLosses({"discriminator": loss},
                           {"d_loss": loss.detach(),
                            "d_accuracy_before": discriminator_accuracy(real_logits.detach(), fake_logits.detach())})

    def adversarial_generator_loss(self, real: Tensor, models: Mapping[str, nn.Module]) -> tuple[Tensor, dict]:
        """G's non-saturating loss on prior samples; measures D's accuracy for the next step's rule."""
        G, D = models["generator"], models["discriminator"]
        real_logits, fake_logits = judge_together(D, real, G(G.sample_latent(real.shape[0], device=real.device)),
                                                  self.noise)
        accuracy = discriminator_accuracy(real_logits.detach(), fake_logits.detach())
        self.last_accuracy = float(accuracy)
        loss = losses.nonsaturating_generator_loss(fake_logits)
        return loss, {"g_loss": loss.detach(), "d_accuracy": accuracy,
                      "d_updated": torch.tensor(float(self.updates_discriminator()))}

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        if phase == "discriminator":
            return self.discriminator_losses(batch, models)
        if phase == "generator":
            loss, logs = self.adversarial_generator_loss(batch["voxels"], models)
            return PhaseLosses({"generator": loss}, logs)
        raise ValueError(f"unknown phase {phase!r}")


class Gan3DVAEObjective(Gan3DObjective):
    """3D-VAE-GAN: the 3D-GAN game plus E ← α1·KL + α2·recon and G ← GAN + α2·recon, in one phase."""

    def __init__(self, g_lr: float = 0.0025, d_lr: float = 1e-5, e_lr: float | None = None, beta1: float = 0.5,
                 beta2: float = 0.999, d_threshold: float = 0.8, alpha1: float = 5.0, alpha2: float = 1e-4,
                 instance_noise: float = 0.0, instance_noise_steps: int = 0) -> None:
        super().__init__(g_lr=g_lr, d_lr=d_lr, beta1=beta1, beta2=beta2, d_threshold=d_threshold,
                         instance_noise=instance_noise, instance_noise_steps=instance_noise_steps)
        self.e_opt = OptimizerSpec("adam", lr=e_lr if e_lr is not None else g_lr, betas=(beta1, beta2))
        self.alpha1, self.alpha2 = alpha1, alpha2

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        return super().update_groups() + (UpdateGroup("encoder", ("encoder",), self.e_opt),)

    def generator_phases(self) -> tuple[Phase, ...]:
        return (Phase("vae", ("encoder", "generator")),)

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        if phase != "vae":
            return super().losses(phase, batch, models)
        G, E = models["generator"], models["encoder"]
        real = batch["voxels"]
        posterior = E(batch["image"])
        kl = posterior.kl().mean()
        recon = reconstruction_loss(G(posterior.sample()), real)
        adversarial, logs = self.adversarial_generator_loss(real, models)
        return PhaseLosses({"encoder": self.alpha1 * kl + self.alpha2 * recon,
                            "generator": adversarial + self.alpha2 * recon},
                           {**logs, "kl": kl.detach(), "recon": recon.detach()})
