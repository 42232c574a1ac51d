"""SRResNet / SRGAN (Ledig et al. 2017): the architecture as the paper's Fig. 4 draws it, the MSE and the
VGG54 content loss computed by hand, the adversarial game's routing, MSRResNet against basicsr, and a
short run that learns."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from sr_stand_ins import InputRecorder
from torch import nn

from zoo_plugins.srgan.adversarial import SRGANObjective, content_loss
from zoo_plugins.srgan.networks import MSRResNet, ResidualBlock, SRGANDiscriminator, SRResNetGenerator, SubPixelBlock
from zoo_plugins.srgan.objective import SRResNetObjective, dihedral


def _convs(module):
    return [m for m in module.modules() if isinstance(m, nn.Conv2d)]


def test_srresnet_has_the_papers_layout():
    g = SRResNetGenerator()  # the defaults are the paper's: width 64, 16 blocks, ×4
    blocks = [m for m in g.modules() if isinstance(m, ResidualBlock)]
    assert len(blocks) == 16
    ups = [m for m in g.modules() if isinstance(m, SubPixelBlock)]
    assert len(ups) == 2 and all(u.shuffle.upscale_factor == 2 and u.conv.out_channels == 256 for u in ups)
    assert g.head[0].kernel_size == (9, 9) and g.tail.kernel_size == (9, 9)
    # conv 9x9, 2 per block, the post-residual conv, 2 sub-pixel convs, conv 9x9
    assert len(_convs(g)) == 1 + 2 * 16 + 1 + 2 + 1


def test_residual_block_places_bn_and_prelu_as_fig4():
    """conv -> BN -> PReLU -> conv -> BN, plus the input: computed by hand from the block's own layers."""
    torch.manual_seed(0)
    block = ResidualBlock(4).eval()
    for bn in (block.bn1, block.bn2):  # non-trivial statistics so that BN's place matters
        bn.running_mean.uniform_(-1, 1), bn.running_var.uniform_(0.5, 2), bn.weight.data.uniform_(0.5, 2)
    block.act.weight.data.fill_(0.1)
    x = torch.randn(2, 4, 6, 6)

    def bn(layer, h):
        return (h - layer.running_mean[:, None, None]) / torch.sqrt(layer.running_var[:, None, None] + layer.eps) \
            * layer.weight[:, None, None] + layer.bias[:, None, None]

    h = bn(block.bn1, F.conv2d(x, block.conv1.weight, block.conv1.bias, padding=1))
    h = torch.where(h > 0, h, 0.1 * h)
    want = x + bn(block.bn2, F.conv2d(h, block.conv2.weight, block.conv2.bias, padding=1))
    assert torch.allclose(block(x), want, atol=1e-5)


def test_generator_takes_unit_range_and_upscales_any_size():
    g = SRResNetGenerator(width=8, blocks=2, scale=4).eval()
    assert g.condition.value_range == (0.0, 1.0) and g.output.value_range == (-1.0, 1.0)
    assert g(None, torch.rand(2, 3, 5, 7)).shape == (2, 3, 20, 28)
    assert SRResNetGenerator(width=8, blocks=1, scale=2)(None, torch.rand(1, 3, 4, 4)).shape == (1, 3, 8, 8)
    with pytest.raises(ValueError, match="scale"):
        SRResNetGenerator(scale=3)


def test_discriminator_has_eight_convolutions_and_the_strides_of_fig4():
    d = SRGANDiscriminator(resolution=96, d_width=64)
    convs = _convs(d)
    assert [c.out_channels for c in convs] == [64, 64, 128, 128, 256, 256, 512, 512]
    assert [c.stride[0] for c in convs] == [1, 2, 1, 2, 1, 2, 1, 2]
    assert all(isinstance(c, nn.Conv2d) and c.kernel_size == (3, 3) for c in convs)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in d.modules()) == 7  # none after the first conv
    assert d.dense[0].in_features == 512 * 6 * 6 and d.dense[0].out_features == 1024
    assert d(torch.rand(2, 3, 96, 96) * 2 - 1).shape == (2,)


def test_dihedral_turns_then_mirrors():
    x = torch.arange(4.0).view(1, 1, 2, 2)  # [[0, 1], [2, 3]]
    assert dihedral(x, 1, False).flatten().tolist() == [1, 3, 0, 2]  # a quarter turn counter-clockwise
    assert dihedral(x, 0, True).flatten().tolist() == [1, 0, 3, 2]


