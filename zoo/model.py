"""ZooModel: a loaded model's components by role, its config and metadata, and its task methods.

Task methods exist only when the components allow them: the class of a model is composed from the
task mixins its architecture declares, so `hasattr(model, "encode")` is False for a plain GAN.
"""
from __future__ import annotations

import functools
from typing import Any, Mapping

import torch
from torch import Tensor, nn

from zoo.errors import ShapeError, TaskNotSupportedError
from zoo.interfaces import Posterior


class ZooModel(nn.Module):
    tasks: tuple[str, ...] = ()

    def __init__(self, architecture, components: Mapping[str, nn.Module], config: Mapping[str, Any],
                 weight_set=None, metadata: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.architecture = architecture
        self.components = nn.ModuleDict(dict(components))
        self.config = dict(config)
        self.weight_set = weight_set
        self.metadata = dict(metadata or {})

    @property
    def name(self) -> str:
        return self.weight_set.name if self.weight_set is not None else self.architecture.name

    def __getitem__(self, role: str) -> nn.Module:
        return self.components[role]

    @property
    def generator(self) -> nn.Module:
        return self.components["generator"]

    @property
    def sampler(self) -> nn.Module:
        """The generator used for sampling: the EMA copy when the weight set has one."""
        return self.components["ema"] if "ema" in self.components else self.components["generator"]

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def parameter_counts(self) -> dict[str, int]:
        return {role: sum(p.numel() for p in m.parameters()) for role, m in self.components.items()}

    def __repr__(self) -> str:
        counts = ", ".join(f"{r}={n:,}" for r, n in self.parameter_counts().items())
        return f"ZooModel({self.name!r}, tasks={self.tasks}, params: {counts})"


class GenerateTask:
    @torch.no_grad()
    def generate(self, n: int, *, seed: int | None = None, c: Tensor | None = None,
                 batch_size: int = 256) -> Tensor:
        """`n` samples in the generator's output range; class labels are drawn when `c` is None."""
        g = self.sampler
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        z = g.sample_latent(n, generator=gen, device="cpu")  # a plugin may override the prior
        if c is None and g.condition.kind != "none":
            c = g.sample_condition(n, generator=gen, device="cpu")
        outs = []
        for start in range(0, n, batch_size):
            zb = z[start:start + batch_size].to(self.device) if z is not None else None
            cb = c[start:start + batch_size].to(self.device) if c is not None else None
            outs.append(g(zb, cb))
        return torch.cat(outs)


class EncodeTask:
    @torch.no_grad()
    def encode(self, x: Tensor, c: Tensor | None = None, *, sample: bool = False) -> Tensor:
        """Latent codes of images `x`: the posterior mean (or a sample, with sample=True)."""
        out = self.components["encoder"](x.to(self.device), c)
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
    """Spherical interpolation (Shoemake 1985), the usual choice for Gaussian latents (White 2016)."""
    af, bf = a.flatten(1), b.flatten(1)
    cos = (af / af.norm(dim=1, keepdim=True) * bf / bf.norm(dim=1, keepdim=True)).sum(1).clamp(-1, 1)
    omega = torch.acos(cos)[:, None]
    so = torch.sin(omega)
    small = so.abs() < 1e-6
    out = torch.where(small, af + (bf - af) * t,
                      torch.sin((1 - t) * omega) / so.where(~small, 1.0) * af
                      + torch.sin(t * omega) / so.where(~small, 1.0) * bf)
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


TASK_MIXINS = {
    "generate": GenerateTask,
    "encode": EncodeTask,
    "reconstruct": ReconstructTask,
    "interpolate": InterpolateTask,
    "edit": EditTask,
}


@functools.lru_cache(maxsize=None)
def model_class(tasks: tuple[str, ...]) -> type:
    """ZooModel composed with the mixins of `tasks` (tasks without a mixin yet are rejected)."""
    missing = [t for t in tasks if t not in TASK_MIXINS]
    if missing:
        raise TaskNotSupportedError(f"tasks {missing} have no implementation in this genzoo version")
    mixins = tuple(TASK_MIXINS[t] for t in tasks)
    return type("ZooModel", (*mixins, ZooModel), {"tasks": tasks})
