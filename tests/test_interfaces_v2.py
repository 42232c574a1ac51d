"""Discriminators with several heads, scales and auxiliary outputs; structured, truncated and W-space
latents. Expectations are computed by hand or by a plain loop in the test."""
from __future__ import annotations

import dataclasses
import math

import pytest
import torch
from torch import nn

from zoo.errors import ShapeError
from zoo.interfaces import (ConditionSpec, Discriminator, DiscriminatorOutput, Generator, LatentPart, LatentSpec,
                            OutputSpec, WSpaceSpec, discriminator_outputs)
from zoo.losses import feature_matching_loss
from zoo.nn import MultiScaleDiscriminator, ProjectionHead, WAverage


class TinyPatchD(Discriminator):
    """conv 3x3 stride 2 -> features (N, 4, H/2, W/2) -> conv 3x3 -> logits (N, 1, H/2, W/2)."""

    def __init__(self, shape):
        super().__init__()
        self.input = OutputSpec(tuple(shape))
        self.body = nn.Conv2d(shape[0], 4, 3, stride=2, padding=1)
        self.out = nn.Conv2d(4, 1, 3, padding=1)

    def forward(self, x, c=None):
        return self.out(torch.relu(self.body(x)))

    def features(self, x, c=None):
        return [torch.relu(self.body(x))]


def avg_pool_by_hand(x):
    """3x3 windows at stride 2 with one pixel of padding, padded cells not counted: a plain loop."""
    n, c, h, w = x.shape
    oh, ow = (h - 1) // 2 + 1, (w - 1) // 2 + 1
    out = torch.zeros(n, c, oh, ow)
    for i in range(oh):
        for j in range(ow):
            rows = [r for r in (2 * i - 1, 2 * i, 2 * i + 1) if 0 <= r < h]
            cols = [q for q in (2 * j - 1, 2 * j, 2 * j + 1) if 0 <= q < w]
            total = sum(x[:, :, r, q] for r in rows for q in cols)
            out[:, :, i, j] = total / (len(rows) * len(cols))
    return out


# -- multi-scale, named heads, projection, auxiliary heads -----------------------------------------
def test_multiscale_discriminator_runs_each_scale_on_the_pooled_input():
    torch.manual_seed(0)
    shapes = []

    def factory(shape):
        shapes.append(shape)
        return TinyPatchD(shape)

    d = MultiScaleDiscriminator(factory, OutputSpec((3, 16, 16)), num_scales=3)
    assert shapes == [(3, 16, 16), (3, 8, 8), (3, 4, 4)]
    seen = {}
    d.scales[1].register_forward_pre_hook(lambda m, args: seen.setdefault("x", args[0].clone()))
    x = torch.randn(2, 3, 16, 16)
    out = d.outputs(x)
    assert isinstance(out.logits, list) and len(out.logits) == 3
    assert [tuple(t.shape) for t in out.logits] == [(2, 1, 8, 8), (2, 1, 4, 4), (2, 1, 2, 2)]
    assert [[tuple(f.shape) for f in scale] for scale in out.features] == [[(2, 4, 8, 8)], [(2, 4, 4, 4)],
                                                                          [(2, 4, 2, 2)]]
    torch.testing.assert_close(seen["x"], avg_pool_by_hand(x))
    torch.testing.assert_close(out.logits[2], d.scales[2](avg_pool_by_hand(avg_pool_by_hand(x))))
    flat = d(x)  # forward: every scale's scores side by side
    assert flat.shape == (2, 64 + 16 + 4)
    torch.testing.assert_close(flat[:, 64:80], out.logits[1].flatten(1))
    with pytest.raises(ShapeError, match=r"\(N, 3, 16, 16\)"):
        d.outputs(torch.randn(2, 3, 8, 8))


