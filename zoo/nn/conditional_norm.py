"""Batch norm whose scale and shift depend on a condition (de Vries 2017; Miyato & Koyama 2018;
SAGAN and BigGAN use it in the generator)."""
from __future__ import annotations

from torch import Tensor, nn

from zoo.nn.spectral import sn


class ConditionalBatchNorm2d(nn.Module):
    """BigGAN's form: BN(x) · (gain_offset + gain(c)) + bias(c) for a condition vector c (N, D).

    BN has no affine parameters of its own; `gain` and `bias` are linear maps without bias terms from
    the condition (the shared class embedding, or [embedding, z-chunk] with the hierarchical latent),
    spectrally normalised by default as in BigGAN. gain_offset = 1 centres the gain at one at init
    (BigGAN-PyTorch); a port whose gain layer already carries the one can pass 0.
    """

    def __init__(self, num_features: int, condition_dim: int, spectral_norm: bool = True, eps: float = 1e-5,
                 momentum: float = 0.1, gain_offset: float = 1.0):
        super().__init__()
        wrap = sn if spectral_norm else (lambda m: m)
        self.bn = nn.BatchNorm2d(num_features, eps=eps, momentum=momentum, affine=False)
        self.gain = wrap(nn.Linear(condition_dim, num_features, bias=False))
        self.bias = wrap(nn.Linear(condition_dim, num_features, bias=False))
        self.gain_offset = gain_offset

    def forward(self, x: Tensor, condition: Tensor) -> Tensor:
        if condition.dim() != 2 or condition.shape[0] != x.shape[0]:
            raise ValueError(f"conditional batch norm expects a condition of shape ({x.shape[0]}, "
                             f"{self.gain.in_features}), got {tuple(condition.shape)}")
        gain = (self.gain_offset + self.gain(condition))[:, :, None, None]
        return self.bn(x) * gain + self.bias(condition)[:, :, None, None]


class ClassConditionalBatchNorm2d(nn.Module):
    """SAGAN's (and Miyato & Koyama's) form: BN(x) · γ[y] + β[y], one γ (init 1) and β (init 0) per class."""

    def __init__(self, num_features: int, num_classes: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__()
        self.bn = nn.BatchNorm2d(num_features, eps=eps, momentum=momentum, affine=False)
        self.gamma = nn.Embedding(num_classes, num_features)
        self.beta = nn.Embedding(num_classes, num_features)
        nn.init.ones_(self.gamma.weight)
        nn.init.zeros_(self.beta.weight)

    def forward(self, x: Tensor, labels: Tensor) -> Tensor:
        if labels.dim() != 1 or labels.shape[0] != x.shape[0]:
            raise ValueError(f"class-conditional batch norm expects labels of shape ({x.shape[0]},), "
                             f"got {tuple(labels.shape)}")
        return self.bn(x) * self.gamma(labels)[:, :, None, None] + self.beta(labels)[:, :, None, None]

