"""StyleGAN2's training rule (Karras et al. 2020, arXiv:1912.04958, Sec. 3.1-3.2 and App. B; the
StyleGAN2-ADA training loop for the EMA ramp-up):

- non-saturating logistic loss, Adam(lr, betas=(0, 0.99));
- lazy R1 on real images (γ/2 · ‖∇D(x)‖²) every 16 steps, its loss ×16 (the trainer's Phase.interval),
  with D's Adam lr·c and betas**c, c = 16/17 (OptimizerSpec.lazy);
- path-length regularisation every 4 steps on half a batch: with y ~ N(0, I)/sqrt(H·W), the length
  a = ‖J_wᵀ y‖ (the gradient of Σ g(w)·y over the per-layer ws, squared-summed over w's dimensions and
  averaged over the layers), penalised as w_pl · (a − ā)², where ā is a running mean of a (decay 0.01);
- style mixing: with probability 0.9 the layers from a random cutoff on take the ws of a second z;
- EMA of G with a half-life in images and ramp-up (EMASpec(kimg, rampup)); w_avg tracked by G itself;
- optionally (`ada=True`) StyleGAN2-ADA's adaptive augmentation of every image D sees (.ada).
"""
from __future__ import annotations

import math
from typing import Mapping

import torch
from torch import Tensor, nn

from zoo import losses
from zoo.interfaces import EMASpec, Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup
from zoo_plugins.stylegan2.ada import AdaptiveAugment


def mix_styles_for_training(G: nn.Module, z: Tensor, prob: float) -> Tensor:
    """ws (N, num_ws, w_dim) for z; with probability `prob` the layers [cutoff, num_ws) for one cutoff drawn
    uniformly from [1, num_ws) come from a second latent (the mixing regulariser, StyleGAN Sec. 3.1)."""
    ws = G.map_latent(z)
    if prob <= 0 or ws.shape[1] < 2:
        return ws
    cutoff = int(torch.randint(1, ws.shape[1], ()))
    if float(torch.rand(())) >= prob:
        return ws
    other = G.map_latent(torch.randn_like(z), update_w_avg=False)
    return torch.cat([ws[:, :cutoff], other[:, cutoff:]], dim=1)


def path_lengths(images: Tensor, ws: Tensor, noise: Tensor) -> Tensor:
    """Per-sample ‖J_wᵀ y‖: sqrt(mean over layers of Σ over w's dims of (∂ Σ(images·noise) / ∂ws)²), with
    `noise` already divided by sqrt(H·W); differentiable (create_graph) so it can be penalised."""
    (grads,) = torch.autograd.grad((images * noise).sum(), ws, create_graph=True)
    return grads.square().sum(2).mean(1).sqrt()


def path_length_penalty(lengths: Tensor, mean: Tensor, decay: float) -> tuple[Tensor, Tensor]:
    """((a − ā')² per sample, ā') with ā' = ā + decay·(mean(a) − ā), the updated running mean."""
    new_mean = mean.lerp(lengths.detach().mean(), decay)
    return (lengths - new_mean).square(), new_mean


