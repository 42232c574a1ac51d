"""ESRGAN's and Real-ESRGAN's networks.

RRDBNet: Wang et al. 2018, "ESRGAN: Enhanced Super-Resolution Generative Adversarial Networks"
(arXiv:1809.00219), Sec. 3.1 and Fig. 4: SRResNet's trunk with batch norm removed and each residual
block replaced by a Residual-in-Residual Dense Block (RRDB): three residual dense blocks, each five 3×3
convolutions whose inputs concatenate the block's input and every earlier output (growth `gc`
channels), LeakyReLU(0.2) after all but the last; residual scaling β = 0.2 on every dense block and on
the RRDB itself. After the trunk, a 3×3 convolution and the long skip; two nearest-neighbour ×2
upsamplings each followed by a 3×3 convolution and LeakyReLU(0.2); a 3×3 convolution + LeakyReLU and the
last 3×3 convolution to the image. [0, 1] in and out.

Real-ESRGAN (Wang et al. 2021, arXiv:2107.10833, Sec. 4.3) keeps this network for ×4 and, for ×2 and
×1, first folds the input with a pixel-unshuffle (space-to-depth) of 2 or 4, so the same ×4 body runs on
a smaller, deeper input. SRVGGNetCompact (Real-ESRGAN's small models) is a plain VGG-style stack of 3×3
convolutions + PReLU on the LR image, a pixel shuffle ×scale, and the nearest-upsampled input added.

State-dict names are BasicSR's (conv_first, body.N.rdbK.convJ, conv_body, conv_up1/2, conv_hr,
conv_last; SRVGGNetCompact's body.N), so that BasicSR's files load as they are; zoo_plugins.esrgan.convert
reads the other official layouts into these names.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Generator, OutputSpec

RESIDUAL_SCALE = 0.2  # ESRGAN's β


class ResidualDenseBlock(nn.Module):
    """Five densely connected 3×3 convolutions; returns x + β · conv5(...)."""

    def __init__(self, nf: int = 64, gc: int = 32):
        super().__init__()
        self.conv1 = nn.Conv2d(nf, gc, 3, 1, 1)
        self.conv2 = nn.Conv2d(nf + gc, gc, 3, 1, 1)
        self.conv3 = nn.Conv2d(nf + 2 * gc, gc, 3, 1, 1)
        self.conv4 = nn.Conv2d(nf + 3 * gc, gc, 3, 1, 1)
        self.conv5 = nn.Conv2d(nf + 4 * gc, nf, 3, 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        if not torch.is_grad_enabled() and x.shape[0] == 1:
            return self._forward_in_place(x)
        features = [x]
        for conv in (self.conv1, self.conv2, self.conv3, self.conv4):
            features.append(F.leaky_relu(conv(torch.cat(features, 1)), 0.2))
        return x + RESIDUAL_SCALE * self.conv5(torch.cat(features, 1))

    def _forward_in_place(self, x: Tensor) -> Tensor:
        """The same sums without autograd: each output is written once into one growing buffer (for a
        single image a channel prefix of it is contiguous), instead of re-concatenating every input."""
        nf, gc = x.shape[1], self.conv1.out_channels
        buffer = x.new_empty(1, nf + 4 * gc, *x.shape[2:])
        buffer[:, :nf] = x
        for k, conv in enumerate((self.conv1, self.conv2, self.conv3, self.conv4)):
            start = nf + k * gc
            buffer[:, start:start + gc] = F.leaky_relu(conv(buffer[:, :start]), 0.2, inplace=True)
        return torch.add(x, self.conv5(buffer), alpha=RESIDUAL_SCALE)


class RRDB(nn.Module):
    """Residual-in-residual: x + β · RDB3(RDB2(RDB1(x)))."""

    def __init__(self, nf: int = 64, gc: int = 32):
        super().__init__()
        self.rdb1, self.rdb2, self.rdb3 = (ResidualDenseBlock(nf, gc) for _ in range(3))

    def forward(self, x: Tensor) -> Tensor:
        return x + RESIDUAL_SCALE * self.rdb3(self.rdb2(self.rdb1(x)))


def unshuffle_factor(scale: int) -> int:
    """Real-ESRGAN's pixel-unshuffle before the ×4 body: 1 for ×4, 2 for ×2, 4 for ×1."""
    factors = {4: 1, 2: 2, 1: 4}
    if scale not in factors:
        raise ValueError(f"RRDBNet upscales ×4, ×2 or ×1, got scale={scale!r}")
    return factors[scale]


