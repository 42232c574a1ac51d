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
from zoo.interfaces import ConditionSpec, Discriminator, Generator, LatentSpec, OptimizerSpec, OutputSpec
from zoo.objectives import AdversarialObjective
from zoo.training.trainer import Trainer
from zoo_plugins.gan.networks import Maxout, MaxoutDiscriminator, MLPGenerator

import paper_reference


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


def test_networks_default_to_the_papers_mnist_model():
    g, d = MLPGenerator(), MaxoutDiscriminator()
    assert g.latent.shape == (100,) and g.latent.prior == "uniform"
    assert (g.latent.low, g.latent.high) == pytest.approx((-math.sqrt(3), math.sqrt(3)))
    assert g.output.shape == (1, 28, 28) and g.output.value_range == (0.0, 1.0)
    assert [m.out_features for m in g.net if isinstance(m, torch.nn.Linear)] == [1200, 1200, 784]
    assert [type(m) for m in g.net] == [torch.nn.Linear, torch.nn.ReLU, torch.nn.Linear, torch.nn.ReLU,
                                        torch.nn.Linear, torch.nn.Sigmoid]
    assert d.input.shape == (1, 28, 28) and d.input.value_range == (0.0, 1.0)
    maxouts = [layer[1] for layer in d.layers]
    assert [(m.linear.in_features, m.out_features, m.pieces) for m in maxouts] == [(784, 240, 5), (240, 240, 5)]
    dropouts = [layer[0].p for layer in d.layers] + [d.head[0].p]
    assert dropouts == [0.2, 0.5, 0.5]
    assert d.head[1].in_features == 240 and d.head[1].out_features == 1


def test_maxout_keeps_the_largest_piece():
    unit = Maxout(2, 1, 3)
    with torch.no_grad():  # three pieces of one unit: x0, x1 and x0 + x1 - 1
        unit.linear.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
        unit.linear.bias.copy_(torch.tensor([0.0, 0.0, -1.0]))
    x = torch.tensor([[2.0, -1.0], [0.5, 3.0], [-4.0, -2.0]])
    assert unit(x).squeeze(1).tolist() == [2.0, 3.0, -2.0]
    assert unit(x.view(1, 3, 2)).view(3).tolist() == [2.0, 3.0, -2.0]  # like nn.Linear: over the last dim
    torch.manual_seed(0)
    d = MaxoutDiscriminator(resolution=4, d_hidden=6, pieces=3, input_dropout=0.0, hidden_dropout=0.0)
    x = torch.rand(5, 1, 4, 4)
    h1 = paper_reference.maxout(x.flatten(1), d.layers[0][1].linear, 6, 3)
    h2 = paper_reference.maxout(h1, d.layers[1][1].linear, 6, 3)
    feats = d.features(x)
    assert torch.allclose(feats[0], h1, atol=1e-6) and torch.allclose(feats[1], h2, atol=1e-6)
    head = d.head[1]
    assert torch.allclose(d(x), (h2 @ head.weight.T + head.bias).squeeze(1), atol=1e-6)


@pytest.mark.parametrize("generator_loss", ["minimax", "nonsaturating"])
def test_objective_phases_compute_algorithm_1_losses(generator_loss):
    """The objective's losses on D(G(z)) and D(x) against Algorithm 1 / Section 3 written out."""
    torch.manual_seed(0)
    model = _tiny_gan()
    G, D = model.generator, model.components["discriminator"]
    models = dict(model.components)
    x = torch.rand(6, 1, 8, 8) * 2 - 1
    objective = AdversarialObjective(generator_loss=generator_loss)
    torch.manual_seed(1)
    g_out = objective.losses("generator", {"image": x}, models)
    torch.manual_seed(1)
    fake_logits = D(G(G.sample_latent(6)))
    expected_g = (paper_reference.minimax_generator_loss if generator_loss == "minimax"
                  else paper_reference.nonsaturating_generator_loss)(fake_logits)
    assert g_out.updates["generator"].item() == pytest.approx(expected_g.item(), rel=1e-5)
    assert g_out.logs["g_loss"].item() == pytest.approx(expected_g.item(), rel=1e-5)
    torch.manual_seed(1)
    d_out = objective.losses("discriminator", {"image": x}, models)
    real_logits = D((x + 1) / 2)  # data in [-1, 1] shown to D in the generator's [0, 1]
    expected_d = paper_reference.discriminator_loss(real_logits, fake_logits)
    assert d_out.updates["discriminator"].item() == pytest.approx(expected_d.item(), rel=1e-5)
    assert d_out.logs["d_loss"].item() == pytest.approx(expected_d.item(), rel=1e-5)
    assert d_out.logs["d_real"].item() == pytest.approx(real_logits.mean().item(), rel=1e-5)
    assert d_out.logs["d_fake"].item() == pytest.approx(fake_logits.mean().item(), rel=1e-5)
    with pytest.raises(ValueError, match="unknown phase"):
        objective.losses("encoder", {"image": x}, models)
    # an unconditional pair ignores the labels a labelled dataset's batches carry
    labelled = {"image": x, "label": torch.zeros(6, dtype=torch.long)}
    torch.manual_seed(1)
    assert objective.losses("generator", labelled, models).updates["generator"].item() == pytest.approx(
        expected_g.item(), rel=1e-5)


