"""StyleGAN2 (Karras et al. 2020, arXiv:1912.04958): the paper's defaults, the skip generator and residual
discriminator, the regularisers (lazy R1, path length) by hand, style mixing, truncation, the tasks, and a
short training run that learns."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import zoo
from zoo.data.batches import TensorBatches
from zoo.data.digits import load_digits_tensors
from zoo.nn.equalized import NoiseInjection
from zoo.nn.fir import downsample2d, fir_filter, upsample2d
from zoo.nn.modulated_conv import ModulatedConv2d
from zoo.training.trainer import Trainer
from zoo_plugins.stylegan2.networks import StyleGAN2Discriminator, StyleGAN2Generator
from zoo_plugins.stylegan2.objective import (
    StyleGAN2Objective,
    mix_styles_for_training,
    path_length_penalty,
    path_lengths,
)

TINY = {"z_dim": 8, "w_dim": 8, "resolution": 16, "mapping_layers": 2, "channel_base": 64, "channel_max": 8}


def tiny_model(**overrides):
    torch.manual_seed(0)
    return zoo.create("stylegan2", config={**TINY, **overrides})


# -- the paper's defaults --------------------------------------------------------------------------
def test_defaults_are_the_papers():
    obj = StyleGAN2Objective()
    assert (obj.r1_interval, obj.pl_interval, obj.pl_weight, obj.pl_decay) == (16, 4, 2.0, 0.01)
    assert (obj.pl_batch_shrink, obj.style_mixing_prob) == (2, 0.9)
    assert (obj.ema.kimg, obj.ema.rampup) == (10.0, 0.05)
    assert obj.r1_gamma == 10.0 and obj.augment is None  # γ 10 of config F at 1024 px; ADA off
    # lazy regularisation (App. B): lr·c and betas**c with c = k/(k+1)
    assert obj.d_opt.lr == pytest.approx(0.002 * 16 / 17) and obj.g_opt.lr == pytest.approx(0.002 * 4 / 5)
    assert obj.d_opt.betas == pytest.approx((0.0, 0.99 ** (16 / 17)))
    assert obj.g_opt.betas == pytest.approx((0.0, 0.99 ** (4 / 5)))
    names = [(p.name, p.groups, p.interval) for p in obj.schedule(0)]
    assert names == [("generator", ("generator",), 1), ("path_length", ("generator",), 4),
                     ("discriminator", ("discriminator",), 1), ("r1", ("discriminator",), 16)]
    g = StyleGAN2Generator(resolution=64)  # config F's widths: 512 up to 64 px, 8-layer mapping, lr x0.01
    assert len(g.mapping.layers) == 8 and g.mapping.layers[0].bias_gain == 0.01
    assert g.synthesis.blocks[-1].conv1.weight.shape == (512, 512, 3, 3)
    assert g.num_ws == 10 and g.latent.shape == (512,)
    d = StyleGAN2Discriminator(resolution=64)
    assert (d.mbstd.group_size, d.mbstd.num_channels) == (4, 1)


def test_update_groups_and_the_regularisers_switched_off():
    obj = StyleGAN2Objective(r1_interval=8, pl_interval=2)
    g, d = obj.update_groups()
    assert (g.name, g.roles, d.name, d.roles) == ("generator", ("generator",), "discriminator", ("discriminator",))
    assert g.optimizer.name == d.optimizer.name == "adam"
    assert g.optimizer.lr == pytest.approx(0.002 * 2 / 3) and d.optimizer.lr == pytest.approx(0.002 * 8 / 9)
    # with no penalty there is nothing lazy: Adam as given, and no regulariser phase
    off = StyleGAN2Objective(r1_gamma=0.0, pl_weight=0.0)
    g, d = off.update_groups()
    assert (g.optimizer.lr, g.optimizer.betas) == (0.002, (0.0, 0.99)) == (d.optimizer.lr, d.optimizer.betas)
    assert [p.name for p in off.schedule(0)] == ["generator", "discriminator"]
    ada = StyleGAN2Objective(ada=True, ada_target=0.5, ada_interval=3, ada_kimg=50.0).augment
    assert (ada.target, ada.interval, ada.speed_kimg) == (0.5, 3, 50.0)
    with pytest.raises(ValueError, match="r1_interval must be >= 1"):
        StyleGAN2Objective(r1_interval=0)
    with pytest.raises(ValueError, match=r"style_mixing_prob must be in \[0, 1\]"):
        StyleGAN2Objective(style_mixing_prob=1.5)


def test_constructor_defaults_are_config_f():
    import inspect

    def defaults(cls):
        return {k: v.default for k, v in inspect.signature(cls).parameters.items()}
    g, d = defaults(StyleGAN2Generator), defaults(StyleGAN2Discriminator)
    assert {k: g[k] for k in ("z_dim", "w_dim", "resolution", "channels", "channel_base", "channel_max")} == {
        "z_dim": 512, "w_dim": 512, "resolution": 1024, "channels": 3, "channel_base": 32768, "channel_max": 512}
    assert (g["mapping_layers"], g["mapping_lr_multiplier"], g["w_avg_beta"]) == (8, 0.01, 0.995)
    assert {k: d[k] for k in ("resolution", "channels", "channel_base", "channel_max")} == {
        "resolution": 1024, "channels": 3, "channel_base": 32768, "channel_max": 512}


def test_conv_clamp_reaches_the_layers_nvlabs_clamps():
    """StyleGAN2-ADA clamps every synthesis layer and toRGB, and D's fromRGB, convs and epilogue conv; not
    D's skips or its fully connected layers."""
    g = StyleGAN2Generator(z_dim=8, w_dim=8, resolution=16, channel_base=64, channel_max=8, conv_clamp=3.0)
    layers = [m for m in g.synthesis.modules() if isinstance(m, ModulatedConv2d)]
    assert len(layers) == 2 * 3 + 3 - 1 and all(m.clamp == 3.0 for m in layers)  # conv0/conv1/torgb, 4 px: no conv0
    d = StyleGAN2Discriminator(resolution=16, channel_base=64, channel_max=8, conv_clamp=3.0)
    clamped = [d.blocks[0].fromrgb] + [m for b in d.blocks for m in (b.conv0, b.conv1)] + [d.conv]
    assert all(m.clamp == 3.0 for m in clamped)
    assert all(b.skip.clamp is None for b in d.blocks)


