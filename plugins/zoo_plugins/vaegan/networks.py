"""VAE-GAN's three networks (Larsen et al. 2016, Table/Appendix for 64 px; the authors' released
32 px variant has three down/up-sampling stages, which is what 32 px digits use):

- Enc: 5×5 conv ↓ (w, 2w, 4w), BNorm, ReLU; fully-connected, BNorm, ReLU; linear μ and log σ²;
- Dec: fully-connected to 4w×s×s, BNorm, ReLU; 5×5 conv ↑ (3w, 2w, w/2), BNorm, ReLU; 5×5 conv, tanh;
- Dis: 5×5 conv (w/2), ReLU; 5×5 conv ↓ (2w, 3w, 4w), BNorm, ReLU; fully-connected, BNorm, ReLU;
  one logit (the sigmoid is folded into the loss).

w = 64 in the paper; `width` sets it (16 for the shipped digits model). Deviation: the fully-connected
layers are 8w (encoder) and 4w (discriminator) wide instead of 16w and 8w, to keep the weights small.
`Dis.features` returns the output of each convolution; Dis_l is the l-th of them (l = 4 in the authors'
code: the last convolution, before its batch norm).
"""
from __future__ import annotations

import math

from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Discriminator, Encoder, Generator, LatentSpec, OutputSpec, Posterior


def _stages(resolution: int) -> int:
    stages = math.log2(resolution / 4)
    if resolution < 8 or not stages.is_integer():
        raise ValueError(f"VAE-GAN needs a power-of-two resolution >= 8, got {resolution}")
    return int(stages)


def _down(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 5, 2, 2, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True))


def _up(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 5, 2, 2, output_padding=1, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(True))


def _widths(width: int, stages: int, top: list[int]) -> list[int]:
    """The paper's three stages for 32 px; fewer for smaller images (keeping the widest last)."""
    return top[-stages:] if stages <= len(top) else [top[0]] * (stages - len(top)) + top


class VAEGANEncoder(Encoder):
    condition = ConditionSpec()

    def __init__(self, latent_dim: int = 16, resolution: int = 32, channels: int = 1, width: int = 16):
        super().__init__()
        n = _stages(resolution)
        self.input = OutputSpec((channels, resolution, resolution))
        self.latent = LatentSpec((latent_dim,))
        widths = _widths(width, n, [width, 2 * width, 4 * width])
        self.convs = nn.Sequential(*[_down(c_in, c_out) for c_in, c_out in zip([channels] + widths, widths)])
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(widths[-1] * 16, 8 * width, bias=False),
                                nn.BatchNorm1d(8 * width), nn.ReLU(True))
        self.mean = nn.Linear(8 * width, latent_dim)
        self.logvar = nn.Linear(8 * width, latent_dim)

    def forward(self, x: Tensor, c: Tensor | None = None) -> Posterior:
        h = self.fc(self.convs(x))
        return Posterior(self.mean(h), self.logvar(h))


class VAEGANDecoder(Generator):
    condition = ConditionSpec()

    def __init__(self, latent_dim: int = 16, resolution: int = 32, channels: int = 1, width: int = 16):
        super().__init__()
        n = _stages(resolution)
        self.latent = LatentSpec((latent_dim,))
        self.output = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.base = 4 * width
        self.fc = nn.Sequential(nn.Linear(latent_dim, self.base * 16, bias=False), nn.BatchNorm1d(self.base * 16),
                                nn.ReLU(True))
        widths = _widths(width, n, [3 * width, 2 * width, max(width // 2, 1)])
        self.ups = nn.Sequential(*[_up(c_in, c_out) for c_in, c_out in zip([self.base] + widths, widths)])
        self.to_image = nn.Sequential(nn.Conv2d(widths[-1], channels, 5, 1, 2), nn.Tanh())

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        return self.to_image(self.ups(self.fc(z).view(-1, self.base, 4, 4)))


class VAEGANDiscriminator(Discriminator):
    condition = ConditionSpec()

    def __init__(self, resolution: int = 32, channels: int = 1, width: int = 16):
        super().__init__()
        n = _stages(resolution)
        self.input = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        first = max(width // 2, 1)
        widths = _widths(width, n, [2 * width, 3 * width, 4 * width])
        # each entry: (convolution, what follows it); features are taken right after the convolution
        self.convs = nn.ModuleList([nn.Conv2d(channels, first, 5, 1, 2)]
                                   + [nn.Conv2d(c_in, c_out, 5, 2, 2, bias=False)
                                      for c_in, c_out in zip([first] + widths, widths)])
        self.after = nn.ModuleList([nn.ReLU()] + [nn.Sequential(nn.BatchNorm2d(c), nn.ReLU()) for c in widths])
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(widths[-1] * 16, 4 * width, bias=False),
                                  nn.BatchNorm1d(4 * width), nn.ReLU(), nn.Linear(4 * width, 1))

    @property
    def num_feature_layers(self) -> int:
        return len(self.convs)

    def features_and_logits(self, x: Tensor) -> tuple[list[Tensor], Tensor]:
        """The output of every convolution (Dis_1 ... Dis_L) and the logits, from one pass."""
        feats = []
        for conv, after in zip(self.convs, self.after):
            x = conv(x)
            feats.append(x)
            x = after(x)
        return feats, self.head(x).squeeze(1)

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        return self.features_and_logits(x)[0]

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        return self.features_and_logits(x)[1]
