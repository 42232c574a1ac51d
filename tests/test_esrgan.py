"""ESRGAN (Wang et al. 2018): RRDB without batch norm and with residual scaling 0.2 (by hand), the
relativistic average losses by hand, the perceptual loss before activation, the two stages' routing,
network interpolation, and the upscale task's tiling on these networks."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from sr_stand_ins import InputRecorder
from torch import nn

from zoo_plugins.esrgan.discriminator import VGGStyleDiscriminator
from zoo_plugins.esrgan.interpolation import interpolate_weights
from zoo_plugins.esrgan.networks import RRDB, RRDBNet, ResidualDenseBlock, SRVGGNetCompact, build_generator
from zoo_plugins.esrgan.objective import (ESRGANObjective, relativistic_discriminator_loss,
                                          relativistic_generator_loss)


def test_rrdbnet_has_no_batch_norm_and_the_configured_sizes():
    g = RRDBNet(nf=16, nb=3, gc=8)
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d)) for m in g.modules())
    assert len(g.body) == 3 and all(isinstance(b, RRDB) for b in g.body)
    dense = g.body[0].rdb1
    assert [dense.conv1.in_channels, dense.conv5.in_channels, dense.conv5.out_channels] == [16, 16 + 4 * 8, 16]


def test_dense_block_and_rrdb_scale_their_residuals_by_0_2():
    """By hand: five convolutions on the growing concatenation, LeakyReLU(0.2) on the first four."""
    torch.manual_seed(0)
    block = ResidualDenseBlock(4, 2)
    x = torch.randn(1, 4, 5, 5)
    feats = [x]
    for conv in (block.conv1, block.conv2, block.conv3, block.conv4):
        h = conv(torch.cat(feats, 1))
        feats.append(torch.where(h > 0, h, 0.2 * h))
    assert torch.allclose(block(x), x + 0.2 * block.conv5(torch.cat(feats, 1)), atol=1e-6)
    rrdb = RRDB(4, 2)
    assert torch.allclose(rrdb(x), x + 0.2 * rrdb.rdb3(rrdb.rdb2(rrdb.rdb1(x))), atol=1e-6)


@pytest.mark.parametrize("scale,fold", [(4, 1), (2, 2), (1, 4)])
def test_real_esrgan_variants_fold_the_input_and_upscale_any_size(scale, fold):
    g = RRDBNet(nf=8, nb=1, gc=4, scale=scale).eval()
    assert g.conv_first.in_channels == 3 * fold * fold
    with torch.no_grad():
        assert g(None, torch.rand(1, 3, 9, 7)).shape == (1, 3, 9 * scale, 7 * scale)  # odd: reflect-padded


def test_srvgg_compact_adds_the_nearest_upsampled_input():
    g = SRVGGNetCompact(nf=4, num_conv=2, scale=2)
    with torch.no_grad():
        for p in g.body[-1].parameters():
            p.zero_()  # the body then gives 0: the output is the nearest-neighbour upsampling
    x = torch.rand(1, 3, 4, 5)
    assert torch.equal(g(None, x), x.repeat_interleave(2, 2).repeat_interleave(2, 3))
    with pytest.raises(ValueError, match="network"):
        build_generator(network="swinir")


def test_discriminator_stages_follow_the_resolution():
    d = VGGStyleDiscriminator(resolution=128, d_width=8)
    strides = [m.stride[0] for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert strides == [1, 2] * 5 and d.head[0].in_features == 64 * 4 * 4
    assert VGGStyleDiscriminator(resolution=32, d_width=4)(torch.rand(2, 3, 32, 32)).shape == (2,)
    with pytest.raises(ValueError, match="4·2"):
        VGGStyleDiscriminator(resolution=48)


def _sigmoid_log(v):
    return math.log(1 / (1 + math.exp(-v)))


def test_relativistic_average_losses_by_hand():
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([0.5, -1.5])
    mean_r, mean_f = 2.0, -0.5
    # L_D = −½[mean_r log σ(C_r − E C_f) + mean_f log(1 − σ(C_f − E C_r))]; 1 − σ(v) = σ(−v)
    want_d = -0.5 * (sum(_sigmoid_log(r - mean_f) for r in (1.0, 3.0)) / 2
                     + sum(_sigmoid_log(-(f - mean_r)) for f in (0.5, -1.5)) / 2)
    want_g = -0.5 * (sum(_sigmoid_log(-(r - mean_f)) for r in (1.0, 3.0)) / 2
                     + sum(_sigmoid_log(f - mean_r) for f in (0.5, -1.5)) / 2)
    assert math.isclose(float(relativistic_discriminator_loss(real, fake)), want_d, rel_tol=1e-6)
    assert math.isclose(float(relativistic_generator_loss(real, fake)), want_g, rel_tol=1e-6)


def test_relativistic_losses_differ_from_the_standard_gan():
    """A constant shift of C changes nothing for the relativistic loss (only differences count), unlike
    the standard cross-entropy."""
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([0.5, -1.5])
    assert torch.allclose(relativistic_discriminator_loss(real + 5, fake + 5), relativistic_discriminator_loss(real, fake))
    standard = F.softplus(-real).mean() + F.softplus(fake).mean()
    assert not torch.allclose(standard, F.softplus(-(real + 5)).mean() + F.softplus(fake + 5).mean())


def _parts(stage):
    torch.manual_seed(0)
    g = RRDBNet(nf=4, nb=1, gc=2, scale=4)
    d = VGGStyleDiscriminator(resolution=16, d_width=2)
    objective = ESRGANObjective(stage=stage, feature_network="random-vgg19-quarter", augment=False)
    batch = {"low_res": torch.rand(2, 3, 4, 4) * 2 - 1, "image": torch.rand(2, 3, 16, 16) * 2 - 1}
    return g, d, objective, batch


def test_psnr_stage_is_l1_on_unit_images_and_trains_only_g():
    g, d, objective, batch = _parts("psnr")
    assert [p.name for p in objective.schedule(0)] == ["generator"]
    out = objective.losses("generator", batch, {"generator": g, "discriminator": d})
    want = (g(None, (batch["low_res"] + 1) / 2) - (batch["image"] + 1) / 2).abs().mean()
    assert torch.allclose(out.updates["generator"], want, atol=1e-6)


def test_gan_stage_generator_loss_is_percep_plus_ra_plus_l1():
    g, d, objective, batch = _parts("gan")
    assert [p.name for p in objective.schedule(0)] == ["generator", "discriminator"]
    out = objective.losses("generator", batch, {"generator": g, "discriminator": d})
    low, high = (batch["low_res"] + 1) / 2, (batch["image"] + 1) / 2
    fake = g(None, low)
    trunk = objective.perceptual.trunk
    feats = lambda x: trunk(x, ("conv5_4",), normalize=True)["conv5_4"]  # noqa: E731  before activation
    percep = (feats(fake) - feats(high)).abs().mean()
    adv = relativistic_generator_loss(d(high), d(fake))
    want = percep + 5e-3 * adv + 1e-2 * (fake - high).abs().mean()
    assert torch.allclose(out.updates["generator"], want, atol=1e-6)
    relu = (feats(fake).relu() - feats(high).relu()).abs().mean()  # after activation: a different number
    assert not torch.isclose(percep, relu)


def test_gan_stage_discriminator_loss_leaves_g_alone():
    g, d, objective, batch = _parts("gan")
    out = objective.losses("discriminator", batch, {"generator": g, "discriminator": d})
    fake = g(None, (batch["low_res"] + 1) / 2)
    want = relativistic_discriminator_loss(d((batch["image"] + 1) / 2), d(fake))
    assert torch.allclose(out.updates["discriminator"], want, atol=1e-6)
    out.updates["discriminator"].backward()
    assert all(p.grad is None for p in g.parameters())


def test_network_interpolation_blends_each_weight():
    psnr = {"w": torch.tensor([0.0, 2.0]), "n": torch.tensor(3)}
    gan = {"w": torch.tensor([4.0, 6.0]), "n": torch.tensor(7)}
    out = interpolate_weights(psnr, gan, 0.25)
    assert torch.equal(out["w"], torch.tensor([1.0, 3.0])) and int(out["n"]) == 7
    from zoo.errors import ZooError

    with pytest.raises(ZooError, match="alpha"):
        interpolate_weights(psnr, gan, 1.5)
    with pytest.raises(ZooError, match="one architecture"):
        interpolate_weights(psnr, {"v": torch.zeros(2)}, 0.5)


def test_interpolation_task_on_loaded_models(tmp_path):
    """α = 0 gives the PSNR model's outputs, α = 1 the GAN model's, through zoo.api."""
    from zoo import api

    torch.manual_seed(0)
    config = {"nf": 4, "nb": 1, "gc": 2, "resolution": 16, "d_width": 2}
    psnr, gan = api.create("esrgan", config=config), api.create("esrgan", config=config)
    x = torch.rand(1, 3, 6, 6)
    for alpha, want in ((0.0, psnr), (1.0, gan)):
        blended = gan.interpolate_networks(psnr, alpha)
        assert torch.allclose(blended.upscale(x), want.upscale(x), atol=1e-6)
    half = gan.interpolate_networks(psnr, 0.5).components["generator"].conv_last.weight
    assert torch.allclose(half, (psnr.components["generator"].conv_last.weight
                                 + gan.components["generator"].conv_last.weight) / 2)


# receptive-field radius in input pixels: RRDBNet nb=1 has 17 3×3 convs before upsampling (at the folded
# size for ×2: 34 input px), then 1 at ×2 and 3 at ×4; SRVGGNetCompact with num_conv=2 has 4 convs
@pytest.mark.parametrize("network,scale,size,tile,overlap", [("rrdb", 4, (30, 27), 8, 20),
                                                             ("rrdb", 2, (60, 52), 12, 38),
                                                             ("srvgg", 4, (21, 18), 8, 4)])
def test_tiled_upscale_equals_untiled(network, scale, size, tile, overlap):
    """Tiles with at least the receptive field's radius of context give the untiled output to 1e-5; a ×2
    RRDBNet folds each tile by 2 (even tiles and overlap keep the fold's grid); edges reflect-pad alike."""
    from zoo import api

    torch.manual_seed(0)
    config = {"network": network, "nf": 4, "nb": 1, "gc": 2, "num_conv": 2, "scale": scale, "resolution": 16,
              "d_width": 2}
    model = api.create("esrgan", config=config)
    x = torch.rand(1, 3, *size)
    assert torch.allclose(model.upscale(x, tile=tile, overlap=overlap), model.upscale(x), atol=1e-5)


def test_breakage_too_little_overlap_shows_seams():
    """Breakage check: context below the receptive field changes the output (the test above can fail)."""
    from zoo import api

    torch.manual_seed(0)
    model = api.create("esrgan", config={"nf": 4, "nb": 1, "gc": 2, "resolution": 16, "d_width": 2})
    x = torch.rand(1, 3, 30, 27)
    assert (model.upscale(x, tile=8, overlap=0) - model.upscale(x)).abs().max() > 1e-4


def test_esrgan_objective_defaults_are_the_papers():
    """Sec. 4.1: Adam(2e-4, β = (0.9, 0.999)) halved every 2·10⁵ updates for the PSNR stage; the GAN
    stage adds D with the same optimiser and schedule, λ = 5e-3, η = 1e-2, L1 on VGG19 conv5_4."""
    import inspect

    defaults = {k: p.default for k, p in inspect.signature(ESRGANObjective).parameters.items()}
    assert defaults["feature_network"] == "vgg19" and defaults["perceptual_layer"] == "conv5_4"
    assert defaults["augment"] is True and defaults["scale"] == 4
    psnr = ESRGANObjective()
    assert psnr.stage == "psnr" and psnr.perceptual is None and psnr.auxiliary() == {}
    (group,) = psnr.update_groups()
    assert (group.name, group.roles) == ("generator", ("generator",))
    assert (group.optimizer.name, group.optimizer.lr, group.optimizer.betas) == ("adam", 2e-4, (0.9, 0.999))
    assert [group.lr_schedule.multiplier(s) for s in (199_999, 200_000, 400_000, 800_000)] == [1, 0.5, 0.25, 0.0625]
    assert [(p.name, p.groups) for p in psnr.schedule(0)] == [("generator", ("generator",))]

    gan = ESRGANObjective(stage="gan", feature_network="random-vgg19-quarter", lr=1e-4, lr_milestones=(50,))
    assert (gan.l1_weight, gan.adversarial_weight, gan.perceptual_weight) == (1e-2, 5e-3, 1.0)
    assert gan.perceptual.layers == ("conv5_4",) and gan.perceptual.criterion == "l1"
    assert gan.auxiliary() == {"perceptual": gan.perceptual}
    groups = {g.name: g for g in gan.update_groups()}
    assert {n: g.roles for n, g in groups.items()} == {"generator": ("generator",), "discriminator": ("discriminator",)}
    for g in groups.values():
        assert g.optimizer.lr == 1e-4 and g.optimizer.betas == (0.9, 0.999)
        assert (g.lr_schedule.multiplier(49), g.lr_schedule.multiplier(50)) == (1, 0.5)
    # G then D on the same batch (the authors' order)
    assert [(p.name, p.groups, p.new_batch) for p in gan.schedule(0)][1] == ("discriminator", ("discriminator",), False)
    assert [(p.name, p.groups) for p in gan.schedule(0)][0] == ("generator", ("generator",))
    with pytest.raises(ValueError, match="stage must be one of psnr, gan"):
        ESRGANObjective(stage="perceptual")


def test_unit_pair_maps_to_unit_range_and_turns_both_images_alike():
    """augment: one of the eight symmetries of the square, the same for LR and HR (by hand: the HR
    image of a pair is the LR image upsampled, so the pair stays a pair after any symmetry)."""
    from zoo_plugins.esrgan.objective import unit_pair

    low = torch.arange(12.0).view(1, 1, 3, 4) / 12 * 2 - 1
    high = low.repeat_interleave(2, 2).repeat_interleave(2, 3)
    plain = unit_pair({"low_res": low, "image": high}, augment=False)
    assert torch.equal(plain[0], (low + 1) / 2) and torch.equal(plain[1], (high + 1) / 2)
    torch.manual_seed(0)
    seen = set()
    for _ in range(64):
        a, b = unit_pair({"low_res": low, "image": high}, augment=True)
        assert torch.equal(a.repeat_interleave(2, 2).repeat_interleave(2, 3), b)
        seen.add(tuple(a.flatten().tolist()))
    symmetries = {tuple(t.flatten().tolist()) for k in range(4)
                  for t in (torch.rot90((low + 1) / 2, k, (2, 3)), torch.rot90((low + 1) / 2, k, (2, 3)).flip(3))}
    assert seen == symmetries  # all eight, and nothing else


@pytest.mark.parametrize("act,kind,slope", [("prelu", nn.PReLU, None), ("relu", nn.ReLU, None),
                                            ("lrelu", nn.LeakyReLU, 0.1)])
def test_srvgg_compact_layout_and_activations(act, kind, slope):
    """Real-ESRGAN's SRVGGNetCompact (BasicSR's defaults: 64 features, 16 body convolutions, ×4): conv +
    act, num_conv × (conv + act), conv to 3·scale² channels; [0, 1] in and out."""
    g = SRVGGNetCompact(act=act)
    convs = [m for m in g.body if isinstance(m, nn.Conv2d)]
    acts = [m for m in g.body if isinstance(m, kind)]
    assert len(convs) == 18 and len(acts) == 17 and len(g.body) == 35 and g.scale == 4
    assert [c.out_channels for c in convs] == [64] * 17 + [3 * 16] and convs[0].in_channels == 3
    assert all(isinstance(m, nn.Conv2d) for m in g.body[::2]) and all(isinstance(m, kind) for m in g.body[1::2])
    if kind is nn.PReLU:
        assert all(a.num_parameters == 64 for a in acts)
    if slope is not None:
        assert all(a.negative_slope == slope for a in acts)
    assert g.condition.value_range == (0.0, 1.0) and g.output.value_range == (0.0, 1.0)
    assert g.condition.shape == (3, "H", "W") and g.output.shape == (3, "H", "W")
    with pytest.raises(ValueError, match="act must be prelu, relu or lrelu"):
        SRVGGNetCompact(act="gelu")


def test_esrgan_example_batch_pairs_a_random_image_with_its_bicubic_downscale():
    """The benchmark's batch: photos-sr's degradation (anti-aliased bicubic ×1/scale) of the HR image."""
    from zoo.data.photos_sr import bicubic_downscale

    image = torch.rand(2, 3, 16, 16) * 2 - 1
    image[0, 0, 0, 0], image[1, 2, 5, 7] = -1.0, 1.0  # the full range: both clamps then agree
    for scale in (4, 2):
        out = ESRGANObjective(scale=scale).example_batch({"image": image}, torch.Generator())
        assert out["image"] is image and out["low_res"].shape == (2, 3, 16 // scale, 16 // scale)
        assert torch.allclose(out["low_res"], bicubic_downscale(image, scale), atol=1e-6)


def test_both_stages_train_on_turned_pairs_by_default_and_log_their_terms():
    low = torch.arange(16.0).view(1, 1, 4, 4).repeat(2, 3, 1, 1) / 16 * 2 - 1  # no symmetry of its own
    batch = {"low_res": low, "image": low.repeat_interleave(4, 2).repeat_interleave(4, 3)}
    unit = (low + 1) / 2
    turned = {tuple(torch.rot90(unit, t, dims=(2, 3)).flip(3).flatten().tolist()) for t in range(4)} | \
        {tuple(torch.rot90(unit, t, dims=(2, 3)).flatten().tolist()) for t in range(4)}
    want_logs = {"psnr": {"g_l1"}, "gan": {"g_loss", "g_l1", "g_percep", "g_adv", "d_loss"}}
    for stage in ("psnr", "gan"):
        objective = ESRGANObjective(stage=stage, feature_network="random-vgg19-quarter")
        assert objective.augment is True
        g, d = InputRecorder(4), VGGStyleDiscriminator(resolution=16, d_width=2)
        torch.manual_seed(0)
        outs = [objective.losses(p.name, batch, {"generator": g, "discriminator": d})
                for p in objective.schedule(0) * 8]
        inputs = {tuple(x.flatten().tolist()) for x in g.seen}
        assert inputs <= turned and len(inputs) > 2
        assert {k for out in outs for k in out.logs} == want_logs[stage]
        total = outs[0].logs["g_l1" if stage == "psnr" else "g_loss"]  # the generator's phase comes first
        assert torch.equal(total, outs[0].updates["generator"].detach())
    with pytest.raises(ValueError, match="unknown phase 'critic'"):
        objective.losses("critic", batch, {"generator": g, "discriminator": d})


def test_rrdbnet_specs_size_checks_and_reflect_padding_of_a_partly_odd_input():
    for bad in ({"nf": 0}, {"nb": 0}, {"gc": 0}):
        with pytest.raises(ValueError, match="nf, nb and gc must be >= 1"):
            RRDBNet(**{"nf": 4, "nb": 1, "gc": 2, **bad})
    torch.manual_seed(0)
    g = RRDBNet(nf=4, nb=1, gc=2, scale=2).eval()  # x2plus: the input folded by pixel-unshuffle ×2
    assert (g.condition.shape, g.condition.value_range) == ((3, "H", "W"), (0.0, 1.0))
    assert (g.output.shape, g.output.value_range) == ((3, "H", "W"), (0.0, 1.0))
    x = torch.rand(1, 3, 5, 6)  # only the height needs a pad to the fold
    with torch.no_grad():
        want = g(None, F.pad(x, (0, 0, 0, 1), mode="reflect"))[..., :10, :12]  # padded by hand, cropped
        torch.testing.assert_close(g(None, x), want, rtol=0, atol=1e-6)


def test_discriminator_layout_layer_by_layer():
    """ESRGAN's VGG-style D (BasicSR's VGGStyleDiscriminator): per stage a 3×3 stride-1 and a 4×4 stride-2
    convolution, widths doubling up to 8× d_width, batch norm after every convolution but the first (which
    keeps its bias; the normalised ones have none), LeakyReLU 0.2, then Linear(16·C, 100), LeakyReLU 0.2,
    Linear(100, 1)."""
    d = VGGStyleDiscriminator(resolution=64, d_width=2)  # 4 stages: widths 2, 4, 8, 16
    want = []
    for i, w in enumerate([2, 4, 8, 16]):
        c_in = 3 if i == 0 else [2, 4, 8, 16][i - 1]
        want += [("conv", c_in, w, 3, 1, i == 0), *([] if i == 0 else [("bn", w)]), ("lrelu", 0.2),
                 ("conv", w, w, 4, 2, False), ("bn", w), ("lrelu", 0.2)]
    got = []
    for m in d.trunk:
        if isinstance(m, nn.Conv2d):
            got.append(("conv", m.in_channels, m.out_channels, m.kernel_size[0], m.stride[0], m.bias is not None))
        elif isinstance(m, nn.BatchNorm2d):
            got.append(("bn", m.num_features))
        else:
            got.append(("lrelu", m.negative_slope))
    assert got == want
    widths = [m.out_channels for m in d.trunk if isinstance(m, nn.Conv2d)]
    big = VGGStyleDiscriminator(resolution=512, d_width=1)  # 7 stages: the width stops doubling at 8×
    assert [m.out_channels for m in big.trunk if isinstance(m, nn.Conv2d)] == [w for w in (1, 2, 4, 8, 8, 8, 8)
                                                                               for _ in (0, 1)]
    head = [(type(m).__name__, getattr(m, "negative_slope", None)) for m in d.head]
    assert head == [("Linear", None), ("LeakyReLU", 0.2), ("Linear", None)]
    assert (d.head[0].in_features, d.head[0].out_features, d.head[2].out_features) == (widths[-1] * 16, 100, 1)
    assert d.input.value_range == (0.0, 1.0)
    assert VGGStyleDiscriminator(resolution=8, d_width=2)(torch.rand(2, 3, 8, 8)).shape == (2,)  # one stage
    for bad in (4, 12):
        with pytest.raises(ValueError, match="4·2"):
            VGGStyleDiscriminator(resolution=bad)
