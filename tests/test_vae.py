"""VAE (Kingma & Welling 2014): shapes, the ELBO's terms against hand-computed values, the
importance-weighted bound, gradient routing and a short training run that improves the held-out ELBO."""
import math

import pytest
import torch

import zoo
from zoo import build, registry
from zoo.data.batches import TensorBatches
from zoo.data.digits import Digits
from zoo.elbo import ELBOObjective, elbo, importance_weighted_log_likelihood, likelihood_report
from zoo.interfaces import Posterior
from zoo.losses import bernoulli_nll_per_sample, gaussian_nll_per_sample
from zoo.training.trainer import Trainer
from zoo_plugins.vae.networks import GaussianMLPEncoder, MLPDecoder

import paper_reference


def tiny(arch="vae", **overrides):
    cfg = {**registry.catalog().architecture(arch).test_config, **overrides}
    return zoo.create(arch, config=cfg)


def test_shapes_and_tasks():
    torch.manual_seed(0)
    model = tiny()
    x = torch.rand(5, 1, 8, 8) * 2 - 1
    post = model["encoder"](x)
    assert isinstance(post, Posterior) and post.mean.shape == (5, 2) and post.logvar.shape == (5, 2)
    assert model.generate(6, seed=0).shape == (6, 1, 8, 8)
    assert model.reconstruct(x).shape == (5, 1, 8, 8)
    assert model.encode(x).shape == (5, 2)
    out = model.generate(4, seed=1)
    assert out.min() >= -1 and out.max() <= 1
    assert model.interpolate(x[0], x[1], steps=5, method="slerp").shape == (5, 1, 8, 8)
    with pytest.raises(zoo.errors.ShapeError, match=r"\(N, 1, 8, 8\)"):
        model["encoder"](torch.zeros(2, 1, 16, 16))


def test_closed_form_kl_by_hand():
    post = Posterior(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, math.log(4.0)]]))
    # 0.5 (μ² + σ² − 1 − log σ²) per dimension: 0.5·1 + 0.5·(4 − 1 − log 4)
    assert post.kl().item() == pytest.approx(0.5 + 0.5 * (3 - math.log(4)), abs=1e-6)
    q = torch.distributions.Normal(post.mean, post.std)
    p = torch.distributions.Normal(torch.zeros(2), torch.ones(2))
    assert post.kl().item() == pytest.approx(torch.distributions.kl_divergence(q, p).sum().item(), abs=1e-6)


def test_likelihoods_by_hand():
    # logits 0 mean p = 1/2 for every pixel: −log p(x|z) = P·log 2 whatever the target
    assert bernoulli_nll_per_sample(torch.zeros(2, 1, 2, 2), torch.rand(2, 1, 2, 2)).tolist() == \
        pytest.approx([4 * math.log(2)] * 2)
    assert bernoulli_nll_per_sample(torch.tensor([[2.0]]), torch.tensor([[1.0]])).item() == \
        pytest.approx(math.log(1 + math.exp(-2)))
    # N(1; 0, 1): 0.5·(1 + log 2π); with σ² = e: 0.5·(1/e + 1 + log 2π)
    assert gaussian_nll_per_sample(torch.zeros(1, 1), torch.zeros(1, 1), torch.ones(1, 1)).item() == \
        pytest.approx(0.5 * (1 + math.log(2 * math.pi)))
    assert gaussian_nll_per_sample(torch.zeros(1, 1), torch.ones(1, 1), torch.ones(1, 1)).item() == \
        pytest.approx(0.5 * (math.exp(-1) + 1 + math.log(2 * math.pi)))


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_objective_is_negative_elbo(likelihood):
    model = tiny(likelihood=likelihood)
    enc, dec = model["encoder"], model["generator"]
    x = torch.rand(4, 1, 8, 8) * 2 - 1
    torch.manual_seed(3)
    out = ELBOObjective().losses("elbo", {"image": x}, dict(model.components))
    torch.manual_seed(3)  # the same reparameterised sample, computed by hand
    post = enc(x)
    z = post.mean + post.std * torch.randn(post.mean.shape)
    ink = (x + 1) / 2
    if likelihood == "bernoulli":
        logits = dec.logits(dec.hidden(z)).view(4, 1, 8, 8)
        nll = torch.nn.functional.binary_cross_entropy_with_logits(logits, ink, reduction="none").sum((1, 2, 3))
    else:
        h = dec.hidden(z)
        mean, logvar = dec.logits(h).sigmoid().view(4, 1, 8, 8), dec.logvar(h).clamp(min=-6).view(4, 1, 8, 8)
        nll = (0.5 * ((ink - mean) ** 2 / logvar.exp() + logvar + math.log(2 * math.pi))).sum((1, 2, 3))
    kl = 0.5 * (post.mean ** 2 + post.logvar.exp() - 1 - post.logvar).sum(1)
    assert out.updates["autoencoder"].item() == pytest.approx((nll + kl).mean().item(), rel=1e-5)
    assert out.logs["elbo"].item() == pytest.approx(-(nll + kl).mean().item(), rel=1e-5)


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_networks_are_appendix_c_mlps_by_hand(likelihood):
    """h = tanh(W₁x + b₁), μ = W₂h + b₂, log σ² = W₃h + b₃; decoder y = σ(W₅ tanh(W₄z + b₄) + b₅), its
    log-variance floored at −6; nll is −log p(x|z) of ink (x + 1)/2."""
    torch.manual_seed(0)
    model = tiny(likelihood=likelihood)
    enc, dec = model["encoder"], model["generator"]
    x, z = torch.rand(3, 1, 8, 8) * 2 - 1, torch.randn(3, 2) * 3
    lin = lambda m, v: v @ m.weight.T + m.bias  # noqa: E731
    h = torch.tanh(lin(enc.hidden[1], x.flatten(1)))
    post = enc(x)
    assert torch.allclose(post.mean, lin(enc.mean, h), atol=1e-6)
    assert torch.allclose(post.logvar, lin(enc.logvar, h), atol=1e-6)
    g = torch.tanh(lin(dec.hidden[0], z))
    logits = lin(dec.logits, g).view(3, 1, 8, 8)
    assert torch.allclose(dec(z), torch.sigmoid(logits) * 2 - 1, atol=1e-6)
    ink = (x + 1) / 2
    if likelihood == "bernoulli":
        expected = paper_reference.bernoulli_nll_per_sample(logits, ink)
    else:
        with torch.no_grad():  # push some pixels' log-variance below the floor
            dec.logvar.bias[:32] = -20.0
        g = torch.tanh(lin(dec.hidden[0], z))
        logvar = lin(dec.logvar, g).clamp(min=-6.0).view(3, 1, 8, 8)
        assert (lin(dec.logvar, g) < -6).any()
        expected = paper_reference.gaussian_nll_per_sample(torch.sigmoid(logits), logvar, ink)
    assert torch.allclose(dec.nll(z, x).double(), expected.double(), rtol=1e-5)


