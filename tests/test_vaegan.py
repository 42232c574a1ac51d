"""VAE-GAN (Larsen et al. 2016): shapes, Algorithm 1's terms by hand, that each network receives
exactly its own loss's gradient (Dis never sees L_llike), and a short run that learns."""

import pytest
import torch
import torch.nn.functional as F

import zoo
from zoo import registry
from zoo.data.batches import TensorBatches
from zoo.data.digits import Digits
from zoo.interfaces import OptimizerSpec
from zoo.training.trainer import Trainer
from zoo_plugins.vaegan.objective import VAEGANObjective, feature_nll, gan_loss

import paper_reference


def tiny(**overrides):
    cfg = {**registry.catalog().architecture("vaegan").test_config, **overrides}
    return zoo.create("vaegan", config=cfg)


def test_shapes_and_features():
    torch.manual_seed(0)
    model = tiny()
    x = torch.rand(3, 1, 8, 8) * 2 - 1
    assert model["encoder"](x).mean.shape == (3, 4)
    assert model.generate(2, seed=0).shape == (2, 1, 8, 8)
    feats = model["discriminator"].features(x)
    assert len(feats) == model["discriminator"].num_feature_layers == 2  # 8 px: one stride-1 and one ↓ conv (the widest)
    assert feats[0].shape == (3, 2, 8, 8) and feats[1].shape == (3, 16, 4, 4)
    assert model["discriminator"](x).shape == (3,)
    full = zoo.create("vaegan")
    assert [f.shape[1:] for f in full["discriminator"].features(torch.zeros(2, 1, 32, 32))] == \
        [(8, 32, 32), (32, 16, 16), (48, 8, 8), (64, 4, 4)]


