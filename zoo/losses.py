"""Objectives' loss terms shared across papers.

Discriminators return logits; the sigmoid of the papers is folded into the loss (softplus) so the
log-probabilities stay finite. Every function returns the mean over the batch, except the
`*_per_sample` likelihoods, which return one value per sample (ELBO and importance weighting need them).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor


# -- Goodfellow et al. 2014 ----------------------------------------------------------------------
def minimax_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """−[log D(x) + log(1 − D(G(z)))]: the discriminator ascends V(D, G) (Eq. 1)."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def minimax_generator_loss(fake_logits: Tensor) -> Tensor:
    """log(1 − D(G(z))): the generator descends V(D, G) as written in Algorithm 1 (saturates early)."""
    return -F.softplus(fake_logits).mean()


def nonsaturating_generator_loss(fake_logits: Tensor) -> Tensor:
    """−log D(G(z)): the heuristic of Section 3 that gives strong gradients early in training."""
    return F.softplus(-fake_logits).mean()


# -- text-conditional GANs (Reed et al. 2016, arXiv:1605.05396; Zhang et al. 2017, arXiv:1612.03242) --
def matching_aware_discriminator_loss(real_right_logits: Tensor, real_wrong_logits: Tensor,
                                      fake_right_logits: Tensor, wrong_weight: float = 0.5) -> Tensor:
    """GAN-CLS's D (Reed 2016, Alg. 1; StackGAN's D the same): −[log D(x, h) + ½(log(1 − D(x, ĥ)) +
    log(1 − D(G(z, h), h)))] for real image x with its text h, a mismatching text ĥ and a generated image:
    the wrong pair weighs `wrong_weight`, the fake pair 1 − `wrong_weight` (Reed's cls_weight = 0.5)."""
    return (F.softplus(-real_right_logits).mean() + wrong_weight * F.softplus(real_wrong_logits).mean()
            + (1 - wrong_weight) * F.softplus(fake_right_logits).mean())


# -- other adversarial losses --------------------------------------------------------------------
def hinge_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """max(0, 1 − D(x)) + max(0, 1 + D(G(z))) (Lim & Ye 2017; SAGAN, BigGAN, SPADE)."""
    return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()


def hinge_generator_loss(fake_logits: Tensor) -> Tensor:
    return -fake_logits.mean()


# the short names issue 16 (SAGAN, BigGAN) specified its blocks with; the same functions
hinge_d_loss = hinge_discriminator_loss
hinge_g_loss = hinge_generator_loss


def orthogonal_regularization(weights, beta: float = 1e-4) -> Tensor:
    """BigGAN's modified orthogonal regulariser (Brock 2019, Eq. 3): Σ_W β‖W Wᵀ ⊙ (1 − I)‖²_F.

    Each W is reshaped to (out, −1), one row per output filter, and the Gram matrix is taken over those
    rows (W Wᵀ): the convention of BigGAN-PyTorch, whose filters are rows; the paper writes WᵀW with
    filters as columns, the same quantity. Only the off-diagonal inner products are penalised, so filter
    norms stay free. BigGAN-PyTorch adds 2β(W Wᵀ ⊙ (1 − I))W to the gradient directly, which is the
    gradient of half this value: its β = 10⁻⁴ is this function's β = 5·10⁻⁵.
    """
    total = None
    for weight in weights:
        rows = weight.reshape(weight.shape[0], -1)
        gram = rows @ rows.t()
        off_diagonal = gram * (1 - torch.eye(gram.shape[0], device=gram.device, dtype=gram.dtype))
        term = off_diagonal.pow(2).sum()
        total = term if total is None else total + term
    if total is None:
        raise ValueError("orthogonal regularisation needs at least one weight")
    return beta * total


def wasserstein_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Critic loss D(G(z)) − D(x) (Arjovsky 2017; with gradient_penalty, Gulrajani 2017)."""
    return fake_logits.mean() - real_logits.mean()


def wasserstein_generator_loss(fake_logits: Tensor) -> Tensor:
    return -fake_logits.mean()


def least_squares_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """½(D(x) − 1)² + ½D(G(z))² (Mao 2017, a=0, b=c=1; pix2pix/CycleGAN use it)."""
    return 0.5 * ((real_logits - 1) ** 2).mean() + 0.5 * (fake_logits ** 2).mean()


def least_squares_generator_loss(fake_logits: Tensor) -> Tensor:
    return 0.5 * ((fake_logits - 1) ** 2).mean()


DISCRIMINATOR_LOSSES = {
    "minimax": minimax_discriminator_loss,
    "nonsaturating": minimax_discriminator_loss,  # same D loss; only G's differs
    "hinge": hinge_discriminator_loss,
    "wasserstein": wasserstein_discriminator_loss,
    "least_squares": least_squares_discriminator_loss,
}
GENERATOR_LOSSES = {
    "minimax": minimax_generator_loss,
    "nonsaturating": nonsaturating_generator_loss,
    "hinge": hinge_generator_loss,
    "wasserstein": wasserstein_generator_loss,
    "least_squares": least_squares_generator_loss,
}


# -- likelihood and prior terms --------------------------------------------------------------------
def gaussian_kl(mean: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(mean, exp(logvar)) || N(0, I)), summed over dimensions, averaged over the batch."""
    return (0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar)).flatten(1).sum(1).mean()


