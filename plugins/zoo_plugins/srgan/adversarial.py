"""SRGAN's training rule (Ledig et al. 2017, arXiv:1609.04802, Sec. 2.2, Eq. 3-6, and Sec. 3.2).

    l^SR = l^SR_VGG/5.4 + 10⁻³ · l^SR_Gen

l^SR_VGG/5.4 = mean over the feature map of (φ(I^HR) − φ(G(I^LR)))², φ the VGG19 activation `content_layer`
("relu5_4": "the feature map obtained by the 4-th convolution (after activation) before the 5-th
max-pooling layer"), the features rescaled by `content_scale` = 1/12.75 ("rescaled the VGG losses with
a factor of 1/12.75 to obtain VGG losses of a scale comparable to the MSE loss"): features scale linearly,
so the MSE on rescaled features is content_scale² times the MSE on the raw ones.
l^SR_Gen = −log D(G(I^LR)) (non-saturating, Eq. 6). D minimises −log D(I^HR) − log(1 − D(G(I^LR))) (Eq. 2).
One D step then one G step; Adam(β1 = 0.9), lr 1e-4, ×0.1 from `lr_drop` (the paper: 10⁵ updates
at 1e-4 then 10⁵ at 1e-5), from a trained SRResNet (`--init`).

The feature network is `feature_network`: "vgg19" (torchvision's ImageNet weights; an error when the
file is absent) or "random-vgg19" (zoo.features.random_trunk: the documented stand-in used here).
"""
from __future__ import annotations

from typing import Mapping

from torch import Tensor, nn

from zoo import losses
from zoo.features.perceptual import PerceptualLoss
from zoo.features.random_trunk import perceptual_trunk
from zoo.interfaces import Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup
from zoo.interfaces.schedules import MultiStep
from zoo_plugins.srgan.objective import example_pair, training_pair


def content_loss(perceptual: PerceptualLoss, fake: Tensor, real: Tensor, scale: float) -> Tensor:
    """The MSE between the rescaled features: scale² · mse(φ(fake), φ(real))."""
    return scale ** 2 * perceptual(fake, real)


class SRGANObjective(Objective):
    ema = None

    def __init__(self, lr: float = 1e-4, beta1: float = 0.9, beta2: float = 0.999, lr_drop: int | None = 100_000,
                 adversarial_weight: float = 1e-3, content_layer: str = "relu5_4", content_scale: float = 1 / 12.75,
                 feature_network: str = "vgg19", augment: bool = True, scale: int = 4) -> None:
        if adversarial_weight < 0 or content_scale <= 0:
            raise ValueError("adversarial_weight must be >= 0 and content_scale > 0")
        self.adversarial_weight, self.content_scale = float(adversarial_weight), float(content_scale)
        self.augment, self.scale = bool(augment), int(scale)
        self.perceptual = PerceptualLoss(perceptual_trunk(feature_network), (content_layer,), criterion="mse")
        extra = {"lr_schedule": MultiStep((int(lr_drop),))} if lr_drop else {}
        opt = OptimizerSpec("adam", lr=float(lr), betas=(float(beta1), float(beta2)))
        self.groups = (UpdateGroup("discriminator", ("discriminator",), opt, **extra),
                       UpdateGroup("generator", ("generator",), opt, **extra))

    def auxiliary(self) -> Mapping[str, nn.Module]:
        return {"perceptual": self.perceptual}

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        return self.groups

    def example_batch(self, batch: dict[str, Tensor], generator) -> dict[str, Tensor]:
        return example_pair(batch, self.scale)

    def schedule(self, step: int) -> tuple[Phase, ...]:
        # one batch serves both updates, as in the authors' description of alternating updates
        return (Phase("discriminator", ("discriminator",)), Phase("generator", ("generator",), new_batch=False))

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        G, D = models["generator"], models["discriminator"]
        low, high = training_pair(batch, self.augment)
        fake = G(None, low)
        if phase == "discriminator":
            loss = losses.minimax_discriminator_loss(D(high), D(fake.detach()))
            return PhaseLosses({"discriminator": loss}, {"d_loss": loss.detach()})
        if phase != "generator":
            raise ValueError(f"unknown phase {phase!r}")
        content = content_loss(self.perceptual, fake, high, self.content_scale)
        adversarial = losses.nonsaturating_generator_loss(D(fake))
        loss = content + self.adversarial_weight * adversarial
        return PhaseLosses({"generator": loss}, {"g_loss": loss.detach(), "g_content": content.detach(),
                                                 "g_adv": adversarial.detach()})
