"""Algorithm 1 of Larsen et al. 2016 (training the VAE/GAN model), as one phase updating three groups:

    Z ~ Enc(X);  L_prior = KL(q(Z|X) ‖ p(Z));  X̃ = Dec(Z)
    L_llike = −E_q[log p(Dis_l(X) | Z)],  p(Dis_l(X)|Z) = N(Dis_l(X) | Dis_l(X̃), I)
    Z_p ~ N(0, I);  X_p = Dec(Z_p)
    L_GAN = log Dis(X) + log(1 − Dis(X̃)) + log(1 − Dis(X_p))
    θ_Enc ← −∇(L_prior + L_llike);  θ_Dec ← −∇(γ·L_llike − L_GAN);  θ_Dis ← −∇ L_GAN

Sign convention: the algorithm writes L_GAN as the discriminator's log-likelihood yet descends it for
Dis; we take L_GAN to be the discriminator's loss (its binary cross-entropy, which Dis descends), so
the decoder's −L_GAN ascends that loss, the minimax game of Goodfellow 2014. generator_loss=
"nonsaturating" swaps the decoder's −L_GAN for −log Dis(X̃) − log Dis(X_p) (Goodfellow's heuristic).
The trainer back-propagates each group's loss into that group's parameters only, so Dis never
receives L_llike's gradient and Enc never receives L_GAN's. L_llike drops the Gaussian's constant:
½‖Dis_l(X) − Dis_l(X̃)‖² summed over features, averaged over the batch. X, X̃ and X_p pass through
Dis together (one batch, shared batch-norm statistics), as in the authors' code.
"""
from __future__ import annotations

from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.interfaces import Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup


def feature_nll(real_features: Tensor, fake_features: Tensor) -> Tensor:
    """−log N(Dis_l(X) | Dis_l(X̃), I) without its constant, per sample summed, batch mean."""
    return 0.5 * (real_features - fake_features).pow(2).flatten(1).sum(1).mean()


def gan_loss(real_logits: Tensor, recon_logits: Tensor, prior_logits: Tensor) -> Tensor:
    """The discriminator's loss −[log Dis(X) + log(1 − Dis(X̃)) + log(1 − Dis(X_p))], batch means."""
    return F.softplus(-real_logits).mean() + F.softplus(recon_logits).mean() + F.softplus(prior_logits).mean()


class VAEGANObjective(Objective):
    ema = None

    def __init__(self, gamma: float = 1e-2, llike_layer: int = 4, generator_loss: str = "minimax",
                 optimizer: str = "rmsprop", lr: float = 3e-4, d_lr: float | None = None) -> None:
        gamma, lr = float(gamma), float(lr)  # "1e-4" from a YAML --config arrives as a string
        d_lr = float(d_lr) if d_lr is not None else None
        if gamma < 0:
            raise ValueError(f"gamma must be >= 0, got {gamma}")
        if llike_layer < 1:
            raise ValueError(f"llike_layer counts the discriminator's convolutions from 1, got {llike_layer}")
        if generator_loss not in ("minimax", "nonsaturating"):
            raise ValueError(f"generator_loss must be 'minimax' or 'nonsaturating', got {generator_loss!r}")
        self.gamma, self.llike_layer, self.generator_loss = gamma, llike_layer, generator_loss
        self.opt = OptimizerSpec(optimizer, lr=lr, betas=(0.5, 0.999))
        # d_lr (not in the paper, which uses one rate): a slower discriminator when it wins too easily
        self.d_opt = OptimizerSpec(optimizer, lr=d_lr if d_lr is not None else lr, betas=(0.5, 0.999))

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        return (UpdateGroup("encoder", ("encoder",), self.opt),
                UpdateGroup("decoder", ("generator",), self.opt),
                UpdateGroup("discriminator", ("discriminator",), self.d_opt))

    def schedule(self, step: int) -> tuple[Phase, ...]:
        return (Phase("vaegan", ("encoder", "decoder", "discriminator")),)

    def terms(self, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> dict[str, Tensor]:
        """L_prior, L_llike, L_GAN and the decoder's adversarial term from one forward pass."""
        enc, dec, dis = models["encoder"], models["generator"], models["discriminator"]
        if self.llike_layer > dis.num_feature_layers:
            raise ValueError(f"llike_layer={self.llike_layer}, but the discriminator has only "
                             f"{dis.num_feature_layers} convolutions")
        x = batch["image"]
        n = x.shape[0]
        posterior = enc(x)
        x_tilde = dec(posterior.sample())
        x_p = dec(dec.sample_latent(n, device=x.device))
        feats, logits = dis.features_and_logits(torch.cat([x, x_tilde, x_p]))
        real_f, recon_f, _ = feats[self.llike_layer - 1].split(n)
        real_l, recon_l, prior_l = logits.split(n)
        l_gan = gan_loss(real_l, recon_l, prior_l)
        if self.generator_loss == "minimax":
            dec_adv = -l_gan
        else:
            dec_adv = F.softplus(-recon_l).mean() + F.softplus(-prior_l).mean()
        return {"prior": posterior.kl().mean(), "llike": feature_nll(real_f, recon_f), "gan": l_gan,
                "decoder_adversarial": dec_adv, "real_logits": real_l, "prior_logits": prior_l}

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        if phase != "vaegan":
            raise ValueError(f"unknown phase {phase!r}; VAE-GAN has one phase, 'vaegan'")
        t = self.terms(batch, models)
        updates = {"encoder": t["prior"] + t["llike"],
                   "decoder": self.gamma * t["llike"] + t["decoder_adversarial"],
                   "discriminator": t["gan"]}
        logs = {"L_prior": t["prior"].detach(), "L_llike": t["llike"].detach(), "L_GAN": t["gan"].detach(),
                "d_real": t["real_logits"].detach().sigmoid().mean(),
                "d_prior": t["prior_logits"].detach().sigmoid().mean()}
        return PhaseLosses(updates, logs)
