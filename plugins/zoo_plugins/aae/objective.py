"""The AAE's training rule (Makhzani et al. 2016, Sec. 2): each step has two phases on one mini-batch.

1. Reconstruction phase: encoder and decoder minimise the reconstruction error of the inputs.
2. Regularisation phase: the discriminator first learns to tell prior samples z' ~ p(z) (positive)
   from codes z ~ q(z|x) (negative); then the encoder, the adversarial network's generator, is
   updated to fool it. Only samples of p(z) are needed, never its density.

The paper trains with SGD with momentum, with a larger step for the regularisation phase than for the
reconstruction phase (0.1 vs 0.01 on MNIST, Appendix A), and lowers the rates later in training. Adam is
used here, which is more forgiving at this scale, with one rate for both phases by default (`lr` for
reconstruction, `d_lr` for the discriminator and the encoder-as-generator; a larger `d_lr` did not
match the prior better here). The paper's late drop of the rates is `lr_decay_step` (every rate times
`lr_decay`, 0.1, after that many steps; 0 = never): the adversarial game keeps the codes circling the
prior at a constant rate, and the drop lets them settle (Swiss roll: a fresh classifier's accuracy
0.77 at 5,000 constant-rate steps, 0.58 with the drop after 4,000 of 6,000). `d_steps` discriminator
updates per step (default 1, as in the paper). The encoder's generator loss is the non-saturating one
of Goodfellow 2014 by default (the paper does not say which); "minimax" is available.
"""
from __future__ import annotations

from typing import Mapping

import torch.nn.functional as F
from torch import Tensor, nn

from zoo import losses
from zoo.interfaces import Objective, Phase, PhaseLosses, Posterior, UpdateGroup
from zoo_plugins.aae.optim import StepDecayAdamSpec

RECONSTRUCTIONS = ("bernoulli", "mse")


def reconstruction_loss(logits: Tensor, x: Tensor, kind: str) -> Tensor:
    """Mean over the batch of the per-image error: cross-entropy in nats, or the summed squared error."""
    ink = (x + 1) / 2
    if kind == "bernoulli":
        return losses.bernoulli_nll_per_sample(logits, ink).mean()
    return F.mse_loss(logits.sigmoid(), ink, reduction="none").flatten(1).sum(1).mean()


def encode(encoder: nn.Module, x: Tensor) -> Tensor:
    out = encoder(x)
    return out.sample() if isinstance(out, Posterior) else out


class AdversarialAutoencoderObjective(Objective):
    ema = None

    def __init__(self, reconstruction: str = "bernoulli", generator_loss: str = "nonsaturating",
                 lr: float = 3e-4, d_lr: float = 3e-4, beta1: float = 0.5, beta2: float = 0.999,
                 d_steps: int = 1, lr_decay_step: int = 0, lr_decay: float = 0.1) -> None:
        lr, d_lr = float(lr), float(d_lr)  # "1e-4" from a YAML --config arrives as a string
        if int(d_steps) < 1:
            raise ValueError(f"d_steps (discriminator updates per step) must be >= 1, got {d_steps}")
        self.d_steps = int(d_steps)
        if reconstruction not in RECONSTRUCTIONS:
            raise ValueError(f"reconstruction must be one of {RECONSTRUCTIONS}, got {reconstruction!r}")
        if generator_loss not in ("nonsaturating", "minimax"):
            raise ValueError(f"generator_loss must be 'nonsaturating' or 'minimax', got {generator_loss!r}")
        self.reconstruction = reconstruction
        self.generator_loss = losses.GENERATOR_LOSSES[generator_loss]
        if int(lr_decay_step) < 0 or not 0 < float(lr_decay) <= 1:
            raise ValueError(f"lr_decay_step must be >= 0 (0: no decay) and lr_decay in (0, 1], got "
                             f"{lr_decay_step} and {lr_decay}")
        # every rate drops by lr_decay after lr_decay_step training steps (the discriminator takes d_steps
        # updates per step, so its optimizer counts d_steps times as many)
        decay = {"decay_after": int(lr_decay_step), "decay": float(lr_decay)}
        self.ae_opt = StepDecayAdamSpec("adam", lr=lr, betas=(0.9, beta2), **decay)
        self.d_opt = StepDecayAdamSpec("adam", lr=d_lr, betas=(beta1, beta2),
                                       **{**decay, "decay_after": decay["decay_after"] * self.d_steps})
        self.g_opt = StepDecayAdamSpec("adam", lr=d_lr, betas=(beta1, beta2), **decay)

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        return (UpdateGroup("autoencoder", ("encoder", "generator"), self.ae_opt),
                UpdateGroup("discriminator", ("discriminator",), self.d_opt),
                UpdateGroup("encoder_generator", ("encoder",), self.g_opt))

    def schedule(self, step: int) -> tuple[Phase, ...]:
        # one mini-batch per step, shared by both phases (Sec. 2: "both the adversarial network and the
        # autoencoder are trained jointly ... in two phases ... executed on each mini-batch")
        return (Phase("reconstruction", ("autoencoder",)),
                Phase("regularization_discriminator", ("discriminator",), repeats=self.d_steps, new_batch=False),
                Phase("regularization_generator", ("encoder_generator",), new_batch=False))

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        encoder, decoder, disc = models["encoder"], models["generator"], models["discriminator"]
        x = batch["image"]
        z = encode(encoder, x)
        if phase == "reconstruction":
            loss = reconstruction_loss(decoder.logits(z), x, self.reconstruction)
            return PhaseLosses({"autoencoder": loss}, {"reconstruction": loss.detach()})
        if phase == "regularization_discriminator":
            prior = encoder.latent.sample(len(x), device=x.device)
            real, fake = disc(prior), disc(z.detach())
            loss = losses.minimax_discriminator_loss(real, fake)
            return PhaseLosses({"discriminator": loss},
                               {"d_loss": loss.detach(), "d_prior": real.detach().sigmoid().mean(),
                                "d_code": fake.detach().sigmoid().mean()})
        if phase == "regularization_generator":
            loss = self.generator_loss(disc(z))
            return PhaseLosses({"encoder_generator": loss}, {"g_loss": loss.detach()})
        raise ValueError(f"unknown phase {phase!r}; expected reconstruction, regularization_discriminator "
                         f"or regularization_generator")