def test_srresnet_loss_is_the_pixel_mse_in_the_hr_range():
    torch.manual_seed(0)
    g = SRResNetGenerator(width=4, blocks=1, scale=2).eval()
    low, high = torch.rand(2, 3, 4, 4) * 2 - 1, torch.rand(2, 3, 8, 8) * 2 - 1
    out = SRResNetObjective(augment=False).losses("generator", {"low_res": low, "image": high}, {"generator": g})
    want = ((g(None, (low + 1) / 2) - high) ** 2).mean()
    assert torch.allclose(out.updates["generator"], want, atol=1e-6)


class _Trunk(nn.Module):
    """A two-layer stand-in trunk with named layers (the FeatureTrunk call convention)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 2, 3, padding=1)
        self.register_buffer("mean", torch.zeros(1, 3, 1, 1))
        self.register_buffer("std", torch.ones(1, 3, 1, 1))

    def forward(self, x, layers, normalize=False):
        h = self.conv(x)
        return {name: value for name, value in (("conv1", h), ("relu1", h.relu())) if name in layers}


def test_content_loss_is_the_mse_of_the_chosen_layer_rescaled():
    """l_VGG = (1/12.75)² · mean((φ(fake) − φ(real))²) on the chosen layer only (relu1, not conv1)."""
    from zoo.features.perceptual import PerceptualLoss

    torch.manual_seed(1)
    trunk = _Trunk()
    loss = PerceptualLoss(trunk, ("relu1",), criterion="mse")
    fake, real = torch.rand(2, 3, 5, 5) * 2 - 1, torch.rand(2, 3, 5, 5) * 2 - 1
    phi = lambda x: trunk.conv((x + 1) / 2).relu()  # noqa: E731
    want = ((phi(fake) - phi(real)) ** 2).mean() / 12.75 ** 2
    assert torch.allclose(content_loss(loss, fake, real, 1 / 12.75), want, atol=1e-7)
    on_conv = ((trunk.conv((fake + 1) / 2) - trunk.conv((real + 1) / 2)) ** 2).mean() / 12.75 ** 2
    assert not torch.allclose(content_loss(loss, fake, real, 1 / 12.75), on_conv, atol=1e-7)


def _srgan_parts():
    torch.manual_seed(0)
    g = SRResNetGenerator(width=4, blocks=1, scale=2)
    d = SRGANDiscriminator(resolution=16, d_width=2, dense=8)
    objective = SRGANObjective(feature_network="random-vgg19", augment=False, lr_drop=10)
    batch = {"low_res": torch.rand(2, 3, 8, 8) * 2 - 1, "image": torch.rand(2, 3, 16, 16) * 2 - 1}
    return g, d, objective, batch


def test_srgan_generator_loss_is_content_plus_1e3_adversarial():
    from zoo import losses

    g, d, objective, batch = _srgan_parts()
    out = objective.losses("generator", batch, {"generator": g, "discriminator": d})
    fake = g(None, (batch["low_res"] + 1) / 2)
    adversarial = F.softplus(-d(fake)).mean()  # −log σ(D(G(x))) by hand
    content = content_loss(objective.perceptual, fake, batch["image"], 1 / 12.75)
    assert torch.allclose(out.updates["generator"], content + 1e-3 * adversarial, atol=1e-6)
    assert torch.allclose(out.logs["g_adv"], losses.nonsaturating_generator_loss(d(fake)), atol=1e-6)


def test_srgan_discriminator_loss_is_the_cross_entropy_and_leaves_g_alone():
    g, d, objective, batch = _srgan_parts()
    out = objective.losses("discriminator", batch, {"generator": g, "discriminator": d})
    fake = g(None, (batch["low_res"] + 1) / 2)
    want = F.softplus(-d(batch["image"])).mean() + F.softplus(d(fake)).mean()
    assert torch.allclose(out.updates["discriminator"], want, atol=1e-6)
    out.updates["discriminator"].backward()
    assert all(p.grad is None for p in g.parameters())


def test_srgan_drops_the_lr_tenfold_at_lr_drop():
    _, _, objective, _ = _srgan_parts()
    schedule = objective.update_groups()[0].lr_schedule
    assert schedule.multiplier(9) == 1.0 and math.isclose(schedule.multiplier(10), 0.1)


def test_msrresnet_matches_basicsr_through_the_converter(tmp_path):
    from sr_references import basicsr_archs

    from zoo_plugins.srgan.convert import convert

    _, _, BasicMSRResNet = basicsr_archs()
    for scale in (4, 2):
        ref = BasicMSRResNet(3, 3, num_feat=8, num_block=2, upscale=scale).eval()
        torch.save({"params": ref.state_dict()}, tmp_path / "msrresnet.pth")
        config, states = convert({"checkpoint": tmp_path / "msrresnet.pth"})
        assert config == {"channels": 3, "width": 8, "blocks": 2, "scale": scale}
        ours = MSRResNet(**config).eval()
        ours.load_state_dict(states["generator"])
        x = torch.rand(1, 3, 7, 9)
        with torch.no_grad():
            assert (ours(None, x) - ref(x)).abs().max() <= 1e-5


def test_a_short_srresnet_run_learns_past_bicubic():
    """On one fixed pair of smooth images, 150 Adam steps take the MSE well below bicubic upsampling's."""
    torch.manual_seed(0)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, 16), torch.linspace(0, 1, 16), indexing="ij")
    high = torch.stack([torch.sin(6 * xx + 3 * yy), torch.cos(5 * yy), torch.sin(4 * xx * yy)])[None]
    low = F.interpolate(high, scale_factor=0.25, mode="bicubic", antialias=True, align_corners=False)
    bicubic = F.mse_loss(F.interpolate(low, scale_factor=4, mode="bicubic", align_corners=False), high)
    g = SRResNetGenerator(width=16, blocks=2, scale=4)
    objective = SRResNetObjective(augment=False)
    opt = objective.update_groups()[0].optimizer.build(g.parameters())
    opt.param_groups[0]["lr"] = 2e-3
    for _ in range(150):
        loss = objective.losses("generator", {"low_res": low, "image": high}, {"generator": g}).updates["generator"]
        opt.zero_grad(), loss.backward(), opt.step()
    g.eval()
    with torch.no_grad():
        assert F.mse_loss(g(None, (low + 1) / 2), high) < 0.5 * bicubic


