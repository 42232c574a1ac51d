"""zoo.losses terms that no shipped paper's test reaches, by hand on critics whose gradient is known:
a linear critic D(x) = w·x + b has ∇ₓD = w everywhere."""
import math

import pytest
import torch

from zoo import losses

import paper_reference


def _linear_critic(w, b=0.5):
    w = torch.tensor(w)
    return lambda x, c=None: (x.flatten(1) * w.flatten()).sum(1) + b + (0 if c is None else c)


def test_gradient_penalty_is_the_squared_distance_of_the_gradient_norm_from_one():
    """Gulrajani 2017, Eq. 3: E[(‖∇D(x̂)‖₂ − 1)²]; with ∇D = w = (3, 4), (5 − 1)² = 16 at every x̂."""
    real, fake = torch.randn(6, 1, 1, 2), torch.randn(6, 1, 1, 2)
    penalty = losses.gradient_penalty(_linear_critic([[[3.0, 4.0]]]), real, fake)
    assert penalty.item() == pytest.approx(16.0)
    # a conditional critic gets the condition; a quadratic one is evaluated on the interpolates
    assert losses.gradient_penalty(_linear_critic([[[0.6, 0.8]]]), real, fake).item() == pytest.approx(0.0, abs=1e-10)
    # a conditional critic D(x, c) = c·(w·x): ∇ = c·w, ‖∇‖ = 3 for c = 3, so (3 − 1)² = 4
    conditional = lambda x, c=None: c * (x.flatten(1) * torch.tensor([0.6, 0.8])).sum(1)  # noqa: E731
    assert losses.gradient_penalty(conditional, real, fake, c=torch.full((6,), 3.0)).item() == pytest.approx(4.0)
    penalty = losses.gradient_penalty(_linear_critic([[[3.0, 4.0]]]), real.double(), fake.double())
    assert penalty.dtype == torch.float64
    torch.manual_seed(0)
    real, fake = 2 * torch.ones(4, 3), -0.5 * torch.ones(4, 3)
    penalty = losses.gradient_penalty(lambda x: (x ** 2).sum(1), real, fake)
    torch.manual_seed(0)
    alpha = torch.rand(4, 1)
    mixed = alpha * real + (1 - alpha) * fake  # ∇ = 2x̂
    assert penalty.item() == pytest.approx(((2 * mixed.norm(dim=1) - 1) ** 2).mean().item(), rel=1e-5)


def test_gradient_penalty_is_differentiable_in_the_critic():
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    penalty = losses.gradient_penalty(lambda x: x @ w, torch.randn(5, 2), torch.randn(5, 2))
    (grad,) = torch.autograd.grad(penalty, w)
    # d/dw (‖w‖ − 1)² = 2(‖w‖ − 1) w/‖w‖ = 2·4·(0.6, 0.8)
    assert grad.tolist() == pytest.approx([4.8, 6.4])


def test_r1_penalty_is_half_the_squared_gradient_norm():
    """Mescheder 2018: ½ E‖∇D(x)‖²; with ∇D = w = (1, 2, 2): ½ · 9."""
    real = torch.randn(5, 3, requires_grad=True)
    critic = _linear_critic([1.0, 2.0, 2.0])
    assert losses.r1_penalty(critic(real), real).item() == pytest.approx(4.5)
    real = torch.tensor([[1.0, -2.0], [0.5, 0.0]], requires_grad=True)
    logits = (real ** 2).sum(1)  # ∇ = 2x: ‖2x‖² = 20 and 1
    penalty = losses.r1_penalty(logits, real)
    assert penalty.item() == pytest.approx(0.5 * (20 + 1) / 2)
    assert penalty.grad_fn is not None  # create_graph: the penalty trains the critic


def test_gaussian_kl_and_wasserstein_generator_loss_by_hand():
    mean, logvar = torch.tensor([[1.0, 0.0], [0.0, 0.5]]), torch.tensor([[0.0, math.log(4.0)], [0.0, -1.0]])
    expected = paper_reference.gaussian_kl_per_sample(mean, logvar).mean()
    assert losses.gaussian_kl(mean, logvar).item() == pytest.approx(expected.item(), rel=1e-6)
    assert losses.gaussian_kl(mean, logvar).item() == pytest.approx(
        (0.5 * (1 + 3 - math.log(4)) + 0.5 * (0.25 + math.exp(-1) - 1 + 1)) / 2, rel=1e-6)
    assert losses.wasserstein_generator_loss(torch.tensor([1.0, -3.0])).item() == pytest.approx(1.0)
    assert losses.wasserstein_discriminator_loss(torch.tensor([2.0]), torch.tensor([-1.0])).item() == -3.0


def test_pixel_likelihood_choice_is_checked():
    assert losses.check_pixel_likelihood("gaussian") == "gaussian"
    with pytest.raises(ValueError, match=r"likelihood must be one of \('bernoulli', 'gaussian'\), got 'l2'"):
        losses.check_pixel_likelihood("l2")
    x = torch.tensor([[[[1.0, -1.0]]]])  # ink 1 and 0
    logits = torch.tensor([[[[0.0, 2.0]]]])
    expected = paper_reference.bernoulli_nll_per_sample(logits, (x + 1) / 2)
    assert losses.pixel_nll_per_sample("bernoulli", logits, None, x).item() == pytest.approx(expected.item())
    logvar = torch.tensor([[[[0.0, -1.0]]]])
    expected = paper_reference.gaussian_nll_per_sample(torch.sigmoid(logits), logvar, (x + 1) / 2)
    assert losses.pixel_nll_per_sample("gaussian", logits, logvar, x).item() == pytest.approx(expected.item())