def test_feature_matching_loss_sums_mean_l1_over_scales_and_layers():
    real = [[torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.ones(2, 3)], [torch.tensor([-1.0])]]
    fake = [[torch.zeros(2, 2), torch.full((2, 3), 3.0)], [torch.tensor([1.0], requires_grad=True)]]
    # scale 0: mean |1,2,3,4| = 2.5 and mean |1 - 3| = 2; scale 1: |-1 - 1| = 2
    assert feature_matching_loss(real, fake).item() == pytest.approx(6.5)
    assert feature_matching_loss(real[0], fake[0]).item() == pytest.approx(4.5)  # a flat list is one scale
    r = torch.tensor([0.0, 0.0], requires_grad=True)
    f = torch.tensor([1.0, -1.0], requires_grad=True)
    feature_matching_loss([r], [f]).backward()
    assert r.grad is None and f.grad.tolist() == [0.5, -0.5]  # only the fake side is trained
    with pytest.raises(ValueError, match="same scales and layers"):
        feature_matching_loss(real, fake[:1])


def test_projection_head_matches_psi_plus_inner_product_by_hand():
    head = ProjectionHead(2, num_classes=3)
    with torch.no_grad():
        head.psi.weight.copy_(torch.tensor([[1.0, 2.0]]))
        head.psi.bias.copy_(torch.tensor([0.5]))
        head.embed.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]]))
    h = torch.tensor([[1.0, 1.0], [2.0, -1.0]])
    y = torch.tensor([2, 0])
    # row 0: psi = 1 + 2 + 0.5 = 3.5, <(2, -1), (1, 1)> = 1; row 1: psi = 2 - 2 + 0.5 = 0.5, <(1, 0), (2, -1)> = 2
    assert head(h, y).tolist() == pytest.approx([4.5, 2.5])
    assert head(h).tolist() == pytest.approx([3.5, 0.5])
    sn = ProjectionHead(2, num_classes=3, spectral_norm=True)
    assert sn(h, y).shape == (2,)


class GlobalAndPatchD(Discriminator):
    """One trunk, two named heads: a global score and a patch map (Demir & Unal 2018)."""

    input = OutputSpec((1, 8, 8))

    def __init__(self):
        super().__init__()
        self.trunk = nn.Conv2d(1, 2, 3, stride=2, padding=1)
        self.patch = nn.Conv2d(2, 1, 1)
        self.glob = nn.Linear(2 * 4 * 4, 1)

    def forward(self, x, c=None):
        return self.outputs(x).head("global")

    def outputs(self, x, c=None):
        self.check_inputs(x, c)
        h = torch.relu(self.trunk(x))
        return DiscriminatorOutput({"global": self.glob(h.flatten(1)).squeeze(1), "patch": self.patch(h)}, [[h]])


class InfoD(Discriminator):
    """InfoGAN: D's trunk shared by the real/fake score and Q's code posterior (10-way + 2 continuous)."""

    input = OutputSpec((1, 8, 8))

    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.LeakyReLU(0.1))
        self.score = nn.Linear(16, 1)
        self.q = nn.Linear(16, 10 + 2 + 2)

    def forward(self, x, c=None):
        return self.score(self.trunk(x)).squeeze(1)

    def outputs(self, x, c=None):
        self.check_inputs(x, c)
        h = self.trunk(x)
        cat, mean, log_std = self.q(h).split([10, 2, 2], dim=1)
        return DiscriminatorOutput({"logits": self.score(h).squeeze(1)},
                                   aux={"categorical": cat, "mean": mean, "log_std": log_std})


def test_named_heads_and_auxiliary_q_outputs():
    torch.manual_seed(0)
    x = torch.randn(3, 1, 8, 8)
    d = GlobalAndPatchD()
    out = discriminator_outputs(d, x)
    assert list(out.logits) == ["global", "patch"]
    assert out.head("global").shape == (3,) and out.head("patch").shape == (3, 1, 4, 4)
    assert [t.shape for t in out.heads()] == [(3,), (3, 1, 4, 4)]
    torch.testing.assert_close(d(x), out.head("global"))
    with pytest.raises(KeyError, match="'global', 'patch'"):
        out.head("local")

    info = InfoD()
    out = info.outputs(x)
    assert {k: tuple(v.shape) for k, v in out.aux.items()} == {"categorical": (3, 10), "mean": (3, 2),
                                                               "log_std": (3, 2)}
    q_by_hand = info.trunk(x) @ info.q.weight.T + info.q.bias
    torch.testing.assert_close(out.aux["categorical"], q_by_hand[:, :10])
    torch.testing.assert_close(out.aux["log_std"], q_by_hand[:, 12:])
    torch.testing.assert_close(out.head("logits"), info(x))


