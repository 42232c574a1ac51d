"""The PatchGAN discriminator: a fully convolutional net whose every output judges one image patch.

pix2pix (Isola et al. 2017, arXiv:1611.07004, Sec. 3.2.2 and Appendix 6.1.2) calls the 70x70 one
C64-C128-C256-C512 then a 1-channel convolution: 4x4 convolutions, the first three with stride 2, the
fourth with stride 1, BatchNorm on all but the first, LeakyReLU(0.2). pix2pixHD (Wang et al. 2018) and
SPADE (Park et al. 2019) use the same stack with padding 2 instead of 1, instance norm, and (SPADE)
spectral norm with the normed convolutions' biases removed. One class covers the three:

    pix2pix      PatchGAN(c)                                          (padding=1, norm="batch")
    pix2pixHD    PatchGAN(c, padding=2, norm="instance")
    SPADE        PatchGAN(c, padding=2, norm="instance", spectral_norm=True, middle_bias=False)

`features(x)` gives every block's output (the last is the logits), for the feature-matching loss
(zoo.losses.feature_matching_loss; pix2pixHD and SPADE match all but the last).
"""
from __future__ import annotations

from torch import Tensor, nn

from zoo.nn.spectral import sn

NORMS = ("batch", "instance", "none")


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":  # affine=False, no running statistics: torch's and the papers' default
        return nn.InstanceNorm2d(channels)
    return nn.Identity()


class PatchGAN(nn.Module):
    """stem (stride 2, no norm) → (num_downsamples − 1) × [conv stride 2, norm] → [conv stride 1, norm]
    → head conv to 1 channel; all 4x4, LeakyReLU(0.2) after every block but the head.

    The widths double from `width` up to `max_width` (8·width unless given). `middle_bias`: whether the
    normed convolutions carry a bias; by default they do unless the norm is batch norm (whose shift
    makes a bias redundant), as pix2pix's code does.
    """

    def __init__(self, in_channels: int, width: int = 64, num_downsamples: int = 3, norm: str = "batch",
                 spectral_norm: bool = False, padding: int = 1, max_width: int | None = None,
                 middle_bias: bool | None = None) -> None:
        super().__init__()
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        if num_downsamples < 1:
            raise ValueError(f"num_downsamples must be >= 1, got {num_downsamples}")
        max_width = 8 * width if max_width is None else max_width
        bias = norm != "batch" if middle_bias is None else middle_bias
        wrap = sn if spectral_norm else (lambda module: module)

        def conv(cin: int, cout: int, stride: int, with_bias: bool) -> nn.Module:
            return wrap(nn.Conv2d(cin, cout, 4, stride=stride, padding=padding, bias=with_bias))

        act = lambda: nn.LeakyReLU(0.2)
        blocks = [nn.Sequential(conv(in_channels, width, 2, True), act())]
        channels = width
        for index in range(1, num_downsamples + 1):
            out = min(width * 2 ** index, max_width)
            stride = 2 if index < num_downsamples else 1
            blocks.append(nn.Sequential(conv(channels, out, stride, bias), _norm(norm, out), act()))
            channels = out
        blocks.append(nn.Sequential(conv(channels, 1, 1, True)))
        self.blocks = nn.ModuleList(blocks)

    def features(self, x: Tensor) -> list[Tensor]:
        out = []
        for block in self.blocks:
            x = block(x)
            out.append(x)
        return out

    def forward(self, x: Tensor) -> Tensor:
        for block in self.blocks:
            x = block(x)
        return x


def receptive_field(num_downsamples: int = 3, kernel: int = 4) -> int:
    """The side of the input patch one output sees: 70 for pix2pix's default (3 stride-2 convolutions,
    then two stride-1 ones)."""
    strides = [2] * num_downsamples + [1, 1]
    field = 1
    for stride in reversed(strides):
        field = (field - 1) * stride + kernel
    return field
