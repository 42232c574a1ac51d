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
from zoo.latent import prior_classifier_accuracy
from zoo.training.trainer import Trainer
from zoo_plugins.dcgan.networks import DCGANDiscriminator, DCGANGenerator

import paper_reference


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


def test_networks_default_to_the_papers_64px_lsun_model():
    g, d = DCGANGenerator(), DCGANDiscriminator()
    assert g.latent.shape == (100,) and (g.latent.prior, g.latent.low, g.latent.high) == ("uniform", -1.0, 1.0)
    assert g.output.shape == (3, 64, 64) and g.output.value_range == (-1.0, 1.0)
    assert g.base_width == 1024 and g.project.in_features == 100 and g.project.bias is None
    convs = [m for m in g.blocks if isinstance(m, nn.ConvTranspose2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride, c.padding, c.output_padding)
            for c in convs] == [(1024, 512, (5, 5), (2, 2), (2, 2), (1, 1)), (512, 256, (5, 5), (2, 2), (2, 2), (1, 1)),
                                (256, 128, (5, 5), (2, 2), (2, 2), (1, 1)), (128, 3, (5, 5), (2, 2), (2, 2), (1, 1))]
    assert [c.bias is None for c in convs] == [True, True, True, False]  # BN's shift replaces the bias
    assert d.input.shape == (3, 64, 64) and d.input.value_range == (-1.0, 1.0)
    dconvs = [layer[0] for layer in d.layers]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride, c.padding) for c in dconvs] == [
        (3, 64, (5, 5), (2, 2), (2, 2)), (64, 128, (5, 5), (2, 2), (2, 2)), (128, 256, (5, 5), (2, 2), (2, 2)),
        (256, 512, (5, 5), (2, 2), (2, 2))]
    assert d.head.in_features == 512 * 16 and d.head.out_features == 1
    assert [c.bias is not None for c in dconvs] == [True, False, False, False]  # BN after all but the first
    with pytest.raises(ValueError, match="power-of-two resolution >= 8, got 4"):
        DCGANGenerator(resolution=4)
    assert len([m for m in DCGANGenerator(resolution=8, g_width=2).blocks if isinstance(m, nn.ConvTranspose2d)]) == 1


@pytest.mark.parametrize("kernel_size", [4, 5])
def test_forward_passes_follow_section_3(kernel_size):
    """Both networks against a plain re-implementation of the guidelines (tests/paper_reference.py):
    BN + ReLU after the projection and every hidden generator layer, tanh output; LeakyReLU(0.2) and BN
    on every discriminator layer but the first; in training mode, with the batch's statistics."""
    torch.manual_seed(0)
    model = zoo.create("dcgan", config={"resolution": 16, "channels": 1, "g_width": 4, "d_width": 4,
                                        "latent_dim": 6, "kernel_size": kernel_size})
    g, d = model.generator, model.components["discriminator"]
    with torch.no_grad():  # away from BN's initial scale 1 / shift 0, so both must be applied
        for m in [*g.modules(), *d.modules()]:
            if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    z = g.sample_latent(5)
    x = g(z)
    assert x.shape == (5, 1, 16, 16)
    assert torch.allclose(x, paper_reference.dcgan_generator(g, z), atol=1e-5)
    assert torch.allclose(d(x), paper_reference.dcgan_discriminator(d, x), atol=1e-4)


def _fixed_discriminator(fake, real, steps=100):
    """A small classifier trained once to tell `fake` (0) from `real` (1), then frozen."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = nn.Sequential(nn.Flatten(), nn.Linear(real[0].numel(), 32), nn.ReLU(), nn.Linear(32, 1))
        opt = torch.optim.Adam(net.parameters(), lr=1e-2)
        x, y = torch.cat([fake, real]), torch.cat([torch.zeros(len(fake)), torch.ones(len(real))])
        for _ in range(steps):
            loss = nn.functional.binary_cross_entropy_with_logits(net(x).squeeze(1), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return lambda v: (net(v).squeeze(1) > 0).float().mean().item()  # fraction judged real


def _spread(samples, real):
    """The samples' mean pairwise distance relative to the data's: ≈ 0 for a collapsed generator."""
    return (torch.pdist(samples.flatten(1)).mean() / torch.pdist(real.flatten(1)).mean()).item()


def test_short_training_run_fools_a_fixed_discriminator_and_does_not_collapse():
    """250 steps on 16 px digits: a discriminator trained on the untrained generator's samples and then
    frozen takes most new samples for data, the pixel histogram approaches the data's, and the samples
    stay about as spread out as digits are (a generator that collapsed onto one digit would fool the
    fixed discriminator too, but not the spread check; both checks are shown to reject such a set)."""
    torch.manual_seed(0)
    model = zoo.create("dcgan", config={"resolution": 16, "channels": 1, "g_width": 16, "d_width": 16,
                                        "latent_dim": 32, "kernel_size": 4})
    images, _ = load_digits_tensors(16, "train")
    trainer = Trainer(dict(model.components), AdversarialObjective(), TensorBatches({"image": images}, 32, seed=0))
    G = model.generator
    real = images[torch.randperm(len(images), generator=torch.Generator().manual_seed(1))[:256]]

    def samples():
        G.eval()
        with torch.no_grad():
            x = G(G.sample_latent(256, generator=torch.Generator().manual_seed(0)))
        G.train()
        return x

    def histogram_gap(x):
        return (torch.histc(x, 8, -1, 1) / x.numel() - torch.histc(images, 8, -1, 1) / images.numel()).abs().sum().item()

    before = samples()
    judged_real = _fixed_discriminator(before, real)
    assert judged_real(before) < 0.05 and judged_real(real) > 0.95
    for _ in range(250):
        trainer.train_step()
    after = samples()
    assert judged_real(after) > 0.5
    assert histogram_gap(after) < 0.5 * histogram_gap(before)
    assert _spread(after, real) > 0.6 and _spread(before, real) < 0.1
    collapsed = (real[:1] + 0.05 * torch.randn(256, *real.shape[1:])).clamp(-1, 1)
    assert _spread(collapsed, real) < 0.6
