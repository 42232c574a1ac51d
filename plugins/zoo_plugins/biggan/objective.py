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
from zoo.interfaces import EMASpec, PhaseLosses
from zoo.objectives import AdversarialObjective


def regularised_weights(generator: nn.Module) -> list[Tensor]:
    """G's convolution and linear weights (raw, before spectral norm) but the shared class embedding."""
    weights = []
    for name, module in generator.named_modules():
        if not isinstance(module, (nn.Conv2d, nn.Linear)) or name == "embedding":
            continue
        weights.append(module.weight_orig if hasattr(module, "weight_orig") else module.weight)
    return weights


class BigGANObjective(AdversarialObjective):
    """The shared hinge game with `d_steps` D steps per G step (zoo.objectives.AdversarialObjective,
    labels from the batch), plus the orthogonal regulariser in G's loss and an EMA of G."""

    def __init__(self, d_steps: int = 2, lr: float = 2e-4, d_lr: float = 2e-4, beta1: float = 0.0,
                 beta2: float = 0.999, orthogonal_beta: float = 1e-4, ema_decay: float = 0.995,
                 ema_start: int = 500) -> None:
        super().__init__(generator_loss="hinge", d_steps=d_steps, lr=lr, d_lr=d_lr, beta1=beta1, beta2=beta2)
        self.orthogonal_beta = orthogonal_beta
        self.ema = EMASpec("generator", decay=ema_decay, start_step=ema_start)

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        result = super().losses(phase, batch, models)
        if phase == "generator" and self.orthogonal_beta:
            ortho = losses.orthogonal_regularization(regularised_weights(models["generator"]),
                                                     beta=self.orthogonal_beta)
            result.updates["generator"] = result.updates["generator"] + ortho
            result.logs["g_ortho"] = ortho.detach()
        return result
