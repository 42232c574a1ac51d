"""StyleGAN's training rule (Karras et al. 2019, arXiv:1812.04948, Sec. 2-3 and App. C; the official
train.py, training_loop.py and loss.py):

- non-saturating logistic loss; R1 on the real images every step, γ/2·E‖∇D(x)‖², γ = 10
  (D_logistic_simplegp); one D step, then one G step (the official order);
- progressive growing as in ProGAN (zoo.nn.progressive): from `start_resolution` (8 in the paper), 600k
  images per resolution and 600k of fading in the next, reals faded in step with G (process_reals), the
  minibatch and the learning rate per resolution (G_lrate_dict / D_lrate_dict), Adam(0.001, β = (0, 0.99),
  ε = 1e-8) with its moments reset at each new phase;
- style-mixing regularisation (Sec. 3.1): with probability 0.9 the layers from a cutoff drawn uniformly
  from [1, layers in use) take the w of a second latent;
- EMA of G with a half-life of 10k images (G_smoothing_kimg); w_avg tracked by G itself (β 0.995).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo import losses
from zoo.interfaces import EMASpec, Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup
from zoo.interfaces.schedules import BatchSizes, LRSchedule
from zoo.nn.progressive import GrowthCheckpoint, GrowthSchedule, fade_reals


def mixing_cutoff(num_layers: int, lod: float, prob: float) -> int:
    """The official StyleMix: with the layers in use cur = num_layers − 2·⌊lod⌋, a cutoff uniform in [1, cur)
    with probability `prob`, else cur (no mixing)."""
    cur = num_layers - 2 * int(math.floor(lod))
    if prob > 0 and cur > 1 and float(torch.rand(())) < prob:
        return int(torch.randint(1, cur, ()))
    return cur


def mixed_ws(G: nn.Module, z: Tensor, prob: float) -> Tensor:
    """ws (N, num_ws, w_dim) for z; layers [cutoff, num_ws) from a second latent (its w not tracked)."""
    ws = G.map_latent(z)
    cutoff = mixing_cutoff(ws.shape[1], float(G.lod), prob)
    if cutoff >= ws.shape[1]:
        return ws
    other = G.map_latent(torch.randn_like(z), update_w_avg=False)
    return torch.cat([ws[:, :cutoff], other[:, cutoff:]], dim=1)


def d_logistic_r1(real_logits: Tensor, fake_logits: Tensor, real_grads: Tensor, gamma: float) -> Tensor:
    """E[softplus(D(G(z)))] + E[softplus(−D(x))] + γ/2·E[‖∇D(x)‖²]."""
    r1 = real_grads.square().flatten(1).sum(1).mean()
    return F.softplus(fake_logits).mean() + F.softplus(-real_logits).mean() + 0.5 * gamma * r1


@dataclass(frozen=True)
class Piecewise(LRSchedule):
    """`values[i]` from step `starts[i]` on: the per-resolution learning rates as multipliers of the base."""

    starts: tuple[int, ...]
    values: tuple[float, ...]

    def multiplier(self, step: int) -> float:
        return [v for s, v in zip(self.starts, self.values) if s <= step][-1]

    def describe(self) -> str:
        return ", ".join(f"x{v:g} from step {s}" for s, v in zip(self.starts, self.values))


class StyleGANObjective(GrowthCheckpoint, Objective):
    def __init__(self, resolution: int = 1024, start_resolution: int = 8, stabilize_kimg: float = 600.0,
                 fade_kimg: float = 600.0, batch_size: int = 32, batch_sizes: Mapping[str, int] | None = None,
                 lr: float = 0.001, lrs: Mapping[str, float] | None = None, beta1: float = 0.0, beta2: float = 0.99,
                 adam_eps: float = 1e-8, r1_gamma: float = 10.0, style_mixing_prob: float = 0.9,
                 ema_kimg: float = 10.0, reset_optimizer: bool = True) -> None:
        if not 0 <= style_mixing_prob <= 1:
            raise ValueError(f"style_mixing_prob must be in [0, 1], got {style_mixing_prob}")
        # the paper's 8-GPU FFHQ run: minibatch 32 from 128 px, larger below; lr 0.001, raised from 128 px
        batch_sizes = {4: 512, 8: 256, 16: 128, 32: 64, 64: 32} if batch_sizes is None else batch_sizes
        lrs = {128: 0.0015, 256: 0.002, 512: 0.003, 1024: 0.003} if lrs is None else lrs
        sizes = {int(k): int(v) for k, v in batch_sizes.items()}
        self.growth = GrowthSchedule(resolution, start_resolution, stabilize_kimg, fade_kimg, batch_size, sizes)
        self.batch_sizes = BatchSizes(*self.growth.batch_schedule())
        segs = self.growth.segments()
        rates = {int(k): float(v) for k, v in lrs.items()}
        self.lr_schedule = Piecewise(tuple(s.start_step for s in segs),
                                     tuple(rates.get(s.resolution, lr) / lr for s in segs))
        self.resets = self.growth.phase_starts() if reset_optimizer else ()
        self.opt = OptimizerSpec("adam", lr=lr, betas=(beta1, beta2), eps=adam_eps)
        self.r1_gamma, self.style_mixing_prob = r1_gamma, style_mixing_prob
        self.ema = EMASpec("generator", kimg=ema_kimg)
        self.state = self.growth.state_at(0)

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        return tuple(UpdateGroup(role, (role,), self.opt, lr_schedule=self.lr_schedule, reset_optimizer_at=self.resets)
                     for role in ("discriminator", "generator"))

    def schedule(self, step: int) -> tuple[Phase, ...]:
        return (Phase("discriminator", ("discriminator",)), Phase("generator", ("generator",), new_batch=False))

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        G, D = models["generator"], models["discriminator"]
        real = batch["image"]
        z = G.sample_latent(real.shape[0], device=real.device)
        if phase == "discriminator":
            real = fade_reals(real, self.state.lod).detach().requires_grad_(self.r1_gamma > 0)
            with torch.no_grad():
                fake = G.synthesis(mixed_ws(G, z, self.style_mixing_prob))
            real_logits, fake_logits = D(real), D(fake)
            if self.r1_gamma > 0:
                (grads,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
            else:
                grads = torch.zeros_like(real)
            loss = d_logistic_r1(real_logits, fake_logits, grads, self.r1_gamma)
            return PhaseLosses({"discriminator": loss}, {
                "d_loss": loss.detach(), "d_real": real_logits.detach().mean(), "d_fake": fake_logits.detach().mean(),
                "r1_penalty": grads.detach().square().flatten(1).sum(1).mean(), "lod": torch.tensor(self.state.lod)})
        if phase == "generator":
            fake = G.synthesis(mixed_ws(G, z, self.style_mixing_prob))
            loss = losses.nonsaturating_generator_loss(D(fake))
            return PhaseLosses({"generator": loss}, {"g_loss": loss.detach()})
        raise ValueError(f"unknown phase {phase!r}")
