"""CycleGAN (Zhu et al. 2017): the ResNet generator against a plain functional second implementation;
reflection padding and instance norm; the LSGAN, cycle and identity terms and their weights by hand; the
50-image history pool's ½ swap rule traced by hand for a seeded generator; the seasons domains; and a
short training run that learns."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import zoo
from zoo.interfaces.schedules import Constant, LinearDecay
from zoo_plugins.cyclegan.networks import DomainPatchDiscriminator, ResidualBlock, ResNetGenerator
from zoo_plugins.cyclegan.objective import (CycleGANObjective, cycle_loss, lsgan_discriminator_loss,
                                            lsgan_generator_loss)
from zoo_plugins.cyclegan.pool import ImagePool
from zoo_plugins.cyclegan.seasons import LayoutsSeasons, winter
from zoo.data.layouts import BUILDING, GRASS, ROAD, SKY


def _inorm(x):
    mean = x.mean((2, 3), keepdim=True)
    var = x.var((2, 3), unbiased=False, keepdim=True)
    return (x - mean) / torch.sqrt(var + 1e-5)


def _plain_generator(g: ResNetGenerator, x: torch.Tensor) -> torch.Tensor:
    """The layers written out with functional calls: reflect-pad 3, conv7, IN, ReLU; 2 × (conv3 s2, IN, ReLU);
    blocks x + IN(conv(pad(ReLU(IN(conv(pad(x))))))); 2 × (convT s2, IN, ReLU); reflect-pad 3, conv7, tanh."""
    conv = g.stem[1]
    h = F.relu(_inorm(F.conv2d(F.pad(x, (3, 3, 3, 3), mode="reflect"), conv.weight, conv.bias)))
    for d in g.down:
        h = F.relu(_inorm(F.conv2d(h, d[0].weight, d[0].bias, stride=2, padding=1)))
    for block in g.blocks:
        c1, c2 = block.body[1], block.body[5]
        r = F.relu(_inorm(F.conv2d(F.pad(h, (1, 1, 1, 1), mode="reflect"), c1.weight, c1.bias)))
        h = h + _inorm(F.conv2d(F.pad(r, (1, 1, 1, 1), mode="reflect"), c2.weight, c2.bias))
    for u in g.up:
        h = F.relu(_inorm(F.conv_transpose2d(h, u[0].weight, u[0].bias, stride=2, padding=1, output_padding=1)))
    head = g.head[1]
    return torch.tanh(F.conv2d(F.pad(h, (3, 3, 3, 3), mode="reflect"), head.weight, head.bias))


# -- networks -----------------------------------------------------------------------------------------
def test_generator_matches_a_functional_second_implementation():
    torch.manual_seed(0)
    g = ResNetGenerator(resolution=16, width=4, num_blocks=2).eval()
    with torch.no_grad():
        for m in g.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                m.weight.normal_(0, 0.3)
                m.bias.uniform_(-0.2, 0.2)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    assert torch.allclose(g(None, x), _plain_generator(g, x), atol=1e-5)
    assert g(None, x).shape == (2, 3, 16, 16)


def test_generator_layout_six_blocks_reflection_instance_norm():
    g = ResNetGenerator(resolution=64, width=8, num_blocks=6)
    assert len(g.blocks) == 6 and all(isinstance(b, ResidualBlock) for b in g.blocks)
    pads = [m for m in g.modules() if isinstance(m, nn.ReflectionPad2d)]
    assert len(pads) == 2 + 2 * 6 and pads[0].padding == (3, 3, 3, 3)
    norms = [m for m in g.modules() if isinstance(m, nn.InstanceNorm2d)]
    assert norms and all(not n.affine and not n.track_running_stats for n in norms)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in g.modules())
    widths = [g.stem[1].out_channels, g.down[0][0].out_channels, g.down[1][0].out_channels,
              g.up[0][0].out_channels, g.up[1][0].out_channels]
    assert widths == [8, 16, 32, 16, 8]  # c7s1-64, d128, d256, u128, u64 at width 8
    assert all(m.bias is not None for m in g.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)))
    ba = ResNetGenerator(resolution=16, in_channels=1, out_channels=3, width=4, num_blocks=1, direction="ba")
    assert ba.stem[1].in_channels == 3 and ba.head[1].out_channels == 1


def test_two_unconditional_patch_discriminators_one_per_domain():
    model = zoo.create("cyclegan", config={"resolution": 64, "in_channels": 1, "out_channels": 3, "width": 4,
                                           "num_blocks": 1, "d_width": 4})
    d_a, d_b = model.components["discriminator_a"], model.components["discriminator_b"]
    assert d_a.patchgan.blocks[0][0].in_channels == 1 and d_b.patchgan.blocks[0][0].in_channels == 3
    assert d_b(torch.zeros(2, 3, 64, 64)).shape == (2, 1, 6, 6)
    assert model.directions == ("ab", "ba")
    assert model.translate(torch.zeros(1, 1, 64, 64)).shape == (1, 3, 64, 64)
    assert model.translate(torch.zeros(1, 3, 64, 64), direction="BtoA").shape == (1, 1, 64, 64)
    assert isinstance(d_a, DomainPatchDiscriminator)


# -- losses -------------------------------------------------------------------------------------------
def test_lsgan_losses_by_hand():
    real, fake = torch.tensor([[1.5, 0.5]]), torch.tensor([[0.0, 2.0]])
    # ½[((0.25 + 0.25)/2) + ((0 + 4)/2)] = ½[0.25 + 2]
    assert lsgan_discriminator_loss(real, fake).item() == pytest.approx(1.125)
    assert lsgan_generator_loss(fake).item() == pytest.approx((1 + 1) / 2)


def test_weights_cycle_ten_identity_half_of_it():
    obj = CycleGANObjective()
    assert obj.cycle_weight == 10 and obj.identity_weight == 5
    terms = {k: torch.tensor(v) for k, v in
             {"gan_ab": 1.0, "gan_ba": 2.0, "cycle_a": 0.1, "cycle_b": 0.2, "idt_a": 0.3, "idt_b": 0.4}.items()}
    assert obj.total(terms).item() == pytest.approx(3 + 10 * 0.3 + 5 * 0.7)
    no_idt = CycleGANObjective(identity_weight=0)
    terms.pop("idt_a"), terms.pop("idt_b")
    assert no_idt.total(terms).item() == pytest.approx(6.0)


class _Scale(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, z, c):
        return c * self.k


class _Const(nn.Module):
    def __init__(self, v):
        super().__init__()
        self.v = v

    def forward(self, x):
        return torch.full((x.shape[0], 1, 2, 2), self.v)


def test_cycle_and_identity_terms_use_the_right_generators():
    a = torch.tensor([[[[0.2, -0.4], [0.6, 0.0]]]])
    b = torch.tensor([[[[0.1, 0.3], [-0.5, 0.9]]]])
    models = {"generator": _Scale(0.5), "generator_ba": _Scale(2.0), "discriminator_a": _Const(0.5),
              "discriminator_b": _Const(2.0)}
    terms = CycleGANObjective().generator_terms(a, b, models)
    assert terms["cycle_a"].item() == pytest.approx(0) and terms["cycle_b"].item() == pytest.approx(0)
    assert terms["idt_b"].item() == pytest.approx(0.5 * b.abs().mean().item())  # G(b) = b/2
    assert terms["idt_a"].item() == pytest.approx(a.abs().mean().item())  # F(a) = 2a
    assert terms["gan_ab"].item() == pytest.approx(1.0)  # D_B judges G(a): (2 - 1)²
    assert terms["gan_ba"].item() == pytest.approx(0.25)  # D_A judges F(b): (0.5 - 1)²
    l_a, l_b = cycle_loss(a, a + 0.1, b, b - 0.2)
    assert (l_a.item(), l_b.item()) == pytest.approx((0.1, 0.2))


def test_schedule_groups_and_lr():
    obj = CycleGANObjective(decay_start=100, decay_end=300)
    assert [p.name for p in obj.schedule(0)] == ["generators", "discriminators"]
    assert obj.schedule(0)[1].new_batch is False
    groups = {g.name: g for g in obj.update_groups()}
    assert groups["generators"].roles == ("generator", "generator_ba")
    assert groups["discriminators"].roles == ("discriminator_a", "discriminator_b")
    assert groups["generators"].optimizer.lr == 2e-4 and groups["generators"].optimizer.betas == (0.5, 0.999)
    assert groups["discriminators"].lr_schedule.multiplier(100) == 1 and \
        groups["discriminators"].lr_schedule.multiplier(200) == pytest.approx(0.5)
    assert isinstance(groups["generators"].lr_schedule, LinearDecay)
    assert isinstance(CycleGANObjective().update_groups()[0].lr_schedule, Constant)


# -- the history pool -----------------------------------------------------------------------------------
def test_pool_swap_rule_traced_by_hand():
    # torch.Generator().manual_seed(0) draws u = 0.4963 (keep), 0.7682 (swap, index 1), 0.1320 (keep),
    # 0.3074 (keep), 0.6341 (swap, index 1), 0.8964 (swap, index 1)
    pool = ImagePool(size=2, seed=0)
    out = [pool.query(torch.tensor([[float(v)]])).item() for v in range(1, 9)]
    # 1, 2 fill the pool; 3 kept; 4 swapped with slot 1 (2); 5, 6 kept; 7 swapped with slot 1 (4); 8 with 7
    assert out == [1, 2, 3, 2, 5, 6, 4, 7]
    assert [im.item() for im in pool.images] == [1, 8]


def test_pool_batches_half_from_history_and_size_zero_passes_through():
    pool = ImagePool(size=50, seed=3)
    pool.query(torch.full((50, 1), -1.0))  # fills the pool with -1s
    out = pool.query(torch.arange(1000.0)[:, None])
    from_history = (out[:, 0] < 0).float().mean().item() + 0  # the first 50 swaps bring back -1s, later ones reals
    returned_new = (out[:, 0] == torch.arange(1000.0)).float().mean().item()
    assert abs(returned_new - 0.5) < 0.05 and from_history > 0
    x = torch.randn(3, 2)
    assert torch.equal(ImagePool(0).query(x), x)
    state = pool.state_dict()
    other = ImagePool(size=50, seed=99)
    other.load_state_dict(state)
    y = torch.arange(5.0)[:, None] + 5000
    assert torch.equal(pool.query(y), other.query(y))


# -- the seasons domains ----------------------------------------------------------------------------------
def test_winter_recolours_by_class_and_leaves_roads_and_buildings():
    image = torch.full((1, 3, 2, 2), 0.2)
    labels = torch.tensor([[[SKY, GRASS], [ROAD, BUILDING]]])
    out = winter(image, labels)
    assert torch.allclose(out[0, :, 1], image[0, :, 1], atol=1e-6)
    grey = 0.6  # (0.2 + 1) / 2 in [0, 1]
    assert out[0, :, 0, 0].tolist() == pytest.approx([(0.35 + 0.5 * grey) * 2 - 1] * 3, abs=1e-6)  # overcast
    # snow: 0.78 + 0.25·(grey − mean grey) with every pixel at the same grey, tinted (0.93, 0.96, 1)
    assert out[0, :, 0, 1].tolist() == pytest.approx([0.78 * t * 2 - 1 for t in (0.93, 0.96, 1.0)], abs=1e-6)


def test_seasons_halves_are_different_scenes():
    data = LayoutsSeasons(resolution=32, split="val", size=4).tensors()
    assert set(data) == {"image", "image_b", "image_b_true", "label_map"}
    assert torch.equal(data["image_b_true"], winter(data["image"], data["label_map"]))
    assert not any(torch.equal(data["image_b"][i], data["image_b_true"][i]) for i in range(4))


# -- a short training run learns --------------------------------------------------------------------------
def test_short_training_run_moves_towards_the_true_counterparts(tmp_path):
    from zoo.training.recipe import train_architecture

    config = {"resolution": 32, "width": 8, "num_blocks": 1, "d_width": 8}
    out = train_architecture("cyclegan", dataset="layouts-seasons", steps=80, out=tmp_path / "run", config=config,
                             batch_size=8, seed=0, log_every=1000, progress=False, checkpoint_every=0)
    model = zoo.load(f"local-dir:{out}")
    val = LayoutsSeasons(resolution=32, split="val", size=32).tensors()
    torch.manual_seed(0)
    fresh = zoo.create("cyclegan", config=config).eval()
    for direction, source, target in (("ab", val["image"], val["image_b_true"]), ("ba", val["image_b_true"], val["image"])):
        trained = F.l1_loss(model.translate(source, direction=direction), target).item()
        untrained = F.l1_loss(fresh.translate(source, direction=direction), target).item()
        assert trained < 0.75 * untrained, (direction, trained, untrained)


# -- the shipped weight set ------------------------------------------------------------------------------
@pytest.mark.slow
def test_shipped_weights_reproduce_their_registry_numbers():
    from zoo import registry
    from zoo_plugins.cyclegan.evaluate import evaluate

    stated = registry.catalog().weight_set("cyclegan.seasons-64").metrics
    got = evaluate(["cyclegan.seasons-64"], n=600)["cyclegan.seasons-64"]
    for key in ("ab_target_rate", "ba_target_rate", "ab_true_l1", "ba_true_l1", "ab_cycle_l1", "ba_cycle_l1"):
        assert got[key] == pytest.approx(stated[key], abs=2e-4)
    assert stated["ab_true_l1"] < 0.5 * stated["identity_true_l1"] and stated["ba_true_l1"] < 0.6 * stated["identity_true_l1"]


def test_domain_judge_is_the_pinned_file_and_tells_the_seasons_apart():
    from zoo_plugins.cyclegan.domain_judge import DomainJudge, accuracy

    judge = DomainJudge.pretrained()
    data = LayoutsSeasons(resolution=64, split="val", size=32).tensors()
    assert accuracy(judge, data["image"], data["image_b_true"]) == 1.0


def test_resumed_run_repeats_the_uninterrupted_one_pools_included(tmp_path):
    from safetensors.torch import load_file

    from zoo.training.recipe import train_architecture

    config = {"resolution": 32, "width": 4, "num_blocks": 1, "d_width": 4, "pool_size": 3}
    common = dict(dataset="layouts-seasons", config=config, batch_size=2, seed=0, log_every=1000, progress=False)
    train_architecture("cyclegan", steps=6, out=tmp_path / "whole", checkpoint_every=0, **common)
    train_architecture("cyclegan", steps=3, out=tmp_path / "part", checkpoint_every=0, **common)
    train_architecture("cyclegan", steps=6, out=tmp_path / "part", checkpoint_every=0, resume=True, **common)
    for role in ("generator", "discriminator_b"):  # D sees pool draws: it differs unless the pools resumed
        whole = load_file(str(tmp_path / "whole" / f"{role}.safetensors"))
        part = load_file(str(tmp_path / "part" / f"{role}.safetensors"))
        assert all(torch.equal(whole[k], part[k]) for k in whole), role
