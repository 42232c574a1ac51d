"""Interpolation in W (StyleGAN, Karras 2019, Sec. 4.2: W is less entangled than Z, so paths through it are
more linear): `interpolate(a, b, steps, space="w")` maps the two latents z to w, blends the ws linearly and
synthesises; space="z" (the default) is the built-in interpolation of the latents themselves."""
from __future__ import annotations

import torch
from torch import Tensor

from zoo.tasks.checks import InputValueError


class StyleGAN2Tasks:
    @torch.no_grad()
    def interpolate(self, a: Tensor, b: Tensor, steps: int = 8, *, method: str = "linear", c: Tensor | None = None,
                    space: str = "z", psi: float = 1.0, noise_mode: str = "const") -> Tensor:
        if space == "z":
            return super().interpolate(a, b, steps, method=method, c=c)
        if space != "w":
            raise InputValueError(f"space must be 'z' or 'w', got {space!r}")
        g = self.sampler
        za, zb = self._as_latent(a), self._as_latent(b)
        ws = g.map_latent(torch.cat([za, zb]), psi=psi, update_w_avg=False)
        t = torch.linspace(0, 1, steps, device=ws.device).view(-1, 1, 1)
        path = ws[:1] + (ws[1:] - ws[:1]) * t  # linear in W (StyleGAN's perceptual path length uses lerp in W)
        return g.synthesis(path, noise_mode).clamp(*g.output.value_range)
