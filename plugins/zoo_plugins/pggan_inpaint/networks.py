"""PGGAN's networks: Demir & Unal 2018, "Patch-Based Image Inpainting with Generative Adversarial
Networks" (arXiv:1803.07422).

Generator (the paper's Sec. 3, Fig. 2, as we read it): a ResNet in the style of Johnson et al. 2016 —
convolutions that go down twice by stride 2, residual blocks whose convolutions are *dilated* (the
receptive field grows without more downsampling, as in Iizuka et al. 2017's completion network), and
the way back up by "interpolated convolution" (nearest-neighbour ×2 resize, then a 3×3 convolution: the
paper's remedy for the checkerboard artefacts of transposed convolutions), with long skip connections
that add each downsampling stage's features to the upsampling stage of the same size. It takes the
masked image and the mask, (N, C + 1, H, W) (the `masked_image` condition of zoo.tasks.inpaint), and
gives the whole image in [-1, 1] through tanh.

Discriminator: one trunk shared by two heads (the paper's PGGAN discriminator). The trunk is the
first layers of pix2pix's PatchGAN (4×4 stride-2 convolutions, LeakyReLU 0.2, batch norm from the
second layer on; Isola et al. 2017); the patch head finishes it as pix2pix does (a 4×4 stride-1
convolution with batch norm, then a 4×4 stride-1 convolution to one channel: a map of per-patch
logits); the global head goes on down by 4×4 stride-2 convolutions to 4×4 and ends in one fully
connected logit, as Iizuka et al.'s global discriminator ends in a fully connected layer. Where the
paper leaves a width, kernel or normalisation open these are pix2pix's (patch) and Iizuka's (global)
choices. `heads` builds both heads (the paper) or one of them (the ablations).
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Discriminator, DiscriminatorOutput, Generator, OutputSpec
from zoo.nn import normal_init_

HEADS = ("both", "global", "patch")


def _check_resolution(resolution: int, factor: int, what: str) -> None:
    if resolution < 2 * factor or resolution % factor:
        raise ValueError(f"{what} needs a resolution that is a multiple of {factor} and at least {2 * factor}, "
                         f"got {resolution}")


class DilatedResidualBlock(nn.Module):
    """x + BN(conv_d(ReLU(BN(conv_d(x))))): both 3×3 convolutions dilated by d (padding d keeps the size)."""

    def __init__(self, width: int, dilation: int):
        super().__init__()
        if dilation < 1:
            raise ValueError(f"dilation must be >= 1, got {dilation}")
        self.dilation = dilation
        self.body = nn.Sequential(
            nn.Conv2d(width, width, 3, padding=dilation, dilation=dilation, bias=False), nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=dilation, dilation=dilation, bias=False), nn.BatchNorm2d(width))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


def _conv_bn_relu(c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU())


class InterpolatedConv(nn.Module):
    """×2 nearest-neighbour resize, then a 3×3 convolution, batch norm and ReLU."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv = _conv_bn_relu(c_in, c_out, 3)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))


class PGGANInpaintGenerator(Generator):
    """(masked image, mask) (N, C + 1, R, R) -> the completed image (N, C, R, R) in [-1, 1]."""

    latent = None

    def __init__(self, resolution: int = 256, channels: int = 3, g_width: int = 64, downsamplings: int = 2,
                 dilations: tuple[int, ...] = (2, 4, 8, 16), skips: bool = True):
        super().__init__()
        _check_resolution(resolution, 2 ** downsamplings, "the generator")
        if not dilations:
            raise ValueError("the generator needs at least one residual block (dilations)")
        self.condition = ConditionSpec("masked_image", shape=(channels + 1, resolution, resolution))
        self.output = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.skips = bool(skips)
        widths = [g_width * 2 ** i for i in range(downsamplings + 1)]  # e.g. 64, 128, 256
        self.stem = _conv_bn_relu(channels + 1, widths[0], 5)
        self.down = nn.ModuleList(_conv_bn_relu(a, b, 3, stride=2) for a, b in zip(widths, widths[1:]))
        self.blocks = nn.Sequential(*(DilatedResidualBlock(widths[-1], int(d)) for d in dilations))
        self.up = nn.ModuleList(InterpolatedConv(b, a) for a, b in reversed(list(zip(widths, widths[1:]))))
        self.to_image = nn.Conv2d(widths[0], channels, 3, padding=1)
        normal_init_(self)

    def forward(self, z: Tensor | None, c: Tensor | None = None) -> Tensor:
        h = self.stem(c)
        kept = [h]
        for layer in self.down:
            h = layer(h)
            kept.append(h)
        h = self.blocks(h)
        kept.pop()  # the deepest features are the blocks' own input
        for layer in self.up:
            h = layer(h)
            skip = kept.pop()
            if self.skips:  # long skip: the downsampling path's features of the same size
                h = h + skip
        return self.to_image(h).tanh()


def _leaky(c_in: int, c_out: int, stride: int, norm: bool) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 4, stride, 1, bias=not norm),
                         nn.BatchNorm2d(c_out) if norm else nn.Identity(), nn.LeakyReLU(0.2))


class PGGANDiscriminator(Discriminator):
    """Shared trunk, then a global head (N,) and a PatchGAN head (N, 1, h, w)."""

    condition = ConditionSpec()

    def __init__(self, resolution: int = 256, channels: int = 3, d_width: int = 64, shared_layers: int = 2,
                 heads: str = "both"):
        super().__init__()
        if heads not in HEADS:
            raise ValueError(f"heads must be one of {', '.join(HEADS)}, got {heads!r}")
        if shared_layers < 1:
            raise ValueError(f"shared_layers must be >= 1, got {shared_layers}")
        _check_resolution(resolution, 2 ** shared_layers * 2, "the discriminator")
        self.input = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.heads = heads
        cap = d_width * 8  # pix2pix caps the widths at 8 × the first
        widths = [min(d_width * 2 ** i, cap) for i in range(shared_layers)]
        self.trunk = nn.Sequential(*(_leaky(channels if i == 0 else widths[i - 1], w, 2, norm=i > 0)
                                     for i, w in enumerate(widths)))
        trunk_width, size = widths[-1], resolution // 2 ** shared_layers
        self.patch_head = self.global_head = self.global_logit = None
        if heads in ("both", "patch"):
            wide = min(trunk_width * 2, cap)
            self.patch_head = nn.Sequential(_leaky(trunk_width, wide, 1, norm=True), nn.Conv2d(wide, 1, 4, 1, 1))
        if heads in ("both", "global"):
            layers, width = [], trunk_width
            while size > 4:
                layers.append(_leaky(width, min(width * 2, cap), 2, norm=True))
                width, size = min(width * 2, cap), size // 2
            self.global_head = nn.Sequential(*layers)
            self.global_logit = nn.Linear(width * size * size, 1)
        normal_init_(self)

    def outputs(self, x: Tensor, c: Tensor | None = None) -> DiscriminatorOutput:
        self.check_inputs(x, c)
        shared = self.trunk(x)
        logits = {}
        if self.global_head is not None:
            logits["global"] = self.global_logit(self.global_head(shared).flatten(1)).squeeze(1)
        if self.patch_head is not None:
            logits["patch"] = self.patch_head(shared)
        return DiscriminatorOutput(logits, [[shared]])

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        return [self.trunk(x)]

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        """The global head's logits (N,), or the patch map when there is no global head; objectives use
        `outputs` for both heads."""
        out = self.outputs(x, c)
        return out.head("global") if "global" in out.logits else out.head("patch")
