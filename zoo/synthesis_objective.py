"""The training rule shared by label-map-to-image GANs with a multi-scale discriminator, feature matching
and a VGG perceptual loss: pix2pixHD (Wang et al. 2018, arXiv:1711.11585, Sec. 3, Eq. 5) and SPADE
(Park et al. 2019, arXiv:1903.07291, Sec. 4 and App. A). The two plugins subclass it with their
adversarial loss (LSGAN; hinge) and their weighting of scales and layers.

One training step, as in both authors' code: a generator update on the batch, then a discriminator update
on the same batch with a fresh (no-grad) fake. The generator's loss is

    L_GAN(G) + λ_feat · L_FM + λ_vgg · L_VGG [+ λ_kld · KL(q(z|x) || N(0, I))  with the style encoder]

L_FM is zoo.losses.feature_matching_loss over every discriminator block but the last (its logits), scaled
by `feature_layer_weight(num_layers)` / num_scales; L_VGG is zoo.features.perceptual.PerceptualLoss on
VGG19's relu1_1 … relu5_1 with weights 1/32, 1/16, 1/8, 1/4, 1.

`vgg`: "vgg19" (torchvision's ImageNet weights: GENZOO_VGG19_WEIGHTS or the cache; missing weights are an
error), "random-vgg19" (VGG19's layout with frozen seeded random weights: random conv features are a
usable perceptual prior when the real weights are absent) or "none" (the term dropped).
"""
from __future__ import annotations

from typing import Mapping

import torch
from torch import Tensor, nn

from zoo.interfaces import Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup, discriminator_outputs
from zoo.interfaces.schedules import Constant, LinearDecay

VGG_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
VGG_WEIGHTS = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)
VGG_CHOICES = ("vgg19", "random-vgg19", "none")


def perceptual_loss(vgg: str, seed: int = 0):
    """pix2pixHD's / SPADE's VGG loss module, or None for vgg="none"."""
    if vgg not in VGG_CHOICES:
        raise ValueError(f"vgg must be one of {VGG_CHOICES}, got {vgg!r}")
    if vgg == "none":
        return None
    from zoo.features.backbones import VGGFeatures
    from zoo.features.perceptual import PerceptualLoss

    if vgg == "vgg19":
        from zoo.features import load_feature_network

        trunk = load_feature_network("vgg19")
    else:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            trunk = VGGFeatures("vgg19")
    return PerceptualLoss(trunk, VGG_LAYERS, weights=VGG_WEIGHTS, criterion="l1")


def instance_edge_condition(G: nn.Module, batch: Mapping[str, Tensor]) -> Tensor:
    """The generator's condition from a batch: the one-hot "segmentation", with the instance-boundary map of
    the batch's "instance" ids appended when the generator takes one (all zeros when the data have none)."""
    from zoo.tasks.synthesize import instance_edges

    seg = batch["segmentation"]
    extra = G.condition.shape[0] - seg.shape[1]
    if extra == 0:
        return seg
    if extra != 1:
        raise ValueError(f"the generator takes {G.condition.shape[0]} condition channels, the batch's "
                         f"segmentation has {seg.shape[1]}")
    inst = batch.get("instance")
    edges = instance_edges(inst) if inst is not None else torch.zeros_like(seg[:, :1])
    return torch.cat([seg, edges.to(seg)], 1)


