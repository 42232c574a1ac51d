"""Improved precision and recall of generative models.

Kynkäänniemi, Karras, Laine, Lehtinen, Aila, "Improved Precision and Recall Metric for Assessing
Generative Models", NeurIPS 2019, arXiv:1904.06991. Each set's manifold is the union of balls around its
feature vectors, of radius the distance to the k-th nearest other vector of the same set (k = 3).
Precision: the fraction of generated samples inside the real manifold. Recall: the fraction of real
samples inside the generated manifold. A point on a ball's surface counts as inside (≤).
"""
from __future__ import annotations

import torch
from torch import Tensor


def knn_radii(features: Tensor, k: int = 3, batch_size: int = 4096) -> Tensor:
    """Distance from each vector to its k-th nearest neighbour in the same set (itself excluded)."""
    if not 1 <= k < len(features):
        raise ValueError(f"k must be in [1, N-1] = [1, {len(features) - 1}], got {k}")
    radii = [_cdist(chunk, features).kthvalue(k + 1, dim=1).values for chunk in features.split(batch_size)]
    return torch.cat(radii)


def inside_manifold(queries: Tensor, support: Tensor, radii: Tensor, batch_size: int = 4096) -> Tensor:
    """Boolean (Q,): is each query within the ball of some support vector?"""
    return torch.cat([(_cdist(chunk, support) <= radii).any(dim=1) for chunk in queries.split(batch_size)])


def precision_recall(real, fake, k: int = 3, batch_size: int = 4096) -> tuple[float, float]:
    """(precision, recall) of generated features `fake` against real features `real`, both (N, D)."""
    real, fake = torch.as_tensor(real).double(), torch.as_tensor(fake).double()
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"features must be (N, D) with the same D, got {tuple(real.shape)} and {tuple(fake.shape)}")
    precision = inside_manifold(fake, real, knn_radii(real, k, batch_size), batch_size).double().mean()
    recall = inside_manifold(real, fake, knn_radii(fake, k, batch_size), batch_size).double().mean()
    return float(precision), float(recall)


def _cdist(a: Tensor, b: Tensor) -> Tensor:
    # the direct difference form: the matmul shortcut loses precision for near-equal distances
    return torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist")
