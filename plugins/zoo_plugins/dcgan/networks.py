"""DCGAN's generator and discriminator, following the architecture guidelines of Radford 2016, Sec. 3:

- strided convolutions (discriminator) and fractionally-strided convolutions (generator), no pooling;
- batch norm in both networks, except the generator's output layer and the discriminator's input layer;
- no fully connected hidden layers: z is projected and reshaped to 4×4 (Fig. 1), and the discriminator's
  last convolution is flattened into a single sigmoid output;
- ReLU in the generator with tanh at its output; LeakyReLU(0.2) in the discriminator;
- weights initialised from N(0, 0.02) (Sec. 4); z drawn from a 100-d uniform distribution (Fig. 1).

The number of up/down-sampling stages follows the resolution (64 px: four, as in Fig. 1; 32 px: three).
"""
from __future__ import annotations

import math

from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Discriminator, Generator, LatentSpec, OutputSpec
from zoo.nn import normal_init_


def _stages(resolution: int) -> int:
    stages = math.log2(resolution / 4)
    if resolution < 8 or not stages.is_integer():
        raise ValueError(f"DCGAN needs a power-of-two resolution >= 8, got {resolution}")
    return int(stages)


class DCGANGenerator(Generator):
    condition = ConditionSpec()

    def __init__(self, latent_dim: int = 100, resolution: int = 64, channels: int = 3, g_width: int = 128,
                 kernel_size: int = 5):
        super().__init__()
        n = _stages(resolution)
        self.latent = LatentSpec((latent_dim,), prior="uniform", low=-1.0, high=1.0)
        self.output = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        widths = [g_width * 2 ** i for i in reversed(range(n))]  # e.g. 1024, 512, 256, 128
        self.base_width = widths[0]
        self.project = nn.Linear(latent_dim, widths[0] * 16, bias=False)
        self.project_norm = nn.BatchNorm2d(widths[0])
        # padding and output_padding that make every stride-2 stage exactly double (k=5: 2, 1; k=4: 1, 0)
        pad, out_pad = (kernel_size - 1) // 2, kernel_size % 2
        blocks = []
        for c_in, c_out in zip(widths, widths[1:]):
            blocks += [nn.ConvTranspose2d(c_in, c_out, kernel_size, 2, pad, out_pad, bias=False),
                       nn.BatchNorm2d(c_out), nn.ReLU(True)]
        blocks += [nn.ConvTranspose2d(widths[-1], channels, kernel_size, 2, pad, out_pad), nn.Tanh()]
        self.blocks = nn.Sequential(*blocks)
        normal_init_(self)

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        h = self.project(z).view(z.shape[0], self.base_width, 4, 4)
        return self.blocks(nn.functional.relu(self.project_norm(h)))


class DCGANDiscriminator(Discriminator):
    condition = ConditionSpec()

    def __init__(self, resolution: int = 64, channels: int = 3, d_width: int = 64, kernel_size: int = 5):
        super().__init__()
        n = _stages(resolution)
        self.input = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        widths = [d_width * 2 ** i for i in range(n)]  # e.g. 64, 128, 256, 512
        pad = (kernel_size - 1) // 2  # stride 2 halves the size for k=4 and k=5
        layers = []
        for i, c_out in enumerate(widths):
            c_in = channels if i == 0 else widths[i - 1]
            conv = nn.Conv2d(c_in, c_out, kernel_size, 2, pad, bias=i == 0)
            norm = nn.Identity() if i == 0 else nn.BatchNorm2d(c_out)  # no BN on the input layer
            layers.append(nn.Sequential(conv, norm, nn.LeakyReLU(0.2, True)))
        self.layers = nn.ModuleList(layers)
        self.head = nn.Linear(widths[-1] * 16, 1)  # flatten the 4x4 map into one sigmoid output
        normal_init_(self)

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        feats = []
        for layer in self.layers:
            x = layer(x)
            feats.append(x)
        return feats

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        return self.head(self.features(x)[-1].flatten(1)).squeeze(1)