def test_training_images_are_not_clipped_and_eval_noise_is_const():
    G = tiny_model().generator
    with torch.no_grad():
        for m in G.modules():
            if isinstance(m, NoiseInjection):
                m.strength.fill_(0.5)
        G.synthesis.blocks[-1].torgb.bias.fill_(3.0)  # pushes the image far above 1
    ws = G.map_latent(torch.randn(2, 8), update_w_avg=False)
    G.train()
    with torch.no_grad():
        assert G(torch.randn(2, 8)).max() > 1.5  # the loss sees the network's own output
        assert not torch.equal(G.synthesis(ws), G.synthesis(ws))  # fresh noise in training
    G.eval()
    with torch.no_grad():
        assert G(torch.randn(2, 8)).max() <= 1.0
        assert torch.equal(G.synthesis(ws), G.synthesis(ws))  # the fixed noise maps at evaluation


def test_discriminator_forward_goes_through_every_block():
    torch.manual_seed(0)
    d = StyleGAN2Discriminator(resolution=32, channel_base=128, channel_max=16).eval()
    x = torch.randn(4, 3, 32, 32)
    h = x
    for block in d.blocks:  # 32, 16, 8 px
        h = block(h)
    expected = d.out(d.fc(d.conv(d.mbstd(h)).flatten(1))).squeeze(1)
    assert len(d.blocks) == 3 and torch.allclose(d(x), expected, atol=1e-6)


def test_num_ws_and_channels_follow_the_resolution():
    g = StyleGAN2Generator(z_dim=8, w_dim=8, resolution=32, channel_base=256, channel_max=32)
    assert g.num_ws == 8  # 1 conv at 4 px, 2 at 8, 16, 32, plus the last toRGB
    assert [b.conv1.weight.shape[0] for b in g.synthesis.blocks] == [32, 32, 16, 8]
    with pytest.raises(ValueError, match="power-of-two"):
        StyleGAN2Generator(resolution=24)


