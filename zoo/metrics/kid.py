"""The Kernel Inception Distance.

Bińkowski, Sutherland, Arbel, Gretton, "Demystifying MMD GANs", ICLR 2018, arXiv:1801.01401: the
unbiased estimator of the squared maximum mean discrepancy with the cubic polynomial kernel
k(x, y) = (xᵀy / d + 1)³, averaged over 100 random subsets of 1,000 samples from each set
(mean ± std over subsets):

    MMD²ᵤ = Σ_{i≠j} k(xᵢ,xⱼ) / (m(m−1)) + Σ_{i≠j} k(yᵢ,yⱼ) / (m(m−1)) − 2 Σ_{i,j} k(xᵢ,yⱼ) / m²

Subsets are drawn as torch-fidelity draws them (numpy RandomState(seed).choice without replacement,
first set then second, seed 2020), so the same features give the same number.
"""
from __future__ import annotations

import numpy as np


def polynomial_kernel(x: np.ndarray, y: np.ndarray, degree: int = 3, gamma: float | None = None,
                      coef0: float = 1.0) -> np.ndarray:
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    return (x @ y.T * gamma + coef0) ** degree


def mmd2_unbiased(k_xx: np.ndarray, k_yy: np.ndarray, k_xy: np.ndarray) -> float:
    m = k_xx.shape[0]
    off_xx = k_xx.sum() - np.trace(k_xx)
    off_yy = k_yy.sum() - np.trace(k_yy)
    return float((off_xx + off_yy) / (m * (m - 1)) - 2 * k_xy.sum() / (m * m))


def kernel_inception_distance(features_1, features_2, subsets: int = 100, subset_size: int = 1000,
                              degree: int = 3, gamma: float | None = None, coef0: float = 1.0,
                              seed: int = 2020) -> tuple[float, float]:
    """(mean, std) of MMD²ᵤ over `subsets` random subsets of `subset_size` from each (N, D) set."""
    f1, f2 = _as_array(features_1), _as_array(features_2)
    if f1.ndim != 2 or f2.ndim != 2 or f1.shape[1] != f2.shape[1]:
        raise ValueError(f"features must be (N, D) with the same D, got {f1.shape} and {f2.shape}")
    if subset_size < 2 or subset_size > min(len(f1), len(f2)):
        raise ValueError(f"subset_size must be in [2, min(N1, N2)] = [2, {min(len(f1), len(f2))}], "
                         f"got {subset_size}; lower it for small sets")
    rng = np.random.RandomState(seed)
    mmds = np.zeros(subsets)
    for i in range(subsets):
        x = f1[rng.choice(len(f1), subset_size, replace=False)]
        y = f2[rng.choice(len(f2), subset_size, replace=False)]
        kernel = lambda a, b: polynomial_kernel(a, b, degree, gamma, coef0)  # noqa: E731
        mmds[i] = mmd2_unbiased(kernel(x, x), kernel(y, y), kernel(x, y))
    return float(mmds.mean()), float(mmds.std())


def _as_array(f) -> np.ndarray:
    if hasattr(f, "detach"):
        f = f.detach().cpu().numpy()
    return np.asarray(f)
