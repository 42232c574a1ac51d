"""Tiny components and objectives for the trainer's tests (2-D points as 1×1×2 "images")."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from zoo import losses
from zoo.interfaces import (
    Discriminator,
    Generator,
    LatentSpec,
    Objective,
    OptimizerSpec,
    OutputSpec,
    Phase,
    PhaseLosses,
    UpdateGroup,
)

POINT = OutputSpec((1, 1, 2), value_range=(-1.0, 1.0))


class PointGenerator(Generator):
    def __init__(self, latent_dim: int = 4, width: int = 16) -> None:
        super().__init__()
        self.latent = LatentSpec((latent_dim,))
        self.output = POINT
        self.net = nn.Sequential(nn.Linear(latent_dim, width), nn.LeakyReLU(0.2), nn.Linear(width, 2))

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        return self.net(z).view(-1, 1, 1, 2)


class PointDiscriminator(Discriminator):
    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.input = POINT
        self.body = nn.Sequential(nn.Linear(2, width), nn.LeakyReLU(0.2))
        self.head = nn.Linear(width, 1)

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        return [self.body(x.flatten(1))]

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        return self.head(self.features(x)[-1]).squeeze(1)


def gaussian_points(n: int, seed: int = 0, mean=(0.5, -0.25), std: float = 0.1) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(n, 2, generator=g) * std + torch.tensor(mean)).view(n, 1, 1, 2)


class BatchNoiseGAN(Objective):
    """A non-saturating GAN whose noise comes with the batch (`batch["z"]`), so that runs with different
    numbers of processes see the same numbers. D steps `d_steps` times per G step; its loss includes a
    small penalty on its features (through `D.features`), and an R1 phase runs every `r1_interval`
    steps (lazy regularisation)."""

    def __init__(self, d_steps: int = 1, r1_gamma: float = 0.0, r1_interval: int = 2, lr: float = 1e-2,
                 feature_penalty: float = 0.0) -> None:
        self.d_steps, self.r1_gamma, self.r1_interval = d_steps, r1_gamma, r1_interval
        self.lr, self.feature_penalty = lr, feature_penalty

    def update_groups(self):
        return (UpdateGroup("discriminator", ("discriminator",), OptimizerSpec("adam", lr=self.lr)),
                UpdateGroup("generator", ("generator",), OptimizerSpec("adam", lr=self.lr)))

    def schedule(self, step):
        phases = [Phase("discriminator", ("discriminator",), repeats=self.d_steps),
                  Phase("generator", ("generator",))]
        if self.r1_gamma:
            phases.append(Phase("r1", ("discriminator",), interval=self.r1_interval))
        return tuple(phases)

    def losses(self, phase, batch, models):
        G, D = models["generator"], models["discriminator"]
        real, z = batch["image"], batch["z"]
        if phase == "r1":
            real = real.detach().requires_grad_(True)
            penalty = losses.r1_penalty(D(real), real)
            return PhaseLosses({"discriminator": self.r1_gamma * penalty}, {"r1": penalty.detach()})
        fake = G(z)
        if phase == "discriminator":
            loss = losses.minimax_discriminator_loss(D(real), D(fake.detach()))
            if self.feature_penalty:
                loss = loss + self.feature_penalty * D.features(real)[-1].pow(2).mean()
            return PhaseLosses({"discriminator": loss}, {"d_loss": loss.detach()})
        loss = losses.nonsaturating_generator_loss(D(fake))
        return PhaseLosses({"generator": loss}, {"g_loss": loss.detach()})


def point_batches_tensors(n: int = 256, latent_dim: int = 4, seed: int = 0) -> dict[str, Tensor]:
    g = torch.Generator().manual_seed(seed + 1)
    return {"image": gaussian_points(n, seed), "z": torch.randn(n, latent_dim, generator=g)}
