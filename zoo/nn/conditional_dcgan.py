"""A DCGAN-style conditional GAN (Mirza & Osindero 2014, arXiv:1411.1784) with the condition injected as in
IcGAN (Perarnau et al. 2016, arXiv:1611.06355, Sec. 3.3 and 4.2); used by the `cgan` and `icgan` plugins.

The condition y is a vector: the one-hot class (condition "class") or the one-hot class followed by the
digits' measured attributes (condition "class+attributes", so "this 3, thicker" is a change of y).
- Generator: y is concatenated with z at the input (IcGAN Fig. 3; Mirza Sec. 4.1 feeds y next to z).
- Discriminator: y is replicated over the spatial positions and concatenated as extra channels to the
  input of convolution number `d_condition_layer`: 0 is the image itself, 1 is the output of the first
  convolution. IcGAN Sec. 4.2 compares these positions and finds inserting y at the first layer best
  (after D's first convolution), which is the default here.
The layers themselves follow DCGAN (Radford 2016, Sec. 3): strided convolutions, batch norm except at G's
output and D's input, ReLU/tanh in G, LeakyReLU(0.2) in D, N(0, 0.02) initial weights.
"""
from __future__ import annotations

import math
from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Discriminator, Generator, LatentSpec, OutputSpec
from zoo.nn.init import normal_init_

CONDITIONS = ("class", "class+attributes")


def _stages(resolution: int) -> int:
    stages = math.log2(resolution / 4)
    if resolution < 8 or not stages.is_integer():
        raise ValueError(f"a DCGAN-style network needs a power-of-two resolution >= 8, got {resolution}")
    return int(stages)


def condition_spec(condition: str, num_classes: int, num_attributes: int) -> ConditionSpec:
    """"class": integer labels (N,); "class+attributes": float vectors (N, classes + attributes)."""
    if condition == "class":
        return ConditionSpec("class", num_classes=num_classes)
    if condition == "class+attributes":
        return ConditionSpec("attributes", shape=(num_classes + num_attributes,), num_classes=num_classes)
    raise ValueError(f"condition must be one of {CONDITIONS}, got {condition!r}")


def condition_vector(spec: ConditionSpec, c: Tensor, dtype: torch.dtype) -> Tensor:
    """y as the networks see it: one-hot rows for class labels, the float vector itself otherwise."""
    if spec.kind == "class":
        return F.one_hot(c, spec.num_classes).to(dtype)
    return c.to(dtype)


def condition_from_batch(spec: ConditionSpec, batch: Mapping[str, Tensor]) -> Tensor:
    """The condition of a data batch: its labels, or [one-hot label, attributes] (IcGAN samples y from the
    training set, Sec. 3.3, so generated samples get the batch's real label vectors too)."""
    if spec.kind == "class":
        return batch["label"]
    onehot = F.one_hot(batch["label"], spec.num_classes).to(batch["attributes"].dtype)
    return torch.cat([onehot, batch["attributes"]], 1)


class ConditionalDCGANGenerator(Generator):
    def __init__(self, latent_dim: int = 100, resolution: int = 32, channels: int = 1, g_width: int = 64,
                 kernel_size: int = 4, condition: str = "class", num_classes: int = 10, num_attributes: int = 4):
        super().__init__()
        n = _stages(resolution)
        self.condition = condition_spec(condition, num_classes, num_attributes)
        self.latent = LatentSpec((latent_dim,))
        self.output = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.y_dim = num_classes + (num_attributes if condition == "class+attributes" else 0)
        widths = [g_width * 2 ** i for i in reversed(range(n))]
        self.base_width = widths[0]
        self.project = nn.Linear(latent_dim + self.y_dim, widths[0] * 16, bias=False)  # [z, y] at the input
        self.project_norm = nn.BatchNorm2d(widths[0])
        pad, out_pad = (kernel_size - 1) // 2, kernel_size % 2
        blocks = []
        for c_in, c_out in zip(widths, widths[1:]):
            blocks += [nn.ConvTranspose2d(c_in, c_out, kernel_size, 2, pad, out_pad, bias=False),
                       nn.BatchNorm2d(c_out), nn.ReLU(True)]
        blocks += [nn.ConvTranspose2d(widths[-1], channels, kernel_size, 2, pad, out_pad), nn.Tanh()]
        self.blocks = nn.Sequential(*blocks)
        normal_init_(self)

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        y = condition_vector(self.condition, c, z.dtype)
        h = self.project(torch.cat([z, y], 1)).view(z.shape[0], self.base_width, 4, 4)
        return self.blocks(F.relu(self.project_norm(h)))


class ConditionalDCGANDiscriminator(Discriminator):
    def __init__(self, resolution: int = 32, channels: int = 1, d_width: int = 64, kernel_size: int = 4,
                 condition: str = "class", num_classes: int = 10, num_attributes: int = 4,
                 d_condition_layer: int = 1):
        super().__init__()
        n = _stages(resolution)
        if not 0 <= d_condition_layer < n:
            raise ValueError(f"d_condition_layer must be in 0..{n - 1} (0: the input, k: after convolution k), "
                             f"got {d_condition_layer}")
        self.condition = condition_spec(condition, num_classes, num_attributes)
        self.input = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.y_dim = num_classes + (num_attributes if condition == "class+attributes" else 0)
        self.condition_layer = d_condition_layer
        widths = [d_width * 2 ** i for i in range(n)]
        pad = (kernel_size - 1) // 2
        layers = []
        for i, c_out in enumerate(widths):
            c_in = channels if i == 0 else widths[i - 1]
            if i == d_condition_layer:
                c_in += self.y_dim  # y's replicated channels join here
            conv = nn.Conv2d(c_in, c_out, kernel_size, 2, pad, bias=i == 0)
            norm = nn.Identity() if i == 0 else nn.BatchNorm2d(c_out)
            layers.append(nn.Sequential(conv, norm, nn.LeakyReLU(0.2, True)))
        self.layers = nn.ModuleList(layers)
        self.head = nn.Linear(widths[-1] * 16, 1)
        normal_init_(self)

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        y = condition_vector(self.condition, c, x.dtype)
        feats = []
        for i, layer in enumerate(self.layers):
            if i == self.condition_layer:
                x = torch.cat([x, y[:, :, None, None].expand(-1, -1, *x.shape[-2:])], 1)
            x = layer(x)
            feats.append(x)
        return feats

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        return self.head(self.features(x, c)[-1].flatten(1)).squeeze(1)
