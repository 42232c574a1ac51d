"""The Fréchet distance between two Gaussians fitted to features (FID).

Heusel, Ramsauer, Unterthiner, Nessler, Hochreiter, "GANs Trained by a Two Time-Scale Update Rule
Converge to a Local Nash Equilibrium", NeurIPS 2017, arXiv:1706.08500:

    d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½)

in float64. Tr((Σ₁Σ₂)^½) is computed from eigenvalues rather than a matrix square root (the references
call scipy.linalg.sqrtm, which goes complex or non-finite when a covariance is singular, e.g. fewer
samples than dimensions): Σ₁Σ₂ is similar to the symmetric PSD matrix Σ₁^½ Σ₂ Σ₁^½, so
Tr((Σ₁Σ₂)^½) = Σᵢ √λᵢ(Σ₁^½ Σ₂ Σ₁^½), with Σ₁^½ from a symmetric eigendecomposition; in both steps
eigenvalues below the rounding level are set to 0. Both are symmetric eigenproblems, stable for
singular covariances (checked in tests: 1e-13 relative to the exact value where the references' sqrtm
is off by ~1e-7).

FeatureStats accumulates mean and covariance batch by batch (Chan et al.'s pairwise update, which
avoids the cancellation of Σxxᵀ − nμμᵀ) and merges across processes.
"""
from __future__ import annotations

import numpy as np
import torch


class FeatureStats:
    """Streaming mean and covariance of feature vectors, accumulated batch by batch in float64."""

    def __init__(self, dim: int) -> None:
        if dim < 1:
            raise ValueError(f"feature dimension must be positive, got {dim}")
        self.dim, self.n = dim, 0
        self._mean = np.zeros(dim, dtype=np.float64)
        self._scatter = np.zeros((dim, dim), dtype=np.float64)  # Σ (x − μ)(x − μ)ᵀ

    def update(self, features) -> "FeatureStats":
        f = features.detach().cpu().double().numpy() if isinstance(features, torch.Tensor) else np.asarray(features, np.float64)
        if f.ndim != 2 or f.shape[1] != self.dim:
            raise ValueError(f"features must have shape (N, {self.dim}), got {f.shape}")
        if len(f):
            batch = FeatureStats(self.dim)
            batch.n, batch._mean = len(f), f.mean(0)
            centred = f - batch._mean
            batch._scatter = centred.T @ centred
            self.merge(batch)
        return self

    def merge(self, other: "FeatureStats") -> "FeatureStats":
        """Fold `other` into these statistics (Chan, Golub, LeVeque 1979 pairwise formula)."""
        if other.dim != self.dim:
            raise ValueError(f"cannot merge statistics of dimension {other.dim} into {self.dim}")
        if other.n == 0:
            return self
        n = self.n + other.n
        delta = other._mean - self._mean
        self._scatter = self._scatter + other._scatter + np.outer(delta, delta) * (self.n * other.n / n)
        self._mean = self._mean + delta * (other.n / n)
        self.n = n
        return self

    @property
    def mean(self) -> np.ndarray:
        if self.n == 0:
            raise ValueError("no features accumulated yet")
        return self._mean.copy()

    @property
    def cov(self) -> np.ndarray:
        """Unbiased sample covariance (as numpy.cov and the FID references)."""
        if self.n < 2:
            raise ValueError("a covariance needs at least two feature vectors")
        return self._scatter / (self.n - 1)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"n": np.array([self.n], dtype=np.float64), "mean": self._mean, "scatter": self._scatter}

    @classmethod
    def from_arrays(cls, arrays) -> "FeatureStats":
        mean = np.asarray(arrays["mean"], np.float64)
        stats = cls(mean.shape[0])
        stats.n, stats._mean = int(np.asarray(arrays["n"]).reshape(-1)[0]), mean.copy()
        stats._scatter = np.asarray(arrays["scatter"], np.float64).copy()
        return stats


def _denoised(eigenvalues: np.ndarray) -> np.ndarray:
    """Eigenvalues of a PSD matrix with those below its rounding level (D·ε·λmax, numpy.matrix_rank's
    tolerance) set to 0: in a singular covariance they are noise of either sign, and their square roots
    (~1e-8·√λmax each) would otherwise add up to a visible error."""
    tol = len(eigenvalues) * np.finfo(np.float64).eps * max(float(eigenvalues.max()), 0.0)
    return np.where(eigenvalues > tol, eigenvalues, 0.0)


def _psd_sqrt(sigma: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(sigma)
    return (v * np.sqrt(_denoised(w))) @ v.T


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """Tr((Σ₁Σ₂)^½) for symmetric PSD Σ₁, Σ₂, singular or not."""
    root1 = _psd_sqrt(sigma1)
    middle = root1 @ sigma2 @ root1
    eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2)
    return float(np.sqrt(_denoised(eigenvalues)).sum())


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """d² between N(μ₁, Σ₁) and N(μ₂, Σ₂), in float64."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    if mu1.ndim != 1 or sigma1.shape != (mu1.shape[0],) * 2:
        raise ValueError(f"expected a mean (D,) and a covariance (D, D), got {mu1.shape} and {sigma1.shape}")
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(f"shapes differ: means {mu1.shape} vs {mu2.shape}, covariances {sigma1.shape} vs {sigma2.shape}")
    if not (np.isfinite(mu1).all() and np.isfinite(mu2).all() and np.isfinite(sigma1).all()
            and np.isfinite(sigma2).all()):
        raise ValueError("means and covariances must be finite (NaN/inf features?)")
    diff = mu1 - mu2
    d2 = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt_product(sigma1, sigma2)
    return float(d2)


def frechet_distance_from_stats(a: FeatureStats, b: FeatureStats) -> float:
    return frechet_distance(a.mean, a.cov, b.mean, b.cov)


def frechet_distance_from_features(a, b) -> float:
    """FID between two (N, D) feature arrays (or tensors)."""
    sa, sb = FeatureStats(np.shape(a)[1]).update(a), FeatureStats(np.shape(b)[1]).update(b)
    return frechet_distance_from_stats(sa, sb)
