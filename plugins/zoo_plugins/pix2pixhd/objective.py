"""pix2pixHD's training rule (Wang et al. 2018, arXiv:1711.11585, Eq. 5; the authors' code for the weights):
LSGAN (Mao 2017) summed over the discriminator's scales, D's loss halved; feature matching (λ = 10) with each
layer weighted 4 / (n_layers + 1) and each scale 1 / num_scales; VGG loss (λ = 10); Adam(2e-4, β = (0.5,
0.999)) for both networks, the learning rate constant, then linearly to 0.
"""
from __future__ import annotations

import torch
from torch import Tensor

from zoo.synthesis_objective import SemanticSynthesisObjective


class Pix2PixHDObjective(SemanticSynthesisObjective):
    def __init__(self, lambda_feat: float = 10.0, lambda_vgg: float = 10.0, vgg: str = "vgg19", lr: float = 2e-4,
                 beta1: float = 0.5, beta2: float = 0.999, lr_decay_start: int = 0, lr_decay_end: int = 0) -> None:
        super().__init__(lambda_feat=lambda_feat, lambda_vgg=lambda_vgg, vgg=vgg, use_vae=False, lr=lr,
                         beta1=beta1, beta2=beta2, ttur=False, lr_decay_start=lr_decay_start,
                         lr_decay_end=lr_decay_end)

    def generator_gan_loss(self, heads: list[Tensor]) -> Tensor:
        # MSE(D(G(s)), 1) per scale, summed over scales
        return torch.stack([((h - 1) ** 2).mean() for h in heads]).sum()

    def discriminator_gan_loss(self, real_heads: list[Tensor], fake_heads: list[Tensor]) -> Tensor:
        # ½ [Σ_k MSE(D_k(x), 1) + Σ_k MSE(D_k(G(s)), 0)]
        real = torch.stack([((h - 1) ** 2).mean() for h in real_heads]).sum()
        fake = torch.stack([(h ** 2).mean() for h in fake_heads]).sum()
        return 0.5 * (real + fake)

    def feature_layer_weight(self, num_layers: int) -> float:
        # the authors' feat_weights = 4 / (n_layers_D + 1); the intermediate blocks are n_layers_D + 1
        return 4.0 / num_layers
