"""InfoGAN's generator and discriminator with its Q head (Chen et al. 2016, arXiv:1606.03657, App. C,
Table 1, the MNIST networks), scaled to the 32 px digits.

Latent (Sec. 6 / App. C, MNIST): 62 noise values z, one 10-way categorical code c1 and two continuous
codes c2, c3 ~ Unif(-1, 1), concatenated in that order. The noise is drawn from Unif(-1, 1), as in
the authors' released MNIST setting (the paper does not state it).

Table 1, MNIST:
- G: FC 1024 ReLU BN → FC 7×7×128 ReLU BN → 4×4 up-conv 64 ReLU stride 2 BN → 4×4 up-conv 1 channel.
- D: 4×4 conv 64 lReLU stride 2 → 4×4 conv 128 lReLU stride 2 BN → FC 1024 lReLU BN → FC output.
- Q shares every layer of D but the last: FC 128 BN lReLU → FC output (the codes' parameters).

Scaled to the digits: the map is (R/4)×(R/4) (8×8 for 32 px: two stride-2 stages from 32, as 7×7 from
28), the conv widths are `width`, 2·`width` (paper: 64, 128), the FC layer `hidden` (paper: 1024) and
Q's `q_hidden` (paper: 128); the shipped digits-32 set uses 32, 256, 64 to fit the CPU budget here.
The output is tanh in [-1, 1] (the paper's sigmoid in [0, 1], the zoo's image range). Each batch norm
sits before its layer's activation (the table lists a layer's parts, not their order).

Q's outputs (`DiscriminatorOutput.aux`): "categorical" logits (N, 10) of c1, and the factored Gaussian
N(mean, exp(log_std)²) of each continuous code, "mean" and "log_std" (N, 2) (Sec. 5: "for continuous
latent code, we parameterise the approximate posterior through a factored Gaussian"). With
`fixed_std` the log_std is 0 (σ = 1), the simplification of the authors' released MNIST setting.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from zoo.interfaces import (ConditionSpec, Discriminator, DiscriminatorOutput, Generator, LatentPart, LatentSpec,
                            OutputSpec)
from zoo.nn import normal_init_

LEAK = 0.1  # the paper's lReLU slope is not stated; 0.1 as in its released code's MNIST nets


def infogan_latent(noise_dim: int = 62, categories: int = 10, continuous: int = 2) -> LatentSpec:
    """z (noise_dim, Unif(-1, 1)), c1 (one-hot of `categories`), c2, c3, ... (Unif(-1, 1) each)."""
    parts = [LatentPart("z", noise_dim, "uniform"), LatentPart("c1", categories, "categorical")]
    parts += [LatentPart(f"c{i + 2}", 1, "uniform") for i in range(continuous)]
    return LatentSpec(parts=tuple(parts))


def _map_size(resolution: int) -> int:
    if resolution % 4 or resolution < 8:
        raise ValueError(f"InfoGAN's networks need a resolution divisible by 4 and >= 8, got {resolution}")
    return resolution // 4


class InfoGANGenerator(Generator):
    condition = ConditionSpec()

    def __init__(self, noise_dim: int = 62, categories: int = 10, continuous: int = 2, resolution: int = 32,
                 channels: int = 1, width: int = 64, hidden: int = 1024):
        super().__init__()
        self.latent = infogan_latent(noise_dim, categories, continuous)
        self.output = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.map_size = _map_size(resolution)
        self.map_channels = 2 * width
        self.fc = nn.Sequential(
            nn.Linear(self.latent.shape[0], hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
            nn.Linear(hidden, self.map_channels * self.map_size ** 2),
            nn.BatchNorm1d(self.map_channels * self.map_size ** 2), nn.ReLU())
        self.up = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, channels, 4, 2, 1), nn.Tanh())
        normal_init_(self)

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        h = self.fc(z).view(z.shape[0], self.map_channels, self.map_size, self.map_size)
        return self.up(h)


class InfoGANDiscriminator(Discriminator):
    """D and Q on one trunk: `trunk` (convs and the FC layer), `head` (D's real/fake logit), `q` (Q)."""

    condition = ConditionSpec()

    def __init__(self, categories: int = 10, continuous: int = 2, resolution: int = 32, channels: int = 1,
                 width: int = 64, hidden: int = 1024, q_hidden: int = 128, fixed_std: bool = False):
        super().__init__()
        self.input = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.categories, self.continuous, self.fixed_std = categories, continuous, bool(fixed_std)
        m = _map_size(resolution)
        self.convs = nn.Sequential(
            nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(LEAK),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.BatchNorm2d(2 * width), nn.LeakyReLU(LEAK))
        self.fc = nn.Sequential(nn.Linear(2 * width * m * m, hidden), nn.BatchNorm1d(hidden), nn.LeakyReLU(LEAK))
        self.head = nn.Linear(hidden, 1)
        self.q = nn.Sequential(nn.Linear(hidden, q_hidden), nn.BatchNorm1d(q_hidden), nn.LeakyReLU(LEAK),
                               nn.Linear(q_hidden, categories + 2 * continuous))
        normal_init_(self)

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        h1 = self.convs(x)
        return [h1, self.fc(h1.flatten(1))]

    def q_outputs(self, h: Tensor) -> dict[str, Tensor]:
        """Q's code parameters from the trunk's last features `h` (N, hidden)."""
        out = self.q(h)
        k, n = self.categories, self.continuous
        log_std = out[:, k + n:]
        if self.fixed_std:
            log_std = torch.zeros_like(log_std)
        return {"categorical": out[:, :k], "mean": out[:, k:k + n], "log_std": log_std}

    def outputs(self, x: Tensor, c: Tensor | None = None) -> DiscriminatorOutput:
        self.check_inputs(x, c)
        feats = self.features(x)
        return DiscriminatorOutput({"logits": self.head(feats[-1]).squeeze(1)}, [feats], self.q_outputs(feats[-1]))

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        return self.head(self.features(x)[-1]).squeeze(1)
