"""A VGG19 trunk with random, frozen, seeded weights: the documented stand-in for the perceptual losses
of SRGAN and ESRGAN where torchvision's ImageNet VGG19 file is absent (no network here).

Random convolutional features are a known, reasonable perceptual prior (Ulyanov et al. 2018, "Deep
Image Prior"; He, Wang & Hopcroft 2016, "A Powerful Generative Model Using Random Weights for the Deep
Image Representation": texture synthesis and style transfer with random VGG-layout networks). The
weights are He-normal (fan-in, ReLU gain) so the activations keep their scale down all 16 layers,
biases zero, drawn from torch.Generator().manual_seed(seed): the same trunk on every machine.

`perceptual_trunk(name)`: "vgg19" loads the real network (zoo.features.load_feature_network, which
raises WeightsNotFoundError when the file is absent: never a silent fallback); "random-vgg19" builds
this one; "random-vgg19-quarter" the same layout (layer names, kernels, pools) with a quarter of each
layer's channels (16 … 128), 16 times cheaper, for CPU training.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from zoo.errors import UnknownNameError

TRUNKS = ("vgg19", "random-vgg19", "random-vgg19-quarter")


def random_vgg19(seed: int = 0, width_divisor: int = 1) -> nn.Module:
    """torchvision's VGG19 layout (each conv's channels / `width_divisor`) with He-normal weights from
    `seed`, zero biases, frozen, eval mode."""
    from zoo.features.backbones import VGG_LAYOUTS, VGGFeatures

    trunk = VGGFeatures("vgg19")
    if width_divisor != 1:  # the same layers, narrower: rebuild each conv with fewer channels
        channels = 3
        for index, layer in enumerate(trunk.features):
            if isinstance(layer, nn.Conv2d):
                width = layer.out_channels // width_divisor
                trunk.features[index] = nn.Conv2d(channels, width, 3, padding=1)
                channels = width
        assert len([w for w in VGG_LAYOUTS["vgg19"] if w != "M"]) == 16
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in trunk.features:
            if isinstance(layer, nn.Conv2d):
                fan_in = layer.in_channels * layer.kernel_size[0] * layer.kernel_size[1]
                layer.weight.copy_(torch.randn(layer.weight.shape, generator=gen) * math.sqrt(2.0 / fan_in))
                layer.bias.zero_()
    return trunk.requires_grad_(False).eval()


def perceptual_trunk(name: str, seed: int = 0) -> nn.Module:
    if name == "vgg19":
        from zoo.features import load_feature_network

        return load_feature_network("vgg19")
    if name == "random-vgg19":
        return random_vgg19(seed)
    if name == "random-vgg19-quarter":
        return random_vgg19(seed, width_divisor=4)
    raise UnknownNameError("feature network", name, TRUNKS)
