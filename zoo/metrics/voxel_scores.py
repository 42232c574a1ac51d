"""Quality scores of generated voxel shapes, against the `voxels` primitives, with the voxel judge
(zoo/metrics/voxel_judge.py) and plain counting.

Every grid is first made binary at the middle of its range (0.5: the surface a mesh is cut at), so
generated and real shapes are compared as shapes.

- Fréchet distance in the judge's penultimate features between generated and held-out real shapes (FID's
  formula, Heusel et al. 2017, arXiv:1706.08500, with the judge in Inception's place). Lower is better.
- Class spread: the fraction of shapes the judge puts in each class and the entropy of that histogram in
  bits (log2 6 ≈ 2.585 when the six primitives are equally common, as in the data; 0 when one class
  takes every sample) — mode collapse shows here.
- Confidence: the judge's mean top-class probability (real shapes: near 1). A blob that is no primitive
  gets a low one.
- Occupancy: the mean filled fraction of the grid; connected components: the mean number of 6-connected
  components of the filled voxels (scipy.ndimage.label; every real primitive has exactly one) and the
  fraction of shapes in one piece.
- `reconstruction_iou` (3D-VAE-GAN): the intersection over union of shapes reconstructed from their
  held-out views with the true shapes.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import Tensor

from zoo.metrics.frechet import FeatureStats, frechet_distance_from_stats


def binary(volumes: Tensor, level: float = 0.5) -> Tensor:
    return (volumes.float() >= level).float()


@torch.no_grad()
def judge_outputs(judge, volumes: Tensor, batch_size: int = 128) -> tuple[Tensor, Tensor]:
    """Features (N, 64) and class probabilities (N, 6) of binary grids."""
    feats, probs = [], []
    for chunk in volumes.split(batch_size):
        f, logits = judge.features_and_logits(chunk)
        feats.append(f.double())
        probs.append(logits.double().softmax(1))
    return torch.cat(feats), torch.cat(probs)


def frechet_between(a: Tensor, b: Tensor) -> float:
    sa, sb = FeatureStats(a.shape[1]).update(a), FeatureStats(b.shape[1]).update(b)
    return float(frechet_distance_from_stats(sa, sb))


def class_spread(probs: Tensor) -> tuple[list[float], float]:
    """(fraction of shapes judged to be each class, entropy of those fractions in bits)."""
    k = probs.shape[1]
    counts = torch.bincount(probs.argmax(1), minlength=k).double()
    fractions = counts / counts.sum()
    nonzero = fractions[fractions > 0]
    return fractions.tolist(), float(-(nonzero * nonzero.log2()).sum())


def component_counts(volumes: Tensor) -> np.ndarray:
    """The number of 6-connected components of the filled voxels of each binary grid (N, 1, D, H, W)."""
    from scipy import ndimage

    return np.array([ndimage.label(v[0].numpy() > 0.5)[1] for v in volumes.cpu()])


def intersection_over_union(a: Tensor, b: Tensor) -> Tensor:
    """Per grid |a ∧ b| / |a ∨ b| of binary grids (1 where both are empty)."""
    a, b = a.flatten(1) > 0.5, b.flatten(1) > 0.5
    inter, union = (a & b).sum(1).double(), (a | b).sum(1).double()
    return torch.where(union > 0, inter / union.clamp_min(1), torch.ones_like(inter))


def shape_scores(volumes: Tensor, judge, reference_features: Tensor | None = None) -> dict[str, Any]:
    """Judge and counting scores of grids (N, 1, R, R, R) in [0, 1]."""
    v = binary(volumes.cpu())
    feats, probs = judge_outputs(judge, v)
    fractions, entropy = class_spread(probs)
    components = component_counts(v)
    out = {"n": len(v), "class_fractions": [round(f, 4) for f in fractions], "class_entropy_bits": entropy,
           "max_class_entropy_bits": math.log2(probs.shape[1]), "confidence": float(probs.max(1).values.mean()),
           "occupancy": float(v.mean()), "components_mean": float(components.mean()),
           "one_piece_fraction": float((components == 1).mean())}
    if reference_features is not None:
        out["frechet"] = frechet_between(feats, reference_features)
    return out, feats


def judge_voxel_model(model, n: int = 600, seed: int = 0, judge=None, batch_size: int = 50) -> dict[str, Any]:
    """Scores of `n` generated shapes (seeded) against the 600 held-out `voxels` shapes, and the same
    scores of the held-out shapes themselves (their Fréchet distance to 600 training shapes) as the
    ceiling to read them against. Grids are compared at the model's resolution (32 or 64)."""
    from zoo.data.voxels import Voxels
    from zoo.metrics.voxel_judge import VoxelJudge

    judge = judge if judge is not None else VoxelJudge.pretrained()
    fake = model.generate(n, seed=seed, batch_size=batch_size).cpu()
    resolution = fake.shape[-1]
    val = Voxels(resolution, "val", size=600).tensors()["voxels"]
    train = Voxels(resolution, "train", size=600).tensors()["voxels"]
    real_scores, val_feats = shape_scores(val, judge)
    _, train_feats = shape_scores(train, judge)
    real_scores["frechet_val_vs_train"] = frechet_between(val_feats, train_feats)
    scores, _ = shape_scores(fake, judge, val_feats)
    return {**scores, "seed": seed, "against": f"voxels val split (600 shapes, {resolution}³)", "real": real_scores}


@torch.no_grad()
def reconstruction_iou(model, size: int = 600, batch_size: int = 50) -> dict[str, float]:
    """3D-VAE-GAN: mean IoU (and its median) of shapes reconstructed from held-out views with the true ones."""
    from zoo.data.voxel_views import VoxelViews

    resolution = model.sampler.output.shape[-1]
    image_size = model.components["encoder"].input.shape[-1]
    val = VoxelViews(resolution, "val", size=size, image_size=image_size).tensors()
    recon = torch.cat([model.reconstruct(x).cpu() for x in val["image"].split(batch_size)])
    iou = intersection_over_union(binary(recon), val["voxels"])
    return {"iou_mean": float(iou.mean()), "iou_median": float(iou.median()), "n": size}