class SemanticSynthesisObjective(Objective):
    """Subclasses give `generator_gan_loss(heads)`, `discriminator_gan_loss(real_heads, fake_heads)` and
    `feature_layer_weight(num_layers)`."""

    def __init__(self, lambda_feat: float = 10.0, lambda_vgg: float = 10.0, lambda_kld: float = 0.05,
                 vgg: str = "vgg19", use_vae: bool = False, lr: float = 2e-4, beta1: float = 0.5,
                 beta2: float = 0.999, ttur: bool = False, lr_decay_start: int = 0, lr_decay_end: int = 0) -> None:
        self.lambda_feat, self.lambda_vgg, self.lambda_kld = lambda_feat, lambda_vgg, lambda_kld
        self.use_vae = use_vae
        self.perceptual = perceptual_loss(vgg) if lambda_vgg > 0 else None
        # TTUR (Heusel 2017) as SPADE sets it: G at lr/2, D at 2·lr
        g_lr, d_lr = (lr / 2, lr * 2) if ttur else (lr, lr)
        schedule = LinearDecay(lr_decay_start, lr_decay_end) if lr_decay_end > 0 else Constant()
        self.g_opt = OptimizerSpec("adam", lr=g_lr, betas=(beta1, beta2))
        self.d_opt = OptimizerSpec("adam", lr=d_lr, betas=(beta1, beta2))
        self.lr_schedule = schedule

    # -- the paper-specific parts --------------------------------------------------------------------
    def generator_gan_loss(self, heads: list[Tensor]) -> Tensor:
        raise NotImplementedError

    def discriminator_gan_loss(self, real_heads: list[Tensor], fake_heads: list[Tensor]) -> Tensor:
        raise NotImplementedError

    def feature_layer_weight(self, num_layers: int) -> float:
        return 1.0

    # -- the game ------------------------------------------------------------------------------------
    def update_groups(self) -> tuple[UpdateGroup, ...]:
        g_roles = ("generator", "encoder") if self.use_vae else ("generator",)
        return (UpdateGroup("generator", g_roles, self.g_opt, lr_schedule=self.lr_schedule),
                UpdateGroup("discriminator", ("discriminator",), self.d_opt, lr_schedule=self.lr_schedule))

    def schedule(self, step: int) -> tuple[Phase, ...]:
        return (Phase("generator", ("generator",)), Phase("discriminator", ("discriminator",), new_batch=False))

    def auxiliary(self) -> Mapping[str, nn.Module]:
        return {"perceptual": self.perceptual} if self.perceptual is not None else {}

    def latent(self, models: Mapping[str, nn.Module], real: Tensor) -> tuple[Tensor | None, Tensor | None]:
        """z for the generator and the KL term: from the style encoder's q(z|x) with the VAE option."""
        G = models["generator"]
        if not self.use_vae:
            return G.sample_latent(real.shape[0], device=real.device), None
        posterior = models["encoder"](real)
        # SPADE's KLDLoss: −½ Σ(1 + log σ² − μ² − σ²), summed over the batch as well as the dimensions
        return posterior.sample(), posterior.kl().sum()

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        G, D = models["generator"], models["discriminator"]
        real = batch["image"]
        c = instance_edge_condition(G, batch)
        if phase == "generator":
            z, kl = self.latent(models, real)
            fake = G(z, c)
            out_fake, out_real = discriminator_outputs(D, fake, c), discriminator_outputs(D, real, c)
            gan = self.generator_gan_loss(out_fake.heads())
            total, logs = gan, {"g_gan": gan.detach()}
            if self.lambda_feat > 0:
                from zoo.losses import feature_matching_loss

                real_f = [scale[:-1] for scale in out_real.features]
                fake_f = [scale[:-1] for scale in out_fake.features]
                weight = self.feature_layer_weight(len(real_f[0])) / len(real_f)
                fm = feature_matching_loss(real_f, fake_f) * weight
                total, logs["g_feat"] = total + self.lambda_feat * fm, fm.detach()
            if self.perceptual is not None:
                vgg = self.perceptual(fake, real)
                total, logs["g_vgg"] = total + self.lambda_vgg * vgg, vgg.detach()
            if kl is not None:
                total, logs["kld"] = total + self.lambda_kld * kl, kl.detach()
            logs["g_loss"] = total.detach()
            return PhaseLosses({"generator": total}, logs)
        if phase == "discriminator":
            with torch.no_grad():
                z, _ = self.latent(models, real)
                fake = G(z, c)
            real_heads = discriminator_outputs(D, real, c).heads()
            fake_heads = discriminator_outputs(D, fake, c).heads()
            loss = self.discriminator_gan_loss(real_heads, fake_heads)
            return PhaseLosses({"discriminator": loss},
                               {"d_loss": loss.detach(), "d_real": torch.stack([h.mean() for h in real_heads]).mean().detach(),
                                "d_fake": torch.stack([h.mean() for h in fake_heads]).mean().detach()})
        raise ValueError(f"unknown phase {phase!r}")
