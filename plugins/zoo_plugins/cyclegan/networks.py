"""CycleGAN's networks: Zhu, Park, Isola, Efros 2017, "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks" (ICCV 2017, arXiv:1703.10593), App. 7.2, after Johnson et al. 2016.

Generator (c7s1-64, d128, d256, R256 × n, u128, u64, c7s1-3): a 7×7 convolution on a reflection-padded
input, two 3×3 stride-2 convolutions, n residual blocks (6 at 128 px and below, 9 at 256 px) of two
reflection-padded 3×3 convolutions, two 3×3 stride-½ (transposed) convolutions and a 7×7 convolution to
the image through tanh. Instance norm (no affine parameters, no running statistics) and ReLU after every
convolution but the last; every convolution has a bias (the authors' code drops it only under batch norm,
`norm="batch"` here too).

Discriminator: two 70×70 PatchGANs (zoo.nn.patchgan), one per domain, unconditional.
"""
from __future__ import annotations

from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Discriminator, Generator, OutputSpec
from zoo.nn import normal_init_

NORMS = ("instance", "batch", "none")


def norm_layer(kind: str, channels: int) -> nn.Module:
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm must be one of {', '.join(NORMS)}, got {kind!r}")


class ResidualBlock(nn.Module):
    """x + [pad 1, conv 3×3, norm, ReLU, (dropout), pad 1, conv 3×3, norm](x), reflection padding."""

    def __init__(self, width: int, norm: str = "instance", dropout: float = 0.0) -> None:
        super().__init__()
        bias = norm != "batch"
        layers = [nn.ReflectionPad2d(1), nn.Conv2d(width, width, 3, bias=bias), norm_layer(norm, width), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(width, width, 3, bias=bias), norm_layer(norm, width)]
        self.body = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class ResNetGenerator(Generator):
    """Image (N, in_channels, R, R) -> image (N, out_channels, R, R) in [-1, 1]; R a multiple of 4."""

    latent = None

    def __init__(self, resolution: int = 256, in_channels: int = 3, out_channels: int = 3, width: int = 64,
                 num_blocks: int = 9, norm: str = "instance", dropout: float = 0.0, direction: str = "ab") -> None:
        super().__init__()
        if direction not in ("ab", "ba"):
            raise ValueError(f"direction must be 'ab' or 'ba', got {direction!r}")
        if direction == "ba":  # F: B -> A takes B's channels and gives A's
            in_channels, out_channels = out_channels, in_channels
        if resolution % 4:
            raise ValueError(f"the ResNet generator halves twice: resolution must be a multiple of 4, got {resolution}")
        if num_blocks < 0:
            raise ValueError(f"num_blocks must be >= 0, got {num_blocks}")
        norm_layer(norm, 1)
        self.condition = ConditionSpec("image", shape=(in_channels, resolution, resolution))
        self.output = OutputSpec((out_channels, resolution, resolution), value_range=(-1.0, 1.0))
        bias = norm != "batch"
        self.stem = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(in_channels, width, 7, bias=bias),
                                  norm_layer(norm, width), nn.ReLU())
        self.down = nn.ModuleList(
            nn.Sequential(nn.Conv2d(width * m, width * m * 2, 3, 2, 1, bias=bias), norm_layer(norm, width * m * 2), nn.ReLU())
            for m in (1, 2))
        self.blocks = nn.Sequential(*(ResidualBlock(4 * width, norm, dropout) for _ in range(num_blocks)))
        self.up = nn.ModuleList(
            nn.Sequential(nn.ConvTranspose2d(width * m, width * m // 2, 3, 2, 1, output_padding=1, bias=bias),
                          norm_layer(norm, width * m // 2), nn.ReLU())
            for m in (4, 2))
        self.head = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(width, out_channels, 7), nn.Tanh())
        normal_init_(self)  # the authors' init_weights('normal', 0.02)

    def forward(self, z: Tensor | None, c: Tensor | None = None) -> Tensor:
        h = self.stem(c)
        for layer in self.down:
            h = layer(h)
        h = self.blocks(h)
        for layer in self.up:
            h = layer(h)
        return self.head(h)


class DomainPatchDiscriminator(Discriminator):
    """D_X: per-patch logits (N, 1, h, w) of whether each patch of x is from the domain."""

    condition = ConditionSpec()

    def __init__(self, resolution: int = 256, in_channels: int = 3, out_channels: int = 3, d_width: int = 64,
                 d_layers: int = 3, d_norm: str = "instance", domain: str = "b") -> None:
        super().__init__()
        from zoo.nn.patchgan import PatchGAN

        if domain not in ("a", "b"):
            raise ValueError(f"domain must be 'a' or 'b', got {domain!r}")
        channels = in_channels if domain == "a" else out_channels
        self.input = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.patchgan = PatchGAN(channels, width=d_width, num_downsamples=d_layers, norm=d_norm)
        normal_init_(self)  # the authors' init_weights('normal', 0.02)

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        return self.patchgan(x)

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        return self.patchgan.features(x)