# -- architecture ----------------------------------------------------------------------------------
def test_skip_generator_sums_the_upsampled_torgb_outputs():
    G = tiny_model().generator.eval()
    with torch.no_grad():
        for block in G.synthesis.blocks[1:]:  # only the 4x4 toRGB speaks
            block.torgb.weight.zero_()
            block.torgb.bias.zero_()
        ws = G.map_latent(torch.randn(2, 8))
        rgb4 = G.synthesis.blocks[0].torgb(G.synthesis.blocks[0].conv1(
            G.synthesis.blocks[0].const.expand(2, -1, -1, -1), ws[:, 0], "const"), ws[:, 1])
        f = fir_filter()
        expected = upsample2d(upsample2d(rgb4, f), f)
        assert torch.allclose(G.synthesis(ws, "const"), expected, atol=1e-5)


def test_discriminator_blocks_are_residual_with_gain_sqrt_half():
    D = tiny_model().components["discriminator"]
    block = D.blocks[1]
    x = torch.randn(4, block.conv0.weight.shape[1], 8, 8)
    with torch.no_grad():
        block.conv1.weight.zero_()
        block.conv1.bias.zero_()
        skip_w = block.skip.weight * block.skip.weight_gain
        expected = math.sqrt(0.5) * F.conv2d(downsample2d(x, fir_filter()), skip_w)
        assert torch.allclose(block(x), expected, atol=1e-5)
    assert block.skip.bias is None and block.skip.activation == "linear"


def test_minibatch_std_feeds_the_epilogue():
    D = tiny_model().components["discriminator"]
    assert D.conv.weight.shape[1] == D.blocks[-1].conv1.weight.shape[0] + 1
    x = torch.randn(8, 1, 16, 16)
    a = D(x)
    b = D(torch.cat([x[:4], x[4:5] * 3, x[5:]]))  # sample 4 shares a std group with sample 0 (i mod 2)
    assert not torch.allclose(a[0], b[0])


# -- losses by hand -------------------------------------------------------------------------------
class QuadraticD(nn.Module):
    """D(x) = v·x + ½‖x‖², so ∇D(x) = v + x."""

    def __init__(self, v):
        super().__init__()
        self.v = nn.Parameter(v)

    def forward(self, x, c=None):
        flat = x.flatten(1)
        return flat @ self.v + 0.5 * flat.square().sum(1)


def test_r1_phase_is_gamma_half_squared_gradient_norm_on_reals():
    torch.manual_seed(0)
    v = torch.randn(16)
    real = torch.randn(3, 1, 4, 4)
    obj = StyleGAN2Objective(r1_gamma=0.7)
    out = obj.losses("r1", {"image": real}, {"generator": None, "discriminator": QuadraticD(v)})
    grad = real.flatten(1).numpy() + v.numpy()
    expected = 0.7 / 2 * (grad ** 2).sum(1).mean()
    assert out.updates["discriminator"].item() == pytest.approx(expected, rel=1e-5)


class LinearSynthesis(nn.Module):
    """A generator whose image is linear in ws: img_n = Σ_l M_l ws[n, l]; its Jacobian is known."""

    def __init__(self, num_ws: int = 3):
        super().__init__()
        self.num_ws = num_ws
        self.M = nn.Parameter(torch.randn(num_ws, 4, 16, generator=torch.Generator().manual_seed(7)))  # (L, w_dim, px)
        self.scale = nn.Parameter(torch.tensor(2.0))  # a "mapping network" w = 2z
        self.latent = zoo.interfaces.LatentSpec((4,))

    def map_latent(self, z, update_w_avg=None):
        return (self.scale * z)[:, None].expand(-1, self.num_ws, -1)

    def sample_latent(self, n, generator=None, device=None):
        return torch.randn(n, 4)

    def synthesis(self, ws):
        return torch.einsum("nld,ldp->np", ws, self.M).view(-1, 1, 4, 4)


