"""3D-GAN and 3D-VAE-GAN (Wu et al. 2016): the networks at 32³ and 64³ against the paper's plan and a
direct computation, the adaptive discriminator update, the KL and reconstruction terms by hand, the
converter of the authors' .t7 generators against a direct PyTorch computation, shape arithmetic, and
short runs that learn."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import zoo
from zoo import registry
from zoo.data.batches import TensorBatches
from zoo.errors import ShapeError
from zoo.interfaces import Discriminator, Encoder, Generator, LatentSpec, OutputSpec, Posterior
from zoo.training.trainer import Trainer
from zoo_plugins.gan3d.convert import T7LayoutError, convert
from zoo_plugins.gan3d.networks import ImageEncoder, VoxelDiscriminator, VoxelGenerator
from zoo_plugins.gan3d.objective import (Gan3DObjective, Gan3DVAEObjective, discriminator_accuracy,
                                         reconstruction_loss)

from gan3d_t7 import Module, generator_sequential, write_t7


def tiny(arch="gan3d", **overrides):
    return zoo.create(arch, config={**registry.catalog().architecture(arch).test_config, **overrides})


def layers(module, kind):
    return [m for m in module.modules() if isinstance(m, kind)]


# -- networks -------------------------------------------------------------------------------------
def test_generator_at_32_follows_the_papers_plan():
    g = VoxelGenerator(latent_dim=200, resolution=32, g_width=8)
    convs = layers(g, nn.ConvTranspose3d)
    assert [(c.in_channels, c.out_channels) for c in convs] == [(200, 32), (32, 16), (16, 8), (8, 1)]
    assert all(c.kernel_size == (4, 4, 4) and c.bias is None for c in convs)
    assert [c.stride[0] for c in convs] == [1, 2, 2, 2] and [c.padding[0] for c in convs] == [0, 1, 1, 1]
    assert len(layers(g, nn.BatchNorm3d)) == 3 and len(layers(g, nn.ReLU)) == 3
    assert isinstance(g.net[-1], nn.Sigmoid)
    with torch.no_grad():
        out = g(g.sample_latent(2, generator=torch.Generator().manual_seed(0)))
    assert out.shape == (2, 1, 32, 32, 32) and 0 <= float(out.min()) and float(out.max()) <= 1
    assert g.output.kind == "voxels" and g.output.value_range == (0.0, 1.0)
    z = g.sample_latent(1000)
    assert g.latent.prior == "uniform" and 0 <= float(z.min()) < 0.01 and 0.99 < float(z.max()) <= 1  # U(0, 1)


def test_networks_at_64_match_the_paper_on_the_meta_device():
    with torch.device("meta"):
        g, d = VoxelGenerator(), VoxelDiscriminator()
        e = ImageEncoder()
        out = g(torch.zeros(2, 200))
        logits = d(torch.zeros(2, 1, 64, 64, 64))
        post = e(torch.zeros(2, 1, 64, 64))
    assert out.shape == (2, 1, 64, 64, 64) and logits.shape == (2,) and post.mean.shape == post.logvar.shape == (2, 200)
    assert [c.out_channels for c in layers(g, nn.ConvTranspose3d)] == [512, 256, 128, 64, 1]  # Sec. 3.1
    widths = [200, 512, 256, 128, 64, 1]
    by_hand = sum(a * b * 64 for a, b in zip(widths, widths[1:])) + 2 * (512 + 256 + 128 + 64)
    assert sum(p.numel() for p in g.parameters()) == by_hand
    assert [c.out_channels for c in layers(d, nn.Conv3d)] == [64, 128, 256, 512, 1]
    assert all(r.negative_slope == 0.2 for r in layers(d, nn.LeakyReLU)) and len(layers(d, nn.LeakyReLU)) == 4
    assert len(layers(d, nn.BatchNorm3d)) == 3  # not after the first convolution


def direct_generator(weights, bns, z):
    """G by hand: transposed convolutions (k4; s1 p0 then s2 p1), eval-mode batch norm, ReLU, sigmoid."""
    h = z.view(len(z), -1, 1, 1, 1)
    for i, w in enumerate(weights):
        h = F.conv_transpose3d(h, w, stride=1 if i == 0 else 2, padding=0 if i == 0 else 1)
        if i < len(weights) - 1:
            gamma, beta, mean, var = bns[i]
            shape = (1, -1, 1, 1, 1)
            h = (h - mean.view(shape)) / torch.sqrt(var.view(shape) + 1e-5) * gamma.view(shape) + beta.view(shape)
            h = h.clamp_min(0)
    return 1 / (1 + torch.exp(-h))


def test_discriminator_and_encoder_shapes_and_one_logit_per_grid():
    torch.manual_seed(0)
    d = VoxelDiscriminator(resolution=32, d_width=4)
    assert [(c.in_channels, c.out_channels, c.stride[0]) for c in layers(d, nn.Conv3d)] == \
        [(1, 4, 2), (4, 8, 2), (8, 16, 2), (16, 1, 1)]
    assert d(torch.rand(3, 1, 32, 32, 32)).shape == (3,)
    e = ImageEncoder(latent_dim=6, image_size=16, e_width=4)
    post = e(torch.rand(3, 1, 16, 16) * 2 - 1)
    assert isinstance(post, Posterior) and post.mean.shape == (3, 6)
    with pytest.raises(ShapeError, match=r"\(N, 1, 32, 32, 32\)"):
        d(torch.rand(3, 1, 16, 16, 16))


@pytest.mark.parametrize("kwargs,message", [
    ({"resolution": 48}, "power-of-two resolution >= 8, got 48"),
    ({"resolution": 4}, "got 4"),
    ({"latent_prior": "cauchy"}, "latent_prior must be 'uniform' or 'normal', got 'cauchy'"),
])
def test_bad_generator_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        VoxelGenerator(**kwargs)


# -- the adaptive update ----------------------------------------------------------------------------
def test_discriminator_accuracy_by_hand():
    real, fake = torch.tensor([1.0, -1.0, 2.0]), torch.tensor([-1.0, 0.5])
    assert discriminator_accuracy(real, fake).item() == pytest.approx(3 / 5)
    assert discriminator_accuracy(torch.tensor([0.0]), torch.tensor([0.0])).item() == 0  # 0 is neither side


@pytest.mark.parametrize("accuracy,updated", [(0.0, True), (0.79, True), (0.8, False), (0.95, False)])
def test_schedule_holds_the_d_phase_only_below_80_percent(accuracy, updated):
    rule_off = Gan3DObjective(d_threshold=1.0)
    rule_off.load_state_dict({"last_accuracy": 1.0})
    assert [p.name for p in rule_off.schedule(0)] == ["discriminator", "generator"]  # threshold 1: always
    objective = Gan3DObjective()
    objective.load_state_dict({"last_accuracy": accuracy})
    names = [p.name for p in objective.schedule(0)]
    assert names == (["discriminator", "generator"] if updated else ["generator"])
    assert objective.state_dict() == {"last_accuracy": accuracy}


class SignD(Discriminator):
    """A stand-in D: logit +5 for a grid holding a voxel exactly 1 (real data are binary), else −5 (a
    sigmoid never reaches 1), so it is always right; `bias` is its only weight."""

    def __init__(self, resolution=8):
        super().__init__()
        self.input = OutputSpec((1, resolution, resolution, resolution), kind="voxels", value_range=(0.0, 1.0))
        self.bias = nn.Parameter(torch.zeros(()))

    def forward(self, x, c=None):
        return torch.where((x == 1).flatten(1).any(1), 5.0, -5.0) + self.bias * x.flatten(1).mean(1)


def ball(resolution=8, radius=2.5):
    c = torch.arange(resolution) - (resolution - 1) / 2
    z, y, x = torch.meshgrid(c, c, c, indexing="ij")
    return ((x * x + y * y + z * z) <= radius ** 2).float()[None]


def test_a_discriminator_that_is_always_right_is_skipped_on_the_next_step():
    torch.manual_seed(0)
    g = tiny()["generator"]
    d = SignD()
    objective = Gan3DObjective(d_lr=0.1)
    data = {"voxels": ball()[None].repeat(8, 1, 1, 1, 1)}
    trainer = Trainer({"generator": g, "discriminator": d}, objective, TensorBatches(data, 4))
    logs = trainer.train_step()  # step 0: never judged yet, so D is updated
    assert logs["d_accuracy"] == 1.0 and objective.last_accuracy == 1.0 and "d_loss" in logs
    before = d.bias.detach().clone()
    assert before.item() != 0.0  # the first step did move D
    adam = {k: v.clone() for k, v in trainer.optimizers["discriminator"].state[d.bias].items()}
    g_before = [p.detach().clone() for p in g.parameters()]
    logs = trainer.train_step()  # accuracy 1.0 >= 0.8: no D phase
    assert "d_loss" not in logs and logs["d_updated"] == 0.0
    assert torch.equal(d.bias, before)  # neither the weight...
    assert all(torch.equal(v, trainer.optimizers["discriminator"].state[d.bias][k]) for k, v in adam.items())  # ...nor Adam moved
    assert any(not torch.equal(a, b) for a, b in zip(g_before, g.parameters()))  # G still learns


def test_a_discriminator_below_80_percent_is_updated():
    torch.manual_seed(0)
    model = tiny()
    objective = Gan3DObjective()
    data = {"voxels": ball()[None].repeat(8, 1, 1, 1, 1)}
    trainer = Trainer(dict(model.components), objective, TensorBatches(data, 4))
    trainer.train_step()
    objective.last_accuracy = 0.5
    d_before = [p.detach().clone() for p in model["discriminator"].parameters()]
    logs = trainer.train_step()
    assert "d_loss" in logs
    assert any(not torch.equal(a, b) for a, b in zip(d_before, model["discriminator"].parameters()))


def test_objective_defaults_follow_section_4():
    objective = zoo.create("gan3d")  # the architecture's objective gets the paper's numbers
    from zoo import build

    obj = build.build_objective(objective.architecture, objective.config, registry.catalog())
    groups = {g.name: g.optimizer for g in obj.update_groups()}
    assert groups["generator"].lr == 0.0025 and groups["discriminator"].lr == 1e-5
    assert groups["generator"].betas[0] == groups["discriminator"].betas[0] == 0.5
    assert obj.d_threshold == 0.8
    with pytest.raises(ValueError, match=r"d_threshold must lie in \(0, 1\], got 1.5"):
        Gan3DObjective(d_threshold=1.5)
    with pytest.raises(ValueError, match="unknown phase 'vae'"):
        Gan3DObjective().losses("vae", {"voxels": torch.zeros(1, 1, 8, 8, 8)}, {})


# -- 3D-VAE-GAN's terms -----------------------------------------------------------------------------
class FixedE(Encoder):
    """q(z|y) with a given mean and log-variance (log-variance −40: samples equal the mean to 2e-9)."""

    def __init__(self, mean, logvar):
        super().__init__()
        self.input = OutputSpec((1, 8, 8))
        self.latent = LatentSpec((2,))
        self.register_buffer("m", mean)
        self.register_buffer("lv", logvar)
        self.w = nn.Parameter(torch.ones(()))

    def forward(self, x, c=None):
        return Posterior(self.m * self.w, self.lv * self.w)


class LinearG(Generator):
    """G(z) = sigmoid of a fixed linear map to a 2×2×2 grid: no batch norm, easy to compute by hand."""

    def __init__(self):
        super().__init__()
        self.latent = LatentSpec((2,), prior="normal")
        self.output = OutputSpec((1, 2, 2, 2), kind="voxels", value_range=(0.0, 1.0))
        self.w = nn.Parameter(torch.linspace(-1, 1, 16).view(8, 2))

    def forward(self, z, c=None):
        return torch.sigmoid(z @ self.w.T).view(-1, 1, 2, 2, 2)


def test_reconstruction_loss_by_hand():
    a = torch.zeros(2, 1, 2, 2, 2)
    b = torch.zeros(2, 1, 2, 2, 2)
    b[0, 0, 0, 0, 0], b[0, 0, 1, 1, 1], b[1, 0, 0, 1, 0] = 1.0, 0.5, 0.25
    assert reconstruction_loss(a, b).item() == pytest.approx(((1 + 0.25) + 0.0625) / 2)


@pytest.mark.parametrize("alpha1,alpha2", [(5.0, 1e-4), (0.5, 2.0)])
def test_vae_phase_terms_by_hand(alpha1, alpha2):
    mean = torch.tensor([[0.5, -1.0], [2.0, 0.0]])
    logvar = torch.full((2, 2), -40.0)
    logvar[1, 1] = -40.0
    E, G = FixedE(mean, logvar), LinearG()
    D = SignD(resolution=2)
    target = torch.zeros(2, 1, 2, 2, 2)
    target[:, 0, 0] = 1.0
    objective = Gan3DVAEObjective(alpha1=alpha1, alpha2=alpha2)
    out = objective.losses("vae", {"voxels": target, "image": torch.zeros(2, 1, 8, 8)},
                           {"encoder": E, "generator": G, "discriminator": D})
    # KL(N(m, e^lv) || N(0, 1)) per sample = 0.5 Σ (m² + e^lv − 1 − lv), batch mean
    kl = sum(0.5 * (m * m + math.exp(-40.0) - 1 + 40.0) for row in mean.tolist() for m in row) / 2
    w = torch.linspace(-1, 1, 16).view(8, 2).tolist()
    recon = 0.0
    for i, (m0, m1) in enumerate(mean.tolist()):
        for v in range(8):
            p = 1 / (1 + math.exp(-(m0 * w[v][0] + m1 * w[v][1])))
            recon += (p - target.view(2, 8)[i, v].item()) ** 2
    recon /= 2
    assert out.logs["kl"].item() == pytest.approx(kl, rel=1e-5)
    assert out.logs["recon"].item() == pytest.approx(recon, rel=1e-4)
    assert out.updates["encoder"].item() == pytest.approx(alpha1 * kl + alpha2 * recon, rel=1e-4)
    # G: −log σ(D(G(z))) with SignD's −5 on every generated grid, plus α2·recon
    assert out.updates["generator"].item() == pytest.approx(math.log1p(math.exp(5.0)) + alpha2 * recon, rel=1e-4)


def test_vae_defaults_are_the_papers_alphas_and_a_normal_prior():
    model = zoo.create("gan3d-vae", config={"resolution": 32, "g_width": 4, "d_width": 4, "e_width": 4})
    from zoo import build

    obj = build.build_objective(model.architecture, model.config, registry.catalog())
    assert (obj.alpha1, obj.alpha2) == (5.0, 1e-4)
    assert model.sampler.latent.prior == "normal"
    assert [p.name for p in obj.schedule(0)] == ["discriminator", "vae"]
    assert {g.name for g in obj.update_groups()} == {"discriminator", "generator", "encoder"}


# -- the authors' .t7 generators ---------------------------------------------------------------------
@pytest.mark.parametrize("prefix", ["nn", "cudnn"])
def test_converter_matches_a_direct_computation(tmp_path, prefix):
    rng = np.random.default_rng(0)
    seq = generator_sequential(rng, [6, 16, 8, 4], prefix)  # nz 6 → 32³: 4 layers
    path = tmp_path / "chair_G_cpu.t7"
    write_t7(path, seq)
    config, states = convert({"checkpoint": path})
    assert config == {"latent_dim": 6, "resolution": 32, "g_width": 4, "latent_prior": "uniform"}
    g = VoxelGenerator(**config)
    g.load_state_dict(states["generator"])
    g.eval()
    mods = [seq.fields["modules"][i] for i in range(1, len(seq.fields["modules"]) + 1)]
    weights = [torch.from_numpy(m.fields["weight"]) for m in mods if m.class_name.endswith("FullConvolution")]
    bns = [tuple(torch.from_numpy(m.fields[k]) for k in ("weight", "bias", "running_mean", "running_var"))
           for m in mods if m.class_name.endswith("BatchNormalization")]
    z = torch.rand(5, 6, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        got = g(z)
    expected = direct_generator(weights, bns, z)  # biases zeroed, as the release's main.lua does
    assert got.shape == (5, 1, 32, 32, 32)
    assert (got - expected).abs().max().item() <= 1e-5
    assert expected.std().item() > 0.01  # not a constant grid: the comparison has something to compare


def test_converter_reads_an_older_running_std(tmp_path):
    rng = np.random.default_rng(1)
    seq = generator_sequential(rng, [4, 8, 4], "nn")  # 16³
    bn = seq.fields["modules"][2]
    var = bn.fields.pop("running_var")
    bn.fields["running_std"] = (1 / np.sqrt(var + 1e-5)).astype("f4")
    write_t7(tmp_path / "g.t7", seq)
    _, states = convert({"checkpoint": tmp_path / "g.t7"})
    assert torch.allclose(states["generator"]["net.1.running_var"], torch.from_numpy(var), rtol=1e-4)


def _broken(rng, what):
    seq = generator_sequential(rng, [4, 8, 4], "nn")
    mods = seq.fields["modules"]
    if what == "stride":
        mods[4].fields["dT"] = 1
    elif what == "order":
        mods[2], mods[3] = mods[3], mods[2]
    elif what == "channels":
        mods[7].fields["weight"] = mods[7].fields["weight"].repeat(2, 1)
    elif what == "root":
        return Module("nn.Linear", weight=np.zeros((2, 2), "f4"))
    return seq


@pytest.mark.parametrize("what,message", [
    ("stride", r"convolution 2 of 3 has stride \(1, 2, 2\), expected \(2, 2, 2\)"),
    ("order", "are not 3D-GAN's"),
    ("channels", r"channel counts \[8, 4, 2\] do not halve"),
    ("root", "expected an nn.Sequential generator, got Linear"),
])
def test_converter_refuses_other_layouts_in_one_line(tmp_path, what, message):
    write_t7(tmp_path / "g.t7", _broken(np.random.default_rng(2), what))
    with pytest.raises(T7LayoutError, match=message):
        convert({"checkpoint": tmp_path / "g.t7"})
    with pytest.raises(T7LayoutError, match="one file"):
        convert({"a": tmp_path / "g.t7", "b": tmp_path / "g.t7"})


def test_official_entries_name_the_converter_and_the_authors_files():
    cat = registry.catalog()
    for cls in ("car", "chair", "desk", "gun", "sofa"):
        ws = cat.weight_set(f"gan3d.{cls}-64")
        assert ws.architecture == "gan3d" and ws.source.converter == "3dgan-t7"
        assert ws.source.url == "http://3dgan.csail.mit.edu/models_cpu/"
        assert ws.source.files["checkpoint"].filename == f"{cls}_G_cpu.t7"
        assert ws.source.files["checkpoint"].sha256 is None and ws.source.unpinned


# -- tasks -------------------------------------------------------------------------------------------
def test_shape_arithmetic_decodes_a_minus_b_plus_c():
    torch.manual_seed(0)
    model = tiny().eval()
    g = model.sampler
    z = [g.sample_latent(1, generator=torch.Generator().manual_seed(s)) for s in (3, 4, 5)]
    out = model.shape_arithmetic(3, 4, 5)
    with torch.no_grad():
        expected = g(torch.cat([z[0], z[1], z[2], z[0] - z[1] + z[2]]))
    assert out.shape == (4, 1, 8, 8, 8) and torch.allclose(out, expected)
    assert torch.allclose(model.shape_arithmetic(z[0][0], 4, 5), expected)
    with pytest.raises(ShapeError, match=r"a seed, a latent of shape \(8,\), got shape \(3,\)"):
        model.shape_arithmetic(torch.zeros(3), 4, 5)


def test_vae_reconstructs_voxels_from_an_image_and_interpolates():
    torch.manual_seed(0)
    model = tiny("gan3d-vae").eval()
    image = torch.rand(2, 1, 8, 8) * 2 - 1
    out = model.reconstruct(image)
    with torch.no_grad():
        expected = model.sampler(model["encoder"](image).mean)
    assert out.shape == (2, 1, 8, 8, 8) and torch.allclose(out, expected)
    assert model.interpolate(image[0], image[1], steps=3).shape == (3, 1, 8, 8, 8)
    assert model.shape_arithmetic(image[0], image[1], 7).shape == (4, 1, 8, 8, 8)


# -- short runs that learn --------------------------------------------------------------------------
def test_short_training_learns_the_shapes_occupancy():
    """On copies of one 8³ ball (occupancy 0.18), the generated occupancy moves from ~0.5 to the ball's."""
    torch.manual_seed(0)
    model = tiny(g_width=8, d_width=8)
    real = ball()
    data = {"voxels": real[None].repeat(64, 1, 1, 1, 1)}
    objective = Gan3DObjective(g_lr=2e-3, d_lr=2e-3)
    trainer = Trainer(dict(model.components), objective, TensorBatches(data, 16))

    def iou():
        model.eval()
        fake = model.generate(32, seed=0) >= 0.5
        model.train()
        return ((fake & (real > 0.5)).flatten(1).sum(1) / (fake | (real > 0.5)).flatten(1).sum(1).clamp_min(1)).mean()

    before = iou().item()
    trainer.fit(120, progress=False)
    assert iou().item() > max(0.7, before + 0.3)


