"""3D-GAN's networks (Wu, Zhang, Xue, Freeman, Tenenbaum 2016, "Learning a Probabilistic Latent Space of
Object Shapes via 3D Generative-Adversarial Modeling", NeurIPS 2016, arXiv:1610.07584, Sec. 3.1/3.2):

- G: a 200-d z seen as a 1³ volume; volumetric full convolutions of kernel 4, the first of stride 1
  (1³ → 4³), the others of stride 2 and padding 1, each but the last followed by batch norm and ReLU;
  sigmoid occupancy. Five layers reach 64³ (channels 512-256-128-64-1); four reach 32³ (the CPU
  configuration). `g_width` is the channel count of the last hidden layer (64 in the paper), doubled
  towards z. Convolutions have no bias: the authors' release zeroes them ("convolution bias is removed
  during training", 3dgan-release main.lua), and batch norm follows every one but the last.
- D mirrors G: volumetric convolutions of kernel 4, stride 2, padding 1 with batch norm (not after the
  first, as DCGAN) and LeakyReLU 0.2, then a 4³ → 1³ convolution giving one logit (the sigmoid is in
  the loss).
- E (3D-VAE-GAN, Sec. 3.2): an image encoder giving a Gaussian q(z|y). The paper's encoder reads
  256×256 images with five convolutions of kernels {11, 5, 5, 5, 8} and strides {4, 2, 2, 2, 1}; the
  rendered views here are 64×64 (32³ shapes), so E is the same five-layer plan at that size: four
  convolutions of kernel 4 and stride 2 (64 → 4 px) with batch norm and ReLU, then a 4×4 convolution to
  the mean and log-variance of z (deviation: kernel sizes fitted to the smaller image).
"""
from __future__ import annotations

import math

from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Discriminator, Encoder, Generator, LatentSpec, OutputSpec, Posterior


def _stages(resolution: int, what: str = "3D-GAN") -> int:
    """Number of stride-2 layers between 4³ and `resolution`³ (4 at 64³, 3 at 32³)."""
    stages = math.log2(resolution / 4) if resolution > 0 else -1
    if resolution < 8 or not float(stages).is_integer():
        raise ValueError(f"{what} needs a power-of-two resolution >= 8, got {resolution}")
    return int(stages)


def _widths(width: int, stages: int) -> list[int]:
    """Channels from the 4³ layer down to the last hidden one: width·2^(stages-1), ..., width."""
    return [width * 2 ** (stages - 1 - i) for i in range(stages)]


class VoxelGenerator(Generator):
    """z (N, latent_dim) → occupancy (N, 1, R, R, R) in [0, 1]."""

    condition = ConditionSpec()

    def __init__(self, latent_dim: int = 200, resolution: int = 64, g_width: int = 64,
                 latent_prior: str = "uniform") -> None:
        super().__init__()
        stages = _stages(resolution)
        # The release samples z from U(0, 1) (torch.rand in main.lua); 3D-VAE-GAN's prior is N(0, I).
        # The shipped gan3d.voxels-32 uses "normal" (a deviation): U(0, 1)'s mean of 0.5 passes through the
        # first layer as a code-independent template, and the 32³ run with it collapsed to one blob.
        if latent_prior == "uniform":
            self.latent = LatentSpec((latent_dim,), prior="uniform", low=0.0, high=1.0)
        elif latent_prior == "normal":
            self.latent = LatentSpec((latent_dim,), prior="normal")
        else:
            raise ValueError(f"latent_prior must be 'uniform' or 'normal', got {latent_prior!r}")
        self.output = OutputSpec((1, resolution, resolution, resolution), kind="voxels", value_range=(0.0, 1.0))
        widths = _widths(g_width, stages)
        layers: list[nn.Module] = [nn.ConvTranspose3d(latent_dim, widths[0], 4, 1, 0, bias=False),
                                   nn.BatchNorm3d(widths[0]), nn.ReLU(True)]
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose3d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm3d(c_out), nn.ReLU(True)]
        layers += [nn.ConvTranspose3d(widths[-1], 1, 4, 2, 1, bias=False), nn.Sigmoid()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        return self.net(z.view(z.shape[0], -1, 1, 1, 1))


class VoxelDiscriminator(Discriminator):
    """Occupancy (N, 1, R, R, R) → one logit per grid."""

    condition = ConditionSpec()

    def __init__(self, resolution: int = 64, d_width: int = 64) -> None:
        super().__init__()
        stages = _stages(resolution)
        self.input = OutputSpec((1, resolution, resolution, resolution), kind="voxels", value_range=(0.0, 1.0))
        widths = _widths(d_width, stages)[::-1]  # width, 2·width, ... towards 4³
        layers: list[nn.Module] = [nn.Conv3d(1, widths[0], 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [nn.Conv3d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm3d(c_out), nn.LeakyReLU(0.2, True)]
        self.trunk = nn.Sequential(*layers)
        self.head = nn.Conv3d(widths[-1], 1, 4, 1, 0)

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        return [self.trunk(x)]

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        return self.head(self.trunk(x)).flatten()


class ImageEncoder(Encoder):
    """A rendered view (N, channels, S, S) in [-1, 1] → q(z | view), a diagonal Gaussian over z."""

    condition = ConditionSpec()

    def __init__(self, latent_dim: int = 200, image_size: int = 64, image_channels: int = 1,
                 e_width: int = 64) -> None:
        super().__init__()
        stages = _stages(image_size, "the 3D-VAE-GAN image encoder")
        self.input = OutputSpec((image_channels, image_size, image_size), value_range=(-1.0, 1.0))
        self.latent = LatentSpec((latent_dim,))
        widths = _widths(e_width, stages)[::-1]
        layers: list[nn.Module] = []
        for c_in, c_out in zip([image_channels] + widths, widths):
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)]
        self.trunk = nn.Sequential(*layers)
        self.head = nn.Conv2d(widths[-1], 2 * latent_dim, 4, 1, 0)  # mean and log-variance
        self.latent_dim = latent_dim

    def forward(self, x: Tensor, c: Tensor | None = None) -> Posterior:
        h = self.head(self.trunk(x)).flatten(1)
        return Posterior(h[:, :self.latent_dim], h[:, self.latent_dim:])
