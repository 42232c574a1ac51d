"""pix2pix (Isola et al. 2017): the U-Net against a second, nested implementation written here the way
the paper's code nests its skip blocks (including the in-place LeakyReLU whose output the skip carries);
test-time dropout; the conditional PatchGAN's input; the cGAN + λ·L1 losses and the L1-only switch against
hand-computed values; the label-colour pairing and its scores; and a short training run that learns."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import zoo
from zoo.interfaces.schedules import Constant, LinearDecay
from zoo_plugins.pix2pix import pairs
from zoo_plugins.pix2pix.networks import (ConditionalPatchDiscriminator, InferenceDropout,
                                         SampleStatisticsBatchNorm2d, UNetGenerator)
from zoo_plugins.pix2pix.objective import (Pix2PixObjective, discriminator_loss, generator_adversarial_loss,
                                           generator_loss)


def _perturb(module):
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                m.weight.normal_(0, 0.3)
                if m.bias is not None:
                    m.bias.uniform_(-0.3, 0.3)


def _nested_unet(g: UNetGenerator, x: torch.Tensor, level: int = 0) -> torch.Tensor:
    """The paper code's recursion, from the flat weights: block k = [LReLU (in place), conv, norm,
    block k+1, ReLU, convT, norm, dropout?], returning cat([its (activated) input, its output])."""
    n = len(g.down)
    if level == 0:
        inner = _nested_unet(g, g.down[0](x), 1)
        return g.up[0](inner)
    x = F.leaky_relu(x, 0.2)  # in place in the paper's code: the skip below sees the activated tensor
    h = g.down[level](x)
    if level < n - 1:
        h = _nested_unet(g, h, level + 1)
    return torch.cat([x, g.up[level](h)], 1)


# -- the U-Net ----------------------------------------------------------------------------------------
def test_unet_matches_a_nested_second_implementation_and_has_the_papers_widths():
    torch.manual_seed(0)
    g = UNetGenerator(resolution=64, in_channels=2, out_channels=3, width=4, num_downs=6, test_dropout=False).eval()
    _perturb(g)
    x = torch.rand(2, 2, 64, 64) * 2 - 1
    assert torch.allclose(g(None, x), _nested_unet(g, x), atol=1e-6)
    # C4-C8-C16-C32-C32-C32 encoder (x min(2^k, 8)), decoder back to 3 channels through tanh
    assert [g.down[0].out_channels] + [s[0].out_channels for s in g.down[1:]] == [4, 8, 16, 32, 32, 32]
    assert [s[1].in_channels for s in g.up] == [8, 16, 32, 64, 64, 32]  # 2x (skip + own) but the innermost
    assert isinstance(g.up[0][-1], nn.Tanh) and g.up[0][1].out_channels == 3
    assert g(None, x).abs().max() <= 1


def test_unet_bias_follows_the_norm_and_the_innermost_has_no_norm():
    batch = UNetGenerator(resolution=32, width=2, num_downs=5, norm="batch")
    assert batch.down[0].bias is None and batch.down[1][0].bias is None and batch.up[1][1].bias is None
    assert batch.up[0][1].bias is not None  # the outermost transposed convolution always has one
    assert len(batch.down[4]) == 1  # innermost: the convolution alone
    inst = UNetGenerator(resolution=32, width=2, num_downs=5, norm="instance")
    assert inst.down[0].bias is not None and inst.up[1][1].bias is not None
    assert not any(isinstance(m, nn.BatchNorm2d) for m in inst.modules())


@pytest.mark.parametrize("num_downs,levels", [(5, []), (6, [4]), (8, [4, 5, 6])])
def test_dropout_sits_on_the_num_downs_minus_5_levels_outside_the_innermost(num_downs, levels):
    g = UNetGenerator(resolution=2 ** num_downs, width=2, num_downs=num_downs)
    got = [k for k, up in enumerate(g.up) if any(isinstance(m, InferenceDropout) for m in up)]
    assert got == levels
    for k in levels:
        assert isinstance(g.up[k][-1], InferenceDropout) and g.up[k][-1].p == 0.5


def test_dropout_stays_on_in_eval_mode_unless_switched_off():
    torch.manual_seed(0)
    g = UNetGenerator(resolution=64, width=4, num_downs=6).eval()
    _perturb(g)
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    assert not torch.allclose(g(None, x), g(None, x))  # the noise source, at test time too
    for m in g.modules():
        if isinstance(m, InferenceDropout):
            m.always = False
    assert torch.equal(g(None, x), g(None, x))
    drop = InferenceDropout(0.5, always=True).eval()
    ones = torch.ones(10000)
    out = drop(ones)
    assert set(out.unique().tolist()) <= {0.0, 2.0} and abs((out == 0).float().mean().item() - 0.5) < 0.03


def test_batch_norm_uses_each_test_images_own_statistics_or_the_running_ones():
    bn = SampleStatisticsBatchNorm2d(2).eval()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([2.0, 0.5]))
        bn.bias.copy_(torch.tensor([0.1, -0.3]))
        bn.running_mean.copy_(torch.tensor([0.2, -0.1]))
        bn.running_var.copy_(torch.tensor([1.5, 0.4]))
    x = torch.randn(3, 2, 4, 4) * 3 + 1
    w, b = bn.weight.view(1, 2, 1, 1), bn.bias.view(1, 2, 1, 1)
    mean = x.mean((2, 3), keepdim=True)
    var = ((x - mean) ** 2).mean((2, 3), keepdim=True)  # biased, as batch norm normalises
    assert torch.allclose(bn(x), (x - mean) / torch.sqrt(var + 1e-5) * w + b, atol=1e-5)
    assert torch.allclose(bn(x)[:1], bn(x[:1]), atol=1e-6)  # the other images do not matter
    bn.test_statistics = "running"
    expected = (x - bn.running_mean.view(1, 2, 1, 1)) / torch.sqrt(bn.running_var.view(1, 2, 1, 1) + 1e-5) * w + b
    assert torch.allclose(bn(x), expected, atol=1e-5)
    bn.train()
    batch_mean = x.mean((0, 2, 3), keepdim=True)
    batch_var = ((x - batch_mean) ** 2).mean((0, 2, 3), keepdim=True)
    assert torch.allclose(bn(x), (x - batch_mean) / torch.sqrt(batch_var + 1e-5) * w + b, atol=1e-5)


def test_unet_refuses_sizes_it_cannot_halve_enough():
    with pytest.raises(ValueError, match="multiple of 64"):
        UNetGenerator(resolution=96, num_downs=6)
    with pytest.raises(ValueError, match="num_downs >= 5"):
        UNetGenerator(resolution=16, num_downs=4)


# -- the conditional PatchGAN -------------------------------------------------------------------------
def test_discriminator_judges_input_then_output_concatenated():
    torch.manual_seed(0)
    d = ConditionalPatchDiscriminator(resolution=64, in_channels=2, out_channels=3, d_width=4).eval()
    x, y = torch.rand(2, 2, 64, 64), torch.rand(2, 3, 64, 64)
    assert torch.equal(d(y, x), d.patchgan(torch.cat([x, y], 1)))
    assert d(y, x).shape == (2, 1, 6, 6)  # 64 -> 32 -> 16 -> 8 -> 7 -> 6: the 70x70 PatchGAN's map
    first = d.patchgan.features(torch.cat([x, y], 1))[0]
    assert first.shape[1] == 4
    plain = ConditionalPatchDiscriminator(resolution=64, in_channels=2, out_channels=3, d_width=4, conditional=False)
    assert plain(y).shape == (2, 1, 6, 6)


# -- losses -------------------------------------------------------------------------------------------
def test_discriminator_loss_is_half_the_summed_cross_entropies():
    real, fake = torch.tensor([[2.0, 0.0]]), torch.tensor([[-1.0, 1.0]])
    # -log σ(2), -log σ(0) for the real patches; -log(1-σ(-1)), -log(1-σ(1)) for the fake ones
    expected = 0.5 * ((math.log1p(math.exp(-2)) + math.log(2)) / 2 + (math.log1p(math.exp(-1)) + math.log1p(math.exp(1))) / 2)
    assert discriminator_loss(real, fake).item() == pytest.approx(expected, rel=1e-6)
    # least squares: ½[mean (D-1)² + mean D²]
    assert discriminator_loss(real, fake, "lsgan").item() == pytest.approx(0.5 * ((1 + 1) / 2 + (1 + 1) / 2))


def test_generator_loss_is_gan_plus_100_l1():
    fake_logits = torch.tensor([[0.0, 0.0]])
    output, target = torch.zeros(1, 1, 2, 2), torch.tensor([[[[0.5, -0.5], [1.0, 0.0]]]])
    loss, l1, adv = generator_loss(fake_logits, output, target, l1_weight=100, gan_weight=1)
    assert l1.item() == pytest.approx(0.5)  # (0.5 + 0.5 + 1 + 0) / 4
    assert adv.item() == pytest.approx(math.log(2))
    assert loss.item() == pytest.approx(math.log(2) + 50.0)
    loss, _, adv = generator_loss(fake_logits, output, target, l1_weight=100, gan_weight=0)
    assert adv is None and loss.item() == pytest.approx(50.0)
    assert generator_adversarial_loss(torch.tensor([3.0]), "lsgan").item() == pytest.approx(4.0)


def test_objective_schedule_groups_and_lr_decay():
    obj = Pix2PixObjective(decay_start=100, decay_end=200)
    assert [p.name for p in obj.schedule(0)] == ["discriminator", "generator"]
    assert obj.schedule(0)[1].new_batch is False  # G steps on D's batch
    groups = {g.name: g for g in obj.update_groups()}
    assert groups["generator"].optimizer.lr == 2e-4 and groups["generator"].optimizer.betas == (0.5, 0.999)
    sched = groups["discriminator"].lr_schedule
    assert isinstance(sched, LinearDecay) and sched.multiplier(150) == pytest.approx(0.5)
    assert isinstance(Pix2PixObjective().update_groups()[0].lr_schedule, Constant)
    l1_only = Pix2PixObjective(gan_weight=0)
    assert [p.name for p in l1_only.schedule(0)] == ["generator"]
    with pytest.raises(ValueError, match="gan_loss"):
        Pix2PixObjective(gan_loss="hinge")


def test_objective_losses_route_and_weigh():
    torch.manual_seed(0)
    model = zoo.create("pix2pix", config={"resolution": 32, "num_downs": 5, "width": 4, "d_width": 4})
    G, D = model.components["generator"], model.components["discriminator"]
    batch = {"image": torch.rand(2, 3, 32, 32) * 2 - 1, "label_map": torch.randint(7, (2, 32, 32))}
    obj = Pix2PixObjective()
    d = obj.losses("discriminator", batch, {"generator": G, "discriminator": D})
    assert set(d.updates) == {"discriminator"}
    g = obj.losses("generator", batch, {"generator": G, "discriminator": D})
    assert g.logs["g_loss"].item() == pytest.approx(g.logs["g_gan"].item() + 100 * g.logs["g_l1"].item(), rel=1e-5)


# -- the paired domains ---------------------------------------------------------------------------------
def test_label_colours_round_trip_and_the_pairing_directions():
    labels = torch.tensor([[[0, 1], [5, 6]]])
    colours = pairs.label_colors(labels)
    assert colours[0, :, 1, 0].tolist() == pytest.approx([220 / 127.5 - 1, 180 / 127.5 - 1, 40 / 127.5 - 1])
    assert torch.equal(pairs.nearest_labels(colours + 0.05), labels)
    image = torch.zeros(1, 3, 2, 2)
    a, b = pairs.paired_images({"image": image, "label_map": labels}, "labels2renders")
    assert torch.equal(a, colours) and torch.equal(b, image)
    a, b = pairs.paired_images({"image": image, "label_map": labels}, "renders2labels")
    assert torch.equal(a, image) and torch.equal(b, colours)


def test_pixel_scores_by_hand():
    target = torch.tensor([[0, 0, 1, 1]])
    predicted = torch.tensor([[0, 1, 1, 1]])
    s = pairs.pixel_scores(predicted, target, num_classes=7)
    assert s["pixel_accuracy"] == pytest.approx(0.75)
    assert s["miou"] == pytest.approx((1 / 2 + 2 / 3) / 2)  # class 0: 1/2, class 1: 2/3; absent classes skipped


# -- a short training run learns --------------------------------------------------------------------------
def test_short_training_run_brings_the_l1_down(tmp_path):
    from zoo.data.layouts import Layouts
    from zoo.training.recipe import train_architecture

    config = {"resolution": 32, "num_downs": 5, "width": 8, "d_width": 8}
    out = train_architecture("pix2pix", dataset="layouts", steps=100, out=tmp_path / "run", config=config,
                             batch_size=16, seed=0, log_every=1000, progress=False, checkpoint_every=0)
    model = zoo.load(f"local-dir:{out}")
    val = Layouts(resolution=32, split="val", size=32).tensors()
    a, b = pairs.paired_images(val, "labels2renders")
    trained = F.l1_loss(model.translate(a, seed=0), b).item()
    torch.manual_seed(0)
    untrained = F.l1_loss(zoo.create("pix2pix", config=config).eval().translate(a, seed=0), b).item()
    assert trained < 0.75 * untrained, (trained, untrained)


# -- the shipped weight set ------------------------------------------------------------------------------
@pytest.mark.slow
def test_shipped_weights_reproduce_their_registry_numbers_and_beat_l1_alone_on_fid():
    pytest.importorskip("zoo.metrics.layouts_segmenter")  # the segmenter comes with the spade branch
    from zoo import registry
    from zoo_plugins.pix2pix.evaluate import evaluate

    stated = registry.catalog().weight_set("pix2pix.layouts-64").metrics
    got = evaluate(["pix2pix.layouts-64"], n=600, ceiling=False)["pix2pix.layouts-64"]
    for key in ("l1", "fid", "seg_miou", "seg_accuracy"):
        assert got[key] == pytest.approx(stated[key], abs=2e-4)
    assert stated["fid"] < 0.7 * stated["l1only_fid"]  # realism: the paper's Table 1 ordering
    assert stated["l1"] < 1.2 * stated["l1only_l1"]  # while staying close in L1