def test_networks_default_to_32px_digits():
    enc, dec = GaussianMLPEncoder(), MLPDecoder()
    assert enc.input.shape == (1, 32, 32) and enc.latent.shape == (16,)
    assert enc.hidden[1].in_features == 1024 and enc.hidden[1].out_features == 256
    assert isinstance(enc.hidden[2], torch.nn.Tanh) and enc.mean.out_features == enc.logvar.out_features == 16
    assert dec.likelihood == "bernoulli" and dec.logvar is None and dec.latent.shape == (16,)
    assert dec.output.shape == (1, 32, 32) and dec.output.value_range == (-1.0, 1.0)
    assert dec.hidden[0].in_features == 16 and dec.hidden[0].out_features == 256
    assert isinstance(dec.hidden[1], torch.nn.Tanh) and dec.logits.out_features == 1024
    gaussian = MLPDecoder(likelihood="gaussian")
    assert gaussian.logvar.in_features == 256 and gaussian.logvar.out_features == 1024


def test_one_update_group_reaches_encoder_and_decoder():
    model = tiny()
    objective = ELBOObjective(lr=1e-2)
    assert [g.roles for g in objective.update_groups()] == [("encoder", "generator")]
    data = Digits(resolution=8, split="train").tensors()
    trainer = Trainer(dict(model.components), objective, TensorBatches(data, 32))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trainer.train_step()
    changed = {k.split(".")[1] for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert changed == {"encoder", "generator"}


def test_importance_weighted_bound_is_tighter_than_elbo():
    torch.manual_seed(0)
    model = tiny()
    x = Digits(resolution=8, split="val").images[:32]
    enc, dec = model["encoder"], model["generator"]
    torch.manual_seed(1)
    iw = importance_weighted_log_likelihood(enc, dec, x, k=64).mean()
    bound = elbo(enc, dec, x, samples=64).mean()
    assert iw > bound  # Jensen: E log mean w ≥ E log w (Burda et al. 2016, Theorem 1)
    one = importance_weighted_log_likelihood(enc, dec, x, k=1)
    assert one.shape == (32,) and torch.isfinite(one).all()
    report = likelihood_report(model, x, k=8)
    assert set(report) == {"elbo_nats", "iw_log_px_nats_k8"} and report["elbo_nats"] < 0


def test_short_training_improves_held_out_elbo():
    torch.manual_seed(0)
    model = tiny(hidden=64, latent_dim=4)
    val = Digits(resolution=8, split="val").images
    enc, dec = model["encoder"], model["generator"]
    torch.manual_seed(0)
    before = elbo(enc, dec, val).mean().item()
    objective = build.build_objective(model.architecture, model.config, registry.catalog())
    trainer = Trainer(dict(model.components), objective,
                      TensorBatches(Digits(resolution=8, split="train").tensors(), 64))
    trainer.fit(300, progress=False)
    model.eval()
    torch.manual_seed(0)
    after = elbo(enc, dec, val).mean().item()
    assert after > before + 5  # nats per image


def test_bad_likelihood_is_refused():
    with pytest.raises(ValueError, match="likelihood must be one of"):
        tiny(likelihood="poisson")
