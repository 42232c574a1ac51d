"""SPADE (Park, Liu, Wang, Zhu 2019): the normalisation against a hand-computed γ/β example and a plain
re-implementation, residual blocks with learned shortcuts, spectral norm, the generator's two starts (the
downsampled map; the VAE code), the style encoder, the multi-scale discriminator on [map, image], the
hinge / feature-matching / KL losses by hand, TTUR with linear decay, the synthesize task (seeds, style
images, instance edges) and a short run that learns the classes' appearance."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import zoo
from zoo import build, registry
from zoo.data.batches import TensorBatches
from zoo.data.layouts import Layouts
from zoo.interfaces import DiscriminatorOutput, Posterior
from zoo.nn import has_spectral_norm
from zoo.tasks.checks import InputValueError
from zoo.training.trainer import Trainer
from zoo_plugins.spade.networks import SPADE, SPADEDiscriminator, SPADEGenerator, SPADEResBlock, StyleEncoder
from zoo_plugins.spade.objective import SPADEObjective

import synthesis_reference as ref


def tiny(**overrides):
    return zoo.create("spade", config={**registry.catalog().architecture("spade").test_config, **overrides})


def settled(model, resolution=32):
    """An untrained model whose batch norms hold real running statistics (cumulative over a few random maps),
    in eval mode: a fresh one's unit statistics saturate its tanh."""
    G = model["generator"]
    for m in G.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    G.train()
    with torch.no_grad():
        for _ in range(3):
            G(G.sample_latent(4), one_hot(torch.randint(G.label_channels, (4, resolution, resolution)), G.condition.shape[0]))
    return model.eval()


def one_hot(label, k=7):
    return F.one_hot(label, k).permute(0, 3, 1, 2).float()


# -- SPADE normalisation --------------------------------------------------------------------------
def _pointwise(conv: nn.Conv2d, weight, bias):
    """Make a 3×3 conv act per pixel: only the kernel centre is non-zero."""
    with torch.no_grad():
        conv.weight.zero_()
        conv.weight[:, :, 1, 1] = torch.tensor(weight, dtype=torch.float32).view(conv.out_channels, conv.in_channels)
        conv.bias.fill_(bias)


def test_spade_norm_by_hand():
    """x = [[1, 2], [3, 4]] (one channel): batch norm gives (x − 2.5)/√1.25. The map, 4×4 with columns of
    classes 0, 1, 1, 0, resized nearest to 2×2, keeps columns 0 and 2: class 0 on the left, 1 on the right.
    Shared conv: h = 1·[class 0] + 2·[class 1], ReLU; γ = 0.5·h; β = −h + 0.25. So the left column gets
    γ = 0.5, β = −0.75 and the right γ = 1, β = −1.75; out = BN(x)·(1 + γ) + β."""
    norm = SPADE(1, 2, hidden=1)
    _pointwise(norm.mlp_shared[0], [1.0, 2.0], 0.0)
    _pointwise(norm.mlp_gamma, [0.5], 0.0)
    _pointwise(norm.mlp_beta, [-1.0], 0.25)
    x = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    columns = torch.tensor([0, 1, 1, 0])
    seg = one_hot(columns.view(1, 1, 4).expand(1, 4, 4), 2)
    s = (1.25 + 1e-5) ** 0.5
    n = [[(1 - 2.5) / s, (2 - 2.5) / s], [(3 - 2.5) / s, (4 - 2.5) / s]]
    expected = torch.tensor([[[[n[0][0] * 1.5 - 0.75, n[0][1] * 2 - 1.75],
                               [n[1][0] * 1.5 - 0.75, n[1][1] * 2 - 1.75]]]])
    torch.testing.assert_close(norm.train()(x, seg), expected, atol=1e-5, rtol=0)
    # the numbers themselves, once: −1.3416·1.5 − 0.75
    assert norm(x, seg)[0, 0, 0, 0].item() == pytest.approx(-2.762461, abs=1e-5)


