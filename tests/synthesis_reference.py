"""Plain second implementations for the SPADE and pix2pixHD tests, written from the papers' equations
with torch.nn.functional (they read the modules' weights, never call their forward)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def spade_norm(norm, x: Tensor, seg: Tensor, eps: float = 1e-5) -> Tensor:
    """SPADE, Eq. 1 with the code's 1 + γ: batch statistics of x (train mode), γ, β from the map resized
    nearest to x's size through conv → ReLU → conv."""
    mean = x.mean((0, 2, 3), keepdim=True)
    var = x.var((0, 2, 3), unbiased=False, keepdim=True)
    normalized = (x - mean) / torch.sqrt(var + eps)
    m = F.interpolate(seg, size=x.shape[2:], mode="nearest")
    shared = norm.mlp_shared[0]
    h = F.relu(F.conv2d(m, shared.weight, shared.bias, padding=shared.padding))
    gamma = F.conv2d(h, norm.mlp_gamma.weight, norm.mlp_gamma.bias, padding=1)
    beta = F.conv2d(h, norm.mlp_beta.weight, norm.mlp_beta.bias, padding=1)
    return normalized * (1 + gamma) + beta


def spade_resblock(block, x: Tensor, seg: Tensor) -> Tensor:
    """Fig. 4 (right) without spectral norm: SPADE → LReLU(0.2) → conv, twice, plus the shortcut."""
    def conv(c, h):
        return F.conv2d(h, c.weight, c.bias, padding=c.padding)

    if block.learned_shortcut:
        shortcut = conv(block.conv_s, spade_norm(block.norm_s, x, seg))
    else:
        shortcut = x
    dx = conv(block.conv_0, F.leaky_relu(spade_norm(block.norm_0, x, seg), 0.2))
    dx = conv(block.conv_1, F.leaky_relu(spade_norm(block.norm_1, dx, seg), 0.2))
    return shortcut + dx


def hinge_d(real: list[Tensor], fake: list[Tensor]) -> Tensor:
    return sum(torch.clamp(1 - r, min=0).mean() + torch.clamp(1 + f, min=0).mean() for r, f in zip(real, fake)) / len(real)


def hinge_g(fake: list[Tensor]) -> Tensor:
    return sum(-f.mean() for f in fake) / len(fake)


def feature_matching(real: list[list[Tensor]], fake: list[list[Tensor]], layer_weight: float) -> Tensor:
    """Σ_k Σ_i w/K · mean|D_k^(i)(x) − D_k^(i)(G(s))| over every block but the last (the logits)."""
    total = 0.0
    for r_scale, f_scale in zip(real, fake):
        for r, f in zip(r_scale[:-1], f_scale[:-1]):
            total = total + layer_weight / len(real) * (r - f).abs().mean()
    return total


def kld_sum(mean: Tensor, logvar: Tensor) -> Tensor:
    """SPADE's KLDLoss: −½ Σ (1 + log σ² − μ² − σ²), summed over batch and dimensions."""
    return -0.5 * torch.sum(1 + logvar - mean ** 2 - logvar.exp())


def instance_norm(x: Tensor, eps: float = 1e-5) -> Tensor:
    mean = x.mean((2, 3), keepdim=True)
    var = x.var((2, 3), unbiased=False, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps)


def global_generator(model, x: Tensor, n_downsampling: int, n_blocks: int, final: bool = True) -> Tensor:
    """pix2pixHD's G1 (App. A: c7s1-k, d2k…, R…, u…, c7s1-3) with the Sequential's weights read by index."""
    layers = list(model)
    i = 0

    def conv_at(h, j, **kw):
        return F.conv2d(h, layers[j].weight, layers[j].bias, **kw)

    h = F.relu(instance_norm(conv_at(F.pad(x, (3, 3, 3, 3), mode="reflect"), 1)))
    i = 4
    for _ in range(n_downsampling):
        h = F.relu(instance_norm(conv_at(h, i, stride=2, padding=1)))
        i += 3
    for _ in range(n_blocks):
        cb = layers[i].conv_block
        r = F.relu(instance_norm(F.conv2d(F.pad(h, (1, 1, 1, 1), mode="reflect"), cb[1].weight, cb[1].bias)))
        r = instance_norm(F.conv2d(F.pad(r, (1, 1, 1, 1), mode="reflect"), cb[5].weight, cb[5].bias))
        h = h + r
        i += 1
    for _ in range(n_downsampling):
        t = layers[i]
        h = F.relu(instance_norm(F.conv_transpose2d(h, t.weight, t.bias, stride=2, padding=1, output_padding=1)))
        i += 3
    if final:
        h = torch.tanh(conv_at(F.pad(h, (3, 3, 3, 3), mode="reflect"), i + 1))
    return h


def least_squares_g(fake: list[Tensor]) -> Tensor:
    return sum(((f - 1) ** 2).mean() for f in fake)


def least_squares_d(real: list[Tensor], fake: list[Tensor]) -> Tensor:
    return 0.5 * (sum(((r - 1) ** 2).mean() for r in real) + sum((f ** 2).mean() for f in fake))