def test_a_plain_discriminator_is_one_head_and_one_scale():
    torch.manual_seed(0)
    d = TinyPatchD((3, 8, 8))
    x = torch.randn(2, 3, 8, 8)
    out = d.outputs(x)
    assert list(out.logits) == ["logits"] and len(out.features) == 1 and not out.aux
    torch.testing.assert_close(out.head("logits"), d(x))
    torch.testing.assert_close(out.features[0][0], d.features(x)[0])

    class NoFeatures(Discriminator):
        input = OutputSpec((3, 8, 8))
        condition = ConditionSpec("class", num_classes=2)

        def forward(self, x, c=None):
            return x.mean((1, 2, 3)) + c

    out = NoFeatures().outputs(x, torch.tensor([0, 1]))
    assert out.features == [] and out.head("logits").tolist() == pytest.approx((x.mean((1, 2, 3)) + torch.tensor(
        [0.0, 1.0])).tolist())
    plain = discriminator_outputs(nn.Flatten(), x)  # any module: its forward is the one head
    assert plain.head("logits").shape == (2, 192)


# -- latents ---------------------------------------------------------------------------------------
INFOGAN = LatentSpec(parts=(LatentPart("noise", 62), LatentPart("digit", 10, prior="categorical"),
                            LatentPart("style", 2, prior="uniform", low=-1.0, high=1.0)))


def test_structured_latent_samples_each_part_from_its_prior():
    n = 20000
    z = INFOGAN.sample(n, generator=torch.Generator().manual_seed(0))
    assert INFOGAN.shape == (74,) and z.shape == (n, 74)
    noise, digit, style = z[:, :62], z[:, 62:72], z[:, 72:]
    assert abs(noise.mean().item()) < 0.01 and abs(noise.std().item() - 1) < 0.01
    assert set(digit.unique().tolist()) == {0.0, 1.0} and (digit.sum(1) == 1).all()
    freq = digit.mean(0)  # each class about 1/10; binomial std ~0.002 at this n
    assert ((freq - 0.1).abs() < 0.01).all()
    assert style.min() >= -1 and style.max() <= 1 and style.min() < -0.99 and style.max() > 0.99
    assert abs(style.mean().item()) < 0.02


def test_split_inverts_concatenation_and_checks_width():
    a, b, c = torch.randn(4, 62), torch.eye(10)[[1, 3, 5, 7]], torch.rand(4, 2)
    parts = INFOGAN.split(torch.cat([a, b, c], dim=1))
    assert list(parts) == ["noise", "digit", "style"]
    assert torch.equal(parts["noise"], a) and torch.equal(parts["digit"], b) and torch.equal(parts["style"], c)
    assert parts["digit"].argmax(1).tolist() == [1, 3, 5, 7]
    with pytest.raises(ShapeError, match=r"\(N, 74\)"):
        INFOGAN.split(torch.zeros(4, 73))
    with pytest.raises(ValueError, match="total 3 values"):
        LatentSpec(shape=(4,), parts=(LatentPart("a", 1), LatentPart("b", 2)))
    with pytest.raises(ValueError, match="unique"):
        LatentSpec(parts=(LatentPart("a", 1), LatentPart("a", 2)))
    with pytest.raises(ValueError, match="unknown latent prior 'beta'"):
        LatentPart("a", 1, prior="beta")
    with pytest.raises(dataclasses.FrozenInstanceError):
        INFOGAN.shape = (3,)


def test_plain_specs_sample_as_before():
    g = torch.Generator().manual_seed(1)
    z = LatentSpec(shape=(5,), prior="uniform", low=-2.0, high=3.0).sample(1000, generator=g)
    assert z.shape == (1000, 5) and z.min() >= -2 and z.max() <= 3
    z = LatentSpec((3,)).sample(2, generator=torch.Generator().manual_seed(1))
    assert torch.equal(z, torch.randn(2, 3, generator=torch.Generator().manual_seed(1)))
    assert LatentSpec((3,)).split(z) == {"z": z}