def test_short_training_of_the_vae_learns_to_reconstruct_from_views():
    """Balls and cubes of two sizes, each with a picture: reconstruction error falls by more than half."""
    torch.manual_seed(0)
    from zoo.voxel_render import render_voxels

    c = torch.arange(8) - 3.5
    z, y, x = torch.meshgrid(c, c, c, indexing="ij")
    shapes = torch.stack([((x * x + y * y + z * z) <= r * r).float()[None] for r in (2.0, 3.5)]
                         + [(torch.maximum(torch.maximum(x.abs(), y.abs()), z.abs()) <= h).float()[None]
                            for h in (1.5, 2.5)])
    images = render_voxels(shapes, 8) * 2 - 1
    data = {"voxels": shapes.repeat(16, 1, 1, 1, 1), "image": images.repeat(16, 1, 1, 1)}
    model = tiny("gan3d-vae", g_width=8, d_width=8, e_width=8)
    objective = Gan3DVAEObjective(g_lr=2e-3, d_lr=2e-3, alpha1=1e-3, alpha2=1.0)
    trainer = Trainer(dict(model.components), objective, TensorBatches(data, 16))

    def error():
        model.eval()
        e = (model.reconstruct(images) - shapes).pow(2).mean().item()
        model.train()
        return e

    before = error()
    trainer.fit(120, progress=False)
    assert error() < 0.5 * before


