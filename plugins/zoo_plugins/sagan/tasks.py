"""Sampling with the truncation trick (Brock et al. 2019, BigGAN, Sec. 3.1), which any generator of
N(0, I) latents takes: `generate(..., truncation=t)` draws every latent value within ±t (values beyond
are redrawn). SAGAN itself samples untruncated; the trade-off curve is zoo_plugins.sagan.truncation_curve."""
from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor

from zoo.tasks.checks import InputValueError


class SAGANTasks:
    """Mixed in before GenerateTask: a `truncation` keyword sets the generator's sampling threshold while
    the latents are drawn (and is not passed on to its forward)."""

    @torch.no_grad()
    def iter_generate(self, n: int, *, truncation: float | None = None, **kwargs) -> Iterator[Tensor]:
        if truncation is None:
            yield from super().iter_generate(n, **kwargs)
            return
        if isinstance(truncation, bool) or not isinstance(truncation, (int, float)) or not truncation > 0:
            raise InputValueError(f"{self.name}: truncation must be a number > 0, got {truncation!r}")
        g = self.sampler
        previous, g.sampling_truncation = g.sampling_truncation, float(truncation)
        try:
            yield from super().iter_generate(n, **kwargs)
        finally:
            g.sampling_truncation = previous