def test_truncated_normal_resamples_within_threshold_reproducibly():
    spec = LatentSpec((128,), prior="truncated_normal", threshold=0.5, truncation=True)
    z = spec.sample(400, generator=torch.Generator().manual_seed(3))
    assert z.abs().max() <= 0.5
    assert torch.equal(z, spec.sample(400, generator=torch.Generator().manual_seed(3)))
    assert not torch.equal(z, spec.sample(400, generator=torch.Generator().manual_seed(4)))
    # resampling (not clamping) gives a truncated normal: Var = 1 - 2 a phi(a) / (2 Phi(a) - 1)
    a = 0.5
    phi = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
    mass = math.erf(a / math.sqrt(2))
    assert z.std().item() == pytest.approx(math.sqrt(1 - 2 * a * phi / mass), abs=0.005)
    assert (z.abs() == 0.5).sum() == 0
    part = LatentSpec(parts=(LatentPart("z", 8, prior="truncated_normal", threshold=1.0),))
    assert part.sample(100, generator=torch.Generator().manual_seed(0)).abs().max() <= 1.0
    with pytest.raises(ValueError, match="threshold"):
        LatentPart("z", 8, prior="truncated_normal")
    with pytest.raises(ValueError, match="threshold"):
        LatentSpec((2,), prior="truncated_normal").sample(1)


# -- W space ---------------------------------------------------------------------------------------
def test_w_average_update_and_truncation_by_hand():
    avg = WAverage(2, beta=0.995)
    avg.w_avg.copy_(torch.tensor([1.0, -1.0]))
    avg.update(torch.tensor([[2.0, 4.0], [4.0, 0.0]]))  # batch mean (3, 2)
    assert avg.w_avg.tolist() == pytest.approx([0.995 * 1 + 0.005 * 3, 0.995 * -1 + 0.005 * 2])
    avg.w_avg.copy_(torch.tensor([1.0, 1.0]))
    ws = torch.tensor([[[3.0, 5.0], [-1.0, 1.0], [7.0, 9.0]]])  # (1, 3 layers, 2)
    out = avg.truncate(ws, psi=0.5, cutoff=2)
    assert out.tolist() == [[[2.0, 3.0], [0.0, 1.0], [7.0, 9.0]]]  # 1 + 0.5 (w - 1) on layers 0, 1 only
    assert avg.truncate(ws, psi=0.5)[0, 2].tolist() == [4.0, 5.0]
    assert avg.truncate(ws[:, 0], psi=0.0).tolist() == [[1.0, 1.0]]
    assert "w_avg" in avg.state_dict()


class StyleG(Generator):
    """A generator with a mapping network: z (4) -> w (3), broadcast to 5 layers."""

    output = OutputSpec((1, 2, 2))

    def __init__(self):
        super().__init__()
        self.latent = LatentSpec((4,), truncation=True, w_space=WSpaceSpec(dim=3, num_ws=5, avg_beta=0.9))
        self.mapping = nn.Linear(4, 3)
        self.w_avg = WAverage(3, beta=self.latent.w_space.avg_beta)
        self.synthesis = nn.Linear(3, 4)

    def forward(self, z, c=None):
        return self.synthesis(self.map_latent(z).mean(1)).view(-1, 1, 2, 2)


def test_generator_maps_tracks_and_truncates_w():
    torch.manual_seed(0)
    g = StyleG()
    z = torch.randn(6, 4)
    w = z @ g.mapping.weight.T + g.mapping.bias
    ws = g.map_latent(z)  # training mode: updates w_avg from zero
    assert ws.shape == (6, 5, 3) and torch.allclose(ws[:, 4], w, atol=1e-6)
    torch.testing.assert_close(g.w_avg.w_avg, 0.1 * w.mean(0))
    g.eval()
    before = g.w_avg.w_avg.clone()
    out = g.map_latent(z, psi=0.0, cutoff=3)
    assert torch.equal(g.w_avg.w_avg, before)  # eval: no update
    torch.testing.assert_close(out[:, :3], before.expand(6, 3, 3))
    torch.testing.assert_close(out[:, 3:], w.unsqueeze(1).expand(6, 2, 3), atol=1e-6, rtol=0)
    with pytest.raises(NotImplementedError, match="w_space"):
        TinyGen().map_latent(z)


class TinyGen(Generator):
    latent = LatentSpec((4,))
    output = OutputSpec((1, 2, 2))

    def forward(self, z, c=None):
        return z.view(-1, 1, 2, 2)