def test_an_official_entry_downloads_converts_and_samples_as_the_release(tmp_path, monkeypatch):
    """gan3d.chair-64's entry with its url pointed at a loopback server holding a small file in the
    release's layout: zoo.load (unpinned: opt-in) converts it, and samples are the direct computation
    on U(0, 1) latents."""
    from url_server import FileServer

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    rng = np.random.default_rng(3)
    seq = generator_sequential(rng, [5, 8, 4], "nn")  # 16³
    write_t7(tmp_path / "chair_G_cpu.t7", seq)
    registry.reset()
    cat = registry.catalog()
    entry = cat.weight_set("gan3d.chair-64")
    try:
        with FileServer({"/models_cpu/chair_G_cpu.t7": (tmp_path / "chair_G_cpu.t7").read_bytes()}) as server:
            source = {"url": server.url + "/models_cpu/", "converter": entry.source.converter,
                      "unpinned": entry.source.unpinned,
                      "files": {"checkpoint": {"filename": "chair_G_cpu.t7", "sha256": None}}}
            ws, = registry.parse_registry({"gan3d.chair-test": {"architecture": "gan3d", "source": source}}, origin="test")
            cat.by_kind["weight set"][ws.name] = ws
            model = zoo.load("gan3d.chair-test", trust_unpinned=True)
        samples = model.generate(3, seed=4)
        z = model.sampler.sample_latent(3, generator=torch.Generator().manual_seed(4))
        mods = [seq.fields["modules"][i] for i in range(1, 7)]
        weights = [torch.from_numpy(mods[i].fields["weight"]) for i in (0, 3)] + [torch.from_numpy(seq.fields["modules"][7].fields["weight"])]
        bns = [tuple(torch.from_numpy(mods[i].fields[k]) for k in ("weight", "bias", "running_mean", "running_var"))
               for i in (1, 4)]
        assert samples.shape == (3, 1, 16, 16, 16)
        assert (samples - direct_generator(weights, bns, z)).abs().max().item() <= 1e-5
        assert 0 <= float(z.min()) and float(z.max()) <= 1
    finally:
        registry.reset()