def test_zoo_eval_psnr_of_an_any_size_upscaler_uses_its_scale_and_input_range(tmp_path):
    """`zoo eval NAME --metric psnr` on photos-sr: crops of the config's resolution, ×scale pairs, the LR
    images given in [0, 1] (the generator's input range), border = scale; by hand on the same pairs."""
    from zoo import api
    from zoo.data.photos_sr import PhotosSR
    from zoo.hub import save_pretrained
    from zoo.metrics import psnr_ssim
    from zoo.metrics.eval import evaluate

    torch.manual_seed(0)
    model = api.create("srresnet", config={"width": 4, "blocks": 1, "resolution": 32}).eval()
    save_pretrained(model, tmp_path / "sr")
    got = evaluate(f"local-dir:{tmp_path / 'sr'}", ["psnr"], against="photos-sr", n=8, batch_size=4)
    pairs = PhotosSR(32, "val", seed=0, scale=4).tensors()
    with torch.no_grad():
        out = model.components["generator"](None, (pairs["low_res"][:8] + 1) / 2)
    want = psnr_ssim.psnr(out, pairs["image"][:8], crop_border=4).mean()
    assert abs(got["metrics"]["psnr"]["psnr"] - float(want)) < 1e-3


def _randomise_bn(module):
    """Non-trivial running statistics and affine weights, so that where a BN sits shows in the output."""
    for bn in (m for m in module.modules() if isinstance(m, nn.BatchNorm2d)):
        bn.running_mean.uniform_(-1, 1), bn.running_var.uniform_(0.5, 2)
        bn.weight.data.uniform_(0.5, 2), bn.bias.data.uniform_(-0.5, 0.5)


def _bn(layer, h):
    return (h - layer.running_mean[:, None, None]) / torch.sqrt(layer.running_var[:, None, None] + layer.eps) \
        * layer.weight[:, None, None] + layer.bias[:, None, None]


def _prelu(h, weight):
    return torch.where(h > 0, h, weight[:, None, None] * h)