class RRDBNet(Generator):
    """(N, C, h, w) in [0, 1] -> (N, C, scale·h, scale·w) in [0, 1], any h, w."""

    latent = None

    def __init__(self, channels: int = 3, nf: int = 64, nb: int = 23, gc: int = 32, scale: int = 4):
        super().__init__()
        self.scale, self.fold = int(scale), unshuffle_factor(scale)
        if min(nf, nb, gc) < 1:
            raise ValueError(f"nf, nb and gc must be >= 1, got nf={nf}, nb={nb}, gc={gc}")
        self.condition = ConditionSpec("low_res_image", shape=(channels, "H", "W"), value_range=(0.0, 1.0))
        self.output = OutputSpec((channels, "H", "W"), value_range=(0.0, 1.0))
        self.conv_first = nn.Conv2d(channels * self.fold ** 2, nf, 3, 1, 1)
        self.body = nn.Sequential(*(RRDB(nf, gc) for _ in range(nb)))
        self.conv_body = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_up1 = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_up2 = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_hr = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_last = nn.Conv2d(nf, channels, 3, 1, 1)

    def forward(self, z: Tensor | None, c: Tensor | None = None) -> Tensor:
        h, w = c.shape[-2:]
        x = c
        if self.fold > 1:
            # Real-ESRGAN's inference pads by reflection to a multiple of the fold, and crops the output
            pad_h, pad_w = -h % self.fold, -w % self.fold
            if pad_h or pad_w:
                x = F.pad(x, (0, pad_w, 0, pad_h), mode="reflect")
            x = F.pixel_unshuffle(x, self.fold)
        feat = self.conv_first(x)
        feat = feat + self.conv_body(self.body(feat))
        in_place = not torch.is_grad_enabled()  # no autograd: the activations may overwrite the conv outputs
        for conv in (self.conv_up1, self.conv_up2):
            feat = F.leaky_relu(conv(F.interpolate(feat, scale_factor=2, mode="nearest")), 0.2, inplace=in_place)
        out = self.conv_last(F.leaky_relu(self.conv_hr(feat), 0.2, inplace=in_place))
        return out[..., :h * self.scale, :w * self.scale]


class SRVGGNetCompact(Generator):
    """Real-ESRGAN's compact network: conv + act, `num_conv` × (conv + act), conv to C·scale² channels,
    pixel shuffle, plus the nearest-upsampled input. `act` is prelu (per channel), relu or lrelu (0.1)."""

    latent = None

    def __init__(self, channels: int = 3, nf: int = 64, num_conv: int = 16, scale: int = 4, act: str = "prelu"):
        super().__init__()
        if act not in ("prelu", "relu", "lrelu"):
            raise ValueError(f"act must be prelu, relu or lrelu, got {act!r}")
        self.scale = int(scale)
        self.condition = ConditionSpec("low_res_image", shape=(channels, "H", "W"), value_range=(0.0, 1.0))
        self.output = OutputSpec((channels, "H", "W"), value_range=(0.0, 1.0))

        def activation() -> nn.Module:
            return {"prelu": lambda: nn.PReLU(nf), "relu": nn.ReLU,
                    "lrelu": lambda: nn.LeakyReLU(0.1)}[act]()

        layers: list[nn.Module] = [nn.Conv2d(channels, nf, 3, 1, 1), activation()]
        for _ in range(num_conv):
            layers += [nn.Conv2d(nf, nf, 3, 1, 1), activation()]
        layers.append(nn.Conv2d(nf, channels * self.scale ** 2, 3, 1, 1))
        self.body = nn.Sequential(*layers)

    def forward(self, z: Tensor | None, c: Tensor | None = None) -> Tensor:
        out = F.pixel_shuffle(self.body(c), self.scale)
        return out + F.interpolate(c, scale_factor=self.scale, mode="nearest")


def build_generator(network: str = "rrdb", channels: int = 3, nf: int = 64, nb: int = 23, gc: int = 32,
                    scale: int = 4, num_conv: int = 16, act: str = "prelu") -> Generator:
    """The esrgan architecture's generator: `network` rrdb (ESRGAN, Real-ESRGAN ×4plus/×2plus/anime_6B) or
    srvgg (Real-ESRGAN's SRVGGNetCompact)."""
    if network == "rrdb":
        return RRDBNet(channels, nf, nb, gc, scale)
    if network == "srvgg":
        return SRVGGNetCompact(channels, nf, num_conv, scale, act)
    raise ValueError(f"network must be rrdb or srvgg, got {network!r}")
