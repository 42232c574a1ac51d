"""`synthesize`: an image from a segmentation map, by a generator conditioned on a `segmentation`
(a one-hot map (N, K, H, W) of K classes, its condition shape (K, H, W))."""
from __future__ import annotations

import torch
from torch import Tensor

from zoo.errors import ShapeError
from zoo.tasks.checks import InputValueError, fixed_dim, require_condition


def one_hot_map(owner: str, segmentation, num_classes: int) -> Tensor:
    """A label map of ints (N, H, W) / (H, W), or a one-hot (N, K, H, W) / (K, H, W) float map, as a
    float one-hot (N, K, H, W)."""
    s = segmentation
    if not isinstance(s, Tensor):
        raise ShapeError(f"{owner}: segmentation must be a tensor, got {type(s).__name__}")
    k = num_classes
    if not s.is_floating_point() and s.dtype != torch.bool:  # integer class indices
        if s.dim() == 2:
            s = s[None]
        if s.dim() != 3:
            raise ShapeError(f"{owner}: a label map must have shape (N, H, W) of class indices, got {tuple(s.shape)}")
        if s.numel() and (int(s.min()) < 0 or int(s.max()) >= k):
            raise InputValueError(f"{owner}: labels must lie in [0, {k - 1}] ({k} classes), "
                                  f"got {int(s.min())}..{int(s.max())}")
        return torch.nn.functional.one_hot(s.long(), k).permute(0, 3, 1, 2).float()
    if s.dim() == 3:
        s = s[None]
    if s.dim() != 4 or s.shape[1] != k:
        raise ShapeError(f"{owner}: a one-hot segmentation must have shape (N, {k}, H, W), got {tuple(s.shape)}")
    s = s.float()
    if not bool(((s == 0) | (s == 1)).all()) or not bool((s.sum(1) == 1).all()):
        raise InputValueError(f"{owner}: a one-hot segmentation needs exactly one 1 per pixel, zeros elsewhere")
    return s


class SynthesizeTask:
    @torch.no_grad()
    def synthesize(self, segmentation: Tensor, *, seed: int | None = None) -> Tensor:
        g = self.sampler
        require_condition(self.name, g, "segmentation", "synthesize")
        k = fixed_dim(g.condition.shape, 0)
        if k is None:
            raise ShapeError(f"{self.name}: the generator's segmentation condition must fix its class count")
        c = one_hot_map(self.name, segmentation, k)
        shape = g.condition.shape
        if fixed_dim(shape, 1) and fixed_dim(shape, 2) and tuple(c.shape[2:]) != tuple(shape[1:3]):
            raise ShapeError(f"{self.name}: segmentation must be {shape[1]}x{shape[2]}, got {tuple(c.shape[2:])}")
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        z = g.sample_latent(c.shape[0], generator=gen, device="cpu") if g.latent is not None else None
        return g(z.to(self.device) if z is not None else None, c.to(self.device))