def test_srresnet_forward_by_hand():
    """Fig. 4: conv9 + PReLU; the blocks; conv3 + BN added to the first layer's output (the long skip);
    per ×2: conv3 to 4·width, pixel shuffle, PReLU over `width` channels; conv9 to the image."""
    torch.manual_seed(0)
    g = SRResNetGenerator(width=4, blocks=2, scale=4).eval()
    _randomise_bn(g)
    for m in g.modules():
        if isinstance(m, nn.PReLU):
            m.weight.data.uniform_(0.05, 0.5)
    x = torch.rand(1, 3, 5, 6)
    head = _prelu(F.conv2d(x, g.head[0].weight, g.head[0].bias, padding=4), g.head[1].weight)
    h = head + _bn(g.body_end[1], F.conv2d(g.body(head), g.body_end[0].weight, g.body_end[0].bias, padding=1))
    for up in g.upsample:
        assert up.act.num_parameters == 4 and up.conv.out_channels == 16
        h = _prelu(F.pixel_shuffle(F.conv2d(h, up.conv.weight, up.conv.bias, padding=1), 2), up.act.weight)
    want = F.conv2d(h, g.tail.weight, g.tail.bias, padding=4)
    with torch.no_grad():
        assert torch.allclose(g(None, x), want, atol=1e-5)
    assert g.condition.shape == (3, "H", "W") and g.output.shape == (3, "H", "W")
    with pytest.raises(ValueError, match="blocks and width"):
        SRResNetGenerator(width=4, blocks=0)


def test_discriminator_forward_by_hand():
    """Fig. 4 (bottom): conv + LeakyReLU(0.2); seven conv + BN + LeakyReLU(0.2); dense, LeakyReLU(0.2),
    dense 1; `features` gives the first layer's and each block's output."""
    torch.manual_seed(0)
    d = SRGANDiscriminator(resolution=16, d_width=2, dense=8).eval()
    _randomise_bn(d)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    h = F.leaky_relu(F.conv2d(x, d.stem[0].weight, d.stem[0].bias, padding=1), 0.2)
    feats = [h]
    for block in d.blocks:
        conv, bn = block[0], block[1]
        h = F.leaky_relu(_bn(bn, F.conv2d(h, conv.weight, conv.bias, stride=conv.stride, padding=1)), 0.2)
        feats.append(h)
    logit = F.linear(F.leaky_relu(F.linear(h.flatten(1), d.dense[0].weight, d.dense[0].bias), 0.2),
                     d.dense[2].weight, d.dense[2].bias).squeeze(1)
    with torch.no_grad():
        assert torch.allclose(d(x), logit, atol=1e-5)
        got = d.features(x)
        assert len(got) == 8 and all(torch.allclose(a, b, atol=1e-5) for a, b in zip(got, feats))
    assert d.input.value_range == (-1.0, 1.0)
    with pytest.raises(ValueError, match="multiple of 16"):
        SRGANDiscriminator(resolution=24)


