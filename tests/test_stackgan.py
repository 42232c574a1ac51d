"""StackGAN (Zhang et al. 2017, arXiv:1612.03242): conditioning augmentation and its KL term against an
independent computation, the two stages' geometry, the matching-aware D per stage on the CA mean, the
schedule (Stage-I, then Stage-II with Stage-I frozen: weights and batch-norm statistics), and a short
Stage-II run that changes only Stage-II."""
import pytest
import torch
from torch.distributions import Normal, kl_divergence

import zoo
from zoo import registry
from zoo.build import build_objective
from zoo.data.batches import TensorBatches
from zoo.data.captions import Captions
from zoo.training.trainer import Trainer
from zoo_plugins.stackgan.networks import ConditioningAugmentation, StackGANGenerator
from zoo_plugins.stackgan.objective import conditioning_augmentation_kl


def tiny(**overrides):
    cfg = {**registry.catalog().architecture("stackgan").test_config, "text_encoder": "bag-of-words", **overrides}
    return zoo.create("stackgan", config=cfg)


@pytest.mark.parametrize("relu", [False, True])
def test_conditioning_augmentation_by_hand(relu):
    """[μ, log σ²] = FC(φ) (the paper), with the authors' ReLU on top when asked; ĉ = μ + σ ε."""
    torch.manual_seed(0)
    ca = ConditioningAugmentation(5, 3, relu=relu)
    torch.nn.init.normal_(ca.fc.weight, 0, 0.5)
    torch.nn.init.normal_(ca.fc.bias, 0, 0.5)
    t, eps = torch.randn(4, 5), torch.randn(4, 3)
    out = t @ ca.fc.weight.T + ca.fc.bias
    assert (out < 0).any()
    out = out.clamp_min(0) if relu else out
    mu, logvar = out[:, :3], out[:, 3:]
    c, mu2, logvar2 = ca(t, eps)
    torch.testing.assert_close(mu2, mu)
    torch.testing.assert_close(logvar2, logvar)
    torch.testing.assert_close(c, mu + eps * torch.sqrt(torch.exp(logvar)))


def test_kl_term_is_the_gaussians_kl_averaged():
    mu, logvar = torch.tensor([[0.5, -1.0], [0.0, 2.0]]), torch.tensor([[0.1, -0.3], [1.0, 0.0]])
    expected = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).mean()
    torch.testing.assert_close(conditioning_augmentation_kl(mu, logvar), expected)
    assert conditioning_augmentation_kl(torch.zeros(3, 2), torch.zeros(3, 2)).item() == 0.0


def test_two_stage_geometry():
    G = StackGANGenerator()
    assert G.output.shape == (1, 32, 32) and G.stage1_output.shape == (1, 16, 16)
    assert len(G.stage2.residual) == 2 and G.stage2.ca_net is not G.stage1.ca_net  # Stage-II has its own CA
    assert G.stage2.hr_joint[0].in_channels == 16 + G.stage2.encoder[-3].out_channels  # ĉ joins the features
    assert G.latent.shape == (100 + 2 * 16,)  # [z, ε₁, ε₂]: a seed fixes the CA noise too
    z, t = torch.randn(2, 132), torch.randn(2, 64)
    G.eval()
    low, high, mu, logvar = G.stage2_forward(z, t)
    assert low.shape == (2, 1, 16, 16) and high.shape == (2, 1, 32, 32) and mu.shape == (2, 16)
    torch.testing.assert_close(G.stage1_images(z, t), low)
    torch.testing.assert_close(high, G(z, t))
    with pytest.raises(ValueError, match="stage1_resolution times a power of two"):
        StackGANGenerator(resolution=24)
    cfg = registry.catalog().architecture("stackgan").default_config
    assert (cfg["kl_weight"], cfg["wrong_weight"], cfg["lr"], cfg["beta1"]) == (1.0, 0.5, 2e-4, 0.5)
    assert (cfg["condition_dim"], cfg["latent_dim"], cfg["text_scale"]) == (128, 100, 28.0)  # the paper's 128-d ĉ


