"""PGGAN's training rule (Demir & Unal 2018, arXiv:1803.07422, Sec. 3):

    L_G = λ_rec · L_rec + λ_g · L_adv^global + λ_p · L_adv^patch,    λ_rec = 0.995, λ_g = λ_p = 0.0025,

L_rec the L1 distance between the generator's output and the complete image (over the whole image, as
the paper writes it), and each adversarial term the generator's loss on one head of the shared-trunk
discriminator. The discriminator minimises the sum of its two heads' real/fake losses; the patch head's
loss is the mean over its map of per-patch losses (pix2pix). The adversarial losses are the binary
cross-entropy of pix2pix and of Iizuka et al. 2017 (non-saturating for the generator), with logits
(zoo.losses). The discriminator judges the completion — the known pixels of the image with the
generator's output in the holes — as Iizuka et al.'s discriminators do.

Schedule: one discriminator step, then one generator step, with Adam(lr 2e-4, β = (0.5, 0.999)), the
pix2pix setting the paper builds on; the text we could reach does not state these (see the README).

`hole_weight` (1 by default: the paper's plain mean over the image) weighs the holes' pixels in L_rec
against the known ones, mean(|G(x̂) − x| · (1 + (hole_weight − 1) · M)); 6 is the weight Liu et al. 2018
("Image Inpainting for Irregular Holes Using Partial Convolutions") give their hole term against the
known pixels' term. Our short CPU runs use it (see the registry recipes).

Ablations are configuration: `heads` = both | global | patch (the discriminator then has only that
head, and only its term enters L_G), and `adversarial_weight` scales λ_g and λ_p: 0 trains the
generator on L_rec alone and never steps the discriminator.

`augment` (off by default, not in the paper): each step turns the batch's images by one of the eight
flips and quarter turns of the square, the same for the whole batch; our photographs give a few hundred
crops of eleven pictures, and the trained model must fill pictures it never saw.

`fresh_masks`: each step draws new holes (zoo.data.masks, rectangles and strokes) for the batch's
images instead of the dataset's fixed ones, as the paper draws a mask per training image; our
photographs give only a few hundred crops, each of which would otherwise always carry the same hole.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo import losses
from zoo.interfaces import Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup, discriminator_outputs

HEAD_NAMES = {"both": ("global", "patch"), "global": ("global",), "patch": ("patch",)}


def masked_image(image: Tensor, mask: Tensor) -> Tensor:
    """The generator's input: holes (mask 1) set to 0, the mask appended as one channel: (N, C + 1, H, W)."""
    return torch.cat([image * (1 - mask), mask], 1)


def completion(output: Tensor, image: Tensor, mask: Tensor) -> Tensor:
    """The known pixels of `image` with `output` in the holes."""
    return image * (1 - mask) + output * mask


