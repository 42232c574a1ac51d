"""IcGAN's encoders (Perarnau et al. 2016, arXiv:1611.06355, Sec. 3.2-3.3): E_z maps an image to the
cGAN's latent z, E_y to its condition vector y.

The paper compares one shared encoder (SNG), two independent ones (IND) and E_z conditioned on E_y's
output (IND-COND). IND is the variant here (we could not re-read which one the paper ranks first offline):
two networks of this one class, configured per role (`encoder_z.target=z`, `encoder_y.target=y`).
Layers as the paper's encoders: strided 4x4 convolutions with batch norm (none on the input layer) and
ReLU, halving the size down to 4x4, then one fully connected layer to the code.
"""
from __future__ import annotations

import math

from torch import Tensor, nn

from zoo.interfaces import Encoder, LatentSpec, OutputSpec
from zoo.nn import normal_init_

TARGETS = ("z", "y")


class IcGANEncoder(Encoder):
    def __init__(self, latent_dim: int = 100, resolution: int = 32, channels: int = 1, e_width: int = 32,
                 kernel_size: int = 4, target: str = "z", condition: str = "class+attributes",
                 num_classes: int = 10, num_attributes: int = 4):
        super().__init__()
        if target not in TARGETS:
            raise ValueError(f"an IcGAN encoder's target must be 'z' (E_z) or 'y' (E_y), got {target!r}")
        stages = math.log2(resolution / 4)
        if resolution < 8 or not stages.is_integer():
            raise ValueError(f"IcGAN's encoders need a power-of-two resolution >= 8, got {resolution}")
        y_dim = num_classes + (num_attributes if condition == "class+attributes" else 0)
        self.target = target
        self.input = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.latent = LatentSpec((latent_dim if target == "z" else y_dim,))
        widths = [e_width * 2 ** i for i in range(int(stages))]
        pad = (kernel_size - 1) // 2
        layers = []
        for i, c_out in enumerate(widths):
            c_in = channels if i == 0 else widths[i - 1]
            layers += [nn.Conv2d(c_in, c_out, kernel_size, 2, pad, bias=i == 0),
                       nn.Identity() if i == 0 else nn.BatchNorm2d(c_out), nn.ReLU(True)]
        self.trunk = nn.Sequential(*layers)
        self.out = nn.Linear(widths[-1] * 16, self.latent.shape[0])
        normal_init_(self)

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        return self.out(self.trunk(x).flatten(1))
