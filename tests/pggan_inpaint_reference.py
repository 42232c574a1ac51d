"""A second, plain implementation of PGGAN's networks (Demir & Unal 2018) for tests/test_pggan_inpaint.py.

It reads the modules' weights by their places in the paper's order and redoes every operation with
torch.nn.functional (eval-mode batch norm), so a layer left out, a dilation lost, a skip dropped or a
head cut off from the trunk in the real networks shows as a different number here.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def _convs(module: nn.Module) -> list[nn.Conv2d]:
    return [m for m in module.modules() if isinstance(m, nn.Conv2d)]


def _norms(module: nn.Module) -> list[nn.BatchNorm2d]:
    return [m for m in module.modules() if isinstance(m, nn.BatchNorm2d)]


def _bn(x: Tensor, bn: nn.BatchNorm2d) -> Tensor:
    return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps)


def _conv(x: Tensor, conv: nn.Conv2d, stride: int, padding: int, dilation: int = 1) -> Tensor:
    return F.conv2d(x, conv.weight, conv.bias, stride=stride, padding=padding, dilation=dilation)


def generator(g, c: Tensor, dilations, skips: bool = True) -> Tensor:
    """stem 5×5 → stride-2 3×3 convs → dilated residual blocks → (×2 nearest, 3×3 conv) + skip → 3×3 → tanh."""
    stem_conv, = _convs(g.stem)
    h = F.relu(_bn(_conv(c, stem_conv, 1, 2), _norms(g.stem)[0]))
    kept = [h]
    for layer in g.down:
        h = F.relu(_bn(_conv(h, _convs(layer)[0], 2, 1), _norms(layer)[0]))
        kept.append(h)
    for block, d in zip(g.blocks, dilations):
        (c1, c2), (n1, n2) = _convs(block), _norms(block)
        r = F.relu(_bn(_conv(h, c1, 1, d, d), n1))
        h = h + _bn(_conv(r, c2, 1, d, d), n2)
    kept.pop()
    for layer in g.up:
        h = F.interpolate(h, scale_factor=2, mode="nearest")
        h = F.relu(_bn(_conv(h, _convs(layer)[0], 1, 1), _norms(layer)[0]))
        skip = kept.pop()
        if skips:
            h = h + skip
    return torch.tanh(_conv(h, g.to_image, 1, 1))


def _leaky_block(x: Tensor, block: nn.Sequential, stride: int, norm: bool = True) -> Tensor:
    conv, = _convs(block)
    y = _conv(x, conv, stride, 1)
    norms = _norms(block)
    assert bool(norms) == norm, "batch norm everywhere but on the input layer (pix2pix)"
    if norms:
        y = _bn(y, norms[0])
    return F.leaky_relu(y, 0.2)


def discriminator(d, x: Tensor) -> dict[str, Tensor]:
    """Trunk (4×4 stride 2, LeakyReLU 0.2, BN from the 2nd layer), then the global head (4×4 stride 2
    down to 4×4, one linear logit) and the patch head (4×4 stride 1 with BN, 4×4 stride 1 to 1 channel)."""
    h = x
    for i, block in enumerate(d.trunk):
        h = _leaky_block(h, block, 2, norm=i > 0)
    out = {}
    if d.global_head is not None:
        g = h
        for block in d.global_head:
            g = _leaky_block(g, block, 2)
        out["global"] = F.linear(g.flatten(1), d.global_logit.weight, d.global_logit.bias).squeeze(1)
    if d.patch_head is not None:
        p = _leaky_block(h, d.patch_head[0], 1)
        out["patch"] = _conv(p, d.patch_head[1], 1, 1)
    return out
