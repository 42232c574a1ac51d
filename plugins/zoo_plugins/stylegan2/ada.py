"""Adaptive discriminator augmentation (Karras et al. 2020, "Training Generative Adversarial Networks with
Limited Data", arXiv:2006.06676), the pixel-blitting and geometric groups ('bg'):

- pixel blitting (App. B.1): x-flip, 90° rotations and integer translation (up to 1/8 of the size, with
  reflection at the borders), each applied with probability p;
- geometric: isotropic scaling (log2-normal, σ = 0.2), arbitrary rotation (uniform, probability
  1 - sqrt(1 - p) before and after the anisotropic step so the total is p), anisotropic scaling (σ = 0.2)
  and fractional translation (σ = 1/8), composed into one affine map and resampled bilinearly with
  reflection padding. (The paper resamples through a 2x up-sampled image with a wavelet filter to avoid
  aliasing; at 32 px this plain bilinear resampling is the simplification made here.)
- the adaptive probability (Sec. 3): r_t = E[sign(D(x_real))] over the real logits since the last
  adjustment; every `interval` steps p ← clamp(p + sign(r_t − target) · N / (speed_kimg · 1000), 0, 1),
  N the images seen in between, target 0.6.

Every augmentation is applied to all of D's inputs, real and generated, in every phase (the paper's
non-leaking condition: p < 0.8 keeps the augmentations invertible in distribution).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor


def _rotation(theta: Tensor) -> Tensor:
    c, s = torch.cos(theta), torch.sin(theta)
    z, o = torch.zeros_like(c), torch.ones_like(c)
    return torch.stack([torch.stack([c, -s, z], -1), torch.stack([s, c, z], -1), torch.stack([z, z, o], -1)], -2)


def _scaling(sx: Tensor, sy: Tensor) -> Tensor:
    z, o = torch.zeros_like(sx), torch.ones_like(sx)
    return torch.stack([torch.stack([sx, z, z], -1), torch.stack([z, sy, z], -1), torch.stack([z, z, o], -1)], -2)


def _translation(tx: Tensor, ty: Tensor) -> Tensor:
    z, o = torch.zeros_like(tx), torch.ones_like(tx)
    return torch.stack([torch.stack([o, z, tx], -1), torch.stack([z, o, ty], -1), torch.stack([z, z, o], -1)], -2)


def flip_x(x: Tensor, chosen: Tensor) -> Tensor:
    """Mirror the chosen samples (a bool per sample) left to right."""
    return torch.where(chosen.view(-1, 1, 1, 1), x.flip(3), x)


def rotate90(x: Tensor, quarters: Tensor, chosen: Tensor) -> Tensor:
    """Rotate each chosen sample by quarters[i]·90° (counter-clockwise; square images)."""
    rotated = torch.stack([torch.rot90(x[i], int(quarters[i]), dims=(1, 2)) for i in range(x.shape[0])])
    return torch.where(chosen.view(-1, 1, 1, 1), rotated, x)


def translate(x: Tensor, tx: Tensor, ty: Tensor) -> Tensor:
    """Shift sample i by (tx[i], ty[i]) whole pixels (right, down), reflecting at the borders."""
    h, w = x.shape[2:]
    pad_x, pad_y = int(tx.abs().max()), int(ty.abs().max())
    if not (pad_x or pad_y):
        return x
    padded = F.pad(x, [pad_x, pad_x, pad_y, pad_y], mode="reflect")
    return torch.stack([padded[i, :, pad_y - int(ty[i]):pad_y - int(ty[i]) + h, pad_x - int(tx[i]):pad_x - int(tx[i]) + w]
                        for i in range(x.shape[0])])


def blit(x: Tensor, p: float, generator: torch.Generator | None = None) -> Tensor:
    """x-flip, rotation by k·90° and integer translation (up to 1/8 of the size), each with probability p
    per sample."""
    n, _, h, w = x.shape
    dev = x.device

    def chosen() -> Tensor:
        return (torch.rand(n, generator=generator) < p).to(dev)

    x = flip_x(x, chosen())
    x = rotate90(x, torch.randint(4, (n,), generator=generator), chosen())
    shift = (torch.rand(n, 2, generator=generator) * 2 - 1) * 0.125
    on = chosen().cpu()
    return translate(x, (shift[:, 0] * w).round().long() * on, (shift[:, 1] * h).round().long() * on)


def geometric(x: Tensor, p: float, generator: torch.Generator | None = None) -> Tensor:
    """Isotropic scale, pre-rotation, anisotropic scale, post-rotation and fractional translation, each
    drawn per sample with its probability, applied as one affine map with reflection padding."""
    n = x.shape[0]
    m = geometric_matrix(n, p, generator)
    if torch.equal(m, torch.eye(3).expand(n, 3, 3)):
        return x
    grid = F.affine_grid(m[:, :2].to(x), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def geometric_matrix(n: int, p: float, generator: torch.Generator | None = None) -> Tensor:
    """The (n, 3, 3) affine maps of `geometric`, in grid coordinates ([-1, 1] across the image): scales
    2^N(0, 0.2²), rotations U(-π, π) with probability 1 - sqrt(1 - p) each (so that one or the other
    happens with probability p), translations N(0, 0.125²) of the size (StyleGAN2-ADA, App. B.1)."""
    def on(prob: float) -> Tensor:
        return torch.rand(n, generator=generator) < prob

    eye = torch.ones(n)
    s = torch.where(on(p), 2 ** (torch.randn(n, generator=generator) * 0.2), eye)
    m = _scaling(s, s)
    p_rot = 1 - math.sqrt(max(0.0, 1 - p))
    theta = torch.where(on(p_rot), (torch.rand(n, generator=generator) * 2 - 1) * math.pi, torch.zeros(n))
    m = m @ _rotation(theta)
    a = torch.where(on(p), 2 ** (torch.randn(n, generator=generator) * 0.2), eye)
    m = m @ _scaling(a, 1 / a)
    theta = torch.where(on(p_rot), (torch.rand(n, generator=generator) * 2 - 1) * math.pi, torch.zeros(n))
    m = m @ _rotation(theta)
    t = torch.where(on(p)[:, None], torch.randn(n, 2, generator=generator) * 0.125, torch.zeros(n, 2))
    return m @ _translation(t[:, 0] * 2, t[:, 1] * 2)  # grid coordinates span [-1, 1]: twice the fraction


class AdaptiveAugment:
    """The augmentation pipeline with its adaptive probability p (state: p, and the r_t accumulators)."""

    def __init__(self, target: float = 0.6, interval: int = 4, speed_kimg: float = 100.0, p: float = 0.0):
        self.target, self.interval, self.speed_kimg = target, interval, speed_kimg
        self.p = float(p)
        self.sign_sum, self.count, self.images = 0.0, 0, 0

    def __call__(self, x: Tensor) -> Tensor:
        if self.p <= 0:
            return x
        return geometric(blit(x, self.p), self.p)

    def observe(self, real_logits: Tensor) -> None:
        """Accumulate sign(D(real)) of one batch of real images."""
        self.sign_sum += float(real_logits.detach().sign().sum())
        self.count += real_logits.numel()

    def adjust(self, step: int, batch_size: int) -> None:
        """Every `interval` steps: move p by ±(images since the last adjustment) / (speed_kimg · 1000)."""
        self.images += batch_size
        if (step + 1) % self.interval or not self.count:
            return
        r_t = self.sign_sum / self.count
        sign = (r_t > self.target) - (r_t < self.target)
        delta = sign * self.images / (self.speed_kimg * 1000)
        self.p = min(1.0, max(0.0, self.p + delta))
        self.sign_sum, self.count, self.images = 0.0, 0, 0

    @property
    def r_t(self) -> float | None:
        return self.sign_sum / self.count if self.count else None

    def state_dict(self) -> dict:
        return {"p": self.p, "sign_sum": self.sign_sum, "count": self.count, "images": self.images}

    def load_state_dict(self, state: dict) -> None:
        self.p, self.sign_sum = float(state["p"]), float(state["sign_sum"])
        self.count, self.images = int(state["count"]), int(state["images"])
