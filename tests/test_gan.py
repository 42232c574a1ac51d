"""GAN (Goodfellow 2014) and the shared adversarial objective: losses, Algorithm 1's schedule, routing,
and a short run that learns."""
from __future__ import annotations

import math

import pytest
import torch

import zoo
from zoo import losses
from zoo.data.batches import TensorBatches
from zoo.data.digits import load_digits_tensors
from zoo.images import to_range
from zoo.objectives import AdversarialObjective
from zoo.training.trainer import Trainer


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def test_minimax_and_nonsaturating_losses_match_hand_computation():
    real, fake = torch.tensor([2.0, 0.0]), torch.tensor([-1.0, 0.5])
    d = losses.minimax_discriminator_loss(real, fake).item()
    expected_d = (-math.log(sigmoid(2.0)) - math.log(sigmoid(0.0))) / 2 \
        + (-math.log(1 - sigmoid(-1.0)) - math.log(1 - sigmoid(0.5))) / 2
    assert d == pytest.approx(expected_d, rel=1e-6)
    g_minimax = losses.minimax_generator_loss(fake).item()
    assert g_minimax == pytest.approx((math.log(1 - sigmoid(-1.0)) + math.log(1 - sigmoid(0.5))) / 2, rel=1e-6)
    g_ns = losses.nonsaturating_generator_loss(fake).item()
    assert g_ns == pytest.approx((-math.log(sigmoid(-1.0)) - math.log(sigmoid(0.5))) / 2, rel=1e-6)


def test_nonsaturating_loss_has_stronger_gradient_when_discriminator_wins():
    """Section 3: early on D rejects samples confidently, log(1 - D(G(z))) saturates, -log D(G(z)) does not."""
    fake = torch.tensor([-6.0], requires_grad=True)
    (g_mm,) = torch.autograd.grad(losses.minimax_generator_loss(fake), fake)
    (g_ns,) = torch.autograd.grad(losses.nonsaturating_generator_loss(fake), fake)
    assert abs(g_ns.item()) > 100 * abs(g_mm.item())


def test_other_adversarial_losses():
    r, f = torch.tensor([0.5, 2.0]), torch.tensor([-0.5, 1.5])
    assert losses.hinge_discriminator_loss(r, f).item() == pytest.approx(((0.5 + 0) + (0.5 + 2.5)) / 2)
    assert losses.hinge_generator_loss(f).item() == pytest.approx(-0.5)
    assert losses.wasserstein_discriminator_loss(r, f).item() == pytest.approx(0.5 - 1.25)
    assert losses.least_squares_discriminator_loss(r, f).item() == pytest.approx(
        0.5 * (0.25 + 1) / 2 + 0.5 * (0.25 + 2.25) / 2)
    assert losses.least_squares_generator_loss(f).item() == pytest.approx(0.5 * (2.25 + 0.25) / 2)


def _tiny_gan(**overrides):
    cfg = {"resolution": 8, "hidden": 64, "d_hidden": 32, "pieces": 2, "optimizer": "adam", "lr": 1e-3,
           "input_dropout": 0.0, "hidden_dropout": 0.0, **overrides}
    return zoo.create("gan", config=cfg)


def test_gan_networks_follow_the_paper():
    model = zoo.create("gan")
    g, d = model.generator, model.components["discriminator"]
    assert g.latent.prior == "uniform" and g.latent.shape == (100,)
    x = g(g.sample_latent(3))
    assert x.shape == (3, 1, 28, 28) and x.min() >= 0 and x.max() <= 1  # sigmoid output
    assert d(x).shape == (3,)
    hidden = [m for m in g.net if isinstance(m, torch.nn.Linear)]
    assert [m.out_features for m in hidden] == [1200, 1200, 784]
    assert [f.shape[1] for f in d.features(x)] == [240, 240]


def test_algorithm_1_makes_k_discriminator_steps_per_generator_step():
    model = _tiny_gan(d_steps=3)
    images, _ = load_digits_tensors(8, "train")
    batches = TensorBatches({"image": images}, batch_size=16, seed=0)
    objective = AdversarialObjective(d_steps=3, lr=1e-3)
    trainer = Trainer(dict(model.components), objective, batches)
    counts = {"generator": 0, "discriminator": 0}
    for name, opt in trainer.optimizers.items():
        original = opt.step

        def counted(*a, _n=name, _orig=original, **k):
            counts[_n] += 1
            return _orig(*a, **k)

        opt.step = counted
    trainer.train_step()
    trainer.train_step()
    assert counts == {"discriminator": 6, "generator": 2}


def test_each_phase_updates_only_its_own_network():
    model = _tiny_gan()
    G, D = model.generator, model.components["discriminator"]
    images, _ = load_digits_tensors(8, "train")
    objective = AdversarialObjective(lr=1e-2)
    trainer = Trainer(dict(model.components), objective, TensorBatches({"image": images}, 16, seed=0))
    batch = next(trainer.batches)
    for phase, moved, still in (("discriminator", D, G), ("generator", G, D)):
        before = {id(p): p.detach().clone() for p in [*G.parameters(), *D.parameters()]}
        grads_before = [None if p.grad is None else p.grad.clone() for p in still.parameters()]
        out = objective.losses(phase, batch, trainer.models)
        trainer._apply((phase,), out)
        assert any(not torch.equal(before[id(p)], p) for p in moved.parameters())
        assert all(torch.equal(before[id(p)], p) for p in still.parameters())
        # the other network's gradients are not touched by this phase's loss
        for p, g in zip(still.parameters(), grads_before):
            assert (p.grad is None and g is None) or torch.equal(p.grad, g)


def test_real_data_is_mapped_into_the_generators_range():
    x = torch.tensor([-1.0, 0.0, 1.0])
    assert to_range(x, (-1, 1), (0, 1)).tolist() == [0.0, 0.5, 1.0]


@pytest.mark.parametrize("generator_loss", ["nonsaturating", "minimax"])
def test_short_training_run_learns_the_pixel_distribution(generator_loss):
    """After 200 steps the samples' pixel histogram is far closer to the data's than at the start
    (an untrained sigmoid generator paints everything grey; digits are mostly blank with dark strokes)."""
    torch.manual_seed(0)
    model = _tiny_gan(generator_loss=generator_loss)
    images, _ = load_digits_tensors(8, "train")
    real = to_range(images, (-1, 1), (0, 1))
    objective = AdversarialObjective(generator_loss=generator_loss, lr=1e-3)
    trainer = Trainer(dict(model.components), objective, TensorBatches({"image": images}, 32, seed=0))

    def histogram_gap():
        G = model.generator
        with torch.no_grad():
            x = G(G.sample_latent(512, generator=torch.Generator().manual_seed(0)))
        hist = lambda v: torch.histc(v, 10, 0, 1) / v.numel()  # noqa: E731
        return (hist(x) - hist(real)).abs().sum().item()

    start = histogram_gap()
    for _ in range(200):
        trainer.train_step()
    assert histogram_gap() < 0.3 * start