def test_spade_norm_is_parameter_free_batch_norm_then_modulation():
    torch.manual_seed(0)
    norm = SPADE(5, 7, hidden=6)
    assert isinstance(norm.param_free_norm, nn.BatchNorm2d) and not norm.param_free_norm.affine
    assert norm.mlp_shared[0].kernel_size == (3, 3) and isinstance(norm.mlp_shared[1], nn.ReLU)
    x, seg = torch.randn(3, 5, 8, 8), one_hot(torch.randint(7, (3, 32, 32)))
    torch.testing.assert_close(norm.train()(x, seg), ref.spade_norm(norm, x, seg), atol=1e-5, rtol=1e-5)
    # the modulation depends on the map: another map, another output
    assert (norm(x, one_hot(torch.randint(7, (3, 32, 32)))) - norm(x, seg)).abs().max() > 1e-3


@pytest.mark.parametrize("fin,fout", [(6, 6), (6, 4)])
def test_resblock_matches_the_plain_reimplementation(fin, fout):
    torch.manual_seed(1)
    block = SPADEResBlock(fin, fout, 7, hidden=5, spectral_norm=False).train()
    assert block.learned_shortcut == (fin != fout)
    assert hasattr(block, "conv_s") == (fin != fout)
    if fin != fout:
        assert block.conv_s.bias is None and block.conv_s.kernel_size == (1, 1)
        assert block.conv_0.out_channels == min(fin, fout)
    x, seg = torch.randn(2, fin, 8, 8), one_hot(torch.randint(7, (2, 16, 16)))
    torch.testing.assert_close(block(x, seg), ref.spade_resblock(block, x, seg), atol=1e-5, rtol=1e-5)


def test_spectral_norm_on_every_resblock_conv():
    G = SPADEGenerator(width=2, spade_hidden=4, z_dim=8)
    for name in ("head_0", "G_middle_0", "G_middle_1", "up_0", "up_1", "up_2", "up_3"):
        block = getattr(G, name)
        convs = [block.conv_0, block.conv_1] + ([block.conv_s] if block.learned_shortcut else [])
        assert all(has_spectral_norm(c) for c in convs), name
    assert not has_spectral_norm(G.conv_img) and not has_spectral_norm(G.fc)
    assert [getattr(G, n).learned_shortcut for n in ("head_0", "up_0", "up_1", "up_2", "up_3")] == [False] + [True] * 4


# -- generator, encoder, discriminator ---------------------------------------------------------------
def test_generator_defaults_and_starts():
    G = SPADEGenerator()
    # 64 px, 5 upsamplings ("normal"): the first block at 2×2, 16·width channels
    assert (G.sh, G.sw) == (2, 2) and G.fc.out_features == 16 * 16 * 2 * 2
    assert G.latent.shape == (64,) and G.condition.shape == (7, 64, 64) and G.output.shape == (3, 64, 64)
    det = SPADEGenerator(use_vae=False, width=2, spade_hidden=4)
    assert det.latent is None and isinstance(det.fc, nn.Conv2d) and det.fc.in_channels == 7
    wide = SPADEGenerator(resolution=64, aspect_ratio=2.0, num_upsampling_layers="more", width=2, spade_hidden=4)
    assert (wide.sh, wide.sw) == (1, 2) and wide.output.shape == (3, 64, 128)
    with pytest.raises(ValueError, match="divisible"):
        SPADEGenerator(resolution=48)


def test_deterministic_generator_starts_from_the_downsampled_map():
    """Without the VAE, G's first activations are a 3×3 conv of the map resized (nearest) to the first
    block's size: a map that differs only inside 2×2 cells that nearest sampling never reads changes
    nothing before the SPADE layers read the full map, while changing a sampled pixel changes fc's input."""
    torch.manual_seed(0)
    G = SPADEGenerator(use_vae=False, width=2, spade_hidden=4, resolution=64).eval()
    seg = one_hot(torch.randint(7, (1, 64, 64)))
    seen = F.interpolate(seg, size=(2, 2), mode="nearest")
    torch.testing.assert_close(seen, seg[:, :, ::32, ::32])
    out = G(None, seg)
    assert out.shape == (1, 3, 64, 64) and out.abs().max() <= 1