def test_path_lengths_by_hand():
    G = LinearSynthesis()
    ws = torch.randn(2, 3, 4).requires_grad_(True)
    noise = torch.randn(2, 1, 4, 4) / 4
    got = path_lengths(G.synthesis(ws), ws, noise)
    M, y = G.M.detach().numpy(), noise.flatten(1).numpy()
    expected = [math.sqrt(np.mean([((M[l] @ y[n]) ** 2).sum() for l in range(3)])) for n in range(2)]
    assert np.allclose(got.detach().numpy(), expected, rtol=1e-5)


def test_path_length_penalty_uses_the_updated_running_mean():
    penalty, mean = path_length_penalty(torch.tensor([2.0, 4.0]), torch.tensor(1.0), 0.01)
    assert mean.item() == pytest.approx(1.02)  # 1 + 0.01·(3 − 1)
    assert np.allclose(penalty.numpy(), [(2 - 1.02) ** 2, (4 - 1.02) ** 2])


def test_path_length_phase_by_hand():
    G = LinearSynthesis()
    obj = StyleGAN2Objective(pl_weight=2.0, pl_batch_shrink=2, style_mixing_prob=0.0)
    obj.pl_mean = torch.tensor(0.5)
    real = torch.zeros(6, 1, 4, 4)
    torch.manual_seed(3)
    out = obj.losses("path_length", {"image": real}, {"generator": G, "discriminator": None})
    torch.manual_seed(3)  # the phase's draws: z for half the batch, then y ~ N(0, I)/sqrt(H·W)
    z = torch.randn(3, 4)
    y = (torch.randn(3, 1, 4, 4) / 4).flatten(1).numpy()
    M = G.M.detach().numpy()
    a = np.array([math.sqrt(np.mean([((M[l] @ y[n]) ** 2).sum() for l in range(3)])) for n in range(3)])
    mean = 0.5 + 0.01 * (a.mean() - 0.5)
    assert out.updates["generator"].item() == pytest.approx(2.0 * ((a - mean) ** 2).mean(), rel=1e-5)
    assert obj.pl_mean.item() == pytest.approx(mean, rel=1e-6)
    assert z.shape == (3, 4)
    assert obj.state_dict()["pl_mean"].item() == pytest.approx(mean, rel=1e-6)


def test_main_losses_are_the_logistic_ones():
    model = tiny_model()
    G, D = model.generator, model.components["discriminator"]
    obj = StyleGAN2Objective(style_mixing_prob=0.0)
    real = torch.rand(4, 1, 16, 16) * 2 - 1
    torch.manual_seed(5)
    d_out = obj.losses("discriminator", {"image": real}, {"generator": G, "discriminator": D})
    torch.manual_seed(5)
    with torch.no_grad():
        fake = G.synthesis(G.map_latent(torch.randn(4, 8)))
        expected = F.softplus(D(fake)).mean() + F.softplus(-D(real)).mean()
    assert d_out.updates["discriminator"].item() == pytest.approx(expected.item(), rel=1e-4)
    torch.manual_seed(6)
    g_out = obj.losses("generator", {"image": real}, {"generator": G, "discriminator": D})
    torch.manual_seed(6)
    with torch.no_grad():
        expected = F.softplus(-D(G.synthesis(G.map_latent(torch.randn(4, 8))))).mean()
    assert g_out.updates["generator"].item() == pytest.approx(expected.item(), rel=1e-4)


# -- style mixing and truncation ---------------------------------------------------------------------
def test_style_mixing_swaps_the_layers_after_a_cutoff():
    G = LinearSynthesis()
    z = torch.randn(5, 4)
    mixed_count, cutoffs = 0, set()
    for seed in range(400):
        torch.manual_seed(seed)
        ws = mix_styles_for_training(G, z, 0.9)
        own = (ws == 2 * z[:, None]).all(dim=2).all(dim=0)  # per layer: still z's w
        cutoff = int(own.int().argmin()) if not own.all() else 3
        assert own[:cutoff].all() and not own[cutoff:].any() and cutoff >= 1
        mixed_count += cutoff < 3
        cutoffs.add(cutoff)
    assert 0.85 * 400 < mixed_count < 0.95 * 400
    assert cutoffs == {1, 2, 3}  # the cutoff is uniform over [1, num_ws): both 1 and 2 occur
    torch.manual_seed(0)
    assert torch.equal(mix_styles_for_training(G, z, 0.0), G.map_latent(z))


