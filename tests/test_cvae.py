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


def test_objective_passes_labels_to_both_networks():
    torch.manual_seed(0)
    model = tiny()
    x, y = torch.rand(4, 1, 8, 8) * 2 - 1, torch.tensor([0, 1, 2, 3])
    torch.manual_seed(5)
    loss = ELBOObjective().losses("elbo", {"image": x, "label": y}, dict(model.components)).updates["autoencoder"]
    torch.manual_seed(5)
    post = model["encoder"](x, y)
    z = post.mean + post.std * torch.randn(post.mean.shape)
    by_hand = (model["generator"].nll(z, x, y) + post.kl()).mean()
    assert loss.item() == pytest.approx(by_hand.item(), rel=1e-6)
    with pytest.raises(ValueError, match="needs the labels"):
        model["generator"].nll(z, x, None)


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
