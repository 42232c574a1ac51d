"""The projection discriminator's output layer (Miyato & Koyama 2018, Eq. 3; SNGAN, BigGAN)."""
from __future__ import annotations

from torch import Tensor, nn

from zoo.nn.spectral import sn


class ProjectionHead(nn.Module):
    """logit = psi(h) + <embed(y), h> for trunk features h (N, F) and class labels y (N,).

    psi is a linear layer to one value; embed a per-class vector of F values. Without labels only
    psi(h) is returned (an unconditional score). `spectral_norm=True` wraps both in spectral
    normalisation as SNGAN, SAGAN and BigGAN do (torch's classic hook: weight_orig, weight_u, weight_v,
    the layout of their checkpoints; see zoo.nn.spectral).
    """

    def __init__(self, in_features: int, num_classes: int, spectral_norm: bool = False):
        super().__init__()
        self.psi = nn.Linear(in_features, 1)
        self.embed = nn.Embedding(num_classes, in_features)
        if spectral_norm:
            self.psi, self.embed = sn(self.psi), sn(self.embed)

    def forward(self, h: Tensor, y: Tensor | None = None) -> Tensor:
        logit = self.psi(h).squeeze(1)
        if y is not None:
            logit = logit + (self.embed(y) * h).sum(1)
        return logit
