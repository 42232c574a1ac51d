"""Latent traversals, as InfoGAN's Figure 2 (Chen et al. 2016): vary one code, keep the rest fixed.

- the categorical code c1: row i is one draw of the noise and the other codes, column j sets c1 = j;
- a continuous code (c2, c3, ...): row i is one draw with c1 = i mod k (rows walk through the
  categories, as Fig. 2c-d shows each digit type), column j sets the code to the j-th of `steps`
  values evenly spaced over [low, high] (the paper goes from -2 to 2, beyond the prior's [-1, 1]).
"""
from __future__ import annotations

import torch
from torch import Tensor

from zoo.tasks.checks import InputValueError


def _part(latent, code: str):
    for part in latent.parts:
        if part.name == code:
            return part
    codes = [p.name for p in latent.parts if p.name != "z"]
    raise InputValueError(f"unknown code {code!r}; this model's codes are {', '.join(codes)}")


def traversal_codes(latent, code: str, rows: int, steps: int = 10, low: float = -2.0, high: float = 2.0,
                    seed: int = 0) -> Tensor:
    """Latent codes (rows · columns, total) for a traversal of `code`, row by row (see the module doc)."""
    part = _part(latent, code)
    if rows < 1 or steps < 2:
        raise InputValueError(f"a traversal needs rows >= 1 and steps >= 2, got rows={rows}, steps={steps}")
    base = latent.sample(rows, generator=torch.Generator().manual_seed(seed))
    offsets, start = {}, 0
    for p in latent.parts:
        offsets[p.name] = (start, start + p.size)
        start += p.size
    a, b = offsets[code]
    if part.prior == "categorical":
        values = torch.eye(part.size)  # one column per category
    else:
        categorical = next((p for p in latent.parts if p.prior == "categorical"), None)
        if categorical is not None:  # rows walk through the categories
            ca, cb = offsets[categorical.name]
            base[:, ca:cb] = torch.eye(categorical.size)[torch.arange(rows) % categorical.size]
        values = torch.linspace(low, high, steps)[:, None].expand(steps, part.size)
    grid = base[:, None, :].repeat(1, len(values), 1)
    grid[:, :, a:b] = values[None]
    return grid.flatten(0, 1)


class TraverseTask:
    """`model.traverse(code)`: InfoGAN's Figure 2 for one code, as images (rows · columns, C, H, W)."""

    @torch.no_grad()
    def traverse(self, code: str, rows: int = 10, steps: int = 10, low: float = -2.0, high: float = 2.0,
                 seed: int = 0) -> tuple[Tensor, int]:
        """The images of a traversal of `code` and the number of columns of its grid."""
        latent = self.sampler.latent
        z = traversal_codes(latent, code, rows, steps, low, high, seed).to(self.device)
        images = self.sampler(z)
        return images, len(z) // rows
