"""GAN-INT-CLS (Reed et al. 2016, arXiv:1605.05396): the networks' text pathways, the matching-aware
discriminator's three terms and the interpolating generator loss by hand, the objective against a
plain re-computation, and a short run in which D learns to tell right from wrong text."""
import math

import pytest
import torch

import zoo
from zoo import registry
from zoo.build import build_objective
from zoo.data.batches import TensorBatches
from zoo.data.captions import Captions
from zoo.errors import ShapeError
from zoo.losses import matching_aware_discriminator_loss
from zoo.training.trainer import Trainer
from zoo_plugins.ganintcls.networks import GanIntClsDiscriminator, GanIntClsGenerator
from zoo_plugins.ganintcls.objective import interpolating_generator_loss


def tiny(**overrides):
    cfg = {**registry.catalog().architecture("ganintcls").test_config, "text_encoder": "bag-of-words", **overrides}
    return zoo.create("ganintcls", config=cfg)


def softplus(x):  # −log σ(−x) written out
    return math.log1p(math.exp(x))


def test_defaults_are_the_papers_scaled_down():
    cfg = registry.catalog().architecture("ganintcls").default_config
    assert (cfg["latent_dim"], cfg["lr"], cfg["beta1"], cfg["wrong_weight"], cfg["interp_weight"], cfg["beta"]) == \
        (100, 2e-4, 0.5, 0.5, 1.0, 0.5)
    G, D = GanIntClsGenerator(), GanIntClsDiscriminator()
    assert G.compress[0].in_features == 64 and G.compress[0].out_features == 32
    assert isinstance(G.compress[-1], torch.nn.LeakyReLU) and G.compress[-1].negative_slope == 0.2
    assert G.net[0].in_channels == 100 + 32 and G.net[0].kernel_size == (4, 4)  # [z, φ'(t)] as a 1×1 map
    assert D.joint[0].in_channels == D.image_net[-3].out_channels + 32  # text joins at 4×4
    assert G.condition.kind == "text_embedding" and G.condition.shape == (64,)


def test_text_is_concatenated_to_z_and_replicated_in_d():
    torch.manual_seed(0)
    model = tiny()
    G, D = model["generator"].eval(), model["discriminator"].eval()
    z, t = torch.randn(3, 8), torch.randn(3, 64)
    # G: the first full convolution of [z, FC(t)] on a 1×1 input is a matrix product with its weight
    first = G.net[0]
    h = torch.cat([z, torch.nn.functional.leaky_relu(t @ G.compress[0].weight.T + G.compress[0].bias, 0.2)], 1)
    expected = torch.einsum("nc,cohw->nohw", h, first.weight)
    torch.testing.assert_close(first(h[:, :, None, None]), expected)
    x = G(z, t)
    assert x.shape == (3, 1, 16, 16) and x.abs().max() <= 1
    assert not torch.allclose(G(z, t.flip(0)), x)  # the text changes the image
    # D: the compressed text is the same at every one of the 4×4 positions it joins
    captured = {}
    D.joint.register_forward_hook(lambda m, i, o: captured.update(inputs=i[0]))
    D(x, t)
    joined = captured["inputs"][:, -8:]
    assert joined.shape[-2:] == (4, 4) and torch.allclose(joined, joined[:, :, :1, :1].expand_as(joined))
    with pytest.raises(ShapeError, match="text_embedding"):
        G(z)
    with pytest.raises(ShapeError, match=r"\(3, 64\)"):
        G(z, torch.randn(3, 32))


def test_matching_aware_discriminator_loss_by_hand():
    right, wrong, fake = torch.tensor([0.5, -1.0]), torch.tensor([2.0]), torch.tensor([0.3, 0.1])
    expected = (softplus(-0.5) + softplus(1.0)) / 2 + 0.5 * softplus(2.0) + 0.5 * (softplus(0.3) + softplus(0.1)) / 2
    assert matching_aware_discriminator_loss(right, wrong, fake).item() == pytest.approx(expected, rel=1e-6)
    # cls_weight 0 is the plain conditional GAN's D
    assert matching_aware_discriminator_loss(right, wrong, fake, 0.0).item() == pytest.approx(
        (softplus(-0.5) + softplus(1.0)) / 2 + (softplus(0.3) + softplus(0.1)) / 2, rel=1e-6)


def test_interpolating_generator_loss_by_hand():
    own, mixed = torch.tensor([1.0, -2.0]), torch.tensor([0.5])
    assert interpolating_generator_loss(own, mixed).item() == pytest.approx(
        (softplus(-1.0) + softplus(2.0) + softplus(-0.5)) / 3, rel=1e-6)
    assert interpolating_generator_loss(own, mixed, 0.0).item() == pytest.approx(
        (softplus(-1.0) + softplus(2.0)) / 3, rel=1e-6)


def _batch(n=8):
    t = Captions(16, "train").tensors()
    idx = torch.arange(n) * 37
    return {k: v[idx] for k, v in t.items()}


def test_objective_computes_the_three_pairs_and_int():
    torch.manual_seed(0)
    model = tiny()
    G, D = model["generator"], model["discriminator"]
    obj = build_objective(model.architecture, model.config, registry.catalog())
    batch = _batch()
    text, ids = batch["text_embedding"], batch["description_id"]
    assert len(set(ids.tolist())) > 1
    torch.manual_seed(5)
    d_loss = obj.losses("discriminator", batch, {"generator": G, "discriminator": D}).updates["discriminator"]
    torch.manual_seed(5)
    z = torch.randn(8, 8)
    with torch.no_grad():
        fake = G(z, text)
    wrong_rows = [next((i + s) % 8 for s in range(1, 5) if ids[(i + s) % 8] != ids[i]) for i in range(8)]
    right, wrong, fake_l = D(batch["image"], text), D(batch["image"], text[wrong_rows]), D(fake, text)
    expected = (torch.nn.functional.softplus(-right).mean() + 0.5 * torch.nn.functional.softplus(wrong).mean()
                + 0.5 * torch.nn.functional.softplus(fake_l).mean())
    torch.testing.assert_close(d_loss, expected)
    torch.manual_seed(6)
    g_loss = obj.losses("generator", batch, {"generator": G, "discriminator": D}).updates["generator"]
    torch.manual_seed(6)
    texts = torch.cat([text, 0.5 * text[:4] + 0.5 * text[4:]])
    logits = D(G(torch.randn(12, 8), texts), texts)
    torch.testing.assert_close(g_loss, torch.nn.functional.softplus(-logits).mean())


def test_short_training_learns_to_match_text():
    """After a short run D scores real images higher with their own text than with a wrong one."""
    torch.manual_seed(0)
    model = tiny(lr=1e-3)
    obj = build_objective(model.architecture, model.config, registry.catalog())
    data = Captions(16, "train", combinations="seen").tensors()
    trainer = Trainer(dict(model.components), obj, TensorBatches(data, batch_size=32, seed=0))
    for _ in range(120):
        trainer.train_step()
    D = model["discriminator"].eval()
    with torch.no_grad():
        idx = torch.arange(256)
        x, t = data["image"][idx], data["text_embedding"][idx]
        from zoo.text.pairs import mismatched_texts

        wrong, valid = mismatched_texts(t, data["description_id"][idx])
        gap = (D(x, t)[valid] - D(x, wrong)[valid]).mean().item()
    assert gap > 0.5
