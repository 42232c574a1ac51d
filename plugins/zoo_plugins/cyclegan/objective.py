"""CycleGAN's training rule (Zhu et al. 2017, arXiv:1703.10593, Eq. 1-3 and Sec. 4 / App. 7.1):

    L = L_LSGAN(G, D_Y) + L_LSGAN(F, D_X) + λ·L_cyc(G, F) + λ_idt·L_idt(G, F),   λ = 10, λ_idt = 0.5·λ,

G: X→Y the component `generator` (A→B), F: Y→X `generator_ba`; D_Y = `discriminator_b`, D_X =
`discriminator_a`. Least squares: each generator minimises (D(G(x)) − 1)², each discriminator
½[(D(y) − 1)² + D(G(x))²] (the authors' code: MSE to 1/0, the D loss halved), averaged over the patches.
L_cyc = ‖F(G(x)) − x‖₁ + ‖G(F(y)) − y‖₁; L_idt = ‖G(y) − y‖₁ + ‖F(x) − x‖₁ (means over pixels).

Per step, as the authors' code: one update of both generators (one Adam over the two), then one of
both discriminators on the same batch, each judging its real images and a generated batch drawn through
its 50-image history pool (.pool). Adam(2e-4, β = (0.5, 0.999)); the lr held, then linearly to 0
(`decay_start`, `decay_end` in steps; 0, 0: constant). The discriminators use the fakes computed in the
generators' phase (their values before that phase's step), as the authors' code does.
"""
from __future__ import annotations

from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.interfaces import Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup
from zoo.interfaces.schedules import Constant, LinearDecay
from zoo_plugins.cyclegan.pool import ImagePool


def lsgan_generator_loss(fake_logits: Tensor) -> Tensor:
    """mean (D(G(x)) − 1)²."""
    return ((fake_logits - 1) ** 2).mean()


def lsgan_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """½[mean (D(y) − 1)² + mean D(G(x))²]."""
    return 0.5 * (((real_logits - 1) ** 2).mean() + (fake_logits ** 2).mean())


def cycle_loss(real_a: Tensor, rec_a: Tensor, real_b: Tensor, rec_b: Tensor) -> tuple[Tensor, Tensor]:
    """(‖F(G(a)) − a‖₁, ‖G(F(b)) − b‖₁), each a mean over the pixels."""
    return F.l1_loss(rec_a, real_a), F.l1_loss(rec_b, real_b)


class CycleGANObjective(Objective):
    ema = None

    def __init__(self, cycle_weight: float = 10.0, identity_weight: float = 0.5, pool_size: int = 50,
                 lr: float = 2e-4, beta1: float = 0.5, beta2: float = 0.999, decay_start: int = 0,
                 decay_end: int = 0, seed: int = 0) -> None:
        if cycle_weight < 0 or identity_weight < 0:
            raise ValueError(f"cycle_weight and identity_weight must be >= 0, got {cycle_weight}, {identity_weight}")
        self.cycle_weight = float(cycle_weight)
        # the paper's identity term is weighted 0.5·λ: identity_weight is that 0.5, relative to λ
        self.identity_weight = float(identity_weight) * self.cycle_weight
        self.pools = {"a": ImagePool(pool_size, seed), "b": ImagePool(pool_size, seed + 1)}
        self.opt = OptimizerSpec("adam", lr=float(lr), betas=(float(beta1), float(beta2)))
        self.lr_schedule = LinearDecay(int(decay_start), int(decay_end)) if decay_end else Constant()
        self._fakes: dict[str, Tensor] | None = None

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        return (UpdateGroup("generators", ("generator", "generator_ba"), self.opt, lr_schedule=self.lr_schedule),
                UpdateGroup("discriminators", ("discriminator_a", "discriminator_b"), self.opt,
                            lr_schedule=self.lr_schedule))

    def schedule(self, step: int) -> tuple[Phase, ...]:
        return (Phase("generators", ("generators",)), Phase("discriminators", ("discriminators",), new_batch=False))

    def generator_terms(self, real_a: Tensor, real_b: Tensor, models: Mapping[str, nn.Module]) -> dict[str, Tensor]:
        G, Fn = models["generator"], models["generator_ba"]
        D_a, D_b = models["discriminator_a"], models["discriminator_b"]
        fake_b, fake_a = G(None, real_a), Fn(None, real_b)
        rec_a, rec_b = Fn(None, fake_b), G(None, fake_a)
        terms = {"gan_ab": lsgan_generator_loss(D_b(fake_b)), "gan_ba": lsgan_generator_loss(D_a(fake_a))}
        terms["cycle_a"], terms["cycle_b"] = cycle_loss(real_a, rec_a, real_b, rec_b)
        if self.identity_weight:
            terms["idt_b"] = F.l1_loss(G(None, real_b), real_b)
            terms["idt_a"] = F.l1_loss(Fn(None, real_a), real_a)
        self._fakes = {"a": fake_a.detach(), "b": fake_b.detach()}
        return terms

    def total(self, terms: Mapping[str, Tensor]) -> Tensor:
        loss = terms["gan_ab"] + terms["gan_ba"] + self.cycle_weight * (terms["cycle_a"] + terms["cycle_b"])
        if "idt_a" in terms:
            loss = loss + self.identity_weight * (terms["idt_a"] + terms["idt_b"])
        return loss

    def example_batch(self, batch: dict[str, Tensor], generator: torch.Generator) -> dict[str, Tensor]:
        """The benchmark's batch with a domain-B image beside each domain-A one (random, of its shape)."""
        image = batch["image"]
        return {**batch, "image_b": (torch.rand(image.shape, generator=generator) * 2 - 1).to(image)}

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        real_a, real_b = batch["image"], batch["image_b"]
        if phase == "generators":
            terms = self.generator_terms(real_a, real_b, models)
            loss = self.total(terms)
            return PhaseLosses({"generators": loss},
                               {"g_loss": loss.detach(), **{f"g_{k}": v.detach() for k, v in terms.items()}})
        if phase != "discriminators":
            raise ValueError(f"unknown phase {phase!r}")
        fakes = self._fakes
        if fakes is None or fakes["a"].shape != real_a.shape:  # no generators' phase before (a benchmark)
            with torch.no_grad():
                fakes = {"b": models["generator"](None, real_a), "a": models["generator_ba"](None, real_b)}
        self._fakes = None
        d_b = lsgan_discriminator_loss(models["discriminator_b"](real_b), models["discriminator_b"](self.pools["b"].query(fakes["b"])))
        d_a = lsgan_discriminator_loss(models["discriminator_a"](real_a), models["discriminator_a"](self.pools["a"].query(fakes["a"])))
        return PhaseLosses({"discriminators": d_a + d_b},
                           {"d_a": d_a.detach(), "d_b": d_b.detach(), "d_loss": (d_a + d_b).detach()})

    def state_dict(self) -> dict:
        return {k: pool.state_dict() for k, pool in self.pools.items()}

    def load_state_dict(self, state: Mapping) -> None:
        for k, pool in self.pools.items():
            pool.load_state_dict(state[k])