class RecordingD(SignD):
    def forward(self, x, c=None):
        self.sizes.append(len(x))
        return super().forward(x, c)


def test_real_and_generated_shapes_pass_through_d_as_one_batch():
    torch.manual_seed(0)
    g = tiny()["generator"]
    d = RecordingD()
    d.sizes = []
    trainer = Trainer({"generator": g, "discriminator": d}, Gan3DObjective(),
                      TensorBatches({"voxels": ball()[None].repeat(8, 1, 1, 1, 1)}, 4))
    trainer.train_step()
    assert d.sizes == [8, 8]  # D phase, G phase: 4 real + 4 generated each time


SHIPPED = [n for n in registry.catalog().names("weight set")
           if n.startswith(("gan3d.", "gan3d-vae.")) and registry.catalog().weight_set(n).shipped]


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_weights_reproduce_their_registry_metrics(name):
    """The numbers in registry.yaml, measured again (python -m zoo_plugins.gan3d.measure NAME)."""
    from zoo.metrics.voxel_judge import VoxelJudge
    from zoo.metrics.voxel_scores import judge_voxel_model, reconstruction_iou

    stated = registry.catalog().weight_set(name).metrics
    model = zoo.load(name).eval()
    scores = judge_voxel_model(model, n=int(stated["voxel_judge_samples"]), judge=VoxelJudge.pretrained())
    got = {"voxel_judge_frechet_val": scores["frechet"], "voxel_judge_class_entropy_bits": scores["class_entropy_bits"],
           "voxel_judge_confidence": scores["confidence"], "occupancy": scores["occupancy"],
           "components_mean": scores["components_mean"]}
    if "encoder" in model.components:
        iou = reconstruction_iou(model)
        got.update(reconstruction_iou_mean_val=iou["iou_mean"], reconstruction_iou_median_val=iou["iou_median"])
    for key, value in got.items():
        assert value == pytest.approx(stated[key], abs=1.5 * 10 ** -len(repr(float(stated[key])).split(".")[1])), key


