"""`generate`: samples from a model's generator (its EMA copy when it has one), in batches.

Latents are drawn in fixed blocks of LATENT_BLOCK samples, each from its own generator seeded by
(seed, block index), so a seed gives the same samples whatever the batch size, and `generate(10**7)`
never holds more than one block of latents. A request of at most one block draws its latents (and
class labels) exactly as one `sample_latent(n)` call on a generator seeded with `seed`.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import torch
from torch import Tensor

from zoo.tasks.checks import InputValueError, progress_bar

LATENT_BLOCK = 16384  # 32 MB of 512-d latents; n <= one block (every metric this project states) draws as before
_GOLDEN = 0x9E3779B97F4A7C15  # spreads (seed, block) pairs over the seed space


def block_seed(seed: int, block: int) -> int:
    return seed if block == 0 else (seed * _GOLDEN + block) % (2 ** 63)


def check_count(n, what: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputValueError(f"{what} must be a positive integer, got {n!r}")
    return n


def check_labels(owner: str, generator, c: Tensor, n: int) -> Tensor:
    """Class labels: one per sample, integers in [0, num_classes)."""
    c = torch.as_tensor(c)
    if c.dim() == 0:
        c = c.expand(n)
    if generator.condition.kind == "class":
        k = generator.condition.num_classes
        if c.is_floating_point() or c.dim() != 1:
            raise InputValueError(f"{owner}: class labels must be integers of shape ({n},), got {c.dtype} {tuple(c.shape)}")
        if len(c) and (int(c.min()) < 0 or int(c.max()) >= k):
            raise InputValueError(f"{owner}: class labels must lie in [0, {k - 1}] ({k} classes), "
                                  f"got {int(c.min())}..{int(c.max())}")
    if len(c) != n:
        raise InputValueError(f"{owner}: c must hold one condition per sample ({n}), got {len(c)}")
    return c


class GenerateTask:
    @torch.no_grad()
    def generate(self, n: int, *, seed: int | None = None, c: Tensor | None = None, batch_size: int = 256,
                 **generator_kwargs) -> Tensor:
        """`n` samples in the generator's output range; class labels are drawn when `c` is None.
        `generator_kwargs` (truncation psi, noise mode, ...) pass through to the generator's forward."""
        return torch.cat(list(self.iter_generate(n, seed=seed, c=c, batch_size=batch_size, **generator_kwargs)))

    @torch.no_grad()
    def iter_generate(self, n: int, *, seed: int | None = None, c: Tensor | None = None, batch_size: int = 256,
                      progress: bool = False, **generator_kwargs) -> Iterator[Tensor]:
        """The samples of `generate` one batch at a time, drawing latents only as they are needed."""
        g = self.sampler
        check_count(n)
        check_count(batch_size, "batch_size")
        if c is not None:
            c = check_labels(self.name, g, c, n)
        elif g.condition.kind not in ("none", "class"):
            raise InputValueError(f"{self.name}: generate needs a {g.condition.kind!r} condition c (pass c=...)")
        if seed is None:
            seed = int(torch.randint(2 ** 62, (1,)))
        blocks = LatentBlocks(g, seed, n)
        with progress_bar(n, "generate", progress) as bar:
            for start in range(0, n, batch_size):
                stop = min(n, start + batch_size)
                z, cb = blocks.slice(start, stop)
                if c is not None:
                    cb = c[start:stop]
                out = g(z.to(self.device) if z is not None else None,
                        cb.to(self.device) if cb is not None else None, **generator_kwargs)
                bar.update(stop - start)
                yield out

    def generate_to(self, folder: str | Path, n: int, *, seed: int | None = None, c: Tensor | None = None,
                    batch_size: int = 256, progress: bool = False, **generator_kwargs) -> list[Path]:
        """Write `n` samples into `folder` as they come: one PNG per image (000000.png, ...), or one .npy
        per voxel grid. Returns the paths written."""
        from zoo.images import save_image

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        spec = self.sampler.output
        paths, i = [], 0
        for batch in self.iter_generate(n, seed=seed, c=c, batch_size=batch_size, progress=progress,
                                        **generator_kwargs):
            for sample in batch.cpu():
                if spec.kind == "voxels":
                    import numpy as np

                    path = folder / f"{i:06d}.npy"
                    np.save(path, sample.numpy())
                else:
                    path = save_image(sample, folder / f"{i:06d}.png", value_range=spec.value_range)
                paths.append(path)
                i += 1
        return paths


class LatentBlocks:
    """Latents (and class labels) of one request, drawn block by block and kept one block at a time."""

    def __init__(self, generator, seed: int, n: int) -> None:
        self.g, self.seed, self.n = generator, seed, n
        self.size = min(n, LATENT_BLOCK)
        self.cached: tuple[int, Tensor | None, Tensor | None] | None = None

    def block(self, k: int) -> tuple[Tensor | None, Tensor | None]:
        if self.cached is None or self.cached[0] != k:
            gen = torch.Generator().manual_seed(block_seed(self.seed, k))
            z = self.g.sample_latent(self.size, generator=gen, device="cpu")  # a plugin may override the prior
            c = self.g.sample_condition(self.size, generator=gen, device="cpu") \
                if self.g.condition.kind == "class" else None
            self.cached = (k, z, c)
        return self.cached[1], self.cached[2]

    def slice(self, start: int, stop: int) -> tuple[Tensor | None, Tensor | None]:
        zs, cs = [], []
        for k in range(start // self.size, (stop - 1) // self.size + 1):
            z, c = self.block(k)
            lo, hi = max(start - k * self.size, 0), min(stop - k * self.size, self.size)
            zs.append(z[lo:hi] if z is not None else None)
            cs.append(c[lo:hi] if c is not None else None)
        cat = lambda parts: torch.cat(parts) if parts[0] is not None else None
        return cat(zs), cat(cs)