def test_stage2_does_not_backpropagate_into_stage1():
    model = tiny()
    G = model["generator"]
    _, high, _, _ = G.stage2_forward(torch.randn(2, 16), torch.randn(2, 64))
    high.sum().backward()
    assert all(p.grad is None for p in G.stage1.parameters())
    assert any(p.grad is not None for p in G.stage2.parameters())


def _batch(n=8):
    t = Captions(16, "train").tensors()
    return {k: v[torch.arange(n) * 41] for k, v in t.items()}


def test_discriminator_sees_right_wrong_and_fake_text():
    torch.manual_seed(0)
    model = tiny(stage1_steps=5)
    G, D1, D2 = model["generator"], model["discriminator"], model["discriminator_2"]
    obj = build_objective(model.architecture, model.config, registry.catalog())
    models = dict(model.components)
    batch = _batch()
    text, ids = batch["text_embedding"], batch["description_id"]
    wrong_rows = [next((i + s) % 8 for s in range(1, 5) if ids[(i + s) % 8] != ids[i]) for i in range(8)]
    sp = torch.nn.functional.softplus
    for phase, D, real in (("discriminator", D1, torch.nn.functional.avg_pool2d(batch["image"], 2)),
                           ("discriminator_2", D2, batch["image"])):
        torch.manual_seed(3)
        loss = obj.losses(phase, batch, models).updates[phase]
        torch.manual_seed(3)
        z, eps1, eps2 = torch.randn(8, 16).split([8, 4, 4], 1)
        with torch.no_grad():  # the CAs read text_scale·φ_t (28 by default), D reads φ_t
            fake, _, _ = G.stage1(z, G.text_scale * text, eps1)
            if phase == "discriminator_2":
                fake, _, _ = G.stage2(fake, G.text_scale * text, eps2)
        expected = (sp(-D(real, text)).mean() + 0.5 * sp(D(real, text[wrong_rows])).mean()
                    + 0.5 * sp(D(fake, text)).mean())
        torch.testing.assert_close(loss, expected)
    torch.manual_seed(4)
    out = obj.losses("stage1", batch, models)
    torch.manual_seed(4)
    z, eps1, _ = torch.randn(8, 16).split([8, 4, 4], 1)
    fake, mu, logvar = G.stage1(z, G.text_scale * text, eps1)
    expected = sp(-D1(fake, text)).mean() + conditioning_augmentation_kl(mu, logvar)
    torch.testing.assert_close(out.updates["stage1"], expected)


def test_schedule_switches_stage_and_freezes_stage1():
    torch.manual_seed(0)
    model = tiny(stage1_steps=2)
    obj = build_objective(model.architecture, model.config, registry.catalog())
    assert [p.groups for p in obj.schedule(1)] == [("discriminator",), ("stage1",)]
    assert [p.groups for p in obj.schedule(2)] == [("discriminator_2",), ("stage2",)]
    assert {g.name: g.roles for g in obj.update_groups()}["stage2"] == ("generator.stage2",)
    data = Captions(16, "train", combinations="seen").tensors()
    trainer = Trainer(dict(model.components), obj, TensorBatches(data, batch_size=16, seed=0))
    G = model["generator"]
    snapshot = lambda m: {k: v.clone() for k, v in m.state_dict().items()}  # noqa: E731
    s1, s2, d1 = snapshot(G.stage1), snapshot(G.stage2), snapshot(model["discriminator"])
    trainer.train_step()
    trainer.train_step()  # two Stage-I steps: Stage-II untouched
    assert all(torch.equal(v, snapshot(G.stage2)[k]) for k, v in s2.items())
    assert not all(torch.equal(v, snapshot(G.stage1)[k]) for k, v in s1.items())
    s1, d1 = snapshot(G.stage1), snapshot(model["discriminator"])
    for _ in range(2):
        trainer.train_step()  # Stage-II: Stage-I frozen, batch-norm running statistics included
    assert all(torch.equal(v, snapshot(G.stage1)[k]) for k, v in s1.items())
    assert all(torch.equal(v, snapshot(model["discriminator"])[k]) for k, v in d1.items())
    assert not all(torch.equal(v, snapshot(G.stage2)[k]) for k, v in s2.items())