def test_vae_objective_defaults_groups_and_phases():
    obj = Gan3DVAEObjective()
    groups = {g.name: g for g in obj.update_groups()}
    assert groups["generator"].roles == ("generator",) and groups["discriminator"].roles == ("discriminator",)
    assert groups["encoder"].roles == ("encoder",)
    assert (groups["generator"].optimizer.lr, groups["discriminator"].optimizer.lr, groups["encoder"].optimizer.lr) == \
        (0.0025, 1e-5, 0.0025)  # E at G's rate unless told
    assert all(g.optimizer.name == "adam" and g.optimizer.betas == (0.5, 0.999) for g in groups.values())
    assert (obj.alpha1, obj.alpha2, obj.d_threshold, obj.last_accuracy) == (5.0, 1e-4, 0.8, 0.0)
    assert [(p.name, p.groups, p.repeats) for p in obj.schedule(0)] == \
        [("discriminator", ("discriminator",), 1), ("vae", ("encoder", "generator"), 1)]
    custom = Gan3DVAEObjective(g_lr=1.0, d_lr=2.0, e_lr=3.0, beta1=0.1, beta2=0.2, d_threshold=0.5, alpha1=4.0, alpha2=6.0)
    groups = {g.name: g.optimizer for g in custom.update_groups()}
    assert (groups["generator"].lr, groups["discriminator"].lr, groups["encoder"].lr) == (1.0, 2.0, 3.0)
    assert all(o.betas == (0.1, 0.2) for o in groups.values())
    assert (custom.alpha1, custom.alpha2, custom.d_threshold) == (4.0, 6.0, 0.5)
    plain = Gan3DObjective(g_lr=1.0, d_lr=2.0, beta1=0.1, beta2=0.2)
    assert [(g.name, g.roles, g.optimizer.lr, g.optimizer.betas) for g in plain.update_groups()] == \
        [("discriminator", ("discriminator",), 2.0, (0.1, 0.2)), ("generator", ("generator",), 1.0, (0.1, 0.2))]
    fresh = Gan3DObjective()
    fresh.load_state_dict({})
    assert fresh.last_accuracy == 0.0 and isinstance(fresh.last_accuracy, float)


