"""The variational lower bound of Kingma & Welling 2014 for models with a Gaussian encoder.

Shared by the VAE and the conditional VAE (Sohn et al. 2015, where every term is also conditioned on
c). The encoder returns a zoo.interfaces.Posterior q(z|x, c); the decoder (the "generator" role) has
`nll(z, x, c)` giving −log p(x|z, c) per sample in nats; the prior is N(0, I).

- `elbo`: the SGVB estimate with the closed-form KL (Eq. 10): E_q[log p(x|z)] − KL(q(z|x) ‖ p(z)).
- `importance_weighted_log_likelihood`: log p(x) ≈ log (1/k) Σ_i p(x|z_i) p(z_i) / q(z_i|x), z_i ~ q
  (Appendix D of Kingma & Welling; Burda et al. 2016 show it tightens towards log p(x) as k grows).
- `ELBOObjective`: the training rule, one phase that updates encoder and decoder together.
"""
from __future__ import annotations

import math
from typing import Mapping

import torch
from torch import Tensor, nn

from zoo.interfaces import Objective, OptimizerSpec, Phase, PhaseLosses, Posterior, UpdateGroup


def _condition(encoder: nn.Module, batch: Mapping[str, Tensor]) -> Tensor | None:
    return batch.get("label") if encoder.condition.kind == "class" else None


def _posterior(encoder: nn.Module, x: Tensor, c: Tensor | None) -> Posterior:
    post = encoder(x, c)
    if not isinstance(post, Posterior):
        raise TypeError(f"{type(encoder).__name__} must return a Posterior for the ELBO, got {type(post).__name__}")
    return post


def elbo_terms(encoder: nn.Module, decoder: nn.Module, x: Tensor, c: Tensor | None = None) -> dict[str, Tensor]:
    """Per-sample (N,) reconstruction NLL, KL and ELBO from one reparameterised sample (L = 1)."""
    post = _posterior(encoder, x, c)
    nll = decoder.nll(post.sample(), x, c)
    kl = post.kl()
    return {"nll": nll, "kl": kl, "elbo": -(nll + kl)}


@torch.no_grad()
def elbo(encoder: nn.Module, decoder: nn.Module, x: Tensor, c: Tensor | None = None, *,
         samples: int = 1, batch_size: int = 512) -> Tensor:
    """The ELBO in nats per sample (N,), averaged over `samples` draws of z (no gradients)."""
    out = []
    for start in range(0, len(x), batch_size):
        xb = x[start:start + batch_size]
        cb = c[start:start + batch_size] if c is not None else None
        draws = [elbo_terms(encoder, decoder, xb, cb)["elbo"] for _ in range(samples)]
        out.append(torch.stack(draws).mean(0))
    return torch.cat(out)


def standard_normal_log_prob(z: Tensor) -> Tensor:
    return (-0.5 * (z ** 2 + math.log(2 * math.pi))).flatten(1).sum(1)


@torch.no_grad()
def importance_weighted_log_likelihood(encoder: nn.Module, decoder: nn.Module, x: Tensor,
                                       c: Tensor | None = None, *, k: int = 100,
                                       batch_size: int = 64) -> Tensor:
    """Importance-weighted estimate of log p(x) (or log p(x|c)) in nats per sample (N,), k samples."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    out = []
    for start in range(0, len(x), batch_size):
        xb = x[start:start + batch_size]
        cb = c[start:start + batch_size] if c is not None else None
        post = _posterior(encoder, xb, cb)
        n = len(xb)
        # k samples per datapoint, laid out as (k * n) rows
        mean, logvar = post.mean.repeat(k, 1), post.logvar.repeat(k, 1)
        rep = Posterior(mean, logvar)
        z = rep.sample()
        log_w = (-decoder.nll(z, xb.repeat(k, *[1] * (xb.dim() - 1)), cb.repeat(k) if cb is not None else None)
                 + standard_normal_log_prob(z) - rep.log_prob(z))
        out.append(torch.logsumexp(log_w.view(k, n), 0) - math.log(k))
    return torch.cat(out)


class ELBOObjective(Objective):
    """Maximise the ELBO (minimise its negative, in nats per datapoint) w.r.t. encoder and decoder jointly.

    Kingma & Welling train with Adagrad; Adam (Kingma & Ba 2015) is used here instead, as in most
    later VAE work, because it needs no per-dataset step-size search.
    """

    ema = None

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999) -> None:
        self.optimizer = OptimizerSpec("adam", lr=lr, betas=(beta1, beta2))

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        return (UpdateGroup("autoencoder", ("encoder", "generator"), self.optimizer),)

    def schedule(self, step: int) -> tuple[Phase, ...]:
        return (Phase("elbo", ("autoencoder",)),)

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        if phase != "elbo":
            raise ValueError(f"unknown phase {phase!r}; the ELBO objective has one phase, 'elbo'")
        encoder, decoder = models["encoder"], models["generator"]
        terms = elbo_terms(encoder, decoder, batch["image"], _condition(encoder, batch))
        loss = -terms["elbo"].mean()
        return PhaseLosses({"autoencoder": loss},
                           {"elbo": -loss.detach(), "kl": terms["kl"].mean().detach(),
                            "nll": terms["nll"].mean().detach()})


@torch.no_grad()
def likelihood_report(model, x: Tensor, c: Tensor | None = None, *, k: int = 100, seed: int = 0) -> dict[str, float]:
    """Mean ELBO and importance-weighted log p(x) in nats per image for a ZooModel on images `x`.

    For a class-conditional model pass the labels `c`; the numbers are then bounds on log p(x|c).
    """
    encoder, decoder = model.components["encoder"], model.components["generator"]
    was_training = model.training
    model.eval()
    torch.manual_seed(seed)
    device = model.device
    x = x.to(device)
    c = c.to(device) if c is not None else None
    report = {"elbo_nats": float(elbo(encoder, decoder, x, c).mean()),
              f"iw_log_px_nats_k{k}": float(importance_weighted_log_likelihood(encoder, decoder, x, c, k=k).mean())}
    model.train(was_training)
    return report
