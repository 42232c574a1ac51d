"""The voxel judge: a small 3-D CNN classifier of the `voxels` primitives (sphere, cube, cylinder, cone,
torus, octahedron) at 32³, used to score generated shapes as the digits judge scores digits
(zoo/metrics/digits_judge.py): its penultimate features feed a Fréchet distance (FID's formula, Heusel
et al. 2017, arXiv:1706.08500) and its class probabilities the class spread and confidence
(zoo/metrics/voxel_scores.py). It is trained here on procedural training shapes only; the fixed
validation shapes measure it.

Shipped weights: zoo/metrics/weights/voxel-judge.safetensors (pinned by sha256 below), made by

    OMP_NUM_THREADS=1 python -m zoo.metrics.train_voxel_judge --out zoo/metrics/weights/voxel-judge.safetensors

(seed 0, 6 epochs; 260 s wall on this shared machine). Held-out accuracy: 87.7 % of 600 validation
shapes — spheres, cones and tori 100 %, cubes 77 %, octahedra 79 % (mistaken for each other: at 32³ a
small rotated cube and octahedron share much of their outline), cylinders 70 % (26 % taken for
octahedra). The file is 585 KiB (149k float32 parameters).
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.errors import ShapeError, WeightsNotFoundError

RESOLUTION = 32
WEIGHTS_PATH = Path(__file__).parent / "weights" / "voxel-judge.safetensors"
WEIGHTS_SHA256 = "ef850f5c17d61e9f6692edb1ed0e47d2b9cd446fa3ac53d4e2d911924a4d4c01"


def to_judge_input(volumes: Tensor) -> Tensor:
    """Occupancy grids (N, 1, R, R, R) in [0, 1] → (N, 1, 32, 32, 32); 64³ grids are averaged 2×2×2."""
    if volumes.dim() != 5 or volumes.shape[1] != 1 or len(set(volumes.shape[2:])) != 1:
        raise ShapeError(f"the voxel judge takes grids of shape (N, 1, R, R, R), got {tuple(volumes.shape)}")
    v = volumes.float()
    r = v.shape[-1]
    if r != RESOLUTION:
        if r % RESOLUTION:
            raise ShapeError(f"the voxel judge takes grids of {RESOLUTION}³ or a multiple, got {r}³")
        v = F.avg_pool3d(v, r // RESOLUTION)
    return v


def _block(c_in: int, c_out: int) -> nn.Sequential:
    """conv 3×3×3 → batch norm → ReLU → 2×2×2 max-pool: halves the resolution."""
    return nn.Sequential(nn.Conv3d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm3d(c_out),
                         nn.ReLU(inplace=True), nn.MaxPool3d(2))


class VoxelJudge(nn.Module):
    """32³ occupancy → three conv blocks (16³, 8³, 4³; 8, 16, 32 channels) → 64-d features → 6 logits."""

    name = "voxel-judge"
    num_classes = 6

    def __init__(self, channels: tuple[int, int, int] = (8, 16, 32), feature_dim: int = 64) -> None:
        super().__init__()
        c1, c2, c3 = channels
        self.feature_dim = feature_dim
        self.body = nn.Sequential(_block(1, c1), _block(c1, c2), _block(c2, c3))
        self.embed = nn.Sequential(nn.Flatten(), nn.Linear(c3 * 4 ** 3, feature_dim), nn.ReLU(inplace=True))
        self.head = nn.Linear(feature_dim, self.num_classes)

    def features_and_logits(self, volumes: Tensor) -> tuple[Tensor, Tensor]:
        f = self.embed(self.body(to_judge_input(volumes)))
        return f, self.head(f)

    def forward(self, volumes: Tensor) -> Tensor:
        return self.features_and_logits(volumes)[1]

    @classmethod
    def pretrained(cls, path: str | Path | None = None) -> "VoxelJudge":
        """The shipped judge in eval mode; its file is refused (ChecksumError) unless its sha256 matches."""
        from zoo.hub import verify
        from zoo.readers import read_safetensors

        path = Path(path) if path is not None else WEIGHTS_PATH
        if not path.is_file():
            raise WeightsNotFoundError(f"the voxel judge's weights are missing: {path} (make them with "
                                       "python -m zoo.metrics.train_voxel_judge --out PATH)")
        verify(path, WEIGHTS_SHA256, what=f"voxel judge weights {path}", cached=False)
        judge = cls()
        judge.load_state_dict(read_safetensors(path))
        return judge.eval().requires_grad_(False)
