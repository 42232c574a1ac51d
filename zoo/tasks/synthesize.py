"""`synthesize`: an image from a segmentation map, by a generator conditioned on a `segmentation`
(a one-hot map (N, K, H, W) of K classes, its condition shape (K, H, W)).

A generator whose `label_channels` is less than its condition's channel count takes, after the K one-hot
channels, pix2pixHD's instance-boundary map (Wang et al. 2018, Sec. 3.3): 1 where a pixel's instance id
differs from one of its four neighbours' (`instance_edges`), zeros when no instance map is given. With
`style=` an image, a model with a style `encoder` (SPADE's VAE option) draws z from q(z | style)."""
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


def instance_edges(instances: Tensor) -> Tensor:
    """Instance ids (N, H, W) or (N, 1, H, W) → float (N, 1, H, W): 1 on both sides of every boundary between
    horizontally or vertically adjacent pixels with different ids (pix2pixHD's `get_edges`), else 0."""
    t = instances if instances.dim() == 4 else instances[:, None]
    if t.dim() != 4 or t.shape[1] != 1:
        raise ShapeError(f"an instance map must have shape (N, H, W) or (N, 1, H, W), got {tuple(instances.shape)}")
    edge = torch.zeros(t.shape, dtype=torch.bool, device=t.device)
    horizontal = t[..., 1:] != t[..., :-1]
    vertical = t[..., 1:, :] != t[..., :-1, :]
    edge[..., 1:] |= horizontal
    edge[..., :-1] |= horizontal
    edge[..., 1:, :] |= vertical
    edge[..., :-1, :] |= vertical
    return edge.float()


class SynthesizeTask:
    @torch.no_grad()
    def synthesize(self, segmentation: Tensor, *, seed: int | None = None, style: Tensor | None = None,
                   instances: Tensor | None = None) -> Tensor:
        g = self.sampler
        require_condition(self.name, g, "segmentation", "synthesize")
        channels = fixed_dim(g.condition.shape, 0)
        if channels is None:
            raise ShapeError(f"{self.name}: the generator's segmentation condition must fix its class count")
        k = getattr(g, "label_channels", channels)
        c = one_hot_map(self.name, segmentation, k)
        shape = g.condition.shape
        if fixed_dim(shape, 1) and fixed_dim(shape, 2) and tuple(c.shape[2:]) != tuple(shape[1:3]):
            raise ShapeError(f"{self.name}: segmentation must be {shape[1]}x{shape[2]}, got {tuple(c.shape[2:])}")
        if channels > k:  # the instance-boundary channel
            if instances is not None and tuple(instances.shape[-2:]) != tuple(c.shape[2:]):
                raise ShapeError(f"{self.name}: the instance map must be {c.shape[2]}x{c.shape[3]} like the "
                                 f"segmentation, got {tuple(instances.shape)}")
            edges = instance_edges(instances) if instances is not None else torch.zeros_like(c[:, :1])
            c = torch.cat([c, edges.float().expand(c.shape[0], -1, -1, -1)], 1)
        elif instances is not None:
            raise InputValueError(f"{self.name} takes no instance map")
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        if style is not None:
            z = self._style_code(style, c.shape[0], gen)
        else:
            z = g.sample_latent(c.shape[0], generator=gen, device="cpu") if g.latent is not None else None
        return g(z.to(self.device) if z is not None else None, c.to(self.device))

    def _style_code(self, style: Tensor, n: int, gen: torch.Generator | None) -> Tensor:
        """z ~ q(z | style image) from the style encoder (one image for every map, or one per map)."""
        encoder = self.components["encoder"] if "encoder" in self.components else None
        if encoder is None or self.sampler.latent is None:
            raise InputValueError(f"{self.name} has no style encoder: it cannot take a style image")
        x = style if style.dim() == 4 else style[None]
        if x.shape[0] not in (1, n):
            raise ShapeError(f"{self.name}: give one style image or one per label map ({n}), got {x.shape[0]}")
        posterior = encoder(x.to(self.device).float())
        mean, std = posterior.mean.cpu(), posterior.std.cpu()
        eps = torch.randn(mean.shape, generator=gen)
        return (mean + std * eps).expand(n, -1) if x.shape[0] == 1 else mean + std * eps
