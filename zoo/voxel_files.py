"""Voxel grids as files: the raw grid (.npy), a picture (PNG: shaded isometric views from two opposite
corners, zoo.voxel_render; `render_projections` gives maximum projections instead), a surface mesh
(.obj or .ply, by marching cubes from scikit-image) and the reading back of such a mesh."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from zoo.errors import ZooError


def _grid(volume: Tensor) -> np.ndarray:
    v = volume.detach().float().cpu()
    if v.dim() == 4:  # (1, D, H, W): one channel of occupancy
        v = v[0]
    if v.dim() != 3:
        raise ZooError(f"a voxel grid must have shape (1, D, H, W) or (D, H, W), got {tuple(volume.shape)}")
    return v.numpy()


def render_projections(volume: Tensor, value_range=(0.0, 1.0)) -> Tensor:
    """(1, H', W') picture in `value_range`: max projections along depth, height and width, side by side."""
    v = torch.from_numpy(_grid(volume))
    views = [v.amax(0), v.amax(1), v.amax(2)]
    height = max(x.shape[0] for x in views)
    pad = value_range[0]
    padded = [torch.nn.functional.pad(x, (0, 2, 0, height - x.shape[0]), value=pad) for x in views]
    return torch.cat(padded, 1)[None]


def mesh(volume: Tensor, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (V, 3) and triangles (F, 3) of the surface where the grid crosses `level`."""
    from skimage.measure import marching_cubes

    grid = _grid(volume)
    if not (grid.min() < level < grid.max()):
        raise ZooError(f"the voxel grid never crosses the surface level {level:g} "
                       f"(values {grid.min():g}..{grid.max():g}): no mesh to write")
    verts, faces, _, _ = marching_cubes(np.pad(grid, 1, constant_values=grid.min()), level=level)
    return verts - 1.0, faces  # undo the padding that closes surfaces at the grid's border


def save_mesh(volume: Tensor, path: str | Path, *, level: float) -> Path:
    """Write the surface as Wavefront .obj or ASCII .ply (chosen by the suffix)."""
    verts, faces = mesh(volume, level)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".ply":
        head = ["ply", "format ascii 1.0", f"element vertex {len(verts)}", "property float x", "property float y",
                "property float z", f"element face {len(faces)}", "property list uchar int vertex_indices",
                "end_header"]
        body = [f"{x:.4f} {y:.4f} {z:.4f}" for x, y, z in verts] + [f"3 {a} {b} {c}" for a, b, c in faces]
    elif path.suffix.lower() == ".obj":
        head = ["# genzoo voxel surface (marching cubes)"]
        body = [f"v {x:.4f} {y:.4f} {z:.4f}" for x, y, z in verts] + \
               [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in faces]  # .obj counts vertices from 1
    else:
        raise ZooError(f"a mesh file must end in .obj or .ply, got {path.name}")
    path.write_text("\n".join(head + body) + "\n")
    return path


def read_mesh(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (V, 3) float and triangles (F, 3) int (0-based) of an .obj or ASCII .ply `save_mesh` wrote."""
    path = Path(path)
    lines = path.read_text().splitlines()
    if path.suffix.lower() == ".obj":
        verts = [[float(v) for v in line.split()[1:4]] for line in lines if line.startswith("v ")]
        faces = [[int(f.split("/")[0]) - 1 for f in line.split()[1:4]] for line in lines if line.startswith("f ")]
    elif path.suffix.lower() == ".ply":
        if not lines or lines[0] != "ply" or "end_header" not in lines:
            raise ZooError(f"{path.name} is not an ASCII .ply file")
        counts = {line.split()[1]: int(line.split()[2]) for line in lines if line.startswith("element ")}
        body = lines[lines.index("end_header") + 1:]
        n_v, n_f = counts.get("vertex", 0), counts.get("face", 0)
        verts = [[float(v) for v in line.split()[:3]] for line in body[:n_v]]
        faces = [[int(v) for v in line.split()[1:4]] for line in body[n_v:n_v + n_f]]
    else:
        raise ZooError(f"a mesh file must end in .obj or .ply, got {path.name}")
    return np.asarray(verts, np.float64).reshape(-1, 3), np.asarray(faces, np.int64).reshape(-1, 3)


def save_voxels(volume: Tensor, stem: str | Path, *, value_range=(0.0, 1.0), mesh_format: str = "obj",
                scale: int = 2, size: int = 128) -> list[Path]:
    """STEM.npy (the grid), STEM.png (two shaded isometric views, `size` px each, enlarged `scale`
    times) and STEM.obj/.ply."""
    from zoo.images import save_grid
    from zoo.voxel_render import render_views

    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    npy = stem.with_suffix(".npy")
    np.save(npy, _grid(volume)[None])
    png = save_grid(render_views(volume, size, value_range=value_range), stem.with_suffix(".png"),
                    value_range=(0.0, 1.0), scale=scale)
    level = (value_range[0] + value_range[1]) / 2
    return [npy, png, save_mesh(volume, stem.with_suffix(f".{mesh_format}"), level=level)]