def test_discriminator_and_encoder_layers_follow_the_plan():
    d = VoxelDiscriminator(resolution=32, d_width=4)
    convs = layers(d, nn.Conv3d)
    assert all(c.kernel_size == (4, 4, 4) for c in convs)
    assert [c.padding[0] for c in convs] == [1, 1, 1, 0] and [c.bias is None for c in convs] == [True] * 3 + [False]
    assert [b.num_features for b in layers(d, nn.BatchNorm3d)] == [8, 16]
    assert d.features(torch.rand(2, 1, 32, 32, 32))[0].shape == (2, 16, 4, 4, 4)
    assert d.input.shape == (1, 32, 32, 32) and d.input.kind == "voxels"
    e = ImageEncoder(latent_dim=6, image_size=16, image_channels=3, e_width=4)
    convs = layers(e, nn.Conv2d)
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride[0], c.padding[0], c.bias is None) for c in convs] == \
        [(3, 4, (4, 4), 2, 1, True), (4, 8, (4, 4), 2, 1, True), (8, 12, (4, 4), 1, 0, False)]
    assert [b.num_features for b in layers(e, nn.BatchNorm2d)] == [4, 8] and len(layers(e, nn.ReLU)) == 2
    assert e.input.shape == (3, 16, 16) and e.latent.shape == (6,)
    with pytest.raises(ValueError, match="image encoder needs a power-of-two resolution >= 8, got 12"):
        ImageEncoder(image_size=12)
    g = VoxelGenerator(latent_dim=5, resolution=8, g_width=4, latent_prior="normal")
    assert g.latent.prior == "normal" and g.latent.shape == (5,)
    assert [c.out_channels for c in layers(g, nn.ConvTranspose3d)] == [4, 1]