def masked_l1(output: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """Mean absolute difference over the pixels (and channels) where mask = 1; 0 where there are none."""
    weight = mask.expand_as(output)
    return (weight * (output - target).abs()).sum() / weight.sum().clamp_min(1.0)


def reconstruction_loss(output: Tensor, target: Tensor, mask: Tensor, hole_weight: float = 1.0) -> Tensor:
    """L_rec: the mean over all pixels of |output − target|, hole pixels weighted `hole_weight` (1: plain L1)."""
    if hole_weight == 1.0:
        return F.l1_loss(output, target)
    return ((output - target).abs() * (1 + (hole_weight - 1) * mask)).mean()


def discriminator_terms(real: Mapping[str, Tensor], fake: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Each head's −[log D(x) + log(1 − D(x̂))], averaged over the batch (and the patch map)."""
    return {h: losses.minimax_discriminator_loss(real[h], fake[h]) for h in fake}


def generator_terms(fake: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Each head's non-saturating −log D(x̂), averaged over the batch (and the patch map)."""
    return {h: losses.nonsaturating_generator_loss(fake[h]) for h in fake}


class PGGANInpaintObjective(Objective):
    ema = None

    def __init__(self, heads: str = "both", rec_weight: float = 0.995, global_weight: float = 0.0025,
                 patch_weight: float = 0.0025, adversarial_weight: float = 1.0, lr: float = 2e-4,
                 beta1: float = 0.5, beta2: float = 0.999, fresh_masks: bool = True,
                 mask_kind: str = "mixed", augment: bool = False, hole_weight: float = 1.0) -> None:
        if heads not in HEAD_NAMES:
            raise ValueError(f"heads must be one of {', '.join(HEAD_NAMES)}, got {heads!r}")
        if min(rec_weight, global_weight, patch_weight, adversarial_weight, hole_weight) < 0:
            raise ValueError("loss weights must be >= 0")
        self.heads = HEAD_NAMES[heads]
        self.rec_weight, self.hole_weight = float(rec_weight), float(hole_weight)
        scale = float(adversarial_weight)
        self.head_weights = {"global": float(global_weight) * scale, "patch": float(patch_weight) * scale}
        self.adversarial = any(self.head_weights[h] > 0 for h in self.heads)
        self.fresh_masks, self.mask_kind, self.augment = bool(fresh_masks), mask_kind, bool(augment)
        self.opt = OptimizerSpec("adam", lr=float(lr), betas=(float(beta1), float(beta2)))

    def update_groups(self) -> tuple[UpdateGroup, ...]:
        return (UpdateGroup("discriminator", ("discriminator",), self.opt),
                UpdateGroup("generator", ("generator",), self.opt))

    def schedule(self, step: int) -> tuple[Phase, ...]:
        if not self.adversarial:  # L1 only: the discriminator is never trained
            return (Phase("generator", ("generator",)),)
        return (Phase("discriminator", ("discriminator",)), Phase("generator", ("generator",)))

    def example_batch(self, batch: dict[str, Tensor], generator: torch.Generator) -> dict[str, Tensor]:
        """The benchmark's batch with a hole mask per image (a random rectangle, as the data's)."""
        image = batch["image"]
        n, size = image.shape[0], image.shape[-1]
        corner = torch.randint(size // 2 + 1, (n, 2), generator=generator)
        rows = torch.arange(size)[None, :, None]
        cols = torch.arange(size)[None, None, :]
        top, left = corner[:, :1, None], corner[:, 1:, None]
        hole = (rows >= top) & (rows < top + size // 2) & (cols >= left) & (cols < left + size // 2)
        return {**batch, "mask": hole[:, None].to(image)}

    def inputs(self, batch: Mapping[str, Tensor]) -> tuple[Tensor, Tensor]:
        """(images, holes) of one step: the batch's images and masks, both turned by one random element
        of the square's symmetry group if `augment`; new holes instead of the batch's if `fresh_masks`."""
        image, mask = batch["image"], batch["mask"].to(batch["image"].dtype)
        if self.augment:
            turn, flip = (int(v) for v in torch.randint(4, (2,)))
            image, mask = (torch.rot90(t, turn, dims=(2, 3)) for t in (image, mask))
            if flip % 2:
                image, mask = image.flip(3), mask.flip(3)
        if self.fresh_masks:
            from zoo.data.masks import random_mask

            # seeded from torch's generator, so that a seed (and a resumed checkpoint) gives the same holes
            rng = np.random.default_rng(int(torch.randint(2 ** 62, ())))
            mask = torch.stack([random_mask(image.shape[-1], rng, self.mask_kind) for _ in range(len(image))]).to(image)
        return image, mask

    def losses(self, phase: str, batch: Mapping[str, Tensor], models: Mapping[str, nn.Module]) -> PhaseLosses:
        if phase not in ("discriminator", "generator"):
            raise ValueError(f"unknown phase {phase!r}")
        G, D = models["generator"], models["discriminator"]
        image, mask = self.inputs(batch)
        output = G(None, masked_image(image, mask))
        filled = completion(output, image, mask)
        n = image.shape[0]
        if phase == "discriminator":
            # real and completed images pass through D as one batch: its batch norms see both alike
            out = discriminator_outputs(D, torch.cat([image, filled.detach()]))
            real = {h: out.head(h)[:n] for h in self.heads}
            fake = {h: out.head(h)[n:] for h in self.heads}
            terms = discriminator_terms(real, fake)
            loss = sum(terms.values())
            logs = {f"d_{h}": t.detach() for h, t in terms.items()}
            return PhaseLosses({"discriminator": loss}, {"d_loss": loss.detach(), **logs})
        rec = reconstruction_loss(output, image, mask, self.hole_weight)
        loss = self.rec_weight * rec
        logs = {"g_rec": rec.detach(), "g_hole_l1": masked_l1(output, image, mask).detach()}
        if self.adversarial:
            out = discriminator_outputs(D, torch.cat([image, filled]))
            terms = generator_terms({h: out.head(h)[n:] for h in self.heads})
            loss = loss + sum(self.head_weights[h] * t for h, t in terms.items())
            logs.update({f"g_{h}": t.detach() for h, t in terms.items()})
        return PhaseLosses({"generator": loss}, {"g_loss": loss.detach(), **logs})
