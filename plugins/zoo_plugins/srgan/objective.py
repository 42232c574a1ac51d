"""SRResNet's and SRGAN's training rules (Ledig et al. 2017, arXiv:1609.04802, Sec. 2.2 and 3.2).

SRResNet: the pixel-wise MSE between the generator's output and the HR image, Adam(lr 1e-4, β1 = 0.9).

SRGAN, initialised from a trained SRResNet (`zoo train srgan --init srresnet.TAG`): the perceptual loss
    l^SR = l^SR_X + 10⁻³ · l^SR_Gen,
l^SR_X the VGG content loss — the MSE between the VGG19 feature maps φ_5,4 (after the activation of the
4th convolution before the 5th max-pool, "VGG54") of the output and of the HR image, the features
rescaled by 1/12.75 ("a factor of ≈ 0.006" on the loss, 1/12.75²) — and l^SR_Gen = −log D(G(x)) the
non-saturating adversarial loss. D minimises the usual cross-entropy. Adam(β1 = 0.9), lr 1e-4 then 1e-5
(the paper's 10⁵ + 10⁵ updates; `lr_drop` sets the step of the drop).

Batches are photos-sr's pairs: "low_res" (the bicubic ×scale downscale) and "image" (the HR crop), both
in [-1, 1]; the generator takes its LR input in [0, 1] (the paper's scaling). `augment` (on by default,
not in the paper, which crops 350k ImageNet images at random): each step turns the batch by one of the
eight symmetries of the square, as our photographs give only a few hundred crops.
"""
from __future__ import annotations

from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo import losses
from zoo.interfaces import Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup
from zoo.interfaces.schedules import MultiStep


def dihedral(images: Tensor, turn: int, flip: bool) -> Tensor:
    """`images` turned `turn` quarter turns, then mirrored left-right if `flip`."""
    out = torch.rot90(images, turn, dims=(2, 3))
    return out.flip(3) if flip else out


def example_pair(batch: dict[str, Tensor], scale: int) -> dict[str, Tensor]:
    """A benchmark batch (random HR "image") completed with its ×`scale` bicubic "low_res", as photos-sr's."""
    image = batch["image"]
    low = F.interpolate(image, scale_factor=1 / scale, mode="bicubic", antialias=True, align_corners=False)
    return {**batch, "low_res": low.clamp(-1, 1)}


def training_pair(batch: Mapping[str, Tensor], augment: bool) -> tuple[Tensor, Tensor]:
    """(LR input in [0, 1], HR target in [-1, 1]) of one step, turned alike when `augment`."""
    low, high = (batch["low_res"] + 1) / 2, batch["image"]
    if augment:
        turn, flip = (int(v) for v in torch.randint(4, (2,)))
        low, high = dihedral(low, turn, bool(flip % 2)), dihedral(high, turn, bool(flip % 2))
    return low, high


class SRResNetObjective(Objective):
    """MSE on pixels; one generator update per step."""

    ema = None

    def __init__(self, lr: float = 1e-4, beta1: float = 0.9, beta2: float = 0.999, augment: bool = True,
                 lr_drop: int | None = None, scale: int = 4) -> None:
        self.augment, self.scale = bool(augment), int(scale)
        schedule = MultiStep((int(lr_drop),)) if lr_drop else None
        extra = {"lr_schedule": schedule} if schedule else {}
        self.group = UpdateGroup("generator", ("generator",), OptimizerSpec("adam", lr=float(lr),
                                                                           betas=(float(beta1), float(beta2))),
                                 **extra)

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        return (self.group,)

    def example_batch(self, batch: dict[str, Tensor], generator: torch.Generator) -> dict[str, Tensor]:
        return example_pair(batch, self.scale)

    def schedule(self, step: int) -> tuple[Phase, ...]:
        return (Phase("generator", ("generator",)),)

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        if phase != "generator":
            raise ValueError(f"unknown phase {phase!r}")
        low, high = training_pair(batch, self.augment)
        mse = F.mse_loss(models["generator"](None, low), high)
        return PhaseLosses({"generator": mse}, {"g_mse": mse.detach()})