@pytest.mark.parametrize("what,message", [
    ("kernel", r"convolution 1 of 3 has kernel \(4, 4, 3\), expected \(4, 4, 4\)"),
    ("padding", r"convolution 3 of 3 has padding \(1, 0, 1\), expected \(1, 1, 1\)"),
    ("adj", r"convolution 2 of 3 has adj \(1, 0, 0\), expected \(0, 0, 0\)"),
    ("first_stride", r"convolution 1 of 3 has stride \(2, 2, 2\), expected \(1, 1, 1\)"),
    ("eps", "batch norm eps 0.001, expected 1e-05"),
    ("no_mean", "VolumetricBatchNormalization has no 'running_mean'"),
    ("weight_dims", r"convolution 1 weight has shape \(4, 8, 4, 4\), expected"),
])
def test_converter_names_what_differs_from_the_release(tmp_path, what, message):
    seq = generator_sequential(np.random.default_rng(4), [4, 8, 4], "nn")
    mods = seq.fields["modules"]
    if what == "kernel":
        mods[1].fields["kW"] = 3
    elif what == "padding":
        mods[7].fields["padH"] = 0
    elif what == "adj":
        mods[4].fields["adjT"] = 1
    elif what == "first_stride":
        mods[1].fields.update(dT=2, dH=2, dW=2)
    elif what == "eps":
        mods[2].fields["eps"] = 1e-3
    elif what == "no_mean":
        del mods[2].fields["running_mean"]
    elif what == "weight_dims":
        mods[1].fields["weight"] = mods[1].fields["weight"][..., 0]
    write_t7(tmp_path / "g.t7", seq)
    with pytest.raises(T7LayoutError, match=message):
        convert({"checkpoint": tmp_path / "g.t7"})