def test_short_stage1_training_learns_to_match_text():
    """After a short Stage-I run, D₁ scores real images higher with their own text than with a wrong one."""
    from zoo.text.pairs import mismatched_texts

    torch.manual_seed(0)
    model = tiny(stage1_steps=1000, lr=1e-3)
    obj = build_objective(model.architecture, model.config, registry.catalog())
    data = Captions(16, "train", combinations="seen").tensors()
    trainer = Trainer(dict(model.components), obj, TensorBatches(data, batch_size=32, seed=0))
    for _ in range(120):
        trainer.train_step()
    D = model["discriminator"].eval()
    with torch.no_grad():
        x = torch.nn.functional.avg_pool2d(data["image"][:256], 2)
        t = data["text_embedding"][:256]
        wrong, valid = mismatched_texts(t, data["description_id"][:256])
        gap = (D(x, t)[valid] - D(x, wrong)[valid]).mean().item()
    assert gap > 0.5


def test_text_scale_multiplies_the_embedding_before_both_cas():
    """`text_scale` s: both stages' CAs read s·φ_t (the same images as the stage modules fed s·φ_t by hand);
    the discriminators are not affected (they read φ_t)."""
    torch.manual_seed(0)
    G = tiny(text_scale=3.0)["generator"].eval()
    assert G.text_scale == 3.0
    latent, t = torch.randn(2, 16), torch.randn(2, 64)
    z, eps1, eps2 = latent.split([8, 4, 4], 1)
    low, mu1, logvar1 = G.stage1(z, 3.0 * t, eps1)
    high, mu2, logvar2 = G.stage2(low, 3.0 * t, eps2)
    torch.testing.assert_close(G.stage1_forward(latent, t)[1], mu1)
    got = G.stage2_forward(latent, t)
    for a, b in zip(got, (low, high, mu2, logvar2)):
        torch.testing.assert_close(a, b)
    assert not torch.allclose(G.stage1.ca_net.encode(t)[0], mu1)  # the scale is really applied


def test_every_group_halves_its_learning_rate_and_d_weighs_the_wrong_pair_as_configured():
    """lr_halve_every reaches all four update groups (the paper's halving); wrong_weight reaches D's loss."""
    from zoo_plugins.stackgan.objective import StackGANObjective

    obj = StackGANObjective(stage1_steps=5, lr_halve_every=10, wrong_weight=0.25)
    for group in obj.update_groups():
        assert [group.lr_schedule.multiplier(s) for s in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25], group.name
    torch.manual_seed(0)
    model = tiny(stage1_steps=5)
    G, D1 = model["generator"], model["discriminator"]
    batch = _batch()
    text, ids = batch["text_embedding"], batch["description_id"]
    wrong_rows = [next((i + s) % 8 for s in range(1, 5) if ids[(i + s) % 8] != ids[i]) for i in range(8)]
    torch.manual_seed(3)
    loss = obj.losses("discriminator", batch, dict(model.components)).updates["discriminator"]
    torch.manual_seed(3)
    z, eps1, _ = torch.randn(8, 16).split([8, 4, 4], 1)
    with torch.no_grad():
        fake = G.stage1(z, G.text_scale * text, eps1)[0]
    real, sp = torch.nn.functional.avg_pool2d(batch["image"], 2), torch.nn.functional.softplus
    expected = (sp(-D1(real, text)).mean() + 0.25 * sp(D1(real, text[wrong_rows])).mean()
                + 0.75 * sp(D1(fake, text)).mean())
    torch.testing.assert_close(loss, expected)
