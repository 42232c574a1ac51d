"""BigGAN's tasks: sampling with the truncation trick, class interpolation (a blend of two classes'
embeddings, z fixed) and latent interpolation with the class fixed (Brock 2019, Sec. 3.1 and Fig. 8)."""
from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor

from zoo.tasks.checks import InputValueError
from zoo.tasks.latent import lerp, slerp


def check_truncation(name: str, truncation, mode: str) -> float:
    if isinstance(truncation, bool) or not isinstance(truncation, (int, float)) or not truncation > 0:
        raise InputValueError(f"{name}: truncation must be a number > 0, got {truncation!r}")
    if mode == "scaled" and truncation > 1:
        raise InputValueError(f"{name}: the official BigGAN-deep weights take a truncation in (0, 1], got {truncation}")
    return float(truncation)


class BigGANTasks:
    """Mixed in before GenerateTask: `generate(..., truncation=t)` draws truncated latents (and picks the
    official files' norm statistics for t); `interpolate_classes` and `interpolate_latents` make strips."""

    @torch.no_grad()
    def iter_generate(self, n: int, *, truncation: float | None = None, **kwargs) -> Iterator[Tensor]:
        if truncation is None:
            yield from super().iter_generate(n, **kwargs)
            return
        g = self.sampler
        t = check_truncation(self.name, truncation, g.truncation_mode)
        previous, g.sampling_truncation = g.sampling_truncation, t
        try:
            yield from super().iter_generate(n, truncation=t, **kwargs)
        finally:
            g.sampling_truncation = previous

    @torch.no_grad()
    def interpolate_classes(self, a: int, b: int, steps: int = 8, *, seed: int = 0,
                            truncation: float | None = None) -> Tensor:
        """`steps` images from class a to class b with one z: the class vector (1 − t)·onehot(a) + t·onehot(b)
        goes through the shared embedding, so the embeddings blend linearly."""
        g = self.sampler
        k = g.num_classes
        for label in (a, b):
            if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < k:
                raise InputValueError(f"{self.name}: classes must be integers in [0, {k - 1}], got {label!r}")
        t = None if truncation is None else check_truncation(self.name, truncation, g.truncation_mode)
        z = g.sample_latent(1, generator=torch.Generator().manual_seed(seed), device="cpu", truncation=t)
        weights = torch.linspace(0, 1, steps)[:, None]
        onehot = torch.eye(k)
        vectors = (1 - weights) * onehot[a] + weights * onehot[b]
        return g.synthesize(z.expand(steps, -1).to(self.device), vectors.to(self.device), t)

    @torch.no_grad()
    def interpolate_latents(self, label: int, steps: int = 8, *, seed: int = 0, method: str = "slerp",
                            truncation: float | None = None) -> Tensor:
        """`steps` images between two latents drawn with `seed`, the class fixed to `label`."""
        if method not in ("linear", "slerp"):
            raise InputValueError(f"{self.name}: method must be 'linear' or 'slerp', got {method!r}")
        g = self.sampler
        t = None if truncation is None else check_truncation(self.name, truncation, g.truncation_mode)
        za, zb = g.sample_latent(2, generator=torch.Generator().manual_seed(seed), device="cpu", truncation=t)
        blend = lerp if method == "linear" else slerp
        path = torch.cat([blend(za[None], zb[None], w) for w in torch.linspace(0, 1, steps).tolist()])
        labels = torch.full((steps,), int(label), dtype=torch.long)
        from zoo.tasks.generate import check_labels

        labels = check_labels(self.name, g, labels, steps)
        return g(path.to(self.device), labels.to(self.device), truncation=t)