class InputRecordingD(SignD):
    def forward(self, x, c=None):
        self.inputs.append(x.detach().clone())
        return super().forward(x, c)


@pytest.mark.parametrize("step, expected", [(0, 0.2), (25, 0.15), (50, 0.1), (100, 0.0), (150, 0.0)])
def test_instance_noise_falls_linearly_to_zero(step, expected):
    objective = Gan3DObjective(instance_noise=0.2, instance_noise_steps=100)
    objective.schedule(step)
    assert objective.noise == pytest.approx(expected)  # 0.2 · (1 − step/100), never below 0
    assert Gan3DObjective().noise == 0.0 and Gan3DObjective(instance_noise=0.2).noise == 0.0  # off by default
    with pytest.raises(ValueError, match="instance_noise must be >= 0, got -0.1"):
        Gan3DObjective(instance_noise=-0.1)


@pytest.mark.parametrize("noise, steps, step, std", [(0.3, 10, 0, 0.3), (0.3, 10, 5, 0.15), (0.0, 0, 0, 0.0),
                                                     (0.3, 10, 10, 0.0)])
def test_d_sees_real_grids_with_instance_noise_of_the_scheduled_std(noise, steps, step, std):
    torch.manual_seed(0)
    g, d = tiny()["generator"], InputRecordingD()
    d.inputs = []
    real = ball()[None].repeat(16, 1, 1, 1, 1)
    trainer = Trainer({"generator": g, "discriminator": d},
                      Gan3DObjective(instance_noise=noise, instance_noise_steps=steps),
                      TensorBatches({"voxels": real}, 16))
    trainer.step = step
    logs = trainer.train_step()
    assert len(d.inputs) == 2  # both phases
    for seen in d.inputs:
        residual = seen[:16] - real  # the real half of the joint batch, minus the grids themselves
        if std == 0.0:
            assert torch.equal(residual, torch.zeros_like(residual))
        else:
            assert residual.std().item() == pytest.approx(std, abs=0.02)
            assert abs(residual.mean().item()) < 0.02
    # SignD spots a real grid by an exact 1; noise hides that, so it calls the real grids fake
    assert logs["d_accuracy"] == (1.0 if std == 0.0 else 0.5)
