"""BigGAN (Brock 2019): the hierarchical latent and the shared embedding reaching each block's norms,
BigGAN-deep's bottleneck blocks and channel-dropping skips, the recipe (hinge, two D steps, Adam β,
the modified orthogonal regulariser computed here by hand, EMA), the truncated samplers' bounds, the
tasks, and a short run that learns to draw the requested class. Expectations are computed here."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import zoo
from zoo import registry
from zoo.data.batches import TensorBatches
from zoo.data.digits import load_digits_tensors
from zoo.interfaces import Phase
from zoo.nn import SelfAttention, has_spectral_norm
from zoo.tasks.checks import InputValueError
from zoo.training.trainer import Trainer
from zoo_plugins.biggan.networks import BigGANDiscriminator, BigGANGenerator, DeepGBlock, GBlock
from zoo_plugins.biggan.objective import BigGANObjective, regularised_weights

TEST_CONFIG = registry.catalog().architecture("biggan").test_config


def tiny(**overrides):
    """A tiny model in eval mode: the stored spectral-norm vectors and running statistics, so that two
    forward passes of one input agree (in train mode each pass is a power iteration and uses batch stats)."""
    model = zoo.create("biggan", config={**TEST_CONFIG, **overrides})
    for module in model.components.values():
        module.eval()
    return model


def test_recipe_defaults_are_the_papers():
    objective = BigGANObjective()
    assert objective.schedule(0) == (Phase("discriminator", ("discriminator",), repeats=2),
                                     Phase("generator", ("generator",)))  # two D steps per G step
    groups = {g.name: g for g in objective.update_groups()}
    assert groups["generator"].optimizer.betas == (0.0, 0.999) == groups["discriminator"].optimizer.betas
    assert objective.orthogonal_beta == 1e-4
    assert objective.ema.role == "generator"
    cfg = registry.catalog().architecture("biggan").default_config
    assert cfg["d_steps"] == 2 and cfg["beta1"] == 0.0 and cfg["orthogonal_beta"] == 1e-4


def test_spectral_norm_everywhere_but_the_embedding():
    G, D = BigGANGenerator(), BigGANDiscriminator()
    for net in (G, D):
        for name, m in net.named_modules():
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear, torch.nn.Embedding)):
                assert has_spectral_norm(m) == (name != "embedding"), name
    assert any(isinstance(m, SelfAttention) for m in G.modules())
    assert any(isinstance(m, SelfAttention) for m in D.modules())


def _record_conditions(G):
    seen = []
    for layer in G.blocks:
        if isinstance(layer, (GBlock, DeepGBlock)):
            layer.norm_0.register_forward_hook(lambda m, args, out: seen.append(args[1].detach().clone()))
    inputs = []
    G.project.register_forward_hook(lambda m, args, out: inputs.append(args[0].detach().clone()))
    return seen, inputs


def test_hierarchical_latent_gives_each_block_its_own_chunk():
    G = BigGANGenerator(latent_dim=12, embed_dim=5, num_classes=4, resolution=16, g_width=2,
                        g_blocks=[[1, 4, 4], [1, 4, 2]], attention_block=1)
    seen, inputs = _record_conditions(G)
    z, y = torch.randn(3, 12), torch.tensor([0, 3, 1])
    G(z, y)
    embedding = G.embedding.weight.t()[y]  # the one-hot row picks the class's column
    assert torch.equal(inputs[0], z[:, 0:4])  # chunk 0 -> the 4x4 input
    assert len(seen) == 2
    assert torch.allclose(seen[0], torch.cat([z[:, 4:8], embedding], 1))
    assert torch.allclose(seen[1], torch.cat([z[:, 8:12], embedding], 1))


def test_deep_gives_every_block_the_whole_z_and_the_embedding():
    G = BigGANGenerator(latent_dim=6, embed_dim=5, num_classes=4, resolution=16, g_width=4,
                        g_blocks=[[1, 4, 4], [1, 4, 2]], attention_block=-1, deep=True)
    seen, inputs = _record_conditions(G)
    z, y = torch.randn(2, 6), torch.tensor([2, 1])
    G(z, y)
    expected = torch.cat([z, G.embedding.weight.t()[y]], 1)
    assert torch.allclose(inputs[0], expected)
    assert all(torch.allclose(c, expected) for c in seen)


def test_latent_chunks_must_divide():
    with pytest.raises(ValueError, match="not divisible by 3"):
        BigGANGenerator(latent_dim=10, resolution=16, g_blocks=[[1, 4, 4], [1, 4, 4]])


def _zero_residual(block, last_conv):
    """Replace the residual branch's last convolution by one that outputs zeros (a spectrally normalised
    zero weight would divide by σ = 0)."""
    conv = getattr(block, last_conv)
    zero = torch.nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, padding=conv.padding)
    torch.nn.init.zeros_(zero.weight)
    torch.nn.init.zeros_(zero.bias)
    setattr(block, last_conv, zero)


def test_deep_block_skip_keeps_the_first_channels_then_upsamples():
    block = DeepGBlock(8, 4, condition_dim=3, upsample=True, norm={"norm_stats": "batch", "n_stats": 51,
                                                                    "eps": 1e-5}, sn_eps=1e-8)
    assert block.conv_0.out_channels == 2 and block.conv_3.in_channels == 2  # bottleneck C/4
    _zero_residual(block, "conv_3")
    x = torch.randn(2, 8, 3, 3)
    out = block(x, torch.randn(2, 3), 1.0)
    expected = x[:, :4].repeat_interleave(2, 2).repeat_interleave(2, 3)  # nearest-neighbour x2 by hand
    assert torch.allclose(out, expected, atol=1e-6)


def test_gblock_skip_is_a_1x1_convolution_of_the_upsampled_input():
    block = GBlock(4, 2, condition_dim=3, upsample=True, norm={"norm_stats": "batch", "n_stats": 51, "eps": 1e-5},
                   sn_eps=1e-8).eval()
    _zero_residual(block, "conv_1")
    x = torch.randn(2, 4, 3, 3)
    up = x.repeat_interleave(2, 2).repeat_interleave(2, 3)
    raw, u, v = block.skip.weight_orig.detach()[:, :, 0, 0], block.skip.weight_u, block.skip.weight_v
    w = raw / (u @ raw @ v)  # spectral norm in eval: W / σ with σ = uᵀ W v from the stored vectors
    expected = torch.einsum("oc,nchw->nohw", w, up) + block.skip.bias.detach()[None, :, None, None]
    assert torch.allclose(block(x, torch.randn(2, 3), 1.0), expected, atol=1e-5)


def test_generator_loss_adds_the_modified_orthogonal_regulariser():
    model = tiny()
    G, D = model["generator"], model["discriminator"]
    objective = BigGANObjective(orthogonal_beta=0.5)
    batch = {"image": torch.rand(4, 1, 16, 16) * 2 - 1, "label": torch.tensor([0, 1, 2, 3])}
    torch.manual_seed(3)
    got = objective.losses("generator", batch, {"generator": G, "discriminator": D})
    torch.manual_seed(3)
    fake = G(torch.randn(4, G.latent.shape[0]), batch["label"])
    adversarial = -D(fake, batch["label"]).mean()
    ortho = 0.0
    for name, param in G.named_parameters():  # by hand: every raw conv/linear weight but the embedding
        if name.endswith("weight_orig"):
            w = param.detach().reshape(param.shape[0], -1)
            gram = w @ w.t()
            ortho += (gram - torch.diag(torch.diag(gram))).pow(2).sum().item()
    assert len(regularised_weights(G)) == sum(n.endswith("weight_orig") for n, _ in G.named_parameters())
    assert got.logs["g_ortho"].item() == pytest.approx(0.5 * ortho, rel=1e-4)
    assert set(got.logs) == {"g_loss", "g_ortho"}
    assert got.logs["g_loss"].item() == pytest.approx(adversarial.item(), rel=1e-4, abs=1e-6)
    assert got.updates["generator"].item() == pytest.approx(adversarial.item() + 0.5 * ortho, rel=1e-4, abs=1e-5)


def test_discriminator_loss_is_the_hinge():
    model = tiny()
    G, D = model["generator"], model["discriminator"]
    batch = {"image": torch.rand(4, 1, 16, 16) * 2 - 1, "label": torch.tensor([0, 1, 2, 3])}
    torch.manual_seed(5)
    got = BigGANObjective().losses("discriminator", batch, {"generator": G, "discriminator": D})
    torch.manual_seed(5)
    fake = G(torch.randn(4, G.latent.shape[0]), batch["label"])
    real_l, fake_l = D(batch["image"], batch["label"]), D(fake, batch["label"])
    expected = sum(max(0.0, 1 - v) for v in real_l.tolist()) / 4 + sum(max(0.0, 1 + v) for v in fake_l.tolist()) / 4
    assert got.updates["discriminator"].item() == pytest.approx(expected, rel=1e-5)
    assert got.logs["d_loss"].item() == pytest.approx(expected, rel=1e-5)
    assert got.logs["d_real"].item() == pytest.approx(real_l.mean().item(), rel=1e-5, abs=1e-6)
    assert got.logs["d_fake"].item() == pytest.approx(fake_l.mean().item(), rel=1e-5, abs=1e-6)


def test_a_training_step_makes_two_d_updates_and_one_g_update():
    model = tiny()
    images, labels = torch.rand(16, 1, 16, 16) * 2 - 1, torch.arange(16) % 10
    trainer = Trainer(dict(model.components), BigGANObjective(), TensorBatches({"image": images, "label": labels}, 4,
                                                                                seed=0))
    trainer.train_step()
    steps = {name: max(int(s["step"]) for s in opt.state_dict()["state"].values())
             for name, opt in trainer.optimizers.items()}
    assert steps == {"discriminator": 2, "generator": 1}


@pytest.mark.parametrize("t", [0.25, 0.5, 1.5])
def test_resampling_truncation_keeps_every_value_within_the_threshold(t):
    G = tiny()["generator"]
    z = G.sample_latent(4000, generator=torch.Generator().manual_seed(0), truncation=t)
    assert z.abs().max() <= t
    # resampled, not clipped: no mass piles up at ±t, and the spread is the truncated normal's
    assert (z.abs() > 0.999 * t).float().mean() < 0.01
    a = t
    phi = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
    mass = math.erf(a / math.sqrt(2))
    expected_var = 1 - 2 * a * phi / mass  # variance of N(0,1) truncated to [-a, a]
    assert z.var().item() == pytest.approx(expected_var, rel=0.05)


def test_scaled_truncation_is_the_tf_hub_modules():
    G = tiny(truncation_mode="scaled")["generator"]
    z = G.sample_latent(4000, generator=torch.Generator().manual_seed(0), truncation=0.5)
    assert z.abs().max() <= 1.0 and z.abs().max() > 0.9  # truncnorm(-2, 2) × 0.5


def test_generate_with_truncation_draws_truncated_latents_and_restores():
    model = tiny()
    G = model.sampler
    images = model.generate(6, seed=0, truncation=0.3)
    gen = torch.Generator().manual_seed(0)
    z = G.sample_latent(6, generator=gen, truncation=0.3)
    c = G.sample_condition(6, generator=gen)
    assert z.abs().max() <= 0.3
    with torch.no_grad():
        assert torch.allclose(images, G(z, c), atol=1e-5)
    assert G.sampling_truncation is None
    with pytest.raises(InputValueError, match="truncation must be a number > 0"):
        model.generate(2, truncation=-1.0)


def test_class_interpolation_blends_embeddings_with_z_fixed():
    model = tiny()
    G = model.sampler
    strip = model.interpolate_classes(2, 7, steps=5, seed=4)
    z = G.sample_latent(1, generator=torch.Generator().manual_seed(4)).expand(2, -1)
    with torch.no_grad():
        ends = G(z, torch.tensor([2, 7]))
        middle = G.synthesize(z[:1], (torch.eye(10)[2] + torch.eye(10)[7])[None] / 2)
    assert torch.allclose(strip[0], ends[0], atol=1e-6) and torch.allclose(strip[-1], ends[1], atol=1e-6)
    assert torch.allclose(strip[2], middle[0], atol=1e-6)
    assert (strip[2] - strip[0]).abs().max() > 1e-4
    with pytest.raises(InputValueError, match="classes must be integers"):
        model.interpolate_classes(0, 10)


def test_latent_interpolation_fixes_the_class():
    model = tiny()
    G = model.sampler
    strip = model.interpolate_latents(3, steps=4, seed=1, method="linear")
    za, zb = G.sample_latent(2, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = G(torch.stack([za, za + (zb - za) / 3, za + 2 * (zb - za) / 3, zb]), torch.full((4,), 3))
    assert torch.allclose(strip, expected, atol=1e-5)


def test_short_training_moves_the_samples_towards_the_digits():
    """A short run on 16 px digits (about 10 s on one core): the pixel histogram of the samples moves most
    of the way to the digits' (mostly background at −1, strokes near 1), which the untrained generator's
    is far from (the check rejects it)."""
    torch.manual_seed(0)
    model = zoo.create("biggan", config=TEST_CONFIG)
    images, labels = load_digits_tensors(16, "train")
    objective = BigGANObjective(lr=2e-3, d_lr=2e-3, ema_start=10 ** 9)  # a faster lr for a short test
    trainer = Trainer(dict(model.components), objective, TensorBatches({"image": images, "label": labels}, 16, seed=0))
    G = model["generator"]

    def histogram_gap():
        G.eval()
        with torch.no_grad():
            x = G(G.sample_latent(200, generator=torch.Generator().manual_seed(0)), torch.arange(200) % 10)
        G.train()
        return (torch.histc(x, 8, -1, 1) / x.numel() - torch.histc(images, 8, -1, 1) / images.numel()).abs().sum().item()

    before = histogram_gap()
    for _ in range(STEPS):
        trainer.train_step()
    after = histogram_gap()
    assert before > 0.6  # the untrained generator's greys are far from the digits' (the check can fail)
    assert after < 0.3 * before, (before, after)


STEPS = 60


def test_cached_spectral_norm_follows_weight_changes_and_equals_the_hook():
    """The eval-time cache of W / σ: equal to torch's hook, and recomputed when the weight changes in place
    (an EMA update) — a stale cache would keep the old output."""
    from zoo.nn import sn
    from zoo_plugins.biggan.fast_eval import CachedSpectralNorm, cache_spectral_norm

    conv = cache_spectral_norm(sn(torch.nn.Conv2d(4, 5, 3, padding=1))).eval()
    assert any(type(h) is CachedSpectralNorm for h in conv._forward_pre_hooks.values())
    x = torch.randn(2, 4, 6, 6)
    with torch.no_grad():
        before = conv(x)
        conv.weight_orig.add_(torch.randn_like(conv.weight_orig))
        after = conv(x)
    with torch.enable_grad():  # with gradients the hook runs uncached: the reference
        reference = conv(x).detach()
    u, v, w = conv.weight_u, conv.weight_v, conv.weight_orig.detach()
    by_hand = torch.nn.functional.conv2d(x, w / (u @ w.flatten(1) @ v), conv.bias.detach(), padding=1)
    assert torch.allclose(after, reference, atol=1e-6) and torch.allclose(after, by_hand, atol=1e-5)
    assert (after - before).abs().max() > 1e-3


def test_to_rgb_computes_only_the_kept_channels_exactly():
    from zoo_plugins.biggan.fast_eval import first_channels_conv2d
    from zoo.nn import sn

    conv = sn(torch.nn.Conv2d(6, 8, 3, padding=1)).eval()
    x = torch.randn(2, 6, 5, 5)
    with torch.no_grad():
        full = conv(x)
        assert torch.allclose(first_channels_conv2d(conv, x, 3), full[:, :3], atol=1e-6)


def test_cli_generate_with_label_and_truncation(tmp_path, capsys):
    from zoo.cli import main
    from zoo.hub.layout import save_pretrained

    save_pretrained(tiny(), tmp_path / "tiny")
    out = tmp_path / "threes.png"
    assert main(["generate", f"local-dir:{tmp_path / 'tiny'}", "-n", "4", "--label", "3", "--truncation", "0.5",
                 "-o", str(out)]) == 0
    assert out.is_file()
    assert main(["generate", f"local-dir:{tmp_path / 'tiny'}", "-n", "2", "--truncation", "0", "-o", str(out)]) == 2
    assert "zoo: error: --truncation must be > 0, got 0.0" in capsys.readouterr().err
    assert main(["generate", "dcgan.digits-32", "-n", "2", "--truncation", "0.5", "-o", str(out)]) == 2
    assert "does not support the truncation trick; drop --truncation" in capsys.readouterr().err


def test_upsample2x_is_nearest_neighbour_bit_for_bit():
    from zoo_plugins.biggan.networks import upsample2x

    x = torch.randn(2, 3, 4, 5)
    assert torch.equal(upsample2x(x), x.repeat_interleave(2, 2).repeat_interleave(2, 3))


def test_shipped_model_draws_the_asked_digit_also_truncated():
    from zoo.metrics.digits_judge import DigitsJudge

    model = zoo.load("biggan.digits-32")
    judge = DigitsJudge.pretrained()
    labels = torch.arange(200) % 10
    for truncation in (None, 0.5):
        extra = {} if truncation is None else {"truncation": truncation}
        predicted = judge.logits(model.generate(200, seed=1, c=labels, **extra)).argmax(1)
        assert (predicted == labels).float().mean() >= 0.95, truncation
    shuffled = labels[torch.randperm(200, generator=torch.Generator().manual_seed(0))]
    assert (predicted == shuffled).float().mean() < 0.3  # the check rejects a generator that ignores y


def _sn_by_hand(conv):
    w = conv.weight_orig.detach()
    return w / (conv.weight_u @ w.flatten(1) @ conv.weight_v)


def test_dblock_by_hand():
    """Pre-activation block: ReLU, conv3, ReLU, conv3, 2x2 average pool; skip: conv1 then pool. The first
    block: no leading ReLU, skip pooled before its convolution."""
    from zoo_plugins.biggan.networks import DBlock

    x = torch.randn(2, 3, 6, 6)
    for preactivation in (True, False):
        block = DBlock(3, 4, downsample=True, preactivation=preactivation, sn_eps=1e-8).eval()
        c0, c1, sk = (_sn_by_hand(m) for m in (block.conv_0, block.conv_1, block.skip))
        h = F.relu(x) if preactivation else x
        h = F.conv2d(F.relu(F.conv2d(h, c0, block.conv_0.bias, padding=1)), c1, block.conv_1.bias, padding=1)
        h = F.avg_pool2d(h, 2)
        if preactivation:
            s = F.avg_pool2d(F.conv2d(x, sk, block.skip.bias), 2)
        else:
            s = F.conv2d(F.avg_pool2d(x, 2), sk, block.skip.bias)
        with torch.no_grad():
            assert torch.allclose(block(x), h + s, atol=1e-5), preactivation
    same = DBlock(4, 4, downsample=False, preactivation=True, sn_eps=1e-8)
    assert same.skip is None  # an identity skip where shapes agree


def test_discriminator_is_relu_sum_then_projection():
    D = BigGANDiscriminator(num_classes=3, resolution=16, d_width=2, d_blocks=[[1, 2], [0, 2]], d_attention_block=-1)
    D.eval()
    x, y = torch.rand(2, 1, 16, 16) * 2 - 1, torch.tensor([0, 2])
    with torch.no_grad():
        h = F.relu(D.blocks(x)).sum(dim=(2, 3))
        expected = D.head.psi(h).squeeze(1) + (D.head.embed(y) * h).sum(1)
        assert torch.allclose(D(x, y), expected, atol=1e-5)


def test_orthogonal_init_gives_orthonormal_rows_and_zero_biases():
    G = BigGANGenerator(latent_dim=12, resolution=16, g_width=2, g_blocks=[[1, 4, 4], [1, 4, 2]], attention_block=-1)
    conv = G.blocks[0].conv_0  # 8 -> 8 channels, 3x3: rows (8) <= columns (72): orthonormal rows
    w = conv.weight_orig.detach().flatten(1)
    assert torch.allclose(w @ w.t(), torch.eye(8), atol=1e-5)
    assert torch.equal(conv.bias.detach(), torch.zeros(8))
    e = G.embedding.weight.detach()  # (embed_dim 128, 10 classes): orthonormal columns
    assert torch.allclose(e.t() @ e, torch.eye(10), atol=1e-5)


def test_make_norm_forms():
    from zoo_plugins.biggan.norms import (BatchStatsConditionalNorm, BatchStatsNorm, TruncationStatsBatchNorm2d,
                                          make_norm)

    assert isinstance(make_norm("batch", 4, 3, 51, 1e-5), BatchStatsConditionalNorm)
    assert isinstance(make_norm("batch", 4, None, 51, 1e-5), BatchStatsNorm)
    official = make_norm("per_truncation", 4, 3, 7, 1e-4)
    assert isinstance(official, TruncationStatsBatchNorm2d) and official.running_means.shape == (7, 4)
    assert official.eps == 1e-4 and official.gain.in_features == 3
    plain = make_norm("per_truncation", 4, None, 7, 1e-4)
    assert torch.equal(plain.weight.detach(), torch.ones(4)) and torch.equal(plain.bias.detach(), torch.zeros(4))
    with pytest.raises(ValueError, match="norm_stats must be"):
        make_norm("instance", 4, 3, 51, 1e-5)


def test_per_truncation_norm_by_hand():
    from zoo_plugins.biggan.norms import TruncationStatsBatchNorm2d, statistics_at

    norm = TruncationStatsBatchNorm2d(3, condition_dim=2, n_stats=3, eps=1e-4).eval()
    with torch.no_grad():
        norm.running_means.copy_(torch.tensor([[0.0, 1, 2], [3, 4, 5], [6, 7, 8]]))
        norm.running_vars.copy_(torch.tensor([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]]))
    # t = 0.75 on the grid 0, 0.5, 1: index 1, fraction 0.5 -> the blend of rows 1 and 2
    mean, var = statistics_at(norm.running_means, norm.running_vars, 0.75)
    assert torch.allclose(mean, torch.tensor([4.5, 5.5, 6.5])) and torch.allclose(var, torch.tensor([5.5, 6.5, 7.5]))
    # t = 0.6: fraction 0.2 goes to row 1 (the port's order), 0.8 to row 2
    mean, _ = statistics_at(norm.running_means, norm.running_vars, 0.6)
    assert torch.allclose(mean, torch.tensor([3 * 0.2 + 6 * 0.8, 4 * 0.2 + 7 * 0.8, 5 * 0.2 + 8 * 0.8]))
    x, c = torch.randn(2, 3, 2, 2), torch.randn(2, 2)
    gain = 1 + c @ _sn_by_hand(norm.gain).t()
    bias = c @ _sn_by_hand(norm.bias).t()
    mean, var = torch.tensor([4.5, 5.5, 6.5]), torch.tensor([5.5, 6.5, 7.5])
    expected = (x - mean[None, :, None, None]) / (var[None, :, None, None] + 1e-4).sqrt() * gain[:, :, None, None] \
        + bias[:, :, None, None]
    with torch.no_grad():
        assert torch.allclose(norm(x, c, 0.75), expected, atol=1e-5)
    with pytest.raises(ValueError, match=r"truncation in \(0, 1\]"):
        statistics_at(norm.running_means, norm.running_vars, 1.5)


def test_objective_defaults_and_checks():
    objective = BigGANObjective()
    groups = {g.name: g for g in objective.update_groups()}
    assert groups["generator"].optimizer.lr == 2e-4 and groups["discriminator"].optimizer.lr == 2e-4
    assert groups["generator"].roles == ("generator",) and groups["discriminator"].roles == ("discriminator",)
    assert (objective.ema.decay, objective.ema.start_step) == (0.995, 500)
    assert BigGANObjective(lr=5e-5, d_lr=2e-4).g_opt.lr == 5e-5  # the paper's 128 px rates are expressible
    with pytest.raises(ValueError, match="d_steps must be >= 1"):
        BigGANObjective(d_steps=0)


def test_truncation_arguments_are_checked():
    model = tiny()
    for bad in (0, -0.5, True, "0.5"):
        with pytest.raises(InputValueError, match="truncation must be a number > 0"):
            model.generate(2, truncation=bad)
    scaled = tiny(truncation_mode="scaled")
    with pytest.raises(InputValueError, match=r"take a truncation in \(0, 1\]"):
        scaled.generate(2, truncation=1.5)
    z = scaled.sampler.sample_latent(1000, generator=torch.Generator().manual_seed(0))
    assert z.abs().max() > 2.5  # no truncation asked: plain N(0, I)


def test_biggan_deep_configuration_trains_too():
    """deep=true with batch statistics is a trainable BigGAN-deep (the official files use per-truncation
    statistics, which have no training form)."""
    model = zoo.create("biggan", config={**TEST_CONFIG, "deep": True, "g_blocks": [[1, 8, 8], [1, 8, 4]]})
    G = model["generator"]
    assert all(isinstance(b, DeepGBlock) for b in G.blocks if not isinstance(b, SelfAttention))
    images, labels = torch.rand(8, 1, 16, 16) * 2 - 1, torch.arange(8) % 10
    trainer = Trainer(dict(model.components), BigGANObjective(), TensorBatches({"image": images, "label": labels}, 4,
                                                                                seed=0))
    before = G.project.weight_orig.detach().clone()
    logs = trainer.train_step()
    assert math.isfinite(logs["g_loss"]) and not torch.equal(before, G.project.weight_orig.detach())
