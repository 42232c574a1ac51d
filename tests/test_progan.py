"""Progressive GAN (Karras et al. 2018): the architecture (shapes at every level of detail, pixel norm after
each generator convolution, equalized scales), the fade-in of generator and discriminator by hand, the
growing schedule against the official formula, WGAN-GP with the drift term by hand, exact resume across a
fade-in, the EMA generator behind the tasks, and a short training run that learns."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from growing_checks import (LinearCritic, check_other_schedule_refused, check_reals_faded_mid_fade,
                            check_resume_across_a_fade_in, check_shapes_at_every_lod)
from torch import nn

import zoo
from zoo.data.batches import TensorBatches
from zoo.data.digits import load_digits_tensors
from zoo.nn.progressive import GrowthSchedule, fade_in, fade_reals, split_lod
from zoo.training.trainer import Trainer
from zoo_plugins.progan.networks import ConvLayer, GanZooMinibatchStdDev, ProGANDiscriminator, ProGANGenerator
from zoo_plugins.progan.objective import ProGANObjective, wgan_gp_drift_loss

TINY = {"z_dim": 8, "resolution": 16, "channel_base": 64, "channel_max": 8, "channels": 1}


def tiny(**overrides):
    torch.manual_seed(0)
    model = zoo.create("progan", config={**TINY, **overrides})
    return model.components["generator"], model.components["discriminator"]


def test_defaults_are_the_papers():
    obj = ProGANObjective()  # the class defaults: the paper's CelebA-HQ run (App. A.1)
    g = obj.growth
    assert (g.resolution, g.start_resolution, g.stabilize_kimg, g.fade_kimg) == (1024, 4, 800, 800)
    assert [g.batch_at(r) for r in (4, 128, 256, 512, 1024)] == [16, 16, 14, 6, 3]
    assert (obj.opt.lr, obj.opt.betas, obj.opt.eps) == (0.001, (0.0, 0.99), 1e-8)
    assert (obj.gp_lambda, obj.drift, obj.ema.decay) == (10.0, 0.001, 0.999)
    G, D = ProGANGenerator(resolution=1024), ProGANDiscriminator(resolution=1024)
    assert G.latent.shape == (512,)
    assert [m.conv.weight.shape[0] for m in G.modules() if isinstance(m, ConvLayer)][::2] == \
        [512, 512, 512, 512, 256, 128, 64, 32, 16]  # Table 2: 4x4 conv, then each block's first conv
    assert isinstance(D.mbstd, nn.Module) and D.mbstd.group_size == 4 and D.mbstd.num_channels == 1


def test_shapes_at_every_level_of_detail():
    G, D = tiny()
    check_shapes_at_every_lod(G, D, G.synthesize)


def test_pixel_norm_follows_every_generator_convolution_and_no_discriminator_layer():
    G, D = tiny()
    seen = []
    hooks = [m.register_forward_hook(lambda m, i, o: seen.append(o)) for m in G.modules() if isinstance(m, ConvLayer)]
    G.synthesize(torch.randn(3, 8))
    for h in hooks:
        h.remove()
    assert len(seen) == 5  # 4x4 conv, two per block at 8 and 16 px
    for out in seen:
        assert torch.allclose(out.square().mean(1), torch.ones(()), atol=1e-5)
    d_outs = []
    hooks = [m.register_forward_hook(lambda m, i, o: d_outs.append(o)) for m in D.modules() if isinstance(m, ConvLayer)]
    D(torch.randn(4, 1, 16, 16))
    assert all(not torch.allclose(o.square().mean(1), torch.ones(()), atol=1e-2) for o in d_outs)


def test_equalized_scales_are_the_he_constants():
    G, D = tiny()
    assert G.dense.weight_gain == pytest.approx(math.sqrt(2) / 4 / math.sqrt(8))  # the official 4x4 dense gain
    assert G.conv.conv.weight_gain == pytest.approx(math.sqrt(2) / math.sqrt(8 * 9))
    assert G.blocks[1].conv0.conv.weight_gain == pytest.approx(math.sqrt(2) / math.sqrt(8 * 9))
    assert G.torgb[2].weight_gain == pytest.approx(1 / math.sqrt(4))  # toRGB: linear, gain 1, 4 channels at 16 px
    assert D.fromrgb[2].conv.weight_gain == pytest.approx(math.sqrt(2))  # 1x1 on one channel
    assert D.dense0.weight_gain == pytest.approx(math.sqrt(2) / math.sqrt(8 * 16))
    assert D.dense1.weight_gain == pytest.approx(1 / math.sqrt(8))
    for name, p in list(G.named_parameters()) + list(D.named_parameters()):  # N(0, 1) weights, zero biases
        if name.endswith("weight") and p.numel() > 8:
            assert 0.6 < p.std().item() < 1.4, name
        elif "bias" in name:
            assert not p.any(), name


def _conv(layer, x):
    """An equalized convolution by hand: weight times its He constant, 'same' padding, bias."""
    w = layer.weight * layer.weight_gain
    return F.conv2d(x, w, layer.bias, padding=w.shape[-1] // 2)


def _pn(x):
    return x / (x.square().mean(1, keepdim=True) + 1e-8).sqrt()


def test_generator_fade_in_by_hand():
    G, _ = tiny(resolution=8)
    with torch.no_grad():
        for p in G.parameters():
            p.normal_()
    z = torch.randn(2, 8)
    x4 = _pn(z) @ (G.dense.weight * G.dense.weight_gain).t()
    x4 = _pn(F.leaky_relu(x4.view(2, -1, 4, 4) + G.dense_bias, 0.2))
    x4 = _pn(F.leaky_relu(_conv(G.conv.conv, x4), 0.2))
    up = x4.repeat_interleave(2, -1).repeat_interleave(2, -2)
    x8 = _pn(F.leaky_relu(_conv(G.blocks[0].conv0.conv, up), 0.2))
    x8 = _pn(F.leaky_relu(_conv(G.blocks[0].conv1.conv, x8), 0.2))
    old = _conv(G.torgb[0], x4).repeat_interleave(2, -1).repeat_interleave(2, -2)
    new = _conv(G.torgb[1], x8)
    with torch.no_grad():
        for lod, alpha in ((1.0, 0.0), (0.75, 0.25), (0.0, 1.0)):
            G.set_lod(lod)
            assert torch.allclose(G.synthesize(z), (1 - alpha) * old + alpha * new, atol=1e-5), lod


@pytest.mark.parametrize("fused", [True, False])
def test_discriminator_fade_in_by_hand(fused):
    """fused (the official Conv1_down): box filter before the second activation; else after it."""
    _, D = tiny(resolution=8, mbstd_group_size=0, fused_scale=fused)
    with torch.no_grad():
        for p in D.parameters():
            p.normal_()
    x = torch.randn(3, 1, 8, 8)

    def head(h):  # the 4x4 epilogue by hand
        h = F.leaky_relu(_conv(D.conv.conv, h), 0.2).flatten(1)
        h = F.leaky_relu(h @ (D.dense0.weight * D.dense0.weight_gain).t() + D.dense0.bias, 0.2)
        return (h @ (D.dense1.weight * D.dense1.weight_gain).t() + D.dense1.bias).squeeze(1)

    new = F.leaky_relu(_conv(D.fromrgb[1].conv, x), 0.2)
    new = F.leaky_relu(_conv(D.blocks[0].conv0.conv, new), 0.2)
    conv1 = D.blocks[0].conv1.conv
    new = (F.leaky_relu(F.avg_pool2d(_conv(conv1, new), 2), 0.2) if fused
           else F.avg_pool2d(F.leaky_relu(_conv(conv1, new), 0.2), 2))
    old = F.leaky_relu(_conv(D.fromrgb[0].conv, F.avg_pool2d(x, 2)), 0.2)
    with torch.no_grad():
        for lod, alpha in ((0.0, 1.0), (0.4, 0.6)):
            D.set_lod(lod)
            assert torch.allclose(D(x), head((1 - alpha) * old + alpha * new), atol=1e-4), lod
        D.set_lod(1.0)  # 4x4 only: the box-filtered image through the lower fromRGB
        assert torch.allclose(D(x), head(old), atol=1e-4)


def test_fade_in_blend_and_faded_reals_by_hand():
    old, new = torch.tensor([1.0, 2.0]), torch.tensor([3.0, 6.0])
    assert torch.allclose(fade_in(old, new, 0.25), torch.tensor([1.5, 3.0]))
    assert split_lod(2.0) == (2, 1.0) and split_lod(1.25) == (1, 0.75)
    x = torch.arange(16.0).view(1, 1, 4, 4)
    blocks = torch.tensor([[2.5, 4.5], [10.5, 12.5]])  # the 2x2 means
    blurred = blocks.repeat_interleave(2, 0).repeat_interleave(2, 1)
    assert torch.equal(fade_reals(x, 0.0), x)
    assert torch.allclose(fade_reals(x, 0.5)[0, 0], 0.5 * x[0, 0] + 0.5 * blurred)
    assert torch.allclose(fade_reals(x, 1.0)[0, 0], blurred)


def test_growing_schedule_follows_the_official_formula():
    s = GrowthSchedule(32, stabilize_kimg=2, fade_kimg=1, batch_size=10, batch_sizes={16: 8, 32: 5})
    # lod = 3 - phase - max(phase_kimg - 2, 0) / 1, phase = floor(kimg / 3)
    for images, lod in ((0, 3.0), (1999, 3.0), (2500, 2.5), (3000, 2.0), (5250, 1.75), (8999, 0.001),
                        (9000, 0.0), (10_000, 0.0)):
        expected = 3 - math.floor(images / 3000) - max(images / 1000 - 3 * math.floor(images / 3000) - 2, 0)
        assert s.lod(images) == pytest.approx(max(expected, 0)) and s.lod(images) == pytest.approx(lod, abs=1e-3)
    segs = s.segments()
    # 4 px for 2000 images at batch 10 (200 steps), fading in 8 px for 1000 (100), 8 px 2000 (200), fading in
    # 16 px at batch 8: 125 steps, 16 px: 250, then 32 px at batch 5 (fade 200 steps) and for ever
    assert [(g.start_step, g.batch_size, g.resolution, g.fading) for g in segs] == [
        (0, 10, 4, False), (200, 10, 8, True), (300, 10, 8, False), (500, 8, 16, True), (625, 8, 16, False),
        (875, 5, 32, True), (1075, 5, 32, False)]
    assert s.phase_starts() == (200, 300, 500, 625, 875, 1075)
    state = s.state_at(700)
    assert state.images_seen == 6000 + 75 * 8 and state.resolution == 16
    assert state.lod == pytest.approx(s.lod(6600)) == 1.0 and state.alpha == 1.0
    assert s.state_at(550).alpha == pytest.approx(1 - (s.lod(5400) - 1))  # half-way through the fade
    with pytest.raises(ValueError):
        GrowthSchedule(24)


class ConstantGenerator(nn.Module):
    def __init__(self, image):
        super().__init__()
        self.image, self.scale = image, nn.Parameter(torch.ones(()))

    def set_lod(self, lod):
        pass

    def sample_latent(self, n, device=None):
        return torch.zeros(n, 1)

    def forward(self, z):
        return self.image.expand(len(z), -1, -1, -1) * self.scale


def test_wgan_gp_with_drift_by_hand():
    real = torch.tensor([[[[1.0, 0.0], [0.0, 1.0]]], [[[2.0, 2.0], [2.0, 2.0]]]])  # D: 1.0, 2.5
    fake = torch.full((1, 1, 2, 2), -1.0)  # D: -0.5
    obj = ProGANObjective(resolution=4, stabilize_kimg=1, fade_kimg=1)
    D, G = LinearCritic(), ConstantGenerator(fake)
    obj.begin_step(0, {"generator": G, "discriminator": D})
    out = obj.losses("discriminator", {"image": real}, {"generator": G, "discriminator": D})
    # ‖w‖ = sqrt(4 · 0.0625) = 0.5 -> GP 0.25; drift on D(real) = 1, 2.5 -> mean square 3.625
    expected = -0.5 - (1.0 + 2.5) / 2 + 10 * 0.25 + 0.001 * 3.625
    assert out.updates["discriminator"].item() == pytest.approx(expected, abs=1e-5)
    assert out.logs["gp"].item() == pytest.approx(0.25, abs=1e-6)
    g = obj.losses("generator", {"image": real}, {"generator": G, "discriminator": D})
    assert g.updates["generator"].item() == pytest.approx(0.5)  # −E[D(G(z))]
    assert wgan_gp_drift_loss(torch.tensor([1.0]), torch.tensor([0.0]), torch.tensor(0.0), 10, 0.5).item() == \
        pytest.approx(-1 + 0.5)


def test_discriminator_sees_reals_faded_like_the_generator():
    """Mid-fade, D's real images are the box-filtered ones crossfaded with their 2x blur (official
    process_reals), at the lod begin_step set on both networks."""
    obj = ProGANObjective(resolution=8, stabilize_kimg=0.016, fade_kimg=0.032, batch_size=8)
    check_reals_faded_mid_fade(obj, LinearCritic((1, 8, 8)), ConstantGenerator(torch.zeros(1, 1, 8, 8)))


def test_objective_declares_growing_batches_resets_and_order():
    obj = ProGANObjective(resolution=16, stabilize_kimg=0.32, fade_kimg=0.16, batch_size=16, batch_sizes={"16": 8})
    assert obj.batch_sizes.starts == (0, 20, 30, 50, 70) and obj.batch_sizes.sizes == (16, 16, 16, 8, 8)
    groups = obj.update_groups()
    assert all(g.reset_optimizer_at == (20, 30, 50, 70) for g in groups)
    assert [p.name for p in obj.schedule(0)] == ["discriminator", "generator"]
    assert not obj.schedule(0)[1].new_batch
    assert ProGANObjective(resolution=16, reset_optimizer=False).update_groups()[0].reset_optimizer_at == ()


def _trainer(seed: int, data_seed: int = 0):
    torch.manual_seed(seed)
    model = zoo.create("progan", config={**TINY, "resolution": 8})
    images, _ = load_digits_tensors(8, "train")
    obj = ProGANObjective(resolution=8, stabilize_kimg=0.024, fade_kimg=0.032, batch_size=8)
    return Trainer(dict(model.components), obj, TensorBatches({"image": images}, 8, seed=data_seed)), obj


def test_resume_across_a_fade_in_is_exact(tmp_path):
    check_resume_across_a_fade_in(_trainer, tmp_path, "lod")


def test_resume_on_another_schedule_is_refused():
    obj = ProGANObjective(resolution=8, stabilize_kimg=0.024, fade_kimg=0.032, batch_size=8)
    other = ProGANObjective(resolution=8, stabilize_kimg=1, fade_kimg=1, batch_size=8)
    check_other_schedule_refused(obj, other)


def test_gan_zoo_minibatch_std_by_hand():
    x = torch.arange(8 * 2 * 1 * 1, dtype=torch.float32).view(8, 2, 1, 1) ** 1.5
    y = GanZooMinibatchStdDev(4)(x)[:, 2, 0, 0]
    for g in range(2):  # consecutive groups of 4, unbiased variance
        group = x[4 * g:4 * g + 4, :, 0, 0]
        std = (group.var(0, unbiased=True) + 1e-8).sqrt().mean()
        assert torch.allclose(y[4 * g:4 * g + 4], std.expand(4))
    assert torch.equal(GanZooMinibatchStdDev(4)(x[:1])[:, 2], torch.zeros(1, 1, 1))
    assert torch.allclose(GanZooMinibatchStdDev(4)(x[:6])[:, 2, 0, 0],
                          (x[:6, :, 0, 0].var(0) + 1e-8).sqrt().mean().expand(6))  # 6 % 4: one group


def test_generate_and_interpolate_use_the_ema_generator_at_full_resolution():
    model = zoo.create("progan", config={**TINY, "resolution": 8})
    ema = model.components["generator"].__class__(z_dim=8, resolution=8, channels=1, channel_base=64, channel_max=8)
    model.components["ema"] = ema.eval()
    images = model.generate(3, seed=0)
    assert images.shape == (3, 1, 8, 8) and images.abs().max() <= 1
    with torch.no_grad():
        expected = ema.eval()(ema.sample_latent(3, generator=torch.Generator().manual_seed(0)))
    assert torch.allclose(images, expected.clamp(-1, 1))
    path = model.interpolate(torch.zeros(8), torch.ones(8), steps=4)
    assert path.shape == (4, 1, 8, 8)


def test_short_training_run_learns_the_digits():
    """Growing 4 -> 8 px on digits (50 steps at 4 px, 50 fading in 8 px, 100 at 8 px) with the paper's
    settings: the samples' pixel histogram and mean image move well towards the data's. Over seeds 0-2 the
    histogram gap ends at 0.30, 0.20, 0.29 (from 0.98, 0.31, 1.09) and the mean-image gap at 0.26, 0.34,
    0.36 (from 0.89, 0.58, 0.52); seed 0 is asserted."""
    torch.manual_seed(0)
    model = zoo.create("progan", config={**TINY, "resolution": 8, "channel_base": 128, "channel_max": 16})
    images, _ = load_digits_tensors(8, "train")
    obj = ProGANObjective(resolution=8, stabilize_kimg=0.8, fade_kimg=0.8, batch_size=16)
    trainer = Trainer(dict(model.components), obj, TensorBatches({"image": images}, 16, seed=0))
    G = model.components["generator"]

    def gaps():
        G.eval()
        with torch.no_grad():
            x = G(G.sample_latent(256, generator=torch.Generator().manual_seed(0)))
        G.train()
        hist = (torch.histc(x, 8, -1, 1) / x.numel() - torch.histc(images, 8, -1, 1) / images.numel()).abs().sum()
        return hist.item(), (x.mean(0) - images.mean(0)).abs().mean().item()

    hist0, mean0 = gaps()
    for _ in range(200):
        trainer.train_step()
    assert float(G.lod) == 0.0  # grown to 8 px
    hist, mean = gaps()
    assert hist < 0.5 * hist0 and mean < 0.5 * mean0


def test_pixel_norm_is_on_by_default_for_the_latent_and_every_block():
    """Sec. 4.2: z is normalised to the unit hypersphere (so scaling z changes nothing) and every
    generator block normalises its features; both can be switched off (pytorch_GAN_zoo variants)."""
    torch.manual_seed(0)
    g = ProGANGenerator(z_dim=8, resolution=8, channel_base=32, channel_max=8).eval()
    z = torch.randn(2, 8)
    with torch.no_grad():
        torch.testing.assert_close(g(z), g(3.0 * z), rtol=0, atol=1e-4)  # float rounding only
    assert g.normalize_latents and all(b.conv0.pixelnorm and b.conv1.pixelnorm for b in g.blocks)
    plain = ProGANGenerator(z_dim=8, resolution=8, channel_base=32, channel_max=8, normalize_latents=False,
                            pixelnorm=False)
    assert not plain.normalize_latents and not any(b.conv0.pixelnorm or b.conv1.pixelnorm for b in plain.blocks)
    with torch.no_grad():
        assert not torch.allclose(plain(z), plain(3.0 * z), atol=1e-3)


def test_minibatch_stddev_from_a_group_of_two_and_schedule_limits():
    assert ProGANDiscriminator(resolution=8, channel_base=32, channel_max=8, mbstd_group_size=2).mbstd is not None
    assert ProGANDiscriminator(resolution=8, channel_base=32, channel_max=8, mbstd_group_size=1).mbstd is None
    GrowthSchedule(resolution=8, stabilize_kimg=0, fade_kimg=1, batch_size=1)  # no stabilising phase: allowed
    GrowthSchedule(resolution=8, stabilize_kimg=1, fade_kimg=0)  # no fade: allowed
    with pytest.raises(ValueError, match="not both 0"):
        GrowthSchedule(resolution=8, stabilize_kimg=0, fade_kimg=0)
    with pytest.raises(ValueError, match="batch sizes must be >= 1"):
        GrowthSchedule(resolution=8, batch_sizes={8: 0})
