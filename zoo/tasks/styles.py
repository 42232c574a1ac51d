"""`mix_styles`: StyleGAN style mixing (Karras et al. 2019, Sec. 3.1).

The style protocol a generator follows for this task (and for `project`):
  - `mapping(z, c=None)` -> ws, (N, num_ws, w_dim) (or (N, w_dim), used for every layer);
  - `synthesis(ws)` -> images, from per-layer ws (N, num_ws, w_dim);
  - `num_ws`: how many layers take a w; optional buffer `w_avg` (N=1 mean w) for truncation;
  - optional `noise_buffers()`: the per-layer noise maps `project` optimises.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from zoo.errors import TaskNotSupportedError
from zoo.tasks.checks import InputValueError


def check_style_protocol(owner: str, g) -> None:
    missing = [a for a in ("mapping", "synthesis", "num_ws") if not hasattr(g, a)]
    if missing:
        raise TaskNotSupportedError(f"{owner}: the generator has no {', '.join(missing)} (the style protocol "
                                    "of zoo.tasks.styles: mapping(z, c), synthesis(ws), num_ws)")


def broadcast_ws(ws: Tensor, num_ws: int) -> Tensor:
    return ws[:, None].expand(-1, num_ws, -1) if ws.dim() == 2 else ws


class MixStylesTask:
    @torch.no_grad()
    def seed_ws(self, seeds: Sequence[int], *, psi: float = 1.0, c: Tensor | None = None) -> Tensor:
        """Per-layer ws (len(seeds), num_ws, w_dim) of the latents `generate(1, seed=s)` draws."""
        g = self.sampler
        check_style_protocol(self.name, g)
        z = torch.cat([g.sample_latent(1, generator=torch.Generator().manual_seed(int(s)), device="cpu")
                       for s in seeds]).to(self.device)
        ws = broadcast_ws(g.mapping(z, c), g.num_ws)
        if psi != 1.0:
            w_avg = getattr(g, "w_avg", None)
            if w_avg is None:
                raise InputValueError(f"{self.name}: truncation needs the generator's w_avg")
            if hasattr(w_avg, "truncate"):  # a zoo.nn.WAverage (generators with a declared w_space)
                return w_avg.truncate(ws, psi)
            ws = w_avg.to(ws) + psi * (ws - w_avg.to(ws))
        return ws

    @torch.no_grad()
    def mix_styles(self, row_seeds: Sequence[int], col_seeds: Sequence[int], *,
                   col_styles: Sequence[int] | None = None, psi: float = 1.0, c: Tensor | None = None) -> Tensor:
        """Images (rows, cols, C, H, W): row r's ws with the layers `col_styles` taken from column c's
        (default: the coarse first half of the layers)."""
        g = self.sampler
        check_style_protocol(self.name, g)
        if not row_seeds or not col_seeds:
            raise InputValueError("mix_styles needs at least one row seed and one column seed")
        layers = list(range(max(1, g.num_ws // 2))) if col_styles is None else [int(i) for i in col_styles]
        bad = [i for i in layers if not 0 <= i < g.num_ws]
        if bad:
            raise InputValueError(f"{self.name}: style layers must lie in [0, {g.num_ws - 1}], got {bad}")
        rows, cols = self.seed_ws(row_seeds, psi=psi, c=c), self.seed_ws(col_seeds, psi=psi, c=c)
        mixed = rows[:, None].repeat(1, len(cols), 1, 1)  # (R, C, num_ws, w_dim)
        mixed[:, :, layers] = cols[None, :, layers]
        images = g.synthesis(mixed.flatten(0, 1))
        return images.view(len(rows), len(cols), *images.shape[1:])


class WInterpolateTask:
    """Interpolation in W (StyleGAN, Karras 2019, Sec. 4.2: W is less entangled than Z, so paths through it
    are more linear): `interpolate(a, b, steps, space="w")` maps the two latents z to w, blends the ws
    linearly and synthesises; space="z" (the default) is the built-in interpolation of the latents. Name it
    before "interpolate" in an architecture's tasks, so that it wraps the built-in one."""

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
