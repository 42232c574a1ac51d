"""Conditional VAE (Sohn et al. 2015): the label reaches encoder and decoder, the conditional ELBO,
training improves it, and the shipped model draws the digit it is asked for."""
import pytest
import torch

import zoo
from zoo import build, registry
from zoo.data.batches import TensorBatches
from zoo.data.digits import Digits
from zoo.elbo import ELBOObjective, elbo
from zoo.errors import ShapeError
from zoo.training.trainer import Trainer
from zoo_plugins.cvae.networks import ConditionalDecoder, ConditionalGaussianEncoder

import paper_reference


def tiny(**overrides):
    cfg = {**registry.catalog().architecture("cvae").test_config, **overrides}
    return zoo.create("cvae", config=cfg)


def test_shapes_and_condition_is_required():
    torch.manual_seed(0)
    model = tiny()
    x, y = torch.rand(3, 1, 8, 8) * 2 - 1, torch.tensor([0, 4, 9])
    post = model["encoder"](x, y)
    assert post.mean.shape == (3, 2)
    assert model.generate(5, seed=0, c=torch.full((5,), 7)).shape == (5, 1, 8, 8)
    assert model.reconstruct(x, y).shape == (3, 1, 8, 8)
    with pytest.raises(ShapeError, match="needs a 'class' condition"):
        model["encoder"](x)
    with pytest.raises(ShapeError, match="integers"):
        model["generator"](torch.zeros(3, 2), torch.zeros(3))


def test_label_changes_encoder_and_decoder_outputs():
    torch.manual_seed(0)
    model = tiny()
    x, z = torch.rand(1, 1, 8, 8) * 2 - 1, torch.zeros(1, 2)
    assert not torch.allclose(model["encoder"](x, torch.tensor([1])).mean, model["encoder"](x, torch.tensor([2])).mean)
    assert not torch.allclose(model["generator"](z, torch.tensor([1])), model["generator"](z, torch.tensor([2])))


def _mlp_by_hand(mlp, v):
    """The two ReLU layers of Sec. 5's MLPs, written out."""
    for linear in (mlp[0], mlp[2]):
        v = torch.relu(v @ linear.weight.T + linear.bias)
    return v


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_objective_is_the_conditional_elbo_by_hand(likelihood):
    """−[log p(x|z, y) − KL(q(z|x, y) ‖ N(0, I))], z = μ + σε: both networks take [input, onehot(y)]."""
    torch.manual_seed(0)
    model = tiny(likelihood=likelihood)
    enc, dec = model["encoder"], model["generator"]
    x, y = torch.rand(4, 1, 8, 8) * 2 - 1, torch.tensor([0, 1, 7, 9])
    torch.manual_seed(5)
    out = ELBOObjective().losses("elbo", {"image": x, "label": y}, dict(model.components))
    onehot = torch.eye(10)[y]
    h = _mlp_by_hand(enc.hidden, torch.cat([x.flatten(1), onehot], 1))
    mean, logvar = h @ enc.mean.weight.T + enc.mean.bias, h @ enc.logvar.weight.T + enc.logvar.bias
    torch.manual_seed(5)
    z = mean + torch.exp(0.5 * logvar) * torch.randn(4, 2)
    g = _mlp_by_hand(dec.hidden, torch.cat([z, onehot], 1))
    logits = (g @ dec.logits.weight.T + dec.logits.bias).view(4, 1, 8, 8)
    ink = (x + 1) / 2
    if likelihood == "bernoulli":
        nll = paper_reference.bernoulli_nll_per_sample(logits, ink)
    else:
        pixel_logvar = (g @ dec.logvar.weight.T + dec.logvar.bias).clamp(min=-6.0).view(4, 1, 8, 8)
        nll = paper_reference.gaussian_nll_per_sample(torch.sigmoid(logits), pixel_logvar, ink)
    by_hand = (nll + paper_reference.gaussian_kl_per_sample(mean, logvar)).mean()
    assert out.updates["autoencoder"].item() == pytest.approx(by_hand.item(), rel=1e-5)
    assert torch.allclose(model["generator"](z, y), torch.sigmoid(logits) * 2 - 1, atol=1e-6)
    with pytest.raises(ValueError, match=r"^ConditionalDecoder\.nll needs the labels c$"):
        model["generator"].nll(z, x, None)


def test_networks_default_to_32px_digits_with_ten_classes():
    enc, dec = ConditionalGaussianEncoder(), ConditionalDecoder()
    assert enc.input.shape == (1, 32, 32) and enc.latent.shape == (16,)
    assert (enc.condition.kind, enc.condition.num_classes) == ("class", 10)
    assert [m.in_features for m in enc.hidden if isinstance(m, torch.nn.Linear)] == [1024 + 10, 192]
    assert [type(m) for m in enc.hidden] == [torch.nn.Linear, torch.nn.ReLU, torch.nn.Linear, torch.nn.ReLU]
    assert enc.mean.out_features == enc.logvar.out_features == 16
    assert dec.likelihood == "bernoulli" and dec.logvar is None
    assert (dec.condition.kind, dec.condition.num_classes) == ("class", 10)
    assert dec.output.shape == (1, 32, 32) and dec.output.value_range == (-1.0, 1.0) and dec.latent.shape == (16,)
    assert [m.in_features for m in dec.hidden if isinstance(m, torch.nn.Linear)] == [16 + 10, 192]
    assert dec.logits.out_features == 1024
    with pytest.raises(ValueError, match="likelihood must be one of"):
        ConditionalDecoder(likelihood="poisson")


def test_short_training_improves_conditional_elbo():
    torch.manual_seed(0)
    model = tiny(hidden=64, latent_dim=4)
    val = Digits(resolution=8, split="val")
    enc, dec = model["encoder"], model["generator"]
    torch.manual_seed(0)
    before = elbo(enc, dec, val.images, val.labels).mean().item()
    objective = build.build_objective(model.architecture, model.config, registry.catalog())
    Trainer(dict(model.components), objective,
            TensorBatches(Digits(resolution=8, split="train").tensors(), 64)).fit(300, progress=False)
    model.eval()
    torch.manual_seed(0)
    assert elbo(enc, dec, val.images, val.labels).mean().item() > before + 5


def test_shipped_model_draws_the_asked_digit():
    from zoo.metrics.digits_judge import DigitsJudge

    model = zoo.load("cvae.digits-32")
    labels = torch.arange(200) % 10
    samples = model.generate(200, seed=1, c=labels)
    predicted = DigitsJudge.pretrained().logits(samples).argmax(1)
    assert (predicted == labels).float().mean() >= 0.9
