"""pix2pix's networks: Isola, Zhu, Zhou, Efros 2017, "Image-to-Image Translation with Conditional
Adversarial Networks" (CVPR 2017, arXiv:1611.07004), Sec. 3.2 and App. 6.1.2.

Generator: the U-Net "encoder-decoder with skips". Encoder C64-C128-C256-C512-C512-...: 4×4
convolutions of stride 2, batch (or instance) norm on all but the first and the innermost, LeakyReLU
0.2 before every convolution but the first. Decoder: ReLU, 4×4 transposed convolution of stride 2, norm
(none on the outermost, which ends in tanh); each decoder layer but the innermost takes the encoder's
mirror features concatenated (skip first, then the decoder's own). Dropout 0.5 follows the decoder
layers of the `num_downs - 5` middle levels (the three C512 layers of the 256-px U-Net), and it is the
noise source, "applied at test time too": `test_dropout=True` keeps it active in eval mode
(InferenceDropout calls F.dropout with training=True whatever the module's mode). Likewise the paper
normalises at test time with the test batch's statistics at batch size 1: `test_statistics="sample"`
(SampleStatisticsBatchNorm2d) does so per image in eval mode, so a batch's images do not affect each other.

Two facts of the authors' PyTorch code (junyanz/pytorch-CycleGAN-and-pix2pix, models/networks.py)
that the converter needs: (1) that code's in-place LeakyReLU rewrites the encoder tensor it then
concatenates, so its skips carry LeakyReLU(features); the decoder layer that reads a skip starts with
ReLU, and ReLU(LeakyReLU(x)) = ReLU(x), so this changes nothing (we pass the activated tensor, as it
does); (2) convolutions carry a bias only where no batch norm follows (the outermost ones always).

The layers are kept flat (`down.{k}`, `up.{k}`, k = 0 outermost) rather than nested; the converter maps
the official nested names (`model.model.1.model.3...`) onto these.

Discriminator: the 70×70 PatchGAN (zoo.nn.patchgan) judging the input and the output concatenated
along channels (the conditional D of Eq. 1).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Discriminator, Generator, OutputSpec
from zoo.nn import normal_init_

NORMS = ("batch", "instance", "none")


TEST_STATISTICS = ("sample", "running")


class SampleStatisticsBatchNorm2d(nn.BatchNorm2d):
    """Batch norm whose eval mode normalises each image by its own statistics (`test_statistics="sample"`:
    the paper's "batch normalization using the statistics of the test batch" at its test batch size of 1,
    i.e. the authors' test.py, which leaves the networks in train mode), or by the running averages
    ("running", the usual protocol). Training is plain batch norm; the state dict is batch norm's."""

    def __init__(self, channels: int, test_statistics: str = "sample") -> None:
        super().__init__(channels)
        if test_statistics not in TEST_STATISTICS:
            raise ValueError(f"test_statistics must be one of {', '.join(TEST_STATISTICS)}, got {test_statistics!r}")
        self.test_statistics = test_statistics

    def forward(self, x: Tensor) -> Tensor:
        if self.training or self.test_statistics == "running":
            return super().forward(x)
        return F.instance_norm(x, None, None, self.weight, self.bias, True, 0.0, self.eps)


def norm_layer(kind: str, channels: int, test_statistics: str = "sample") -> nn.Module:
    """Batch norm, instance norm without affine parameters or running statistics (the authors'
    `get_norm_layer('instance')`), or nothing."""
    if kind == "batch":
        return SampleStatisticsBatchNorm2d(channels, test_statistics)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm must be one of {', '.join(NORMS)}, got {kind!r}")


class InferenceDropout(nn.Module):
    """Dropout that stays on in eval mode when `always` (pix2pix's noise source); else nn.Dropout's rule."""

    def __init__(self, p: float = 0.5, always: bool = True) -> None:
        super().__init__()
        self.p, self.always = float(p), bool(always)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, training=self.training or self.always)

    def extra_repr(self) -> str:
        return f"p={self.p}, always={self.always}"


