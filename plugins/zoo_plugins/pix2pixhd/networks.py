"""pix2pixHD: Wang, Liu, Zhu, Tao, Kautz, Catanzaro, "High-Resolution Image Synthesis and Semantic
Manipulation with Conditional GANs", CVPR 2018, arXiv:1711.11585.

- Global generator G1 (Sec. 3.2, App. A): reflection pad + 7×7 conv, `n_downsampling` stride-2 3×3 convs
  (width doubling), `n_blocks` residual blocks (reflection pad, 3×3 conv, instance norm, ReLU, twice),
  as many stride-2 3×3 transposed convs back, reflection pad + 7×7 conv, tanh; instance norm (no affine
  parameters) and ReLU after every inner conv.
- Local enhancer G2 (coarse-to-fine): G1 at width 2·ngf without its last conv runs on the input
  downsampled 2× (3×3 average pooling); a front-end (7×7 conv, stride-2 3×3 conv) on the full-size input
  is added to G1's last feature map, then residual blocks, a transposed conv and the 7×7 output conv.
- Instance-boundary map (Sec. 3.3): with `instance_edges`, one more input channel that is 1 on object
  boundaries (zoo.tasks.synthesize.instance_edges); `layouts` has no instance ids (no two objects of one
  class are told apart), so its models leave the option off; the option is supported and tested.
- Discriminator: the label map concatenated with the image, then `num_scales` PatchGANs (3 in the paper;
  4×4 convs, padding 2, instance norm) on the pair downsampled 0, 1, 2 times.

Module names follow NVIDIA/pix2pixHD's (`model.1.weight`, `model.10.conv_block.1.weight`, `model1_1.1.weight`,
...), so the authors' generator checkpoints load after a key check (zoo_plugins.pix2pixhd.converters).
Conv and transposed-conv weights start as N(0, 0.02), biases at PyTorch's default (the authors'
`weights_init`, applied to G and D).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Generator, OutputSpec
from zoo.nn.multiscale import (  # downsample: the enhancer's 2x input pooling
    LabelImageDiscriminator,
    downsample,
)
from zoo.nn.patchgan import PatchGAN


def normal_init_(module: nn.Module, std: float = 0.02) -> nn.Module:
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            with torch.no_grad():
                getattr(m, "weight_orig", m.weight).normal_(0.0, std)
    return module


def _norm(channels: int) -> nn.Module:
    return nn.InstanceNorm2d(channels, affine=False)


class ResnetBlock(nn.Module):
    """x + [pad, conv 3×3, IN, ReLU, pad, conv 3×3, IN](x) (`conv_block.1` and `conv_block.5` hold the weights)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.conv_block = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), _norm(dim), nn.ReLU(True),
                                        nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), _norm(dim))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv_block(x)


def global_generator_layers(input_nc: int, ngf: int, n_downsampling: int, n_blocks: int, output_nc: int = 3) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, 7), _norm(ngf), nn.ReLU(True)]
    for i in range(n_downsampling):
        c = ngf * 2 ** i
        layers += [nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), _norm(2 * c), nn.ReLU(True)]
    c = ngf * 2 ** n_downsampling
    layers += [ResnetBlock(c) for _ in range(n_blocks)]
    for i in range(n_downsampling):
        c = ngf * 2 ** (n_downsampling - i)
        layers += [nn.ConvTranspose2d(c, c // 2, 3, stride=2, padding=1, output_padding=1), _norm(c // 2), nn.ReLU(True)]
    layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, 7), nn.Tanh()]
    return layers


class Pix2PixHDGenerator(Generator):
    """One-hot label map [+ instance-boundary channel] (N, C, H, W) → image (N, 3, H, W) in [-1, 1].

    `local_enhancers` = 0: the global generator G1 of width `ngf`; n ≥ 1: n enhancers around a G1 of width
    ngf·2ⁿ that sees the input downsampled n times (the paper's G = {G1, G2} is n = 1).
    """

    def __init__(self, num_classes: int = 7, resolution: int = 64, ngf: int = 12, n_downsampling: int = 3,
                 n_blocks: int = 9, local_enhancers: int = 0, local_blocks: int = 3, aspect_ratio: float = 1.0,
                 instance_edges: bool = False) -> None:
        super().__init__()
        wide = int(round(resolution * aspect_ratio))
        factor = 2 ** (n_downsampling + local_enhancers)
        if resolution % factor or wide % factor:
            raise ValueError(f"resolution {resolution}x{wide} must be divisible by 2^{n_downsampling + local_enhancers}")
        self.label_channels = num_classes
        channels = num_classes + int(instance_edges)
        self.latent = None
        self.condition = ConditionSpec("segmentation", shape=(channels, resolution, wide))
        self.output = OutputSpec((3, resolution, wide), value_range=(-1.0, 1.0))
        self.local_enhancers = local_enhancers
        layers = global_generator_layers(channels, ngf * 2 ** local_enhancers, n_downsampling, n_blocks)
        self.model = nn.Sequential(*(layers if local_enhancers == 0 else layers[:-3]))
        for n in range(1, local_enhancers + 1):
            c = ngf * 2 ** (local_enhancers - n)
            front = [nn.ReflectionPad2d(3), nn.Conv2d(channels, c, 7), _norm(c), nn.ReLU(True),
                     nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), _norm(2 * c), nn.ReLU(True)]
            back: list[nn.Module] = [ResnetBlock(2 * c) for _ in range(local_blocks)]
            back += [nn.ConvTranspose2d(2 * c, c, 3, stride=2, padding=1, output_padding=1), _norm(c), nn.ReLU(True)]
            if n == local_enhancers:
                back += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh()]
            setattr(self, f"model{n}_1", nn.Sequential(*front))
            setattr(self, f"model{n}_2", nn.Sequential(*back))
        normal_init_(self)

    def forward(self, z: Tensor | None, c: Tensor | None = None) -> Tensor:
        inputs = [c]
        for _ in range(self.local_enhancers):
            inputs.append(downsample(inputs[-1]))
        out = self.model(inputs[-1])
        for n in range(1, self.local_enhancers + 1):
            x = inputs[self.local_enhancers - n]
            out = getattr(self, f"model{n}_2")(getattr(self, f"model{n}_1")(x) + out)
        return out


class Pix2PixHDDiscriminator(LabelImageDiscriminator):
    """[label map, image] → `num_scales` PatchGANs (zoo.nn.multiscale), each on the pair downsampled once more."""

    def __init__(self, num_classes: int = 7, resolution: int = 64, d_width: int = 16, d_layers: int = 3,
                 num_scales: int = 3, aspect_ratio: float = 1.0, instance_edges: bool = False) -> None:
        def patchgan(in_channels: int) -> PatchGAN:
            return PatchGAN(in_channels, width=d_width, num_downsamples=d_layers, norm="instance", padding=2)

        super().__init__(num_classes + int(instance_edges), resolution, patchgan, num_scales, aspect_ratio)
        self.num_layers = d_layers
        normal_init_(self)
