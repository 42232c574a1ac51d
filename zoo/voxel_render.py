"""Shaded pictures of voxel grids: an orthographic view from any azimuth and elevation (isometric by
default), ray-marched through the trilinearly interpolated grid to the surface at `level`, lit by one
directional light (Lambert) plus ambient light.

Frame: a grid (D, H, W) is indexed [z, y, x] with voxel centres at (i + 0.5)·2/R − 1 (as
zoo.data.voxels lays them out); z is up. The camera sits at azimuth `azimuth` (about z, from +x towards
+y) and elevation `elevation` and looks at the origin; the picture spans ±`extent` (default 1, the
grid's half-width: every zoo.data.voxels shape, of bounding radius ≤ 0.9, is seen whole; √3 shows the
whole cube) and rays run ±√3 deep. Each ray takes `2·size` samples; the depth of the
first crossing is refined linearly between the two samples around it, and normals come from the
depth map's gradient, n ∝ (∂d/∂u, ∂d/∂v, 1) in the camera's (right, up, back) frame.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

ISOMETRIC = (45.0, math.degrees(math.atan(1 / math.sqrt(2))))  # azimuth, elevation: 45°, 35.26°
LIGHT = (-0.4, 0.6, 1.0)  # camera frame (right, up, back): from the upper left, behind the viewer
DEPTH = math.sqrt(3)  # rays cross the whole cube


def camera_axes(azimuth: float, elevation: float) -> tuple[Tensor, Tensor, Tensor]:
    """(right, up, forward) unit vectors in (x, y, z) for a camera looking at the origin."""
    a, e = math.radians(azimuth), math.radians(elevation)
    forward = -torch.tensor([math.cos(e) * math.cos(a), math.cos(e) * math.sin(a), math.sin(e)])
    right = torch.tensor([-math.sin(a), math.cos(a), 0.0])
    up = torch.linalg.cross(right, forward)
    return right, up, forward


def _volumes(volumes: Tensor) -> Tensor:
    v = volumes.detach().float()
    if v.dim() == 3:
        v = v[None, None]
    elif v.dim() == 4:
        v = v[None]
    if v.dim() != 5 or v.shape[1] != 1:
        raise ValueError(f"voxel grids must have shape (N, 1, D, H, W), (1, D, H, W) or (D, H, W), "
                         f"got {tuple(volumes.shape)}")
    return v


def smoothed(volumes: Tensor) -> Tensor:
    """Each grid blurred by the separable [1, 2, 1] / 4 kernel along its three axes (edges replicated):
    a binary grid's 0.5 surface then runs between voxel centres smoothly instead of in terraces, which
    shading would show as stripes; the surface of a solid moves by well under a voxel."""
    kernel = torch.tensor([0.25, 0.5, 0.25])
    v = volumes
    for axis in range(3):
        shape = [1, 1, 1, 1, 1]
        shape[2 + axis] = 3
        pad = [0] * 6
        pad[2 * (2 - axis):2 * (2 - axis) + 2] = [1, 1]
        v = F.conv3d(F.pad(v, pad, mode="replicate"), kernel.view(shape))
    return v


def depth_maps(volumes: Tensor, size: int, azimuth: float, elevation: float, level: float = 0.5,
               background: float = 0.0, extent: float = 1.0, smooth: bool = True) -> tuple[Tensor, Tensor]:
    """Per picture (N, size, size): the depth along the view ray of the first point where the grid (blurred
    by `smoothed` unless smooth=False) reaches `level` (in units of the grid's half-width, 0 at the
    centre) and whether the ray hits at all."""
    v = _volumes(volumes)
    if smooth:
        v = smoothed(v)
    n, steps = v.shape[0], 2 * size
    right, up, forward = camera_axes(azimuth, elevation)
    u = (torch.arange(size) + 0.5) * (2 * extent / size) - extent
    t = (torch.arange(steps) + 0.5) * (2 * DEPTH / steps) - DEPTH  # from the camera side
    # points (steps, size rows (v from top), size cols (u), 3)
    points = (t[:, None, None, None] * forward + u.flip(0)[None, :, None, None] * up
              + u[None, None, :, None] * right)
    depth, hit = [], []
    for volume in v:  # one grid at a time: steps·size² points each
        samples = F.grid_sample(volume[None] - background, points[None], mode="bilinear",
                                padding_mode="zeros", align_corners=False)[0, 0] + background
        inside = samples >= level
        any_hit = inside.any(0)
        k = inside.float().argmax(0)  # first sample at or above the level
        before = (k - 1).clamp_min(0)
        o0 = samples.gather(0, before[None])[0]
        o1 = samples.gather(0, k[None])[0]
        frac = ((level - o0) / (o1 - o0).clamp_min(1e-6)).clamp(0, 1)
        frac = torch.where(k == 0, torch.ones_like(frac), frac)
        d = t[before] + frac * (t[k] - t[before])
        depth.append(torch.where(any_hit, d, torch.full_like(d, DEPTH)))
        hit.append(any_hit)
    return torch.stack(depth), torch.stack(hit)


def render_voxels(volumes: Tensor, size: int = 64, azimuth: float = ISOMETRIC[0],
                  elevation: float = ISOMETRIC[1], *, value_range=(0.0, 1.0), ambient: float = 0.25,
                  background: float = 1.0, extent: float = 1.0) -> Tensor:
    """(N, 1, size, size) grey pictures in [0, 1] of grids in `value_range`, surface at its middle:
    shaded surface on a `background` (white) field."""
    lo, hi = value_range
    depth, hit = depth_maps(volumes, size, azimuth, elevation, level=(lo + hi) / 2, background=lo, extent=extent)
    pixel = 2 * extent / size
    d = depth[:, None]
    # central differences, one-sided where a neighbour misses the surface (silhouettes)
    h = hit[:, None].float()
    pad_d, pad_h = F.pad(d, (1, 1, 1, 1), mode="replicate"), F.pad(h, (1, 1, 1, 1))
    def grad(a_d, a_h, b_d, b_h, c_d):  # noqa: E306 - derivative from neighbours a (before) and b (after)
        both = a_h * b_h
        return (both * (b_d - a_d) / 2 + (1 - both) * (a_h * (c_d - a_d) + b_h * (b_d - c_d))) / pixel
    du = grad(pad_d[..., 1:-1, :-2], pad_h[..., 1:-1, :-2], pad_d[..., 1:-1, 2:], pad_h[..., 1:-1, 2:], d)
    dv = -grad(pad_d[..., :-2, 1:-1], pad_h[..., :-2, 1:-1], pad_d[..., 2:, 1:-1], pad_h[..., 2:, 1:-1], d)
    normal = torch.cat([du, dv, torch.ones_like(d)], 1)
    normal = normal / normal.norm(dim=1, keepdim=True)
    light = torch.tensor(LIGHT) / torch.tensor(LIGHT).norm()
    lambert = (normal * light[None, :, None, None]).sum(1, keepdim=True).clamp_min(0)
    shade = ambient + (1 - ambient) * lambert
    return torch.where(hit[:, None], shade, torch.full_like(shade, background))


def render_views(volumes: Tensor, size: int = 64, views=(ISOMETRIC, (ISOMETRIC[0] + 180, ISOMETRIC[1])),
                 value_range=(0.0, 1.0)) -> Tensor:
    """(N, 1, size, size·len(views)): each grid seen from each (azimuth, elevation), side by side
    (default: the isometric view and the one from the opposite corner)."""
    pictures = [render_voxels(volumes, size, az, el, value_range=value_range) for az, el in views]
    return torch.cat(pictures, -1)