class UNetGenerator(Generator):
    """Image (N, in_channels, R, R) -> image (N, out_channels, R, R) in [-1, 1]; R a multiple of 2**num_downs."""

    latent = None

    def __init__(self, resolution: int = 256, in_channels: int = 3, out_channels: int = 3, width: int = 64,
                 num_downs: int = 8, norm: str = "batch", dropout: float = 0.5, test_dropout: bool = True,
                 test_statistics: str = "sample") -> None:
        super().__init__()
        if num_downs < 5:
            raise ValueError(f"the U-Net needs num_downs >= 5 (its C64-C128-C256-C512 levels and the innermost), "
                             f"got {num_downs}")
        if resolution % 2 ** num_downs:
            raise ValueError(f"the U-Net with num_downs={num_downs} needs a resolution that is a multiple of "
                             f"{2 ** num_downs}, got {resolution}")
        norm_layer(norm, 1, test_statistics)  # checks the names
        self.condition = ConditionSpec("image", shape=(in_channels, resolution, resolution))
        self.output = OutputSpec((out_channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.size_multiple = 2 ** num_downs
        bias = norm != "batch"  # the authors' use_bias: no bias where a batch norm follows
        widths = [width * min(2 ** k, 8) for k in range(num_downs)]  # 64, 128, 256, 512, 512, ...
        n = num_downs
        self.down = nn.ModuleList()
        for k in range(n):
            if k == 0:
                self.down.append(nn.Conv2d(in_channels, widths[0], 4, 2, 1, bias=bias))
            elif k == n - 1:  # innermost: no norm
                self.down.append(nn.Sequential(nn.Conv2d(widths[k - 1], widths[k], 4, 2, 1, bias=bias)))
            else:  # LeakyReLU(0.2) comes before each of these, in forward (it is also what the skip carries)
                self.down.append(nn.Sequential(nn.Conv2d(widths[k - 1], widths[k], 4, 2, 1, bias=bias),
                                               norm_layer(norm, widths[k], test_statistics)))
        self.up = nn.ModuleList()
        for k in range(n):
            c_in = widths[k] if k == n - 1 else 2 * widths[k]
            if k == 0:  # outermost: always a bias, tanh
                self.up.append(nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(c_in, out_channels, 4, 2, 1), nn.Tanh()))
                continue
            layers = [nn.ReLU(), nn.ConvTranspose2d(c_in, widths[k - 1], 4, 2, 1, bias=bias),
                      norm_layer(norm, widths[k - 1], test_statistics)]
            if 0 < n - 1 - k <= n - 5 and dropout > 0:  # the num_downs - 5 levels just outside the innermost
                layers.append(InferenceDropout(dropout, test_dropout))
            self.up.append(nn.Sequential(*layers))
        normal_init_(self)  # the authors' init_weights('normal', 0.02)

    def forward(self, z: Tensor | None, c: Tensor | None = None) -> Tensor:
        h = self.down[0](c)
        skips = []
        for layer in self.down[1:]:
            h = F.leaky_relu(h, 0.2)
            skips.append(h)  # the activated tensor, as in the authors' code (equivalent: see above)
            h = layer(h)
        return self._decode(h, skips)

    def _decode(self, innermost: Tensor, skips: list[Tensor]) -> Tensor:
        h = self.up[-1](innermost)
        for k in range(len(self.up) - 2, -1, -1):
            h = self.up[k](torch.cat([skips[k], h], 1))
        return h


class ConditionalPatchDiscriminator(Discriminator):
    """D(y | x): the PatchGAN's per-patch logits (N, 1, h, w) for the output y judged with its input x
    (concatenated input first, as the authors' code does); `conditional=False` judges y alone."""

    def __init__(self, resolution: int = 256, in_channels: int = 3, out_channels: int = 3, d_width: int = 64,
                 d_layers: int = 3, d_norm: str = "batch", conditional: bool = True) -> None:
        super().__init__()
        from zoo.nn.patchgan import PatchGAN

        self.conditional = bool(conditional)
        self.condition = (ConditionSpec("image", shape=(in_channels, resolution, resolution)) if conditional
                          else ConditionSpec())
        self.input = OutputSpec((out_channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.patchgan = PatchGAN(in_channels * self.conditional + out_channels, width=d_width,
                                 num_downsamples=d_layers, norm=d_norm)
        normal_init_(self)  # the authors' init_weights('normal', 0.02)

    def _joint(self, x: Tensor, c: Tensor | None) -> Tensor:
        return torch.cat([c, x], 1) if self.conditional else x

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        return self.patchgan(self._joint(x, c))

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        return self.patchgan.features(self._joint(x, c))
