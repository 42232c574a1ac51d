"""DCGAN (Radford et al. 2016): the architecture guidelines of Section 3, and a short run that learns."""
from __future__ import annotations

import pytest
import torch
from torch import nn

import zoo
from zoo.data.batches import TensorBatches
from zoo.data.digits import load_digits_tensors
from zoo.errors import ShapeError
from zoo.objectives import AdversarialObjective
from zoo.training.trainer import Trainer


def test_paper_sized_64px_model_has_the_figure_1_widths():
    model = zoo.create("dcgan")
    g = model.generator
    assert g.base_width == 1024
    convs = [m for m in g.blocks if isinstance(m, nn.ConvTranspose2d)]
    assert [c.out_channels for c in convs] == [512, 256, 128, 3]
    assert all(c.stride == (2, 2) and c.kernel_size == (5, 5) for c in convs)
    z = g.sample_latent(2)
    assert z.min() >= -1 and z.max() <= 1  # uniform prior (Fig. 1)
    x = g(z)
    assert x.shape == (2, 3, 64, 64)
    d = model.components["discriminator"]
    assert d(x).shape == (2,)
    assert [f.shape[1:] for f in d.features(x)] == [(64, 32, 32), (128, 16, 16), (256, 8, 8), (512, 4, 4)]


def test_architecture_guidelines():
    model = zoo.create("dcgan", config={"resolution": 32, "channels": 1, "g_width": 16, "d_width": 16})
    g, d = model.generator, model.components["discriminator"]
    kinds = {type(m) for m in [*g.modules(), *d.modules()]}
    assert not kinds & {nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d}  # no pooling
    # batch norm everywhere but the generator's output and the discriminator's input layer
    g_layers = list(g.blocks)
    assert isinstance(g_layers[-1], nn.Tanh) and isinstance(g_layers[-2], nn.ConvTranspose2d)
    assert not isinstance(d.layers[0][1], nn.BatchNorm2d)
    assert all(isinstance(layer[1], nn.BatchNorm2d) for layer in d.layers[1:])
    assert all(isinstance(layer[2], nn.LeakyReLU) and layer[2].negative_slope == 0.2 for layer in d.layers)
    assert any(isinstance(m, nn.ReLU) for m in g.modules())
    # weights ~ N(0, 0.02)
    w = torch.cat([m.weight.flatten() for m in g.modules() if isinstance(m, nn.ConvTranspose2d)])
    assert w.std().item() == pytest.approx(0.02, rel=0.1)


def test_wrong_shapes_say_what_was_expected():
    model = zoo.create("dcgan", config={"resolution": 16, "g_width": 8, "d_width": 8})
    with pytest.raises(ShapeError, match=r"z must have shape \(N, 100\), got \(2, 7\)"):
        model.generator(torch.zeros(2, 7))
    with pytest.raises(ShapeError, match=r"x must have shape \(N, 3, 16, 16\), got \(2, 3, 8, 8\)"):
        model.components["discriminator"](torch.zeros(2, 3, 8, 8))
    with pytest.raises(ValueError, match="power-of-two"):
        zoo.create("dcgan", config={"resolution": 48})


def test_unknown_config_key_is_an_error():
    with pytest.raises(Exception, match="unknown config key 'widht'"):
        zoo.create("dcgan", config={"widht": 3})


def test_short_training_run_fools_a_fixed_discriminator_less_and_matches_data_statistics():
    """A few hundred steps on 16 px digits: samples' pixel histogram approaches the data's."""
    torch.manual_seed(0)
    model = zoo.create("dcgan", config={"resolution": 16, "channels": 1, "g_width": 16, "d_width": 16,
                                        "latent_dim": 32, "kernel_size": 4})
    images, _ = load_digits_tensors(16, "train")
    trainer = Trainer(dict(model.components), AdversarialObjective(), TensorBatches({"image": images}, 32, seed=0))
    G = model.generator

    def gap():
        G.eval()
        with torch.no_grad():
            x = G(G.sample_latent(256, generator=torch.Generator().manual_seed(0)))
        G.train()
        bins = torch.linspace(-1, 1, 9)
        h_fake = torch.histc(x, 8, -1, 1) / x.numel()
        h_real = torch.histc(images, 8, -1, 1) / images.numel()
        mean_gap = (x.mean(0) - images.mean(0)).abs().mean()
        return (h_fake - h_real).abs().sum().item() + mean_gap.item(), bins

    start, _ = gap()
    for _ in range(250):
        trainer.train_step()
    end, _ = gap()
    assert end < 0.5 * start
