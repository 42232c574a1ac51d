"""The generator's batch norms, in the two forms BigGAN's weights come in.

- Trained here (`norm_stats="batch"`): ordinary batch norm, batch statistics while training and running
  averages in eval (zoo.nn.ConditionalBatchNorm2d for the class-conditional ones).
- The official BigGAN-deep files (`norm_stats="per_truncation"`): the TF Hub module was exported with
  no batch statistics at all; instead each norm holds `n_stats` (51) mean/variance pairs, measured at
  truncations 0, 0.02, ..., 1, and uses the pair of the truncation it is sampled at
  (pytorch-pretrained-biggan's BigGANBatchNorm). Between grid points the port blends the two
  neighbours with the weights the other way round from linear interpolation (the fraction goes to the
  lower point): we do the same, since the files are only right with the code they were made for.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.nn import ConditionalBatchNorm2d, sn


def statistics_at(means: Tensor, variances: Tensor, truncation: float) -> tuple[Tensor, Tensor]:
    """The (mean, variance) rows for `truncation` in (0, 1] from tables of n_stats rows on the grid
    0, 1/(n_stats-1), ..., 1, blended as pytorch-pretrained-biggan does."""
    if not 0 < truncation <= 1:
        raise ValueError(f"the official BigGAN-deep weights take a truncation in (0, 1], got {truncation}")
    # the port divides by its step 1/(n-1) rather than multiplying by n-1; the two round differently
    # at a few grid points (0.3 -> 14.999...), so divide as it does
    fraction, index = math.modf(truncation / (1.0 / (means.shape[0] - 1)))
    index = int(index)
    if fraction == 0.0:
        return means[index], variances[index]
    return (means[index] * fraction + means[index + 1] * (1 - fraction),
            variances[index] * fraction + variances[index + 1] * (1 - fraction))


class TruncationStatsBatchNorm2d(nn.Module):
    """Batch norm with per-truncation statistics (see the module docstring), in eval form only.

    Conditional (`condition_dim` given): (x − μ_t) / √(σ²_t + eps) · (1 + gain(c)) + bias(c), gain and bias
    spectrally normalised linear maps without bias terms. Unconditional: a learned affine weight, bias.
    """

    def __init__(self, num_features: int, condition_dim: int | None = None, n_stats: int = 51, eps: float = 1e-4):
        super().__init__()
        self.eps = eps
        self.register_buffer("running_means", torch.zeros(n_stats, num_features))
        self.register_buffer("running_vars", torch.ones(n_stats, num_features))
        self.conditional = condition_dim is not None
        if self.conditional:
            self.gain = sn(nn.Linear(condition_dim, num_features, bias=False), eps=eps)
            self.bias = sn(nn.Linear(condition_dim, num_features, bias=False), eps=eps)
        else:
            self.weight = nn.Parameter(torch.ones(num_features))
            self.bias = nn.Parameter(torch.zeros(num_features))

    def forward(self, x: Tensor, condition: Tensor | None = None, truncation: float = 1.0) -> Tensor:
        mean, var = statistics_at(self.running_means, self.running_vars, truncation)
        if not self.conditional:
            return F.batch_norm(x, mean, var, self.weight, self.bias, training=False, momentum=0.0, eps=self.eps)
        # (x − μ) / √(σ² + eps) · g + b folded into two passes over x: x · s + (b − μ s), s = g / √(σ² + eps)
        # (the port makes four; the two agree to float rounding). mul then add_, not addcmul: torch's
        # broadcasting addcmul is several times slower on the CPU.
        scale = (1 + self.gain(condition)) * torch.rsqrt(var + self.eps)
        shift = self.bias(condition) - mean * scale
        return x.mul(scale[:, :, None, None]).add_(shift[:, :, None, None])


class BatchStatsConditionalNorm(ConditionalBatchNorm2d):
    """zoo.nn.ConditionalBatchNorm2d taking (and ignoring) the truncation, like the per-truncation form."""

    def forward(self, x: Tensor, condition: Tensor | None = None, truncation: float = 1.0) -> Tensor:
        return super().forward(x, condition)


class BatchStatsNorm(nn.BatchNorm2d):
    """The output layer's plain batch norm, taking (and ignoring) a condition and truncation."""

    def forward(self, x: Tensor, condition: Tensor | None = None, truncation: float = 1.0) -> Tensor:
        return super().forward(x)


def make_norm(norm_stats: str, num_features: int, condition_dim: int | None, n_stats: int, eps: float) -> nn.Module:
    """A conditional norm (condition_dim given) or the output layer's unconditional one, in either form."""
    if norm_stats == "per_truncation":
        return TruncationStatsBatchNorm2d(num_features, condition_dim, n_stats=n_stats, eps=eps)
    if norm_stats == "batch":
        if condition_dim is None:
            return BatchStatsNorm(num_features, eps=eps)
        return BatchStatsConditionalNorm(num_features, condition_dim, eps=eps)
    raise ValueError(f"norm_stats must be 'batch' or 'per_truncation', got {norm_stats!r}")