def test_objectives_defaults_and_update_order_are_the_papers():
    """Sec. 3.2: Adam(1e-4, β1 = 0.9) for both; SRGAN: D then G on one batch, the 1e-3 adversarial weight,
    VGG54 rescaled by 1/12.75, lr ×0.1 after 10⁵ updates; SRResNet: one G update per step."""
    import inspect

    from zoo_plugins.srgan.objective import training_pair

    mse = SRResNetObjective()
    (group,) = mse.update_groups()
    assert (group.name, group.roles) == ("generator", ("generator",))
    assert (group.optimizer.name, group.optimizer.lr, group.optimizer.betas) == ("adam", 1e-4, (0.9, 0.999))
    assert group.lr_schedule.multiplier(10 ** 6) == 1.0 and mse.augment is True and mse.scale == 4
    assert SRResNetObjective(lr_drop=7).update_groups()[0].lr_schedule.multiplier(7) == pytest.approx(0.1)
    assert [(p.name, p.groups) for p in mse.schedule(0)] == [("generator", ("generator",))]
    with pytest.raises(ValueError, match="unknown phase"):
        mse.losses("discriminator", {}, {})

    defaults = {k: p.default for k, p in inspect.signature(SRGANObjective).parameters.items()}
    assert (defaults["lr"], defaults["beta1"], defaults["lr_drop"]) == (1e-4, 0.9, 100_000)
    assert (defaults["adversarial_weight"], defaults["content_layer"], defaults["content_scale"]) == \
        (1e-3, "relu5_4", 1 / 12.75)
    assert defaults["feature_network"] == "vgg19" and defaults["augment"] is True
    _, _, gan, _ = _srgan_parts()
    groups = {g.name: g for g in gan.update_groups()}
    assert {n: g.roles for n, g in groups.items()} == {"discriminator": ("discriminator",), "generator": ("generator",)}
    assert all((g.optimizer.lr, g.optimizer.betas) == (1e-4, (0.9, 0.999)) for g in groups.values())
    assert gan.perceptual.layers == ("relu5_4",) and gan.perceptual.criterion == "mse"
    assert gan.auxiliary() == {"perceptual": gan.perceptual}
    assert [(p.name, p.groups, p.new_batch) for p in gan.schedule(0)] == \
        [("discriminator", ("discriminator",), True), ("generator", ("generator",), False)]
    with pytest.raises(ValueError, match="adversarial_weight"):
        SRGANObjective(feature_network="random-vgg19", adversarial_weight=-1)
    with pytest.raises(ValueError, match="content_scale"):
        SRGANObjective(feature_network="random-vgg19", content_scale=0)

    # the training pair: LR in [0, 1], HR in [-1, 1], turned by one symmetry alike
    low = torch.arange(12.0).view(1, 1, 3, 4) / 12 * 2 - 1
    high = low.repeat_interleave(2, 2).repeat_interleave(2, 3)
    a, b = training_pair({"low_res": low, "image": high}, augment=False)
    assert torch.equal(a, (low + 1) / 2) and torch.equal(b, high)
    torch.manual_seed(0)
    seen = set()
    for _ in range(64):
        a, b = training_pair({"low_res": low, "image": high}, augment=True)
        assert torch.equal(a.repeat_interleave(2, 2).repeat_interleave(2, 3), (b + 1) / 2)
        seen.add(tuple(a.flatten().tolist()))
    assert len(seen) == 8


def test_example_batch_pairs_a_random_image_with_its_bicubic_downscale():
    from zoo.data.photos_sr import bicubic_downscale

    image = torch.rand(2, 3, 16, 16) * 2 - 1
    image[0, 0, 0, 0], image[1, 2, 5, 7] = -1.0, 1.0  # the full range: both clamps then agree
    for objective in (SRResNetObjective(scale=4), SRGANObjective(feature_network="random-vgg19", scale=2)):
        out = objective.example_batch({"image": image}, torch.Generator())
        want = bicubic_downscale(image, objective.scale).clamp(-1, 1)
        assert out["image"] is image and out["low_res"].shape[-1] == 16 // objective.scale
        assert torch.allclose(out["low_res"], want, atol=1e-6)


def test_the_objectives_train_on_turned_pairs_by_default_and_log_their_terms():
    low = torch.arange(64.0).view(1, 1, 8, 8).repeat(2, 3, 1, 1) / 64 * 2 - 1  # no symmetry of its own
    batch = {"low_res": low, "image": low.repeat_interleave(2, 2).repeat_interleave(2, 3)}
    turned = {tuple(dihedral((low + 1) / 2, t, f).flatten().tolist()) for t in range(4) for f in (False, True)}
    srgan = SRGANObjective(feature_network="random-vgg19", lr_drop=None)
    assert srgan.update_groups()[0].lr_schedule.multiplier(10 ** 9) == 1.0  # no drop asked, none made
    for objective in (SRResNetObjective(scale=2), srgan):
        g, d = InputRecorder(2), SRGANDiscriminator(resolution=16, d_width=2, dense=4)
        torch.manual_seed(0)
        logs = [objective.losses(phase, batch, {"generator": g, "discriminator": d})
                for phase in [p.name for p in objective.schedule(0)] * 8]
        inputs = {tuple(x.flatten().tolist()) for x in g.seen}
        assert inputs <= turned and len(inputs) > 2, "augment=True (the default) turns each pair"
        assert {k for out in logs for k in out.logs} == \
            ({"g_mse"} if objective is not srgan else {"d_loss", "g_loss", "g_content", "g_adv"})
    with pytest.raises(ValueError, match="unknown phase 'critic'"):
        srgan.losses("critic", batch, {"generator": InputRecorder(2), "discriminator": d})
    assert SRGANObjective(feature_network="random-vgg19", adversarial_weight=0).adversarial_weight == 0  # L2 only