@pytest.mark.parametrize("resolution", [8, 32, 64])
def test_networks_follow_the_papers_table_by_hand(resolution):
    """Enc, Dec and Dis against tests/paper_reference.py (5×5 convolutions, BNorm + ReLU after every
    hidden layer, no bias before a BNorm, tanh output), in training mode with batch statistics."""
    torch.manual_seed(0)
    model = tiny(resolution=resolution)
    enc, dec, dis = model["encoder"], model["generator"], model["discriminator"]
    with torch.no_grad():  # away from BN's initial scale 1 / shift 0, so both must be applied
        for m in model.modules():
            if isinstance(m, (torch.nn.BatchNorm2d, torch.nn.BatchNorm1d)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    x = torch.rand(5, 1, resolution, resolution) * 2 - 1
    mean, logvar = paper_reference.vaegan_encoder(enc, x)
    post = enc(x)
    assert torch.allclose(post.mean, mean, atol=1e-5) and torch.allclose(post.logvar, logvar, atol=1e-5)
    z = torch.randn(5, 4)
    assert torch.allclose(dec(z), paper_reference.vaegan_decoder(dec, z), atol=1e-5)
    assert torch.allclose(dis(x), paper_reference.vaegan_discriminator(dis, x), atol=1e-4)
    stages = {8: 1, 32: 3, 64: 4}[resolution]
    assert len(enc.convs) == len(dec.ups) == len(dis.convs) - 1 == stages
    if resolution == 64:  # more stages than the paper's three: the widest repeats
        assert [b[0].out_channels for b in enc.convs] == [4, 4, 8, 16]
        assert [b[0].out_channels for b in dec.ups] == [12, 12, 8, 2]
        assert [c.out_channels for c in dis.convs] == [2, 8, 8, 12, 16]


def test_terms_by_hand():
    real, fake = torch.tensor([[1.0, 2.0], [0.0, 0.0]]), torch.tensor([[0.0, 0.0], [3.0, 0.0]])
    assert feature_nll(real, fake).item() == pytest.approx((0.5 * 5 + 0.5 * 9) / 2)
    zeros = torch.zeros(3)
    assert gan_loss(zeros, zeros, zeros).item() == pytest.approx(3 * torch.log(torch.tensor(2.0)).item())
    # D(X) = σ(2), D(X̃) = σ(−1), D(X_p) = σ(0)
    expected = -(F.logsigmoid(torch.tensor(2.0)) + F.logsigmoid(torch.tensor(1.0)) + F.logsigmoid(torch.tensor(0.0)))
    assert gan_loss(torch.tensor([2.0]), torch.tensor([-1.0]), torch.tensor([0.0])).item() == \
        pytest.approx(expected.item())


def _grads_after_one_step(gamma, generator_loss="minimax", seed=0):
    torch.manual_seed(0)
    model = tiny()
    objective = VAEGANObjective(gamma=gamma, llike_layer=2, generator_loss=generator_loss)
    x = Digits(resolution=8, split="train").images[:16]
    trainer = Trainer(dict(model.components), objective, iter([{"image": x}]))
    torch.manual_seed(seed)
    out = objective.losses("vaegan", {"image": x}, trainer.models)
    trainer._apply(("encoder", "decoder", "discriminator"), out)
    return model, {role: [p.grad.clone() for p in model[role].parameters()]
                   for role in ("encoder", "generator", "discriminator")}


def _expected_grads(gamma, generator_loss="minimax", seed=0):
    """The gradients of Algorithm 1's three losses, from the paper's equations (tests/paper_reference.py),
    each taken alone with autograd."""
    torch.manual_seed(0)
    model = tiny()
    x = Digits(resolution=8, split="train").images[:16]
    t = paper_reference.vaegan_terms(model["encoder"], model["generator"], model["discriminator"], x, 2, seed)
    dec_adv = -t["gan"] if generator_loss == "minimax" else t["nonsaturating"]
    grad = lambda loss, role: list(torch.autograd.grad(loss, list(model[role].parameters()), retain_graph=True))
    return {"encoder": grad(t["prior"] + t["llike"], "encoder"),
            "generator": grad(gamma * t["llike"] + dec_adv, "generator"),
            "discriminator": grad(t["gan"], "discriminator")}


def test_discriminator_never_receives_llike_gradients():
    _, without = _grads_after_one_step(gamma=0.0)
    _, heavy = _grads_after_one_step(gamma=100.0)
    for a, b in zip(without["discriminator"], heavy["discriminator"]):
        assert torch.equal(a, b)  # γ·L_llike changes nothing in Dis
    assert any(not torch.equal(a, b) for a, b in zip(without["generator"], heavy["generator"]))
    assert any(g.abs().sum() > 0 for g in without["discriminator"])


@pytest.mark.parametrize("generator_loss", ["minimax", "nonsaturating"])
def test_each_network_gets_exactly_its_algorithm_1_gradient(generator_loss):
    _, got = _grads_after_one_step(gamma=0.5, generator_loss=generator_loss)
    expected = _expected_grads(gamma=0.5, generator_loss=generator_loss)
    for role in got:
        assert len(got[role]) == len(expected[role])
        for a, b in zip(got[role], expected[role]):
            assert torch.allclose(a, b.float(), atol=1e-5, rtol=1e-4), role


@pytest.mark.parametrize("generator_loss", ["minimax", "nonsaturating"])
def test_losses_equal_algorithm_1_computed_from_the_paper(generator_loss):
    """L_prior, L_llike (between X and X̃ = Dec(Z), Z a sample of q, in Dis_l before its batch norm),
    L_GAN (with the X_p term) and the three updates, against tests/paper_reference.py."""
    torch.manual_seed(0)
    model = tiny()
    x = Digits(resolution=8, split="train").images[:8]
    gamma = 0.25
    torch.manual_seed(1)
    out = VAEGANObjective(gamma=gamma, llike_layer=2, generator_loss=generator_loss).losses(
        "vaegan", {"image": x}, dict(model.components))
    t = paper_reference.vaegan_terms(model["encoder"], model["generator"], model["discriminator"], x, 2, seed=1)
    approx = lambda v: pytest.approx(v.item(), rel=1e-4, abs=1e-5)  # noqa: E731
    assert out.logs["L_prior"].item() == approx(t["prior"])
    assert out.logs["L_llike"].item() == approx(t["llike"])
    assert out.logs["L_GAN"].item() == approx(t["gan"])
    dec_adv = -t["gan"] if generator_loss == "minimax" else t["nonsaturating"]
    assert out.updates["discriminator"].item() == approx(t["gan"])
    assert out.updates["decoder"].item() == approx(gamma * t["llike"] + dec_adv)
    assert out.updates["encoder"].item() == approx(t["prior"] + t["llike"])
    assert out.logs["d_real"].item() == approx(t["d_real"])
    assert out.logs["d_prior"].item() == approx(t["d_prior"])


def test_llike_layer_picks_the_lth_convolution_output():
    """Dis_l for l = 1 is the first convolution's output, before its ReLU: a feature map that can be
    negative (after the ReLU it could not)."""
    torch.manual_seed(0)
    model = tiny()
    x = torch.rand(4, 1, 8, 8) * 2 - 1
    dis = model["discriminator"]
    first = dis.features(x)[0]
    conv = dis.convs[0]
    assert torch.allclose(first, F.conv2d(x, conv.weight, conv.bias, padding=2), atol=1e-6)
    assert (first < 0).any()
    torch.manual_seed(2)
    got = VAEGANObjective(llike_layer=1).losses("vaegan", {"image": x}, dict(model.components)).logs["L_llike"]
    expected = paper_reference.vaegan_terms(model["encoder"], model["generator"], dis, x, 1, seed=2)["llike"]
    assert got.item() == pytest.approx(expected.item(), rel=1e-4)


def test_objective_defaults_follow_section_4():
    from zoo_plugins.vaegan.networks import VAEGANDecoder, VAEGANDiscriminator, VAEGANEncoder

    o = VAEGANObjective()
    assert (o.gamma, o.llike_layer, o.generator_loss) == (1e-2, 4, "minimax")
    assert o.opt == OptimizerSpec("rmsprop", lr=3e-4, betas=(0.5, 0.999))  # betas matter only with adam
    assert o.d_opt == OptimizerSpec("rmsprop", lr=3e-4, betas=(0.5, 0.999))
    assert VAEGANObjective(optimizer="adam", d_lr=1e-4).d_opt == OptimizerSpec("adam", lr=1e-4, betas=(0.5, 0.999))
    slow_d = VAEGANObjective(gamma="1e-3", lr="2e-4", d_lr="1e-4", optimizer="adam")  # YAML strings
    assert (slow_d.gamma, slow_d.opt.lr, slow_d.d_opt.lr, slow_d.d_opt.name) == (1e-3, 2e-4, 1e-4, "adam")
    assert [(g.name, g.roles, g.optimizer) for g in o.update_groups()] == [
        ("encoder", ("encoder",), o.opt), ("decoder", ("generator",), o.opt),
        ("discriminator", ("discriminator",), o.d_opt)]
    (phase,) = o.schedule(0)
    assert (phase.name, phase.groups, phase.repeats, phase.new_batch) == (
        "vaegan", ("encoder", "decoder", "discriminator"), 1, True)
    enc, dec, dis = VAEGANEncoder(), VAEGANDecoder(), VAEGANDiscriminator()
    assert enc.input.shape == (1, 32, 32) and enc.latent.shape == (16,)
    assert [c[0].out_channels for c in enc.convs] == [16, 32, 64] and enc.mean.in_features == 128
    assert dec.latent.shape == (16,) and dec.output.shape == (1, 32, 32) and dec.output.value_range == (-1.0, 1.0)
    assert dec.base == 64 and [u[0].out_channels for u in dec.ups] == [48, 32, 8]
    assert dis.input.shape == (1, 32, 32) and dis.input.value_range == (-1.0, 1.0)
    assert [c.out_channels for c in dis.convs] == [8, 32, 48, 64] and dis.head[1].out_features == 64
    narrow_dec, narrow_dis = VAEGANDecoder(width=2), VAEGANDiscriminator(width=2)  # w/2 rounds down, to 1 channel
    assert [u[0].out_channels for u in narrow_dec.ups] == [6, 4, 1] and narrow_dis.convs[0].out_channels == 1
    with pytest.raises(ValueError, match="power-of-two resolution >= 8, got 12"):
        VAEGANEncoder(resolution=12)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="only 2 convolutions"):
        VAEGANObjective(llike_layer=3).terms({"image": torch.zeros(2, 1, 8, 8)}, dict(tiny().components))
    with pytest.raises(ValueError, match="gamma must be >= 0, got -1"):
        VAEGANObjective(gamma=-1)
    assert VAEGANObjective(gamma=0).gamma == 0
    with pytest.raises(ValueError, match="llike_layer counts the discriminator's convolutions from 1, got 0"):
        VAEGANObjective(llike_layer=0)
    with pytest.raises(ValueError, match="generator_loss must be 'minimax' or 'nonsaturating', got 'hinge'"):
        VAEGANObjective(generator_loss="hinge")
    with pytest.raises(ValueError, match="unknown phase 'generator'"):
        VAEGANObjective().losses("generator", {"image": torch.zeros(2, 1, 8, 8)}, dict(tiny().components))


def test_short_training_learns_to_reconstruct():
    torch.manual_seed(0)
    model = tiny(width=8)
    val = Digits(resolution=8, split="val").images[:128]
    objective = VAEGANObjective(gamma=1.0, llike_layer=2, generator_loss="nonsaturating", lr=1e-3)
    trainer = Trainer(dict(model.components), objective,
                      TensorBatches(Digits(resolution=8, split="train").tensors(), 32))

    def pixel_error():
        model.eval()
        error = (model.reconstruct(val) - val).pow(2).mean().item()
        model.train()
        return error

    before = pixel_error()
    trainer.fit(100, progress=False)
    assert pixel_error() < 0.7 * before
