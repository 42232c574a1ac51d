"""SPADE's training rule (Park et al. 2019, arXiv:1903.07291, Sec. 4 and App. A; the authors' code for the
details the paper leaves out): hinge loss, averaged over the discriminator's scales; feature matching
(λ = 10) averaged over scales; VGG loss (λ = 10); with the style encoder, the KL term (λ = 0.05); TTUR
(G at lr/2 = 1e-4, D at 2·lr = 4e-4, Adam β = (0, 0.9)); the learning rate constant, then linearly to 0.
"""
from __future__ import annotations

import torch
from torch import Tensor

from zoo.losses import hinge_discriminator_loss, hinge_generator_loss
from zoo.synthesis_objective import SemanticSynthesisObjective


class SPADEObjective(SemanticSynthesisObjective):
    def __init__(self, lambda_feat: float = 10.0, lambda_vgg: float = 10.0, lambda_kld: float = 0.05,
                 vgg: str = "vgg19", use_vae: bool = False, lr: float = 2e-4, beta1: float = 0.0,
                 beta2: float = 0.9, ttur: bool = True, lr_decay_start: int = 0, lr_decay_end: int = 0) -> None:
        super().__init__(lambda_feat=lambda_feat, lambda_vgg=lambda_vgg, lambda_kld=lambda_kld, vgg=vgg,
                         use_vae=use_vae, lr=lr, beta1=beta1, beta2=beta2, ttur=ttur,
                         lr_decay_start=lr_decay_start, lr_decay_end=lr_decay_end)

    def generator_gan_loss(self, heads: list[Tensor]) -> Tensor:
        return torch.stack([hinge_generator_loss(h) for h in heads]).mean()

    def discriminator_gan_loss(self, real_heads: list[Tensor], fake_heads: list[Tensor]) -> Tensor:
        return torch.stack([hinge_discriminator_loss(r, f) for r, f in zip(real_heads, fake_heads)]).mean()
