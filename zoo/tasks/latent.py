"""Tasks of models with an encoder: `encode`, `reconstruct`, `interpolate` (also between latents) and
`edit` with attribute vectors."""
from __future__ import annotations

import torch
from torch import Tensor

from zoo.errors import ShapeError
from zoo.interfaces import Posterior
from zoo.tasks.checks import image_batch


class EncodeTask:
    @torch.no_grad()
    def encode(self, x: Tensor, c: Tensor | None = None, *, sample: bool = False) -> Tensor:
        """Latent codes of images `x`: the posterior mean (or a sample, with sample=True)."""
        encoder = self.components["encoder"]
        spec = encoder.input
        if spec.kind == "image":  # 0-255 pixels or NaN are refused, not silently encoded
            x = image_batch(self.name, x, value_range=spec.value_range, channels=spec.shape[0],
                            size=tuple(spec.shape[1:]), what="image to encode")
        out = encoder(x.to(self.device), c)
        if isinstance(out, Posterior):
            return out.sample() if sample else out.mean
        return out


class ReconstructTask:
    @torch.no_grad()
    def reconstruct(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        z = self.encode(x, c)
        return self.sampler(z, c.to(self.device) if c is not None else None)


class InterpolateTask:
    @torch.no_grad()
    def interpolate(self, a: Tensor, b: Tensor, steps: int = 8, *, method: str = "linear",
                    c: Tensor | None = None) -> Tensor:
        """Decode `steps` points between two latent codes, or two images when there is an encoder."""
        if method not in ("linear", "slerp"):
            raise ValueError(f"method must be 'linear' or 'slerp', got {method!r}")
        za, zb = self._as_latent(a), self._as_latent(b)
        blend = lerp if method == "linear" else slerp
        path = torch.cat([blend(za, zb, t) for t in torch.linspace(0, 1, steps).tolist()])
        if c is not None:
            c = c.to(self.device)[None].expand(steps, *c.shape)  # one condition for the whole strip
        return self.sampler(path, c)

    def _as_latent(self, v: Tensor) -> Tensor:
        latent = self.sampler.latent
        if "encoder" in self.components and tuple(v.shape) == tuple(self.components["encoder"].input.shape):
            return self.encode(v[None])
        if latent is not None and tuple(v.shape) == tuple(latent.shape):
            return v[None].to(self.device)
        raise ShapeError(f"interpolate takes one latent of shape {tuple(latent.shape) if latent else None}"
                         f"{' or one image' if 'encoder' in self.components else ''}, got {tuple(v.shape)}")


def lerp(a: Tensor, b: Tensor, t: float) -> Tensor:
    return a + (b - a) * t


def slerp(a: Tensor, b: Tensor, t: float) -> Tensor:
    """Spherical interpolation (Shoemake 1985), the usual choice for Gaussian latents (White 2016).
    Where the angle is undefined or degenerate (a zero latent, parallel or antiparallel latents) it is lerp."""
    af, bf = a.flatten(1), b.flatten(1)
    na, nb = af.norm(dim=1, keepdim=True), bf.norm(dim=1, keepdim=True)
    zero = (na < 1e-12) | (nb < 1e-12)
    cos = ((af / na.clamp_min(1e-12)) * (bf / nb.clamp_min(1e-12))).sum(1, keepdim=True).clamp(-1, 1)
    omega = torch.acos(cos)
    so = torch.sin(omega)
    small = zero | (cos.abs() > 1 - 1e-5)  # (anti)parallel: float32 acos near +-1 is too coarse to use
    so = so.where(~small, torch.ones_like(so))  # no division by ~0 even in the branch not taken
    out = torch.where(small, af + (bf - af) * t,
                      torch.sin((1 - t) * omega) / so * af + torch.sin(t * omega) / so * bf)
    return out.view_as(a)


class EditTask:
    """Attribute vectors (Larsen et al. 2016, Sec. 5): the mean code of images with an attribute minus the
    mean code of those without, added to an image's code and decoded."""

    @torch.no_grad()
    def attribute_vector(self, images: Tensor, has_attribute: Tensor, c: Tensor | None = None) -> Tensor:
        from zoo.latent import attribute_vector

        return attribute_vector(self.encode(images, c), has_attribute)

    @torch.no_grad()
    def edit(self, x: Tensor, vector: Tensor, strength: float = 1.0, c: Tensor | None = None) -> Tensor:
        """Decode the codes of images `x` moved by `strength` times the attribute `vector`."""
        z = self.encode(x, c)
        return self.sampler(z + strength * vector.to(z), c.to(self.device) if c is not None else None)
