"""`generate`: samples from a model's generator (its EMA copy when it has one)."""
from __future__ import annotations

import torch
from torch import Tensor


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
