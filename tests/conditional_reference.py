"""Second, plain implementations for the conditional GAN (Mirza & Osindero 2014) with y injected as IcGAN
does (Perarnau 2016, Sec. 4.2), and for IcGAN's encoder losses (Eqs. 3-4): they read the networks' weights
but redo every operation with torch.nn.functional, written from the papers (independent of zoo's code)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paper_reference import _deconv, batch_norm_train


def onehot(labels: Tensor, k: int = 10) -> Tensor:
    return torch.eye(k)[labels]


def cgan_generator(g, z: Tensor, y: Tensor) -> Tensor:
    """[z, y] projected to 4x4 (BN, ReLU), fractionally-strided convolutions with BN + ReLU, tanh output."""
    convs = [m for m in g.blocks if isinstance(m, nn.ConvTranspose2d)]
    norms = [m for m in g.blocks if isinstance(m, nn.BatchNorm2d)]
    h = (torch.cat([z, y], 1) @ g.project.weight.T).view(len(z), -1, 4, 4)
    h = F.relu(batch_norm_train(h, g.project_norm))
    for conv, bn in zip(convs, norms):
        h = F.relu(batch_norm_train(_deconv(h, conv), bn))
    return torch.tanh(_deconv(h, convs[-1]))


def cgan_discriminator(d, x: Tensor, y: Tensor, position: int) -> Tensor:
    """Strided convolutions with LeakyReLU(0.2), BN except on the first; y tiled over the map and
    concatenated as channels before convolution `position` (0: with the image)."""
    for i, layer in enumerate(d.layers):
        if i == position:
            tiled = y.view(len(y), -1, 1, 1).repeat(1, 1, x.shape[2], x.shape[3])
            x = torch.cat([x, tiled], 1)
        conv = layer[0]
        x = F.conv2d(x, conv.weight, conv.bias, stride=2, padding=conv.padding)
        if i > 0:
            x = batch_norm_train(x, layer[1])
        x = F.leaky_relu(x, 0.2)
    return (x.flatten(1) @ d.head.weight.T + d.head.bias).squeeze(1)


def icgan_encoder(e, x: Tensor) -> Tensor:
    """Strided convolutions, BN except on the first, ReLU; one fully connected layer to the code."""
    convs = [m for m in e.trunk if isinstance(m, nn.Conv2d)]
    norms = [m for m in e.trunk if isinstance(m, nn.BatchNorm2d)]
    for i, conv in enumerate(convs):
        x = F.conv2d(x, conv.weight, conv.bias, stride=2, padding=conv.padding)
        if i > 0:
            x = batch_norm_train(x, norms[i - 1])
        x = F.relu(x)
    return x.flatten(1) @ e.out.weight.T + e.out.bias


def squared_norm_loss(target: Tensor, estimate: Tensor) -> float:
    """E ||target − estimate||², element by element in float64 (IcGAN Eqs. 3-4)."""
    t, e = target.double().tolist(), estimate.double().tolist()
    return sum(sum((a - b) ** 2 for a, b in zip(row_t, row_e)) for row_t, row_e in zip(t, e)) / len(t)