def bernoulli_nll_per_sample(logits: Tensor, target: Tensor) -> Tensor:
    """−log p(x|z) in nats per sample (N,) for a Bernoulli decoder; `target` holds ink in [0, 1]
    (grey levels act as soft targets, the usual cross-entropy for non-binary images)."""
    return F.binary_cross_entropy_with_logits(logits, target, reduction="none").flatten(1).sum(1)


def gaussian_nll_per_sample(mean: Tensor, logvar: Tensor, target: Tensor) -> Tensor:
    """−log N(target; mean, exp(logvar)) in nats per sample (N,), diagonal covariance."""
    nll = 0.5 * ((target - mean) ** 2 * torch.exp(-logvar) + logvar + math.log(2 * math.pi))
    return nll.flatten(1).sum(1)


PIXEL_LIKELIHOODS = ("bernoulli", "gaussian")
# Without a floor, a Gaussian decoder's variance on always-blank pixels collapses and the density diverges.
MIN_PIXEL_LOGVAR = -6.0


def check_pixel_likelihood(likelihood: str) -> str:
    if likelihood not in PIXEL_LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {PIXEL_LIKELIHOODS}, got {likelihood!r}")
    return likelihood


def pixel_nll_per_sample(likelihood: str, logits: Tensor, logvar: Tensor | None, x: Tensor) -> Tensor:
    """−log p(x|z) in nats per image for images `x` in [-1, 1] modelled as ink (x + 1)/2 in [0, 1]:
    Bernoulli on `logits`, or Gaussian with mean sigmoid(logits) and log-variance `logvar`."""
    ink = (x + 1) / 2
    if check_pixel_likelihood(likelihood) == "bernoulli":
        return bernoulli_nll_per_sample(logits, ink)
    return gaussian_nll_per_sample(logits.sigmoid(), logvar, ink)


def gradient_penalty(critic, real: Tensor, fake: Tensor, c: Tensor | None = None) -> Tensor:
    """WGAN-GP: E[(‖∇D(x̂)‖₂ − 1)²] on random interpolates x̂ (Gulrajani 2017, Eq. 3)."""
    alpha = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device, dtype=real.dtype)
    mixed = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    out = critic(mixed, c) if c is not None else critic(mixed)
    (grad,) = torch.autograd.grad(out.sum(), mixed, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def r1_penalty(real_logits: Tensor, real: Tensor) -> Tensor:
    """R1: ½·E[‖∇D(x)‖²] on real data (Mescheder 2018); `real` must require grad. Scale by γ outside."""
    (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
    return 0.5 * grad.pow(2).flatten(1).sum(1).mean()


# -- feature matching ----------------------------------------------------------------------------
def feature_matching_loss(real_features, fake_features) -> Tensor:
    """Σ over scales k and layers i of (1/N_i)·‖D_k⁽ⁱ⁾(x) − D_k⁽ⁱ⁾(G(s))‖₁ (pix2pixHD, Wang 2018, Eq. 4),
    with N_i the number of elements of layer i (the mean absolute difference, also over the batch).

    Takes per-scale lists of activations (DiscriminatorOutput.features) or one flat list (one scale).
    Real features are detached: the loss trains the generator only.
    """
    def per_scale(features):
        return [features] if features and isinstance(features[0], Tensor) else list(features)

    real, fake = per_scale(real_features), per_scale(fake_features)
    if len(real) != len(fake) or any(len(r) != len(f) for r, f in zip(real, fake)):
        raise ValueError("feature matching needs the same scales and layers for real and fake features")
    terms = [F.l1_loss(f, r.detach()) for rs, fs in zip(real, fake) for r, f in zip(rs, fs)]
    if not terms:
        raise ValueError("feature matching needs at least one layer of features")
    return torch.stack(terms).sum()
