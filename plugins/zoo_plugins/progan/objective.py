"""Progressive GAN's training rule (Karras et al. 2018, arXiv:1710.10196, Sec. 2, 3, 4 and App. A.1; the
official `train.py` and `loss.py`):

- WGAN-GP with the drift term: D minimises E[D(G(z))] − E[D(x)] + λ·E[(‖∇D(x̂)‖ − 1)²] + ε_drift·E[D(x)²]
  (λ = 10, ε_drift = 0.001), G minimises −E[D(G(z))]; one D step, then one G step (the official order);
- growing (zoo.nn.progressive): from 4x4, `stabilize_kimg` thousand images per resolution and `fade_kimg`
  of fading in the next; the lod of G and D set before each step, the real images faded in step; the
  batch size per resolution (16 up to 128 px, then 14, 6, 3); Adam's moments reset at each new phase;
- Adam(0.001, β = (0, 0.99), ε = 1e-8) for both; an EMA of G with decay 0.999 for sampling.
The schedule depends on the step alone; the state (lod, images seen) is also kept in checkpoints and
checked on resume, so a resumed run continues exactly or says why it cannot.
"""
from __future__ import annotations

from typing import Mapping

import torch
from torch import Tensor, nn

from zoo import losses
from zoo.interfaces import EMASpec, Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup
from zoo.interfaces.schedules import BatchSizes
from zoo.nn.progressive import GrowthCheckpoint, GrowthSchedule, fade_reals


def wgan_gp_drift_loss(real_logits: Tensor, fake_logits: Tensor, penalty: Tensor, gp_lambda: float,
                       drift: float) -> Tensor:
    """E[D(G(z))] − E[D(x)] + λ·penalty + ε_drift·E[D(x)²], `penalty` = E[(‖∇D(x̂)‖ − 1)²]."""
    return fake_logits.mean() - real_logits.mean() + gp_lambda * penalty + drift * real_logits.square().mean()


class ProGANObjective(GrowthCheckpoint, Objective):
    def __init__(self, resolution: int = 1024, start_resolution: int = 4, stabilize_kimg: float = 800.0,
                 fade_kimg: float = 800.0, batch_size: int = 16,
                 batch_sizes: Mapping[str, int] | None = None, lr: float = 0.001, beta1: float = 0.0,
                 beta2: float = 0.99, adam_eps: float = 1e-8, gp_lambda: float = 10.0, drift: float = 0.001,
                 ema_decay: float = 0.999, reset_optimizer: bool = True) -> None:
        sizes = {256: 14, 512: 6, 1024: 3} if batch_sizes is None else {int(k): int(v) for k, v in batch_sizes.items()}
        self.growth = GrowthSchedule(resolution, start_resolution, stabilize_kimg, fade_kimg, batch_size, sizes)
        self.gp_lambda, self.drift = gp_lambda, drift
        self.batch_sizes = BatchSizes(*self.growth.batch_schedule())
        resets = self.growth.phase_starts() if reset_optimizer else ()
        self.opt = OptimizerSpec("adam", lr=lr, betas=(beta1, beta2), eps=adam_eps)
        self.resets = resets
        self.ema = EMASpec("generator", decay=ema_decay)
        self.state = self.growth.state_at(0)

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        return (UpdateGroup("discriminator", ("discriminator",), self.opt, reset_optimizer_at=self.resets),
                UpdateGroup("generator", ("generator",), self.opt, reset_optimizer_at=self.resets))

    def schedule(self, step: int) -> tuple[Phase, ...]:
        # G reuses the step's batch: it needs no real images, and the step counts one batch of images
        return (Phase("discriminator", ("discriminator",)), Phase("generator", ("generator",), new_batch=False))

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        G, D = models["generator"], models["discriminator"]
        real = batch["image"]
        n = real.shape[0]
        z = G.sample_latent(n, device=real.device)
        if phase == "discriminator":
            real = fade_reals(real, self.state.lod)
            with torch.no_grad():
                fake = G(z)
            real_logits, fake_logits = D(real), D(fake)
            penalty = losses.gradient_penalty(D, real, fake)
            loss = wgan_gp_drift_loss(real_logits, fake_logits, penalty, self.gp_lambda, self.drift)
            return PhaseLosses({"discriminator": loss}, {
                "d_loss": loss.detach(), "d_real": real_logits.detach().mean(), "d_fake": fake_logits.detach().mean(),
                "gp": penalty.detach(), "lod": torch.tensor(self.state.lod)})
        if phase == "generator":
            loss = losses.wasserstein_generator_loss(D(G(z)))
            return PhaseLosses({"generator": loss}, {"g_loss": loss.detach()})
        raise ValueError(f"unknown phase {phase!r}")