def test_vae_generator_is_multimodal_and_map_driven():
    torch.manual_seed(0)
    G = SPADEGenerator(width=2, spade_hidden=4, z_dim=8, resolution=32).eval()
    seg = one_hot(torch.randint(7, (2, 32, 32)))
    z = torch.randn(2, 8)
    a = G(z, seg)
    torch.testing.assert_close(G(z, seg), a)
    assert (G(torch.randn(2, 8), seg) - a).abs().mean() > 1e-4
    assert (G(z, one_hot(torch.randint(7, (2, 32, 32)))) - a).abs().mean() > 1e-4


def test_style_encoder_layout():
    E = StyleEncoder(resolution=64, encoder_width=4, z_dim=8)
    convs = [m for m in E.layers if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [4, 8, 16, 32]  # 64 → 4 px in four stride-2 steps
    assert all(c.stride == (2, 2) and c.kernel_size == (3, 3) and c.bias is None and has_spectral_norm(c) for c in convs)
    assert sum(isinstance(m, nn.InstanceNorm2d) for m in E.layers) == 4
    post = E(torch.randn(3, 3, 64, 64))
    assert isinstance(post, Posterior) and post.mean.shape == post.logvar.shape == (3, 8)
    assert E.fc_mu.in_features == 32 * 4 * 4


def test_discriminator_is_two_scale_patchgan_on_map_and_image():
    D = SPADEDiscriminator(d_width=4)
    assert len(D.multiscale.scales) == 2
    blocks = D.multiscale.scales[0].blocks
    first = blocks[0][0]
    assert first.in_channels == 7 + 3 and first.padding == (2, 2) and first.kernel_size == (4, 4)
    middle = [b[0] for b in blocks[1:-1]]
    assert all(has_spectral_norm(c) and c.bias is None for c in middle)
    assert all(isinstance(b[1], nn.InstanceNorm2d) for b in blocks[1:-1])
    assert [c.stride for c in middle] == [(2, 2), (2, 2), (1, 1)]
    x, c = torch.randn(2, 3, 64, 64), one_hot(torch.randint(7, (2, 64, 64)))
    out = D.outputs(x, c)
    # padding 2, kernel 4: n → ⌊n/2⌋ + 1 at stride 2, n + 1 at stride 1; scale 1 sees 32 px
    sizes = [[f.shape[-1] for f in scale] for scale in out.features]
    assert sizes == [[33, 17, 9, 10, 11], [17, 9, 5, 6, 7]]
    assert [h.shape for h in out.heads()] == [(2, 1, 11, 11), (2, 1, 7, 7)]
    # the map is part of what D judges
    assert (D.outputs(x, one_hot(torch.randint(7, (2, 64, 64)))).heads()[0] - out.heads()[0]).abs().max() > 0


# -- objective ------------------------------------------------------------------------------------
class StubG(nn.Module):
    def __init__(self, fake, vae):
        super().__init__()
        self.fake = fake
        self.condition = type("C", (), {"shape": (7, 4, 4)})()
        self.latent = object() if vae else None

    def sample_latent(self, n, device=None):
        return None

    def forward(self, z, c):
        # the objective must pass the map, and the style code when the generator has one
        assert isinstance(c, torch.Tensor) and (self.latent is None or isinstance(z, torch.Tensor))
        return self.fake


class StubD(nn.Module):
    """Two scales; each: features [2·x·(k+1), x²], logits = the mean of x·c̄ per pixel (depends on both)."""

    def outputs(self, x, c):
        feats, logits = [], []
        for k in range(2):
            f = [2 * x * (k + 1), x ** 2]
            head = (x * c.mean(1, keepdim=True)).mean(1, keepdim=True) * (k + 1) - 0.3
            feats.append(f + [head])
            logits.append(head)
        return DiscriminatorOutput(logits, feats)


class StubE(nn.Module):
    def __init__(self, mean, logvar):
        super().__init__()
        self.post = Posterior(mean, logvar)

    def forward(self, x):
        return self.post


def test_generator_and_discriminator_losses_by_hand():
    torch.manual_seed(0)
    real, fake = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)
    seg = one_hot(torch.randint(7, (2, 4, 4)))
    mean, logvar = torch.randn(2, 5), torch.randn(2, 5) * 0.3
    models = {"generator": StubG(fake, True), "discriminator": StubD(), "encoder": StubE(mean, logvar)}
    obj = SPADEObjective(vgg="none", use_vae=True)
    batch = {"image": real, "segmentation": seg}
    g = obj.losses("generator", batch, models)
    out_f, out_r = StubD().outputs(fake, seg), StubD().outputs(real, seg)
    gan = ref.hinge_g(out_f.heads())
    fm = ref.feature_matching(out_r.features, out_f.features, 1.0)
    kl = ref.kld_sum(mean, logvar)
    torch.testing.assert_close(g.updates["generator"], gan + 10 * fm + 0.05 * kl)
    torch.testing.assert_close(g.logs["g_feat"], fm)
    assert set(g.logs) == {"g_gan", "g_feat", "kld", "g_loss"}
    torch.testing.assert_close(g.logs["kld"], kl)
    d = obj.losses("discriminator", batch, models)
    torch.testing.assert_close(d.updates["discriminator"], ref.hinge_d(out_r.heads(), out_f.heads()))


