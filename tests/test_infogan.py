"""InfoGAN (Chen et al. 2016): the structured latent and Table 1's networks, the mutual-information lower
bound against hand-computed values, the losses and gradient routing of the two phases, a short run that
learns to make the codes recoverable, traversals (Fig. 2), `zoo traverse`, and the codes' measures."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import zoo
from zoo.data.batches import TensorBatches
from zoo.data.digits import load_digits_tensors, measure_attributes
from zoo.errors import ShapeError, ZooError
from zoo.training.trainer import Trainer
from zoo_plugins.infogan import codes as infocodes
from zoo_plugins.infogan.networks import InfoGANDiscriminator, InfoGANGenerator
from zoo_plugins.infogan.objective import InfoGANObjective, categorical_information, gaussian_information
from zoo_plugins.infogan.traverse import traversal_codes

LOG2PI = math.log(2 * math.pi)


def _tiny(**over):
    cfg = {"resolution": 16, "width": 4, "hidden": 16, "q_hidden": 8, "noise_dim": 6}
    cfg.update(over)
    return zoo.create("infogan", config=cfg)


def _perturb_norms(*modules):
    """Move BN away from its initial scale 1 / shift 0 so that a reference that skips one notices."""
    with torch.no_grad():
        for m in (m for module in modules for m in module.modules()):
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)


# -- the latent and the networks (App. C, Table 1) ------------------------------------------------
def test_latent_is_62_noise_a_10_way_code_and_two_uniform_codes():
    g = InfoGANGenerator()
    parts = [(p.name, p.size, p.prior) for p in g.latent.parts]
    assert parts == [("z", 62, "uniform"), ("c1", 10, "categorical"), ("c2", 1, "uniform"), ("c3", 1, "uniform")]
    assert g.latent.shape == (74,)
    z = g.latent.sample(500, generator=torch.Generator().manual_seed(0))
    s = g.latent.split(z)
    assert torch.equal(s["c1"].sum(1), torch.ones(500)) and set(s["c1"].unique().tolist()) == {0.0, 1.0}
    assert len(s["c1"].argmax(1).unique()) == 10
    for name in ("z", "c2", "c3"):
        assert s[name].min() >= -1 and s[name].max() <= 1 and s[name].std() > 0.5  # Unif(-1, 1): std 0.577


def test_paper_sized_networks_have_table_1s_layers():
    g, d = InfoGANGenerator(resolution=28), InfoGANDiscriminator(resolution=28)
    linears = [m for m in g.fc if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(74, 1024), (1024, 7 * 7 * 128)]
    ups = [m for m in g.up if isinstance(m, nn.ConvTranspose2d)]
    assert [(m.in_channels, m.out_channels, m.kernel_size, m.stride) for m in ups] == [
        (128, 64, (4, 4), (2, 2)), (64, 1, (4, 4), (2, 2))]
    assert isinstance(g.up[-1], nn.Tanh)
    assert g(g.sample_latent(2)).shape == (2, 1, 28, 28)
    convs = [m for m in d.convs if isinstance(m, nn.Conv2d)]
    assert [(m.in_channels, m.out_channels, m.kernel_size, m.stride) for m in convs] == [
        (1, 64, (4, 4), (2, 2)), (64, 128, (4, 4), (2, 2))]
    assert not isinstance(d.convs[1], nn.BatchNorm2d) and isinstance(d.convs[3], nn.BatchNorm2d)  # no BN on input
    assert (d.fc[0].in_features, d.fc[0].out_features) == (128 * 7 * 7, 1024)
    assert (d.head.in_features, d.head.out_features) == (1024, 1)
    qlin = [m for m in d.q if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in qlin] == [(1024, 128), (128, 10 + 2 + 2)]
    leaks = {m.negative_slope for m in d.modules() if isinstance(m, nn.LeakyReLU)}
    assert leaks == {0.1}
    x = torch.randn(3, 1, 28, 28)
    out = d.outputs(x)
    assert out.head("logits").shape == (3,)
    assert {k: tuple(v.shape) for k, v in out.aux.items()} == {"categorical": (3, 10), "mean": (3, 2), "log_std": (3, 2)}
    with pytest.raises(ValueError, match="divisible by 4"):
        InfoGANGenerator(resolution=30)


def test_forward_passes_against_a_plain_reference():
    """Both networks and Q recomputed layer by layer with torch.nn.functional (training-mode BN)."""
    torch.manual_seed(0)
    model = _tiny()
    g, d = model.generator, model.components["discriminator"]
    _perturb_norms(g, d)

    def bn(x, m):
        return F.batch_norm(x, None, None, m.weight, m.bias, training=True, eps=m.eps)

    z = g.sample_latent(6)
    h = F.relu(bn(F.linear(z, g.fc[0].weight, g.fc[0].bias), g.fc[1]))
    h = F.relu(bn(F.linear(h, g.fc[3].weight, g.fc[3].bias), g.fc[4])).view(6, 8, 4, 4)
    h = F.relu(bn(F.conv_transpose2d(h, g.up[0].weight, g.up[0].bias, 2, 1), g.up[1]))
    x_ref = torch.tanh(F.conv_transpose2d(h, g.up[3].weight, g.up[3].bias, 2, 1))
    x = g(z)
    assert torch.allclose(x, x_ref, atol=1e-5)

    h = F.leaky_relu(F.conv2d(x, d.convs[0].weight, d.convs[0].bias, 2, 1), 0.1)
    h = F.leaky_relu(bn(F.conv2d(h, d.convs[2].weight, d.convs[2].bias, 2, 1), d.convs[3]), 0.1)
    trunk = F.leaky_relu(bn(F.linear(h.flatten(1), d.fc[0].weight, d.fc[0].bias), d.fc[1]), 0.1)
    logit = F.linear(trunk, d.head.weight, d.head.bias).squeeze(1)
    q = F.leaky_relu(bn(F.linear(trunk, d.q[0].weight, d.q[0].bias), d.q[1]), 0.1)
    q = F.linear(q, d.q[3].weight, d.q[3].bias)
    out = d.outputs(x)
    assert torch.allclose(out.head("logits"), logit, atol=1e-5) and torch.allclose(d(x), logit, atol=1e-5)
    assert torch.allclose(out.aux["categorical"], q[:, :10], atol=1e-5)
    assert torch.allclose(out.aux["mean"], q[:, 10:12], atol=1e-5)
    assert torch.allclose(out.aux["log_std"], q[:, 12:14], atol=1e-5)
    fixed = InfoGANDiscriminator(resolution=16, width=4, hidden=16, q_hidden=8, fixed_std=True)
    assert torch.equal(fixed.outputs(x.detach()).aux["log_std"], torch.zeros(6, 2))


def test_q_shares_ds_trunk_but_not_its_head():
    d = _tiny().components["discriminator"]
    out = d.outputs(torch.randn(4, 1, 16, 16))
    out.aux["categorical"].sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in [*d.convs.parameters(), *d.fc.parameters()]
               if p.requires_grad)
    assert all(p.grad is None for p in d.head.parameters())


def test_wrong_shapes_say_what_was_expected():
    model = _tiny()
    with pytest.raises(ShapeError, match=r"z must have shape \(N, 18\), got \(2, 17\)"):
        model.generator(torch.zeros(2, 17))
    with pytest.raises(ShapeError, match=r"x must have shape \(N, 1, 16, 16\), got \(2, 1, 8, 8\)"):
        model.components["discriminator"].outputs(torch.zeros(2, 1, 8, 8))


# -- the mutual-information lower bound L_I (Eq. 5), by hand ----------------------------------------
def test_categorical_information_by_hand():
    # logits (0, ln 3): Q = (1/4, 3/4). Code 1: log(3/4) + log 2 = log(3/2); code 0: log(1/4) + log 2 = log(1/2).
    logits = torch.tensor([[0.0, math.log(3)], [0.0, math.log(3)]])
    assert categorical_information(logits, torch.tensor([[0.0, 1.0], [0.0, 1.0]])).item() == pytest.approx(math.log(1.5))
    assert categorical_information(logits, torch.tensor([[0.0, 1.0], [1.0, 0.0]])).item() == pytest.approx(
        0.5 * (math.log(1.5) + math.log(0.5)))
    # a perfect Q reaches H(c) = log 10; a uniform Q gives 0
    onehot = torch.eye(10)
    assert categorical_information(100 * onehot, onehot).item() == pytest.approx(math.log(10), abs=1e-6)
    assert categorical_information(torch.zeros(10, 10), onehot).item() == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match=r"\(N, k\)"):
        categorical_information(torch.zeros(2, 3), torch.zeros(2, 4))


def test_gaussian_information_by_hand():
    # N(c=1.5; μ=0.5, σ=2): −((1.5 − 0.5)/2)²/2 − ln 2 − ln(2π)/2 = −0.125 − 0.693147 − 0.918939; + ln 2 (H of Unif(-1, 1))
    one = gaussian_information(torch.tensor([[0.5]]), torch.tensor([[math.log(2)]]), torch.tensor([[1.5]]))
    assert one.item() == pytest.approx(-0.125 - 0.9189385, abs=1e-6)
    # two codes sum; two samples average: second sample c=(0, -1), μ=(0, 0), σ=(1, 1/2)
    mean = torch.tensor([[0.5, 0.0], [0.0, 0.0]])
    log_std = torch.tensor([[math.log(2), 0.0], [0.0, -math.log(2)]])
    c = torch.tensor([[1.5, 0.0], [0.0, -1.0]])
    per = [(-0.125 - math.log(2) - LOG2PI / 2) + (-LOG2PI / 2),
           (-LOG2PI / 2) + (-(1 / 0.5) ** 2 / 2 + math.log(2) - LOG2PI / 2)]
    expected = sum(per) / 2 + 2 * math.log(2)
    assert gaussian_information(mean, log_std, c).item() == pytest.approx(expected, abs=1e-6)
    # H(c) = log(high − low) per code
    assert gaussian_information(mean, log_std, c, low=0.0, high=4.0).item() == pytest.approx(
        sum(per) / 2 + 2 * math.log(4), abs=1e-6)
    with pytest.raises(ValueError, match=r"\(N, c\)"):
        gaussian_information(torch.zeros(2, 2), torch.zeros(2, 1), torch.zeros(2, 2))


# -- the objective: both phases, gradient routing, optimizers ---------------------------------------
def _phase(objective, phase, model, images, seed=0):
    torch.manual_seed(seed)
    return objective.losses(phase, {"image": images}, dict(model.components))


@pytest.mark.parametrize("weight,d_batches", [(1.0, "joint"), (0.5, "joint"), (1.0, "separate")])
def test_phase_losses_are_the_gan_losses_minus_lambda_times_l_i(weight, d_batches):
    """Recompute each phase from the same noise: BCE losses from D's logits, L_I from Q's outputs with
    F.cross_entropy and torch.distributions.Normal (a second implementation). D is in training mode, so
    judging real and fake digits in one batch or in two (one or two sets of batch-norm statistics) differs:
    each d_batches option must match its own reference."""
    model = _tiny()
    g, d = model.generator, model.components["discriminator"]
    images = load_digits_tensors(16, "train")[0][:8]
    _perturb_norms(d)
    objective = InfoGANObjective(info_weight=weight, d_batches=d_batches)

    def li(out, z):
        s = g.latent.split(z)
        cat = -F.cross_entropy(out.aux["categorical"], s["c1"].argmax(1)) + math.log(10)
        cont = torch.cat([s["c2"], s["c3"]], 1)
        normal = torch.distributions.Normal(out.aux["mean"], out.aux["log_std"].exp())
        return cat, normal.log_prob(cont).sum(1).mean() + 2 * math.log(2)

    for phase in ("discriminator", "generator"):
        got = _phase(objective, phase, model, images)
        torch.manual_seed(0)
        z = g.sample_latent(8)
        fake = g(z)
        if d_batches == "joint":  # real digits and samples as one batch (one set of batch-norm statistics)
            both = d.outputs(torch.cat([images, fake]))
            real_logit, fake_logit = both.head("logits")[:8], both.head("logits")[8:]
            out = type(both)({"logits": fake_logit}, aux={k: v[8:] for k, v in both.aux.items()})
        else:  # two batches, two sets of statistics
            real_logit, out = d(images), d.outputs(fake)
            fake_logit = out.head("logits")
        if phase == "discriminator":
            adv = F.binary_cross_entropy_with_logits(real_logit, torch.ones(8)) + \
                F.binary_cross_entropy_with_logits(fake_logit, torch.zeros(8))
        else:
            adv = F.binary_cross_entropy_with_logits(fake_logit, torch.ones(8))
        cat, cont = li(out, z)
        prefix = phase[0]
        assert got.logs[f"{prefix}_info_c1"].item() == pytest.approx(cat.item(), abs=1e-5)
        assert got.logs[f"{prefix}_info_cont"].item() == pytest.approx(cont.item(), abs=1e-5)
        assert got.updates[phase].item() == pytest.approx((adv - weight * (cat + cont)).item(), abs=1e-5)
        assert set(got.updates) == {phase}


def test_d_phase_trains_trunk_head_and_q_and_g_phase_reaches_g_through_l_i():
    model = _tiny()
    g, d = model.generator, model.components["discriminator"]
    images = load_digits_tensors(16, "train")[0][:8]
    d_loss = _phase(InfoGANObjective(), "discriminator", model, images).updates["discriminator"]
    d_loss.backward()
    assert all(p.grad is None for p in g.parameters())  # samples detached in D's phase
    assert d.q[3].weight.grad.abs().sum() > 0 and d.head.weight.grad.abs().sum() > 0
    d.zero_grad(set_to_none=True)
    # with no adversarial signal (λ only), G's gradient is the L_I term's: it exists and differs from λ=0's
    grads = []
    for weight in (0.0, 1.0):
        g.zero_grad(set_to_none=True)
        _phase(InfoGANObjective(info_weight=weight), "generator", model, images).updates["generator"].backward()
        grads.append(g.fc[0].weight.grad.clone())
    assert not torch.allclose(grads[0], grads[1])


def test_update_groups_schedule_and_the_papers_learning_rates():
    objective = InfoGANObjective()
    groups = {gr.name: gr for gr in objective.update_groups()}
    assert groups["discriminator"].roles == ("discriminator",) and groups["generator"].roles == ("generator",)
    assert groups["discriminator"].optimizer.lr == 2e-4 and groups["generator"].optimizer.lr == 1e-3
    assert groups["generator"].optimizer.betas == (0.5, 0.999) == groups["discriminator"].optimizer.betas
    assert [(p.name, p.groups, p.repeats) for p in objective.schedule(0)] == [
        ("discriminator", ("discriminator",), 1), ("generator", ("generator",), 1)]
    assert objective.info_weight == 1.0
    from zoo import registry

    assert registry.catalog().architecture("infogan").default_config["info_weight"] == 1.0
    with pytest.raises(ValueError, match="generator_loss"):
        InfoGANObjective(generator_loss="hinge")
    with pytest.raises(ValueError, match="unknown phase"):
        _phase(objective, "encoder", _tiny(), torch.zeros(2, 1, 16, 16))


# -- a short run learns: the codes become recoverable from the samples ----------------------------
def _q_recovers(model, n=512):
    g, d = model.generator, model.components["discriminator"]
    g.eval(), d.eval()
    with torch.no_grad():
        z = g.sample_latent(n, generator=torch.Generator().manual_seed(5))
        s = g.latent.split(z)
        aux = d.outputs(g(z)).aux
    g.train(), d.train()
    acc = (aux["categorical"].argmax(1) == s["c1"].argmax(1)).float().mean().item()
    corr = np.corrcoef(aux["mean"][:, 0].numpy(), s["c2"][:, 0].numpy())[0, 1]
    return acc, corr


@pytest.mark.parametrize("weight", [1.0, 0.0])
def test_short_training_run_makes_the_codes_recoverable(weight):
    """400 steps on 16 px digits: with λ = 1, Q reads the categorical code back from fresh samples far
    above chance and its mean follows c2; with λ = 0 (no information term: a plain GAN) it does not.
    Either way the samples' pixel histogram moves towards the digits' (the GAN part learns)."""
    torch.manual_seed(0)
    model = _tiny(width=8, hidden=64, q_hidden=32, noise_dim=16)
    images, _ = load_digits_tensors(16, "train")
    trainer = Trainer(dict(model.components), InfoGANObjective(info_weight=weight),
                      TensorBatches({"image": images}, 32, seed=0))
    g = model.generator

    def histogram_gap():
        with torch.no_grad():
            x = g(g.sample_latent(256, generator=torch.Generator().manual_seed(0)))
        return (torch.histc(x, 8, -1, 1) / x.numel() - torch.histc(images, 8, -1, 1) / images.numel()).abs().sum()

    acc0, _ = _q_recovers(model)
    gap0 = histogram_gap()
    for _ in range(400):
        trainer.train_step()
    acc, corr = _q_recovers(model)
    assert histogram_gap() < 0.5 * gap0
    if weight:
        assert acc > 0.85 and acc0 < 0.3 and corr > 0.8
    else:
        assert acc < 0.3 and abs(corr) < 0.5


# -- traversals (Fig. 2) and `zoo traverse` ------------------------------------------------------
def test_categorical_traversal_sets_one_category_per_column_and_keeps_the_rest():
    latent = InfoGANGenerator(noise_dim=5).latent
    z = traversal_codes(latent, "c1", rows=3, seed=1).view(3, 10, -1)
    assert torch.equal(z[:, :, 5:15], torch.eye(10).expand(3, 10, 10))
    for r in range(3):  # noise and continuous codes: one draw per row, the same along it
        assert torch.equal(z[r, :, :5], z[r, :1, :5].expand(10, 5)) and torch.equal(z[r, :, 15:], z[r, :1, 15:].expand(10, 2))
    assert not torch.equal(z[0, 0, :5], z[1, 0, :5])


def test_continuous_traversal_steps_from_low_to_high_with_rows_walking_the_categories():
    latent = InfoGANGenerator(noise_dim=5).latent
    z = traversal_codes(latent, "c3", rows=12, steps=5, low=-2, high=2).view(12, 5, -1)
    assert torch.equal(z[:, :, 16], torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0]).expand(12, 5))
    assert z[:, 0, 5:15].argmax(1).tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert torch.equal(z[:, :, :16], z[:, :1, :16].expand(12, 5, 16))
    with pytest.raises(ZooError, match="unknown code 'c9'; this model's codes are c1, c2, c3"):
        traversal_codes(latent, "c9", rows=2)
    with pytest.raises(ZooError, match="steps >= 2"):
        traversal_codes(latent, "c2", rows=2, steps=1)


def test_model_traverse_decodes_the_grid(tmp_path):
    model = _tiny()
    model.generator.eval()  # as loaded weights are: BN with its running statistics
    images, columns = model.traverse("c2", rows=3, steps=4)
    assert images.shape == (12, 1, 16, 16) and columns == 4
    g = model.generator
    with torch.no_grad():
        expected = g(traversal_codes(g.latent, "c2", 3, 4))
    assert torch.allclose(images, expected, atol=1e-6)
    images, columns = model.traverse("c1", rows=2)
    assert images.shape == (20, 1, 16, 16) and columns == 10


def test_zoo_traverse_writes_a_grid(tmp_path, capsys):
    from PIL import Image

    from zoo.cli.main import main

    from zoo.hub import save_pretrained

    save_pretrained(_tiny(), tmp_path / "m")
    out = tmp_path / "grid.png"
    assert main(["traverse", f"local-dir:{tmp_path / 'm'}", "--code", "c1", "--rows", "3", "--scale", "1",
                 "-o", str(out)]) == 0
    with Image.open(out) as im:  # 10 columns x 3 rows of 16 px tiles (make_grid pads 2 px)
        assert im.size == (10 * 18 + 2, 3 * 18 + 2)
    assert main(["traverse", f"local-dir:{tmp_path / 'm'}", "--code", "c7", "-o", str(out)]) != 0
    assert "unknown code 'c7'" in capsys.readouterr().err


# -- the codes' measures ----------------------------------------------------------------------------
def test_matched_accuracy_finds_the_best_one_to_one_matching():
    labels = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2])
    pred = torch.tensor([2, 2, 1, 0, 0, 1, 1, 1])  # best: 2->0, 0->1, 1->2: 2 + 2 + 3 = 7 of 8
    acc, mapping = infocodes.matched_accuracy(pred, labels, 3)
    assert acc == pytest.approx(7 / 8) and mapping == [1, 2, 0]
    # greedy by largest cell would take 1->2 (3) then 2->0 (2) then 0->1 (2): same here; a case where greedy fails:
    labels = torch.tensor([0, 0, 0, 1, 1, 1, 1])
    pred = torch.tensor([0, 0, 0, 0, 1, 1, 1])
    acc, mapping = infocodes.matched_accuracy(pred, labels, 2)
    assert acc == pytest.approx(6 / 7) and mapping == [0, 1]
    # a permutation of the labels is matched perfectly
    y = torch.arange(50) % 10
    assert infocodes.matched_accuracy((y * 3 + 1) % 10, y, 10)[0] == 1.0


def test_nmi_and_pearson_against_second_implementations():
    from sklearn.metrics import normalized_mutual_info_score

    gen = torch.Generator().manual_seed(0)
    a, b = torch.randint(10, (300,), generator=gen), torch.randint(10, (300,), generator=gen)
    mixed = torch.where(torch.rand(300, generator=gen) < 0.6, a, b)
    for u, v in ((a, b), (a, mixed), (a, (a + 3) % 10)):
        assert infocodes.normalised_mutual_information(u, v) == pytest.approx(
            normalized_mutual_info_score(v.numpy(), u.numpy()), abs=1e-9)
    assert infocodes.normalised_mutual_information(a, (a + 3) % 10) == pytest.approx(1.0)
    x, y = torch.randn(100, generator=gen), torch.randn(100, generator=gen)
    assert infocodes.pearson(x, x + y) == pytest.approx(np.corrcoef(x.numpy(), (x + y).numpy())[0, 1], abs=1e-9)


def test_sample_attributes_measure_the_8x8_average_pooled_ink():
    from zoo.data.digits import attribute_statistics

    gen = torch.Generator().manual_seed(0)
    images = torch.rand(4, 1, 32, 32, generator=gen) * 2 - 1
    ink = (images + 1) / 2
    small = ink.view(4, 1, 8, 4, 8, 4).mean((3, 5))
    mean, std, _ = attribute_statistics()
    expected = (measure_attributes(small) - mean) / std
    assert torch.allclose(infocodes.sample_attributes(images), expected, atol=1e-5)


def test_shipped_weights_reproduce_their_code_measures():
    """`python -m zoo_plugins.infogan.codes infogan.digits-32 --n 2000 --seed 0`, as registry.yaml states."""
    from zoo import registry

    stated = registry.catalog().weight_set("infogan.digits-32").metrics
    got = infocodes.evaluate_codes(zoo.load("infogan.digits-32"), n=2000, seed=0)
    pairs = {"codes_q_val_accuracy": got["q_val"]["accuracy"], "codes_q_val_nmi": got["q_val"]["nmi"],
             "codes_generated_accuracy": got["generated"]["accuracy"], "codes_generated_nmi": got["generated"]["nmi"],
             **{f"codes_generated_corr_{c}_{a}": got["generated"][f"corr_{c}_{a}"]
                for c in ("c2", "c3") for a in ("slant", "width")}}
    for key, value in pairs.items():
        assert value == pytest.approx(stated[key], abs=6e-4), key
    # the matching is one-to-one: every digit class is used once
    assert sorted(got["q_val"]["category_to_digit"]) == list(range(10))


# -- edges the mutation run found untested ------------------------------------------------------------
def test_defaults_ranges_and_small_sizes():
    g, d = InfoGANGenerator(resolution=8, width=2, hidden=4), InfoGANDiscriminator(resolution=8, width=2, hidden=4)
    assert g(g.sample_latent(2)).shape == (2, 1, 8, 8) and d(torch.zeros(2, 1, 8, 8)).shape == (2,)
    assert g.output.value_range == (-1.0, 1.0) == d.input.value_range
    assert InfoGANDiscriminator().fixed_std is False  # the paper's learned factored Gaussian by default
    assert [p.name for p in InfoGANGenerator(continuous=3).latent.parts] == ["z", "c1", "c2", "c3", "c4"]
    d3 = InfoGANDiscriminator(resolution=8, width=2, hidden=4, q_hidden=4, continuous=3, categories=5)
    aux = d3.outputs(torch.zeros(2, 1, 8, 8)).aux
    assert (aux["categorical"].shape, aux["mean"].shape, aux["log_std"].shape) == ((2, 5), (2, 3), (2, 3))
    feats = d.outputs(torch.zeros(2, 1, 8, 8)).features
    assert len(feats) == 1 and [f.shape for f in feats[0]] == [(2, 4, 2, 2), (2, 4)]


def test_objective_options_reach_the_optimizers_and_the_logs():
    o = InfoGANObjective(lr=3e-3, d_lr=1e-4, beta1=0.0, beta2=0.9, generator_loss="minimax")
    assert o.d_batches == "joint"  # the first shipped recipe's default
    with pytest.raises(ValueError, match="d_batches"):
        InfoGANObjective(d_batches="mixed")
    groups = {gr.name: gr.optimizer for gr in o.update_groups()}
    assert (groups["generator"].name, groups["generator"].lr, groups["generator"].betas) == ("adam", 3e-3, (0.0, 0.9))
    assert (groups["discriminator"].name, groups["discriminator"].lr, groups["discriminator"].betas) == ("adam", 1e-4, (0.0, 0.9))
    fake_logits = torch.tensor([0.3, -1.2])
    assert o.generator_loss(fake_logits).item() == pytest.approx(-F.softplus(fake_logits).mean().item())  # log(1 − D)
    model, images = _tiny(), torch.zeros(4, 1, 16, 16)
    d_logs = _phase(InfoGANObjective(), "discriminator", model, images).logs
    g_logs = _phase(InfoGANObjective(), "generator", model, images).logs
    assert set(d_logs) == {"d_loss", "d_info_c1", "d_info_cont", "d_real", "d_fake"}
    assert set(g_logs) == {"g_loss", "g_info_c1", "g_info_cont"}
    torch.manual_seed(0)
    z = model.generator.sample_latent(4)
    logits = model.components["discriminator"](torch.cat([images, model.generator(z)]))
    assert d_logs["d_real"].item() == pytest.approx(logits[:4].mean().item(), abs=1e-5)
    assert d_logs["d_fake"].item() == pytest.approx(logits[4:].mean().item(), abs=1e-5)


def test_traversal_edges():
    from zoo_plugins.infogan.networks import infogan_latent

    assert infogan_latent().shape == (74,) and infogan_latent().parts[1].size == 10  # the paper's MNIST code
    latent = InfoGANGenerator(noise_dim=3).latent
    assert traversal_codes(latent, "c2", rows=1).shape == (10, 15)  # ten steps by default
    assert traversal_codes(latent, "c2", rows=1, steps=2).shape == (2, 15)
    with pytest.raises(ZooError, match="rows >= 1"):
        traversal_codes(latent, "c2", rows=0)
    from zoo.interfaces import LatentPart, LatentSpec

    plain = LatentSpec(parts=(LatentPart("z", 2), LatentPart("c2", 1, "uniform")))  # no categorical code
    z = traversal_codes(plain, "c2", rows=2, steps=3, low=-1, high=1).view(2, 3, 3)
    assert torch.equal(z[:, :, 2], torch.tensor([-1.0, 0.0, 1.0]).expand(2, 3))


def test_measure_edges():
    assert infocodes.confusion(torch.tensor([0, 1, 1]), torch.tensor([1, 1, 0])).tolist() == [[0, 1], [1, 1]]
    acc, mapping = infocodes.matched_accuracy(torch.tensor([0, 0, 1]), torch.tensor([1, 1, 0]), k=3)
    assert acc == 1.0 and mapping == [1, 0, 2]
    from sklearn.metrics import normalized_mutual_info_score

    constant = torch.zeros(5, dtype=torch.long)
    assert infocodes.normalised_mutual_information(constant, constant) == 1.0  # sklearn's convention too
    u = torch.tensor([0] * 9 + [1])  # H ≈ 0.33 nats each: H(U) + H(V) < 1
    v = torch.tensor([0] * 8 + [1, 1])
    w = torch.tensor([0, 2, 0, 2, 0, 0, 0, 0, 2, 0])  # category 1 unused: a zero row in the joint
    for a, b in ((u, v), (w, v)):
        assert infocodes.normalised_mutual_information(a, b) == pytest.approx(
            normalized_mutual_info_score(b.numpy(), a.numpy()), abs=1e-9)
    gen = torch.Generator().manual_seed(0)
    inside = torch.rand(3, 1, 32, 32, generator=gen) * 2 - 1
    outside = inside * 1.5  # values beyond [-1, 1] count as no ink / full ink (not more)
    assert torch.allclose(infocodes.sample_attributes(outside), infocodes.sample_attributes(outside.clamp(-1, 1)))


def test_codes_command_prints_the_measures(tmp_path, capsys):
    import json

    defaults = infocodes.parser().parse_args(["infogan.digits-32"])
    assert (defaults.n, defaults.seed) == (2000, 0)  # the registry's protocol

    from zoo.hub import save_pretrained

    save_pretrained(_tiny(), tmp_path / "m")
    infocodes.main([f"local-dir:{tmp_path / 'm'}", "--n", "40", "--seed", "3"])
    out = json.loads(capsys.readouterr().out)
    assert (out["n"], out["seed"]) == (40, 3)
    assert out["q_val"]["digits"] == 359 and out["q_all"]["digits"] == 1797
    assert sorted(out["generated"]["category_to_digit"]) == list(range(10))
    assert {"corr_c2_slant", "corr_c3_width"} <= set(out["generated"]) and "corr_q_c2_width" in out["q_val"]