def test_truncation_psi_and_cutoff():
    model = tiny_model()
    G = model.generator.eval()
    with torch.no_grad():
        G.w_avg.w_avg.copy_(torch.randn(8))
        same = model.generate(3, seed=1, truncation_psi=0.0)
        assert torch.allclose(same[0], same[1]) and torch.allclose(same[0], same[2])
        z = torch.randn(2, 8)
        ws, cut = G.map_latent(z), G.map_latent(z, psi=0.5, cutoff=2)
        expected = G.w_avg.w_avg + 0.5 * (ws[:, :2] - G.w_avg.w_avg)
        assert torch.allclose(cut[:, :2], expected, atol=1e-6) and torch.equal(cut[:, 2:], ws[:, 2:])


def test_style_mixing_with_two_ws_mixes_and_the_second_latent_leaves_w_avg_alone():
    G = LinearSynthesis(num_ws=2)  # the smallest generator that can mix: cutoff 1
    z = torch.randn(5, 4)
    ws = mix_styles_for_training(G, z, 1.0)
    assert torch.equal(ws[:, 0], 2 * z) and not torch.equal(ws[:, 1], 2 * z)
    G = tiny_model(resolution=8).generator.train()
    expected_avg = 0.005 * G.mapping(z := torch.randn(6, 8)).detach().mean(0)  # only z's batch is tracked
    torch.manual_seed(0)
    ws = mix_styles_for_training(G, z, 1.0)
    assert torch.allclose(ws[:, 0], G.mapping(z).detach()) and not torch.allclose(ws[:, -1], G.mapping(z))
    assert torch.allclose(G.w_avg.w_avg, expected_avg, atol=1e-6)


def test_w_avg_tracks_training_batches_only():
    G = tiny_model().generator
    G.train()
    z = torch.randn(16, 8)
    w = G.mapping(z).detach()
    G.map_latent(z)
    assert torch.allclose(G.w_avg.w_avg, 0.005 * w.mean(0), atol=1e-6)  # lerp(mean w, 0, 0.995)
    before = G.w_avg.w_avg.clone()
    G.eval()
    G.map_latent(z)
    assert torch.equal(G.w_avg.w_avg, before)


# -- tasks ----------------------------------------------------------------------------------------------
def test_mix_styles_interpolate_in_w_and_z():
    model = tiny_model()
    G = model.generator.eval()
    grid = model.mix_styles([1, 2], [3, 4, 5], col_styles=list(range(G.num_ws)))
    cols = G.synthesis(model.seed_ws([3, 4, 5]))
    assert grid.shape == (2, 3, 1, 16, 16)
    assert torch.allclose(grid[1], cols, atol=1e-5)  # all layers from the column: the column's image
    a, b = torch.randn(8), torch.randn(8)
    path = model.interpolate(a, b, 5, space="w")
    with torch.no_grad():
        ends = G.synthesis(G.map_latent(torch.stack([a, b]))).clamp(-1, 1)
        mid = G.synthesis(G.map_latent(torch.stack([a, b])).mean(0, keepdim=True)).clamp(-1, 1)
    assert torch.allclose(path[[0, -1]], ends, atol=1e-5) and torch.allclose(path[2], mid[0], atol=1e-5)
    in_z = model.interpolate(a, b, 5)
    assert torch.allclose(in_z[[0, -1]], ends, atol=1e-5)
    assert not torch.allclose(in_z[2], path[2], atol=1e-3)  # the z midpoint maps elsewhere
    with pytest.raises(zoo.errors.ZooError, match="space must be"):
        model.interpolate(a, b, 3, space="s")