def test_objective_defaults_are_the_papers():
    """TTUR: G 1e-4, D 4e-4 with Adam(0, 0.9); λ_feat = λ_vgg = 10, λ_kld = 0.05; G then D on one batch;
    with the VAE the encoder trains with G; the learning rate linear to 0 over the decay span."""
    obj = SPADEObjective(vgg="none", use_vae=True, lr_decay_start=100, lr_decay_end=300)
    groups = {g.name: g for g in obj.update_groups()}
    assert groups["generator"].optimizer.lr == pytest.approx(1e-4)
    assert groups["discriminator"].optimizer.lr == pytest.approx(4e-4)
    assert groups["generator"].optimizer.betas == (0.0, 0.9) == groups["discriminator"].optimizer.betas
    assert groups["generator"].roles == ("generator", "encoder") and groups["discriminator"].roles == ("discriminator",)
    sched = groups["generator"].lr_schedule
    assert [sched.multiplier(s) for s in (0, 100, 200, 300, 400)] == [1.0, 1.0, 0.5, 0.0, 0.0]
    assert (obj.lambda_feat, obj.lambda_vgg, obj.lambda_kld) == (10.0, 10.0, 0.05)
    phases = obj.schedule(0)
    assert [p.name for p in phases] == ["generator", "discriminator"] and phases[1].new_batch is False
    assert SPADEObjective(vgg="none").update_groups()[0].roles == ("generator",)
    with pytest.raises(ValueError, match="vgg must be one of"):
        SPADEObjective(vgg="alexnet")


def test_vgg_term_enters_the_generator_loss_with_lambda_10():
    """With a VGG trunk (a frozen seeded random VGG19 here: torchvision's weights are not available offline),
    the generator's loss adds 10 · PerceptualLoss(fake, real) to the hinge and feature-matching terms."""
    torch.manual_seed(0)
    real, fake = torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 3, 32, 32) * 2 - 1
    seg = one_hot(torch.randint(7, (2, 32, 32)))
    obj = SPADEObjective(vgg="random-vgg19")
    models = {"generator": StubG(fake, False), "discriminator": StubD()}
    g = obj.losses("generator", {"image": real, "segmentation": seg}, models)
    out_f, out_r = StubD().outputs(fake, seg), StubD().outputs(real, seg)
    vgg = obj.perceptual(fake, real)
    assert vgg > 0
    expected = ref.hinge_g(out_f.heads()) + 10 * ref.feature_matching(out_r.features, out_f.features, 1.0) + 10 * vgg
    torch.testing.assert_close(g.updates["generator"], expected)
    torch.testing.assert_close(g.logs["g_vgg"], vgg)


def test_perceptual_term_uses_vgg_layers_with_the_papers_weights():
    obj = SPADEObjective(vgg="random-vgg19")
    assert obj.perceptual.layers == ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    assert list(obj.perceptual.weights) == [1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0]
    assert "perceptual" in obj.auxiliary()


