"""InfoGAN's training rule (Chen et al. 2016, arXiv:1606.03657, Sec. 4-5):

    min_{G,Q} max_D  V_InfoGAN(D, G, Q) = V(D, G) − λ L_I(G, Q)

with the variational lower bound of the mutual information between the codes c and G(z, c) (Eq. 5):

    L_I(G, Q) = E_{c~P(c), x~G(z,c)}[log Q(c|x)] + H(c)  ≤  I(c; G(z, c)).

H(c) is a constant of the prior (log 10 for the 10-way code, log 2 per Unif(-1, 1) code): it changes
no gradient but makes the logged bound a number of nats comparable with the true information.
Q is a head on D's trunk (zoo_plugins.infogan.networks), so each step is two phases:

1. "discriminator": D's real/fake loss on real digits and detached samples, plus −λ L_I on those
   samples: it updates the whole discriminator, trunk, D head and Q head (Q maximises L_I);
2. "generator": the non-saturating generator loss plus −λ L_I on fresh samples, updating G only.

`d_batches` says how D sees a step's digits: "joint" (real digits and samples as one batch, one set of
batch-norm statistics; the first shipped recipe) or "separate" (a batch of real digits, then a batch of
samples, as the authors' released code and the zoo's DCGAN do; the generator phase then shows D the
samples alone).

λ = 1 (`info_weight`), as the paper sets for MNIST's discrete and two continuous codes (Sec. 6).
Optimizer (App. C): Adam, lr 2e-4 for D, 1e-3 for G, β1 = 0.5 (β2 0.999; not stated in the paper).
"""
from __future__ import annotations

import math
from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo import losses
from zoo.interfaces import Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup, discriminator_outputs


def categorical_information(logits: Tensor, codes: Tensor) -> Tensor:
    """L_I of a uniform k-way code: mean over the batch of log Q(c|x) + log k, in nats.

    logits: Q's (N, k) logits of the categorical posterior; codes: the one-hot codes (N, k) that made x.
    """
    if logits.shape != codes.shape or logits.ndim != 2:
        raise ValueError(f"expected logits and one-hot codes of one shape (N, k), "
                         f"got {tuple(logits.shape)} and {tuple(codes.shape)}")
    log_q = (F.log_softmax(logits, dim=1) * codes).sum(1)
    return log_q.mean() + math.log(codes.shape[1])


def gaussian_information(mean: Tensor, log_std: Tensor, codes: Tensor, low: float = -1.0,
                         high: float = 1.0) -> Tensor:
    """L_I of continuous codes ~ Unif(low, high) under Q's factored Gaussian N(mean, exp(log_std)²):
    mean over the batch of Σ_j log N(c_j; mean_j, σ_j²) + log(high − low) per code, in nats."""
    if not mean.shape == log_std.shape == codes.shape or mean.ndim != 2:
        raise ValueError(f"expected mean, log_std and codes of one shape (N, c), got {tuple(mean.shape)}, "
                         f"{tuple(log_std.shape)} and {tuple(codes.shape)}")
    z = (codes - mean) * torch.exp(-log_std)
    log_q = (-0.5 * z ** 2 - log_std - 0.5 * math.log(2 * math.pi)).sum(1)
    return log_q.mean() + codes.shape[1] * math.log(high - low)


class InfoGANObjective(Objective):
    ema = None

    def __init__(self, info_weight: float = 1.0, lr: float = 1e-3, d_lr: float = 2e-4, beta1: float = 0.5,
                 beta2: float = 0.999, generator_loss: str = "nonsaturating", d_batches: str = "joint") -> None:
        if d_batches not in ("joint", "separate"):
            raise ValueError(f"d_batches must be 'joint' or 'separate', got {d_batches!r}")
        self.d_batches = d_batches
        if generator_loss not in ("nonsaturating", "minimax"):
            raise ValueError(f"generator_loss must be 'nonsaturating' or 'minimax', got {generator_loss!r}")
        self.info_weight = float(info_weight)
        self.generator_loss = losses.GENERATOR_LOSSES[generator_loss]
        self.discriminator_loss = losses.DISCRIMINATOR_LOSSES[generator_loss]
        self.g_opt = OptimizerSpec("adam", lr=float(lr), betas=(float(beta1), float(beta2)))
        self.d_opt = OptimizerSpec("adam", lr=float(d_lr), betas=(float(beta1), float(beta2)))

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        # the discriminator group holds D's trunk, its head and the Q head that shares the trunk
        return (UpdateGroup("discriminator", ("discriminator",), self.d_opt),
                UpdateGroup("generator", ("generator",), self.g_opt))

    def schedule(self, step: int) -> tuple[Phase, ...]:
        return (Phase("discriminator", ("discriminator",)), Phase("generator", ("generator",)))

    def information(self, aux: Mapping[str, Tensor], codes: Mapping[str, Tensor]) -> tuple[Tensor, Tensor]:
        """(categorical L_I, continuous L_I) of samples made from `codes` (LatentSpec.split's parts)."""
        continuous = torch.cat([v for k, v in codes.items() if k not in ("z", "c1")], dim=1)
        return (categorical_information(aux["categorical"], codes["c1"]),
                gaussian_information(aux["mean"], aux["log_std"], continuous))

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        G, D = models["generator"], models["discriminator"]
        real = batch["image"]
        n = real.shape[0]
        z = G.sample_latent(n, device=real.device)
        codes = G.latent.split(z)
        fake = G(z)
        if phase not in ("discriminator", "generator"):
            raise ValueError(f"unknown phase {phase!r}")
        shown = fake.detach() if phase == "discriminator" else fake
        if self.d_batches == "joint":
            # one batch: D's batch norms normalise real and fake with the same statistics
            out = discriminator_outputs(D, torch.cat([real, shown]))
            real_logits, fake_logits = out.head("logits").split(n)
            aux = {k: v[n:] for k, v in out.aux.items()}
        else:
            # two batches, each with its own batch-norm statistics (the released code; zoo's DCGAN); the
            # generator phase needs no real batch (its loss has no term in D(real))
            real_logits = D(real) if phase == "discriminator" else None
            out = discriminator_outputs(D, shown)
            fake_logits, aux = out.head("logits"), dict(out.aux)
        if phase == "discriminator":
            adversarial = self.discriminator_loss(real_logits, fake_logits)
        else:
            adversarial = self.generator_loss(fake_logits)
        info_cat, info_cont = self.information(aux, codes)
        loss = adversarial - self.info_weight * (info_cat + info_cont)
        prefix = "d" if phase == "discriminator" else "g"
        logs = {f"{prefix}_loss": adversarial.detach(), f"{prefix}_info_c1": info_cat.detach(),
                f"{prefix}_info_cont": info_cont.detach()}
        if phase == "discriminator":
            logs.update(d_real=real_logits.detach().mean(), d_fake=fake_logits.detach().mean())
        return PhaseLosses({phase: loss}, logs)
