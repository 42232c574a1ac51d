"""Voxel pictures, meshes read back, the voxel-views dataset and the voxel scores, each against what
geometry or counting by hand says."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from zoo.metrics.voxel_scores import class_spread, component_counts, intersection_over_union
from zoo.voxel_files import mesh, read_mesh, save_mesh, save_voxels
from zoo.voxel_render import LIGHT, camera_axes, depth_maps, render_voxels


def ball(resolution=32, radius=0.5):
    c = (torch.arange(resolution) + 0.5) * (2 / resolution) - 1
    z, y, x = torch.meshgrid(c, c, c, indexing="ij")
    return ((x * x + y * y + z * z) <= radius ** 2).float()[None]


@pytest.mark.parametrize("azimuth,elevation", [(45.0, 35.26), (0.0, 0.0), (200.0, -30.0)])
def test_camera_axes_are_orthonormal_and_look_at_the_origin(azimuth, elevation):
    right, up, forward = camera_axes(azimuth, elevation)
    m = torch.stack([right, up, forward])
    assert torch.allclose(m @ m.T, torch.eye(3), atol=1e-6)
    a, e = math.radians(azimuth), math.radians(elevation)
    camera = torch.tensor([math.cos(e) * math.cos(a), math.cos(e) * math.sin(a), math.sin(e)])
    assert torch.allclose(forward, -camera, atol=1e-6) and abs(float(right[2])) < 1e-6
    assert float(up[2]) >= 0  # z stays up


def test_a_ball_is_a_disc_of_its_radius_with_the_right_depth_and_shading():
    r, size = 0.5, 64
    depth, hit = depth_maps(ball(32, r), size, 30.0, 20.0)
    pixel_area = (2 / size) ** 2
    assert hit.sum().item() * pixel_area == pytest.approx(math.pi * r * r, rel=0.08)
    centre = depth[0, size // 2 - 1:size // 2 + 1, size // 2 - 1:size // 2 + 1]
    assert centre.mean().item() == pytest.approx(-r, abs=2 / 32)  # the near pole, r in front of the centre
    picture = render_voxels(ball(32, r), size, 30.0, 20.0)
    assert picture.shape == (1, 1, size, size)
    assert picture[0, 0, 0, 0].item() == 1.0  # white background
    light = torch.tensor(LIGHT) / torch.tensor(LIGHT).norm()
    facing = 0.25 + 0.75 * light[2].item()  # the centre's normal points at the camera: n = (0, 0, 1)
    assert picture[0, 0, size // 2 - 1:size // 2 + 1, size // 2 - 1:size // 2 + 1].mean().item() == \
        pytest.approx(facing, abs=0.06)


def test_a_cube_seen_face_on_is_flat_and_square():
    grid = torch.zeros(1, 32, 32, 32)
    grid[:, 8:24, 8:24, 8:24] = 1  # half-width 0.5
    depth, hit = depth_maps(grid, 32, 0.0, 0.0, smooth=False)  # from +x: the face x = 0.5
    assert hit[0].sum().item() == 16 * 16
    inside = depth[0][hit[0]]
    assert inside.min().item() == pytest.approx(-0.5, abs=0.04) and inside.max().item() == pytest.approx(-0.5, abs=0.04)
    smooth_depth, smooth_hit = depth_maps(grid, 32, 0.0, 0.0)  # the blur rounds the edges, keeps the face
    assert torch.equal(smooth_hit, hit)
    assert (smooth_depth[0, 10:22, 10:22] + 0.5).abs().max().item() < 0.02
    with pytest.raises(ValueError, match=r"\(N, 1, D, H, W\)"):
        depth_maps(torch.zeros(2, 2, 4, 4, 4), 8, 0.0, 0.0)


@pytest.mark.parametrize("suffix", [".obj", ".ply"])
def test_a_mesh_written_is_read_back_with_its_counts(tmp_path, suffix):
    grid = ball(16, 0.6)
    verts, faces = mesh(grid, 0.5)
    path = save_mesh(grid, tmp_path / f"ball{suffix}", level=0.5)
    v, f = read_mesh(path)
    assert v.shape == verts.shape and f.shape == faces.shape
    assert np.allclose(v, verts, atol=1e-4) and np.array_equal(f, faces)
    radius = np.linalg.norm(v - 7.5, axis=1)  # voxel units about the centre (7.5, 7.5, 7.5)
    assert 0.6 * 8 - 1 < radius.min() and radius.max() < 0.6 * 8 + 1
    # a closed surface: every edge belongs to exactly two triangles
    edges = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    assert set(counts.tolist()) == {2}


def test_save_voxels_writes_the_grid_a_picture_and_a_mesh(tmp_path):
    from PIL import Image

    paths = save_voxels(ball(16, 0.6), tmp_path / "b", size=32, scale=1)
    assert [p.suffix for p in paths] == [".npy", ".png", ".obj"]
    assert np.array_equal(np.load(paths[0]), ball(16, 0.6).numpy())
    assert Image.open(paths[1]).size == (2 + 64 + 2, 2 + 32 + 2)  # two 32 px views side by side, in a 2 px frame


def test_voxel_views_pairs_each_shape_with_its_picture():
    from zoo.data.voxel_views import VoxelViews
    from zoo.data.voxels import Voxels

    views = VoxelViews(32, "val", size=3, image_size=16).tensors()
    plain = Voxels(32, "val", size=3).tensors()
    assert torch.equal(views["voxels"], plain["voxels"]) and torch.equal(views["label"], plain["label"])
    assert views["image"].shape == (3, 1, 16, 16)
    assert torch.allclose(views["image"], render_voxels(plain["voxels"], 16) * 2 - 1)
    assert float(views["image"].min()) >= -1 and float(views["image"].max()) == 1.0


def test_scores_by_hand():
    probs = torch.tensor([[0.9, 0.1, 0, 0, 0, 0], [0.2, 0.8, 0, 0, 0, 0], [0.6, 0.4, 0, 0, 0, 0],
                          [0.1, 0.0, 0.9, 0, 0, 0]])
    fractions, entropy = class_spread(probs)
    assert fractions == [0.5, 0.25, 0.25, 0.0, 0.0, 0.0]
    assert entropy == pytest.approx(1.5)  # −(½ log2 ½ + 2 · ¼ log2 ¼)
    grids = torch.zeros(3, 1, 4, 4, 4)
    grids[0, 0, 0, 0, 0] = grids[0, 0, 3, 3, 3] = 1  # two pieces
    grids[1, 0, 1:3, 1:3, 1:3] = 1  # one
    grids[2, 0, 0, 0, 0] = grids[2, 0, 1, 1, 0] = 1  # diagonal neighbours are not 6-connected: two
    assert component_counts(grids).tolist() == [2, 1, 2]
    iou = intersection_over_union(grids[1:2], grids[1:2] * 0 + (torch.arange(4) < 2).float().view(1, 1, 4, 1, 1))
    assert iou.item() == pytest.approx(4 / (8 + 32 - 4))  # |a ∧ b| = 4 (z = 1), |a ∨ b| = 8 + 32 − 4
    assert intersection_over_union(torch.zeros(1, 1, 2, 2, 2), torch.zeros(1, 1, 2, 2, 2)).item() == 1.0


def test_the_shipped_voxel_judge_is_pinned_and_tells_the_primitives_apart():
    from zoo.data.voxels import Voxels
    from zoo.metrics.voxel_judge import VoxelJudge

    judge = VoxelJudge.pretrained()
    val = Voxels(32, "val", size=120).tensors()
    with torch.no_grad():
        predicted = judge(val["voxels"]).argmax(1)
    assert (predicted == val["label"]).float().mean().item() > 0.8  # 87.7 % on 600
    big = torch.nn.functional.interpolate(val["voxels"][:4], scale_factor=2)  # 64³ grids are averaged down
    with torch.no_grad():
        assert torch.equal(judge(big).argmax(1), judge(val["voxels"][:4]).argmax(1))
