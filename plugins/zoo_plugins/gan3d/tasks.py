"""Shape arithmetic in z (Wu et al. 2016, arXiv:1610.07584, Sec. 5.3, Figure 6): the difference of two
shapes' latent vectors, added to a third shape's vector, carries the difference over (the paper adds
a chair's "arms" to other chairs). A shape is given by a seed (the latent `generate(1, seed=s)`
draws), a latent vector, or, for the 3D-VAE-GAN, a rendered view (encoded to its posterior mean)."""
from __future__ import annotations

import torch
from torch import Tensor

from zoo.errors import ShapeError


class ShapeArithmeticTask:
    @torch.no_grad()
    def latent_of(self, shape) -> Tensor:
        """(1, latent_dim) code of a seed (int), a latent vector, or an image when there is an encoder."""
        g = self.sampler
        if isinstance(shape, int) and not isinstance(shape, bool):
            return g.sample_latent(1, generator=torch.Generator().manual_seed(shape), device="cpu").to(self.device)
        shape = torch.as_tensor(shape)
        if tuple(shape.shape) == tuple(g.latent.shape):
            return shape[None].float().to(self.device)
        encoder = self.components["encoder"] if "encoder" in self.components else None
        if encoder is not None and tuple(shape.shape) == tuple(encoder.input.shape):
            return self.encode(shape[None])
        expected = f"a seed, a latent of shape {tuple(g.latent.shape)}"
        if encoder is not None:
            expected += f" or an image of shape {tuple(encoder.input.shape)}"
        raise ShapeError(f"{self.name}: shape arithmetic takes {expected}, got shape {tuple(shape.shape)}")

    @torch.no_grad()
    def shape_arithmetic(self, a, b, c) -> Tensor:
        """(4, 1, R, R, R): the shapes of a, b, c and of z_a − z_b + z_c (Figure 6's "a − b + c")."""
        za, zb, zc = (self.latent_of(s) for s in (a, b, c))
        return self.sampler(torch.cat([za, zb, zc, za - zb + zc]))