# -- the synthesize task ----------------------------------------------------------------------------
def test_synthesize_seeds_and_style_images():
    torch.manual_seed(0)
    model = settled(tiny())
    label = torch.randint(7, (2, 32, 32))
    a, b = model.synthesize(label, seed=0), model.synthesize(label, seed=1)
    torch.testing.assert_close(model.synthesize(label, seed=0), a)
    assert (a - b).abs().mean() > 1e-5
    style1, style2 = torch.rand(1, 3, 32, 32) * 2 - 1, torch.rand(1, 3, 32, 32) * 2 - 1
    s1 = model.synthesize(label, seed=0, style=style1)
    torch.testing.assert_close(model.synthesize(label, seed=0, style=style1), s1)
    assert (model.synthesize(label, seed=0, style=style2) - s1).abs().mean() > 1e-6
    # the style code is q(z | style): its mean plus σ·ε with ε from the seed
    post = model["encoder"](style1)
    eps = torch.randn(post.mean.shape, generator=torch.Generator().manual_seed(0))
    z = (post.mean + post.std * eps).expand(2, -1)
    torch.testing.assert_close(s1, model["generator"](z, one_hot(label)))


def test_instance_edges_option_and_errors():
    model = settled(tiny(instance_edges=True))
    assert model["generator"].condition.shape == (8, 32, 32) and model["generator"].label_channels == 7
    label = torch.zeros(1, 32, 32, dtype=torch.long)
    inst = torch.zeros(1, 32, 32, dtype=torch.long)
    inst[:, :, 16:] = 1
    with_edges = model.synthesize(label, seed=0, instances=inst)
    without = model.synthesize(label, seed=0)
    assert (with_edges - without).abs().max() > 0
    with pytest.raises(InputValueError, match="takes no instance map"):
        tiny().synthesize(label, instances=inst)


# -- a short run that learns --------------------------------------------------------------------------
def per_class_colours(images, maps, k=7):
    out = torch.full((images.shape[0], k, 3), float("nan"))
    for i in range(images.shape[0]):
        for c in range(k):
            mask = maps[i] == c
            if mask.any():
                out[i, c] = images[i][:, mask].mean(1)
    return out


def colour_error(fake, real, maps):
    a, b = per_class_colours(fake, maps), per_class_colours(real, maps)
    ok = ~torch.isnan(a[..., 0])
    return (a[ok] - b[ok]).abs().mean().item()


def test_short_training_learns_each_class_appearance():
    """150 steps on 32 px layouts: the synthesised images' per-class mean colours approach the real renders'
    (0.62 → 0.18 in [-1, 1] units). The statistic rejects a G that does not follow the map: images
    synthesised from other scenes' maps, scored against these scenes, are far off."""
    torch.manual_seed(0)
    model = tiny(width=4, spade_hidden=8, z_dim=16, encoder_width=4, d_width=8, lr=1e-3)
    data = Layouts(32, "train", size=128).tensors()
    val = Layouts(32, "val", size=32).tensors()
    obj = build.build_objective(model.architecture, model.config, registry.catalog())
    before = colour_error(model.eval().synthesize(val["label_map"], seed=0), val["image"], val["label_map"])
    trainer = Trainer(dict(model.components), obj, TensorBatches(data, 16, seed=0))
    for _ in range(150):
        trainer.train_step()
    fake = model.eval().synthesize(val["label_map"], seed=0)
    after = colour_error(fake, val["image"], val["label_map"])
    wrong = colour_error(model.synthesize(val["label_map"].roll(1, 0), seed=0), val["image"], val["label_map"])
    print(before, after, wrong)
    assert after < 0.25 and before > 0.45 and after < wrong / 1.5, (before, after, wrong)


