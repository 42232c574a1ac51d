"""BigGAN's training rule (Brock 2019, Sec. 3-4 and App. C):

- the hinge loss (Lim & Ye 2017; Miyato 2018) for D and G, class-conditional through the projection D,
  real and generated images of a step sharing the batch's labels;
- `d_steps` = 2 discriminator steps per generator step, each on a fresh batch (App. C: "two D steps per
  G step");
- Adam with β1 = 0, β2 = 0.999 (App. C);
- the modified orthogonal regularisation on G's weights (Sec. 3.1, Eq. 3), β = 10⁻⁴: R_β(W) =
  β‖WᵀW ⊙ (1 − I)‖²_F, summed over G's convolution and linear weights (the raw ones, before spectral
  norm) but not the shared class embedding, as BigGAN-PyTorch leaves it out;
- an exponential moving average of G's weights for sampling (App. C, after Karras 2018).

The paper's 128 px learning rates are G 5×10⁻⁵ and D 2×10⁻⁴ (lr, d_lr). At 32 px on the CPU we have a
few thousand steps, not 10⁵: the defaults below are BigGAN-PyTorch's 32 px (CIFAR) script's 2×10⁻⁴ for
both networks, still with two D steps (that script uses four).
"""
from __future__ import annotations

from typing import Mapping

from torch import Tensor, nn

from zoo import losses
from zoo.interfaces import EMASpec, Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup


def regularised_weights(generator: nn.Module) -> list[Tensor]:
    """G's convolution and linear weights (raw, before spectral norm) but the shared class embedding."""
    weights = []
    for name, module in generator.named_modules():
        if not isinstance(module, (nn.Conv2d, nn.Linear)) or name == "embedding":
            continue
        weights.append(module.weight_orig if hasattr(module, "weight_orig") else module.weight)
    return weights


class BigGANObjective(Objective):
    def __init__(self, d_steps: int = 2, lr: float = 2e-4, d_lr: float = 2e-4, beta1: float = 0.0,
                 beta2: float = 0.999, orthogonal_beta: float = 1e-4, ema_decay: float = 0.995,
                 ema_start: int = 500) -> None:
        if d_steps < 1:
            raise ValueError(f"d_steps must be >= 1, got {d_steps}")
        self.d_steps, self.orthogonal_beta = d_steps, orthogonal_beta
        self.g_opt = OptimizerSpec("adam", lr=lr, betas=(beta1, beta2))
        self.d_opt = OptimizerSpec("adam", lr=d_lr, betas=(beta1, beta2))
        self.ema = EMASpec("generator", decay=ema_decay, start_step=ema_start)

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        return (UpdateGroup("discriminator", ("discriminator",), self.d_opt),
                UpdateGroup("generator", ("generator",), self.g_opt))

    def schedule(self, step: int) -> tuple[Phase, ...]:
        return (Phase("discriminator", ("discriminator",), repeats=self.d_steps),
                Phase("generator", ("generator",)))

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        G, D = models["generator"], models["discriminator"]
        real, labels = batch["image"], batch["label"]
        fake = G(G.sample_latent(real.shape[0], device=real.device), labels)
        if phase == "discriminator":
            real_logits, fake_logits = D(real, labels), D(fake.detach(), labels)
            loss = losses.hinge_discriminator_loss(real_logits, fake_logits)
            return PhaseLosses({"discriminator": loss},
                               {"d_loss": loss.detach(), "d_real": real_logits.detach().mean(),
                                "d_fake": fake_logits.detach().mean()})
        if phase == "generator":
            adversarial = losses.hinge_generator_loss(D(fake, labels))
            loss = adversarial
            logs = {"g_loss": adversarial.detach()}
            if self.orthogonal_beta:
                ortho = losses.orthogonal_regularization(regularised_weights(G), beta=self.orthogonal_beta)
                loss = loss + ortho
                logs["g_ortho"] = ortho.detach()
            return PhaseLosses({"generator": loss}, logs)
        raise ValueError(f"unknown phase {phase!r}")