class StyleGAN2Objective(Objective):
    # `zoo train --init` may start G from a weight set of another mapping depth (e.g. the ADA paper's 2-layer
    # mapping for small data sets from an 8-layer set): the synthesis loads, the layers that differ start fresh.
    partial_init = ("generator",)

    def __init__(self, lr: float = 0.002, beta1: float = 0.0, beta2: float = 0.99, r1_gamma: float = 10.0,
                 r1_interval: int = 16, pl_weight: float = 2.0, pl_interval: int = 4, pl_decay: float = 0.01,
                 pl_batch_shrink: int = 2, style_mixing_prob: float = 0.9, ema_kimg: float = 10.0,
                 ema_rampup: float | None = 0.05, ada: bool = False, ada_target: float = 0.6,
                 ada_kimg: float = 100.0, ada_interval: int = 4) -> None:
        for name, v in (("r1_interval", r1_interval), ("pl_interval", pl_interval), ("pl_batch_shrink", pl_batch_shrink)):
            if v < 1:
                raise ValueError(f"{name} must be >= 1, got {v}")
        if not 0 <= style_mixing_prob <= 1:
            raise ValueError(f"style_mixing_prob must be in [0, 1], got {style_mixing_prob}")
        self.r1_gamma, self.r1_interval = r1_gamma, r1_interval
        self.pl_weight, self.pl_interval, self.pl_decay = pl_weight, pl_interval, pl_decay
        self.pl_batch_shrink, self.style_mixing_prob = pl_batch_shrink, style_mixing_prob
        base = OptimizerSpec("adam", lr=lr, betas=(beta1, beta2))
        self.g_opt = base.lazy(pl_interval) if pl_weight > 0 and pl_interval > 1 else base
        self.d_opt = base.lazy(r1_interval) if r1_gamma > 0 and r1_interval > 1 else base
        self.ema = EMASpec("generator", kimg=ema_kimg, rampup=ema_rampup)
        self.pl_mean = torch.zeros([])
        # ADA's speed: p may go from 0 to 1 in ada_kimg thousand images (the paper: 500; runs here are short)
        self.augment = AdaptiveAugment(ada_target, ada_interval, ada_kimg) if ada else None
        self.step = 0

    def begin_step(self, step: int, models) -> None:
        self.step = step

    def discriminate(self, D: nn.Module, x: Tensor) -> Tensor:
        """D's logits, through the augmentation when ADA is on."""
        return D(self.augment(x) if self.augment is not None else x)

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        return (UpdateGroup("generator", ("generator",), self.g_opt),
                UpdateGroup("discriminator", ("discriminator",), self.d_opt))

    def schedule(self, step: int) -> tuple[Phase, ...]:
        # the official order: Gmain, Greg, Dmain, Dreg
        phases = [Phase("generator", ("generator",))]
        if self.pl_weight > 0:
            phases.append(Phase("path_length", ("generator",), interval=self.pl_interval))
        phases.append(Phase("discriminator", ("discriminator",)))
        if self.r1_gamma > 0:
            phases.append(Phase("r1", ("discriminator",), interval=self.r1_interval))
        return tuple(phases)

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        G, D = models["generator"], models["discriminator"]
        real = batch["image"]
        n = real.shape[0]
        if phase == "generator":
            fake = G.synthesis(mix_styles_for_training(G, G.sample_latent(n, device=real.device),
                                                       self.style_mixing_prob))
            loss = losses.nonsaturating_generator_loss(self.discriminate(D, fake))
            return PhaseLosses({"generator": loss}, {"g_loss": loss.detach()})
        if phase == "path_length":
            m = max(1, n // self.pl_batch_shrink)
            ws = mix_styles_for_training(G, G.sample_latent(m, device=real.device), self.style_mixing_prob)
            images = G.synthesis(ws)
            noise = torch.randn_like(images) / math.sqrt(images.shape[2] * images.shape[3])
            penalty, self.pl_mean = path_length_penalty(path_lengths(images, ws, noise),
                                                        self.pl_mean.to(real.device), self.pl_decay)
            loss = penalty.mean() * self.pl_weight
            return PhaseLosses({"generator": loss}, {"pl_penalty": penalty.detach().mean(),
                                                     "pl_mean": self.pl_mean.detach()})
        if phase == "discriminator":
            with torch.no_grad():
                fake = G.synthesis(mix_styles_for_training(G, G.sample_latent(n, device=real.device),
                                                           self.style_mixing_prob))
            real_logits, fake_logits = self.discriminate(D, real), self.discriminate(D, fake)
            loss = losses.minimax_discriminator_loss(real_logits, fake_logits)
            logs = {"d_loss": loss.detach(), "d_real": real_logits.detach().mean(), "d_fake": fake_logits.detach().mean()}
            if self.augment is not None:
                self.augment.observe(real_logits)
                logs["ada_r_t"] = torch.tensor(self.augment.r_t)
                self.augment.adjust(self.step, n)
                logs["ada_p"] = torch.tensor(self.augment.p)
            return PhaseLosses({"discriminator": loss}, logs)
        if phase == "r1":
            real = real.detach().requires_grad_(True)
            penalty = losses.r1_penalty(self.discriminate(D, real), real)  # ½·E‖∇D‖², so γ·penalty = γ/2·E‖∇D‖²
            return PhaseLosses({"discriminator": self.r1_gamma * penalty}, {"r1_penalty": penalty.detach()})
        raise ValueError(f"unknown phase {phase!r}")

    def state_dict(self) -> dict:
        state = {"pl_mean": self.pl_mean.detach().cpu().clone()}
        if self.augment is not None:
            state["ada"] = self.augment.state_dict()
        return state

    def load_state_dict(self, state: dict) -> None:
        if "pl_mean" in state:
            self.pl_mean = torch.as_tensor(state["pl_mean"]).float()
        if self.augment is not None and "ada" in state:
            self.augment.load_state_dict(state["ada"])