def test_project_finds_a_generated_image_better_than_the_mean():
    model = tiny_model()
    G = model.generator.eval()
    with torch.no_grad():
        target = G(torch.randn(1, 8, generator=torch.Generator().manual_seed(9)))
    result = model.project(target, steps=60, w_avg_samples=64, lr=0.1, noise_weight=0.0)
    assert result.latent.shape == (1, 8) and result.space == "w"
    assert result.losses[-1] < 0.5 * result.losses[0]


# -- training -------------------------------------------------------------------------------------------
def test_short_training_run_learns_the_digits_pixel_histogram():
    """120 steps on 8 px digits with every regulariser on (R1 at steps 0, 16, ..., path length every 4): the
    samples' pixel histogram moves well towards the data's (over seeds 0-2 the gap ends at 0.26-0.58 of
    where it started; it rises above 1 at first, while D learns)."""
    torch.manual_seed(0)
    model = zoo.create("stylegan2", config={**TINY, "resolution": 8, "channel_base": 128, "channel_max": 16})
    images, _ = load_digits_tensors(8, "train")
    obj = StyleGAN2Objective(lr=0.005, r1_gamma=0.1, ema_kimg=0.5)
    trainer = Trainer(dict(model.components), obj, TensorBatches({"image": images}, 16, seed=0))
    G = model.generator

    def gap():
        G.eval()
        with torch.no_grad():
            x = G(G.sample_latent(256, generator=torch.Generator().manual_seed(0)))
        G.train()
        return (torch.histc(x, 8, -1, 1) / x.numel() - torch.histc(images, 8, -1, 1) / images.numel()).abs().sum().item()

    before = gap()
    for _ in range(120):
        trainer.train_step()
    assert obj.pl_mean.item() > 0
    assert gap() < 0.7 * before


def test_zoo_generate_truncation_is_psi(tmp_path, capsys):
    from PIL import Image

    from zoo.cli import main

    model = tiny_model()
    from zoo.hub import save_pretrained

    save_pretrained(model, tmp_path / "m")
    assert main(["generate", f"local-dir:{tmp_path / 'm'}", "-n", "4", "--truncation", "0.5", "--scale", "1",
                 "-o", str(tmp_path / "s.png")]) == 0
    loaded = zoo.load(f"local-dir:{tmp_path / 'm'}")
    expected = loaded.generate(4, seed=0, truncation_psi=0.5)
    untruncated = loaded.generate(4, seed=0)
    grid = torch.from_numpy(np.array(Image.open(tmp_path / "s.png"), dtype=np.float32))
    first = grid[2:18, 2:18] / 127.5 - 1  # make_grid pads by 2
    assert (first - expected[0, 0]).abs().max() < 0.01 and (first - untruncated[0, 0]).abs().max() > 0.01


def test_init_from_a_set_of_another_mapping_depth_keeps_the_synthesis_and_discriminator():
    from zoo.training.warm_start import InitError, load_matching

    deep = tiny_model(mapping_layers=4)
    torch.manual_seed(1)
    shallow = zoo.create("stylegan2", config=TINY)  # 2 mapping layers, other random weights
    source = dict(deep.components)
    with pytest.raises(InitError, match="generator"):  # a strict load refuses the other depth
        load_matching(dict(shallow.components), source, "deep")
    report = load_matching(dict(shallow.components), source, "deep", StyleGAN2Objective.partial_init)
    assert report[0] == ("generator: initialised 48 of 48 tensors from deep; not used from deep: "
                         "mapping.layers.2.weight, mapping.layers.2.bias, mapping.layers.3.weight, mapping.layers.3.bias")
    for role in ("generator", "discriminator"):
        src, dst = source[role].state_dict(), shallow.components[role].state_dict()
        for k, v in dst.items():  # every tensor of the 2-layer model has a same-named, same-shaped source
            assert torch.equal(v, src[k]), k
    assert "mapping.layers.3.weight" in deep.components["generator"].state_dict()
    assert "mapping.layers.3.weight" not in shallow.components["generator"].state_dict()
