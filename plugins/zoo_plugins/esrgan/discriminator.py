"""ESRGAN's discriminator: the VGG-style network of the authors' code (BasicSR's VGGStyleDiscriminator,
ESRGAN's `Discriminator_VGG_128`), which SRGAN's Fig. 4 discriminator inspired: per stage a 3×3 stride-1
convolution then a 4×4 stride-2 convolution, each followed by batch norm (none on the first
convolution) and LeakyReLU(0.2), widths nf, 2nf, 4nf, 8nf, 8nf; then dense 100, LeakyReLU(0.2), dense 1.
The authors' 128 px input has five stages down to 4×4; a `resolution` of 2^k·4 gets k stages. The
output is C(x), the raw critic value the relativistic average loss compares (zoo_plugins.esrgan.objective).
"""
from __future__ import annotations

import math

from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Discriminator, OutputSpec


def _conv(c_in: int, c_out: int, kernel: int, stride: int, norm: bool) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, kernel, stride, 1, bias=not norm),
            *([nn.BatchNorm2d(c_out)] if norm else []), nn.LeakyReLU(0.2)]


class VGGStyleDiscriminator(Discriminator):
    """(N, C, R, R) HR images in [0, 1] -> C(x) (N,)."""

    condition = ConditionSpec()

    def __init__(self, resolution: int = 128, channels: int = 3, d_width: int = 64):
        super().__init__()
        stages = int(round(math.log2(resolution / 4))) if resolution >= 8 else 0
        if stages < 1 or 4 * 2 ** stages != resolution:
            raise ValueError(f"the discriminator needs a resolution of 4·2^k (8, 16, ..., 128), got {resolution}")
        self.input = OutputSpec((channels, resolution, resolution), value_range=(0.0, 1.0))
        widths = [d_width * min(2 ** i, 8) for i in range(stages)]
        layers: list[nn.Module] = []
        c_in = channels
        for i, w in enumerate(widths):
            layers += _conv(c_in, w, 3, 1, norm=i > 0) + _conv(w, w, 4, 2, norm=True)
            c_in = w
        self.trunk = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Linear(widths[-1] * 16, 100), nn.LeakyReLU(0.2), nn.Linear(100, 1))

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        return [self.trunk(x)]

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        return self.head(self.trunk(x).flatten(1)).squeeze(1)
