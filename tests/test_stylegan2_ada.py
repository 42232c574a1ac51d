"""StyleGAN2-ADA's adaptive augmentation (Karras et al. 2020, arXiv:2006.06676): the blitting operations
by hand, the geometric group's invariants, the r_t heuristic's update of p, and the objective feeding D
only augmented images when p > 0."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from zoo_plugins.stylegan2.ada import (
    AdaptiveAugment,
    blit,
    flip_x,
    geometric,
    geometric_matrix,
    rotate90,
    translate,
)
from zoo_plugins.stylegan2.objective import StyleGAN2Objective

X = torch.arange(16.0).view(1, 1, 4, 4)


def test_flip_rotate_translate_by_hand():
    both = torch.cat([X, X])
    flipped = flip_x(both, torch.tensor([True, False]))
    assert torch.equal(flipped[0, 0, 0], torch.tensor([3.0, 2.0, 1.0, 0.0])) and torch.equal(flipped[1], X[0])
    rot = rotate90(both, torch.tensor([1, 3]), torch.tensor([True, True]))
    assert torch.equal(rot[0, 0, 0], torch.tensor([3.0, 7.0, 11.0, 15.0]))  # CCW: the last column on top
    assert torch.equal(rot[1, 0, 0], torch.tensor([12.0, 8.0, 4.0, 0.0]))
    moved = translate(both, torch.tensor([1, 0]), torch.tensor([0, -1]))
    # one right, reflecting: row 0 becomes [1, 0, 1, 2]; one up: rows 1, 2, 3 then row 2 reflected
    assert torch.equal(moved[0, 0, 0], torch.tensor([1.0, 0.0, 1.0, 2.0]))
    assert torch.equal(moved[1, 0, :, 0], torch.tensor([4.0, 8.0, 12.0, 8.0]))


def test_probability_zero_is_the_identity_and_one_changes_every_sample():
    x = torch.randn(64, 1, 8, 8)
    assert torch.equal(blit(x, 0.0), x) and torch.equal(geometric(x, 0.0), x)
    g = torch.Generator().manual_seed(0)
    changed = (geometric(x, 1.0, g) - x).flatten(1).abs().amax(1) > 1e-4
    assert changed.all()
    some = (blit(x, 0.5, torch.Generator().manual_seed(1)) - x).flatten(1).abs().amax(1) > 0
    assert 0.6 * 64 < int(some.sum()) < 64  # 1 - 0.5^3 = 7/8 of the samples touched (a few rotate by 0)


def test_geometric_keeps_a_constant_image_constant():
    x = torch.full((8, 1, 8, 8), 0.3)
    assert torch.allclose(geometric(x, 1.0, torch.Generator().manual_seed(2)), x, atol=1e-6)


def test_r_t_heuristic_moves_p_by_the_images_seen():
    ada = AdaptiveAugment(target=0.6, interval=4, speed_kimg=100.0)
    for step in range(4):  # D sure of every real: r_t = 1 > 0.6
        ada.observe(torch.ones(32))
        ada.adjust(step, 32)
    assert ada.p == pytest.approx(128 / 100_000)
    for step in range(4, 12):  # r_t = 0: back down, clamped at 0
        ada.observe(torch.tensor([1.0, -1.0]))
        ada.adjust(step, 32)
    assert ada.p == 0.0
    ada.p = 0.5
    restored = AdaptiveAugment()
    restored.load_state_dict(ada.state_dict())
    assert restored.p == 0.5


class Recorder(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))
        self.seen = []

    def forward(self, x, c=None):
        self.seen.append(x.detach().clone())
        return x.flatten(1).mean(1) * self.w


def test_objective_augments_every_image_d_sees_when_p_is_positive():
    import zoo

    torch.manual_seed(0)
    model = zoo.create("stylegan2", config={"z_dim": 8, "w_dim": 8, "resolution": 8, "mapping_layers": 1,
                                            "channel_base": 32, "channel_max": 8})
    real = torch.randn(4, 1, 8, 8)
    obj = StyleGAN2Objective(ada=True, style_mixing_prob=0.0)
    D = Recorder()
    obj.losses("discriminator", {"image": real}, {"generator": model.generator, "discriminator": D})
    assert torch.equal(D.seen[0], real)  # p starts at 0
    obj.augment.p = 1.0
    D.seen.clear()
    out = obj.losses("discriminator", {"image": real}, {"generator": model.generator, "discriminator": D})
    assert not torch.allclose(D.seen[0], real)
    assert "ada_p" in out.logs and "ada_r_t" in out.logs
    D.seen.clear()
    obj.losses("r1", {"image": real}, {"generator": model.generator, "discriminator": D})
    assert not torch.allclose(D.seen[0], real)
    assert StyleGAN2Objective().augment is None  # off by default (config F)


def test_geometric_parameters_follow_the_papers_distributions():
    """With p = 1, m = S(s) R(θ1) S(a, 1/a) R(θ2) T(2t): the log2 of the isotropic scale, sqrt(det), and of the
    anisotropy, half log2 of the singular-value ratio, are N(0, 0.2²) and |N(0, 0.2²)|; the polar rotation is
    R(θ1 + θ2) with θ uniform on (-π, π), so its angle is uniform, and so are the stretch axes;
    t = L⁻¹ m[:2, 2] / 2 is N(0, 0.125²)."""
    n = 20000
    m = geometric_matrix(n, 1.0, torch.Generator().manual_seed(0)).double()
    lin = m[:, :2, :2]
    log_s = torch.log2(torch.linalg.det(lin)) / 2
    assert abs(log_s.mean()) < 0.01 and log_s.std() == pytest.approx(0.2, rel=0.03)
    sv = torch.linalg.svdvals(lin)
    aniso = torch.log2(sv[:, 0] / sv[:, 1]) / 2
    assert aniso.mean() == pytest.approx(0.2 * math.sqrt(2 / math.pi), rel=0.03)
    u, _, vh = torch.linalg.svd(lin)
    rot = u @ vh
    angle = torch.atan2(rot[:, 1, 0], rot[:, 0, 0])
    assert abs(angle.cos().mean()) < 0.03 and abs(angle.sin().mean()) < 0.03
    assert angle.abs().mean() == pytest.approx(math.pi / 2, rel=0.03)
    # each rotation alone: the stretch axes are R(θ1)'s columns (left singular vectors) and R(θ2)ᵀ's (right);
    # their angles, taken mod π/2 (the sign and which axis stretches are not told), are uniform too
    for axis in (torch.atan2(u[:, 1, 0], u[:, 0, 0]), torch.atan2(vh[:, 0, 1], vh[:, 0, 0])):
        assert abs((4 * axis).cos().mean()) < 0.03 and abs((4 * axis).sin().mean()) < 0.03
    t = torch.linalg.solve(lin, m[:, :2, 2]) / 2
    assert abs(t.mean()) < 0.005 and t.std(0).tolist() == pytest.approx([0.125, 0.125], rel=0.03)
    assert torch.equal(geometric_matrix(50, 0.0), torch.eye(3).expand(50, 3, 3))