# -- zoo synthesize ---------------------------------------------------------------------------------
def test_cli_reads_indexed_and_colour_coded_maps_and_writes_side_by_side(tmp_path, capsys):
    import numpy as np
    from PIL import Image

    from zoo.cli import main
    from zoo.data.layouts import PALETTE

    torch.manual_seed(0)
    model = settled(tiny())
    folder = tmp_path / "model"
    from zoo.hub.layout import save_pretrained

    save_pretrained(model, folder)
    label = Layouts(32, "val", size=1).tensors()["label_map"][0]
    Image.fromarray(label.numpy().astype(np.uint8), mode="L").save(tmp_path / "indexed.png")
    colours = np.asarray(PALETTE, dtype=np.uint8)[label.numpy()]
    Image.fromarray(colours, mode="RGB").save(tmp_path / "colour.png")
    Image.fromarray((np.random.default_rng(0).random((40, 40, 3)) * 255).astype(np.uint8)).save(tmp_path / "style.png")
    name = f"local-dir:{folder}"
    assert main(["synthesize", name, str(tmp_path / "indexed.png"), "-o", str(tmp_path / "a.png"), "--seed", "3"]) == 0
    assert main(["synthesize", name, str(tmp_path / "colour.png"), "-o", str(tmp_path / "b.png"), "--seed", "3",
                 "--palette", "layouts", "--side-by-side"]) == 0
    a, b = np.asarray(Image.open(tmp_path / "a.png")), np.asarray(Image.open(tmp_path / "b.png"))
    assert a.shape == (32, 32, 3) and b.shape == (32, 64, 3)
    np.testing.assert_array_equal(b[:, 32:], a)  # the colour map decodes to the same classes
    np.testing.assert_array_equal(b[:, :32], colours)  # and is drawn on the left
    expected = model.synthesize(label[None], seed=3)
    from zoo.images import to_uint8
    np.testing.assert_array_equal(a, to_uint8(expected[0]).permute(1, 2, 0).numpy())
    assert main(["synthesize", name, str(tmp_path / "indexed.png"), "-o", str(tmp_path / "c.png"),
                 "--style", str(tmp_path / "style.png")]) == 0
    assert (np.asarray(Image.open(tmp_path / "c.png")).astype(int) - a).any()
    # a colour-coded map without a palette, and a colour outside it, fail in one line
    assert main(["synthesize", name, str(tmp_path / "colour.png"), "-o", str(tmp_path / "d.png")]) != 0
    assert "needs the palette" in capsys.readouterr().err
    colours[0, 0] = (1, 2, 3)
    Image.fromarray(colours, mode="RGB").save(tmp_path / "odd.png")
    assert main(["synthesize", name, str(tmp_path / "odd.png"), "-o", str(tmp_path / "e.png"), "--palette", "layouts"]) != 0
    assert "colour (1, 2, 3) at (x=0, y=0) is no class's colour" in capsys.readouterr().err


# -- the shipped weights ---------------------------------------------------------------------------
def test_shipped_model_follows_the_map_and_varies_with_the_seed():
    """spade.layouts-64 on 64 held-out maps: the segmenter finds the input layout in its pictures (mIoU 0.917
    on all 600; here > 0.85), far above pictures made from other scenes' maps; seeds change the textures
    (pixel std across 4 seeds > 0.03) while the layout stays (each seed's mIoU > 0.85)."""
    from zoo.metrics.layouts_segmenter import LayoutsSegmenter
    from zoo.metrics.synthesis_scores import score_images, seed_spread

    model = zoo.load("spade.layouts-64")
    seg = LayoutsSegmenter.pretrained()
    val = Layouts(64, "val", size=64).tensors()
    for seed in (0, 1):
        scores, _ = score_images(model.synthesize(val["label_map"], seed=seed), val["label_map"], seg)
        assert scores["miou"] > 0.85, (seed, scores)
    wrong, _ = score_images(model.synthesize(val["label_map"].roll(1, 0), seed=0), val["label_map"], seg)
    assert wrong["miou"] < 0.6
    assert seed_spread(model, val["label_map"][:8], seeds=4)["pixel_std"] > 0.03


def test_objective_passes_its_arguments_through():
    obj = SPADEObjective(lambda_feat=2.0, lambda_vgg=0.5, lambda_kld=0.1, vgg="random-vgg19", use_vae=True, lr=1e-3,
                         beta1=0.1, beta2=0.8, ttur=False, lr_decay_start=5, lr_decay_end=10)
    assert (obj.lambda_feat, obj.lambda_vgg, obj.lambda_kld, obj.use_vae) == (2.0, 0.5, 0.1, True)
    assert obj.perceptual is not None and obj.perceptual.criterion == "l1"
    groups = {g.name: g for g in obj.update_groups()}
    assert groups["generator"].optimizer.lr == 1e-3 == groups["discriminator"].optimizer.lr  # no TTUR
    assert groups["discriminator"].optimizer.betas == (0.1, 0.8) and groups["generator"].optimizer.name == "adam"
    assert groups["generator"].lr_schedule.multiplier(7) == pytest.approx(0.6)