def test_generator_loss_table_names_the_right_losses():
    fake = torch.tensor([-2.0, 0.3, 1.5])
    assert losses.GENERATOR_LOSSES["minimax"](fake).item() == pytest.approx(
        paper_reference.minimax_generator_loss(fake).item(), rel=1e-6)
    assert losses.GENERATOR_LOSSES["nonsaturating"](fake).item() == pytest.approx(
        paper_reference.nonsaturating_generator_loss(fake).item(), rel=1e-6)
    real = torch.tensor([0.7, -0.2, 3.0])
    for name in ("minimax", "nonsaturating"):
        assert losses.DISCRIMINATOR_LOSSES[name](real, fake).item() == pytest.approx(
            paper_reference.discriminator_loss(real, fake).item(), rel=1e-6)
    with pytest.raises(ValueError, match="generator_loss must be one of"):
        AdversarialObjective(generator_loss="minmax")
    with pytest.raises(ValueError, match="d_steps"):
        AdversarialObjective(d_steps=0)


class _LabelledPointGenerator(Generator):
    """G(z, c) = z + c on 1×1×2 "images": the label visibly moves the sample."""

    def __init__(self):
        super().__init__()
        self.condition = ConditionSpec("class", num_classes=3)
        self.latent = LatentSpec((2,))
        self.output = OutputSpec((1, 1, 2), value_range=(-1.0, 1.0))
        self.shift = torch.nn.Parameter(torch.zeros(1))

    def forward(self, z, c=None):
        return (z + c.float()[:, None] + self.shift).view(-1, 1, 1, 2)


class _LabelledPointDiscriminator(Discriminator):
    """D(x, c) = (x₀ + 2x₁)·(c + 1)."""

    def __init__(self):
        super().__init__()
        self.condition = ConditionSpec("class", num_classes=3)
        self.input = OutputSpec((1, 1, 2), value_range=(-1.0, 1.0))
        self.scale = torch.nn.Parameter(torch.ones(1))

    def forward(self, x, c=None):
        return self.scale * (x[:, 0, 0, 0] + 2 * x[:, 0, 0, 1]) * (c.float() + 1)


def test_class_conditional_pairs_get_the_batchs_labels_in_both_phases():
    G, D = _LabelledPointGenerator(), _LabelledPointDiscriminator()
    x, y = torch.tensor([[[[0.5, -0.5]]], [[[0.1, 0.2]]]]), torch.tensor([2, 0])
    objective = AdversarialObjective(generator_loss="minimax")
    models = {"generator": G, "discriminator": D}
    torch.manual_seed(0)
    d_out = objective.losses("discriminator", {"image": x, "label": y}, models)
    torch.manual_seed(0)
    z = torch.randn(2, 2)
    fake = z + y[:, None].float()
    fake_logits = (fake[:, 0] + 2 * fake[:, 1]) * (y + 1)
    real_logits = (x[:, 0, 0, 0] + 2 * x[:, 0, 0, 1]) * (y + 1)
    assert d_out.updates["discriminator"].item() == pytest.approx(
        paper_reference.discriminator_loss(real_logits, fake_logits).item(), rel=1e-6)
    torch.manual_seed(0)
    g_out = objective.losses("generator", {"image": x, "label": y}, models)
    assert g_out.updates["generator"].item() == pytest.approx(
        paper_reference.minimax_generator_loss(fake_logits).item(), rel=1e-6)


def test_objective_optimizers_and_groups():
    default = AdversarialObjective()
    adam = OptimizerSpec("adam", lr=2e-4, betas=(0.5, 0.999), momentum=0.0)
    assert default.g_opt == adam and default.d_opt == adam and default.d_steps == 1
    assert default.generator_loss(torch.tensor([-6.0])).item() == pytest.approx(math.log1p(math.exp(6)))
    sgd = AdversarialObjective(optimizer="sgd", lr=0.1, momentum=0.5, beta1=0.9, beta2=0.99, d_lr=0.05)
    assert sgd.g_opt == OptimizerSpec("sgd", lr=0.1, betas=(0.9, 0.99), momentum=0.5)
    assert sgd.d_opt == OptimizerSpec("sgd", lr=0.05, betas=(0.9, 0.99), momentum=0.5)
    assert [(g.name, g.roles, g.optimizer) for g in sgd.update_groups()] == [
        ("discriminator", ("discriminator",), sgd.d_opt), ("generator", ("generator",), sgd.g_opt)]
    assert [(p.name, p.groups, p.repeats) for p in AdversarialObjective(d_steps=2).schedule(0)] == [
        ("discriminator", ("discriminator",), 2), ("generator", ("generator",), 1)]


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
