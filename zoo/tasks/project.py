"""`project`: invert an image into a generator's latent space by optimisation, after the StyleGAN2
projector (Karras et al. 2020, Sec. 5 and App. D).

With the style protocol (zoo.tasks.styles) it optimises one w, broadcast to every layer, starting from
the mean w of `w_avg_samples` mapped latents, with Adam, a learning rate ramped up and cosine-ramped
down, Gaussian noise on w that fades out over the first 3/4 of the steps, and - where the generator has
`noise_buffers()` - the noise maps too, regularised towards uncorrelated noise and renormalised every
step. Without it, it optimises z from the nearest (by the distance) of `w_avg_samples` draws from the
prior. The loss is pixel MSE by default: no perceptual network's weights ship with genzoo; pass
`distance=` (e.g. an LPIPS module) to use one. The generator's noise buffers keep their projected values
afterwards, so `result.image` reproduces.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor

from zoo.errors import ShapeError
from zoo.tasks.checks import InputValueError, image_batch, progress_bar
from zoo.tasks.styles import broadcast_ws


@dataclass
class Projection:
    image: Tensor  # (1, C, H, W): the generator's output at the found latent
    latent: Tensor  # (1, w_dim) w with the style protocol, else (1, *latent shape) z
    space: str  # "w" or "z"
    losses: list[float] = field(default_factory=list)  # the distance at each step


def noise_regularization(noises: list[Tensor]) -> Tensor:
    """Squared autocorrelation of each noise map at shifts of one pixel, over a pyramid down to 8x8."""
    total = torch.zeros(())
    for noise in noises:
        n = noise[None, None] if noise.dim() == 2 else noise.reshape(-1, 1, *noise.shape[-2:])
        while True:
            total = total + (n * torch.roll(n, 1, dims=3)).mean() ** 2 + (n * torch.roll(n, 1, dims=2)).mean() ** 2
            if n.shape[2] <= 8 or n.shape[3] <= 8:
                break
            n = F.avg_pool2d(n, 2)
    return total


def nearest_draw(render, g, target: Tensor, count: int, gen: torch.Generator, distance, device,
                 batch_size: int = 250) -> Tensor:
    """The latent, of `count` draws from the prior, whose image is nearest the target: the start of a Z-space
    projection (the centre of the prior is a poor one: a generator that normalises z, as ProGAN's pixel norm,
    has no direction there, and its image is no digit)."""
    best, best_distance = None, math.inf
    with torch.no_grad():
        for first in range(0, max(count, 1), batch_size):
            z = g.sample_latent(min(batch_size, max(count, 1) - first), generator=gen, device="cpu").to(device)
            images = render(z)
            d = torch.stack([distance(image[None], target) for image in images])
            i = int(d.argmin())
            if float(d[i]) < best_distance:
                best, best_distance = z[i:i + 1], float(d[i])
    return best


class ProjectTask:
    def project(self, image: Tensor, *, steps: int = 200, seed: int = 0, lr: float = 0.1,
                noise_weight: float = 1e5, w_avg_samples: int = 1000, c: Tensor | None = None,
                distance: Callable[[Tensor, Tensor], Tensor] | None = None, progress: bool = False) -> Projection:
        g = self.sampler
        spec = g.output
        if spec.kind != "image":
            raise ShapeError(f"{self.name}: project works on images, the generator makes {spec.kind}")
        if steps < 1:
            raise InputValueError(f"steps must be >= 1, got {steps}")
        target = image_batch(self.name, image, value_range=spec.value_range, channels=spec.shape[0],
                             size=tuple(spec.shape[1:]), what="image to project").to(self.device)
        if target.shape[0] != 1:
            raise ShapeError(f"{self.name}: project takes one image (1, {', '.join(map(str, spec.shape))}), "
                             f"got {tuple(target.shape)}")
        distance = distance or F.mse_loss
        gen = torch.Generator().manual_seed(seed)
        styled = all(hasattr(g, a) for a in ("mapping", "synthesis", "num_ws"))
        if styled:
            with torch.no_grad():
                z = g.sample_latent(w_avg_samples, generator=gen, device="cpu").to(self.device)
                ws = broadcast_ws(g.mapping(z, c), g.num_ws)[:, 0]
                w_avg = ws.mean(0, keepdim=True)
                w_std = float(((ws - w_avg) ** 2).sum(1).mean().sqrt())
            start, render = w_avg, lambda w: g.synthesis(broadcast_ws(w, g.num_ws))
            noises = list(g.noise_buffers()) if hasattr(g, "noise_buffers") else []
        else:
            if g.latent is None:
                raise ShapeError(f"{self.name}: project needs a generator with a latent")
            render = lambda z: g(z, c)  # noqa: E731
            start = nearest_draw(render, g, target, w_avg_samples, gen, distance, self.device)
            w_std, noises = 0.0, []
        latent = start.detach().clone().requires_grad_(True)
        with torch.no_grad():
            for noise in noises:
                noise.copy_(torch.randn(noise.shape, generator=gen))
        variables = [latent, *noises]
        for v in noises:
            v.requires_grad_(True)
        optimizer = torch.optim.Adam(variables, lr=lr, betas=(0.9, 0.999))
        losses = []
        try:
            with progress_bar(steps, "project", progress) as bar:
                for step in range(steps):
                    t = step / steps
                    ramp = min(1.0, (1 - t) / 0.25)
                    ramp = 0.5 - 0.5 * math.cos(ramp * math.pi)
                    for group in optimizer.param_groups:
                        group["lr"] = lr * ramp * min(1.0, (step + 1) / steps / 0.05)
                    w_noise = w_std * 0.05 * max(0.0, 1 - t / 0.75) ** 2
                    jitter = torch.randn(latent.shape, generator=gen).to(latent) * w_noise
                    with torch.enable_grad():
                        out = render(latent + jitter)
                        dist = distance(out, target)
                        loss = dist + noise_weight * noise_regularization(noises) if noises else dist
                        grads = torch.autograd.grad(loss, variables)  # the generator's own weights stay untouched
                    for v, gr in zip(variables, grads):
                        v.grad = gr
                    optimizer.step()
                    with torch.no_grad():
                        for noise in noises:
                            noise -= noise.mean()
                            noise /= noise.square().mean().sqrt()
                    losses.append(float(dist.detach()))
                    bar.update(1)
        finally:
            for v in noises:
                v.requires_grad_(False)
                v.grad = None
        with torch.no_grad():
            final = render(latent.detach())
        return Projection(image=final, latent=latent.detach(), space="w" if styled else "z", losses=losses)
