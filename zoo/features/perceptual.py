"""Perceptual (feature) losses on a frozen feature trunk: SRGAN's VGG content loss, ESRGAN's loss before
activation, pix2pixHD's and SPADE's weighted VGG loss.

    SRGAN  (Ledig et al. 2017, Eq. 5)     PerceptualLoss(vgg19, ("relu5_4",), criterion="mse")
    ESRGAN (Wang et al. 2018, Sec. 3.3)   PerceptualLoss(vgg19, ("conv5_4",), criterion="l1")
    pix2pixHD / SPADE                     PerceptualLoss(vgg19, PIX2PIXHD_LAYERS, PIX2PIXHD_WEIGHTS)

The trunk is any zoo.features.backbones.FeatureTrunk (load_feature_network("vgg19") for the papers'
weights); its parameters are frozen here, so only the images being judged receive gradients.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

PIX2PIXHD_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
PIX2PIXHD_WEIGHTS = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)
CRITERIA = {"l1": F.l1_loss, "mse": F.mse_loss}


class PerceptualLoss(nn.Module):
    """Σᵢ wᵢ · criterion(φᵢ(fake), φᵢ(real)), φᵢ the trunk's activation at layers[i].

    Images come in `input_range` (the generators' [-1, 1] by default) and are mapped to [0, 1], then to
    the trunk's ImageNet statistics. The real features are computed without a graph: the loss trains
    the generator only. criterion is the mean over elements ("l1" or "mse").
    """

    def __init__(self, trunk: nn.Module, layers: Sequence[str], weights: Sequence[float] | None = None,
                 criterion: str = "l1", input_range: tuple[float, float] = (-1.0, 1.0)) -> None:
        super().__init__()
        if criterion not in CRITERIA:
            raise ValueError(f"criterion must be one of {sorted(CRITERIA)}, got {criterion!r}")
        layers = tuple(layers)
        if not layers:
            raise ValueError("a perceptual loss needs at least one layer")
        weights = (1.0,) * len(layers) if weights is None else tuple(float(w) for w in weights)
        if len(weights) != len(layers):
            raise ValueError(f"{len(layers)} layers but {len(weights)} weights")
        self.trunk = trunk.requires_grad_(False).eval()
        self.layers, self.weights, self.criterion = layers, weights, criterion
        low, high = input_range
        if not high > low:
            raise ValueError(f"input_range must be (low, high) with high > low, got {input_range}")
        self.low, self.span = float(low), float(high - low)

    def train(self, mode: bool = True) -> PerceptualLoss:
        super().train(mode)
        self.trunk.eval()  # a frozen feature network never updates batch statistics or uses dropout
        return self

    def _features(self, images: Tensor) -> dict[str, Tensor]:
        unit = (images - self.low) / self.span
        return self.trunk(unit, self.layers, normalize=True)

    def forward(self, fake: Tensor, real: Tensor) -> Tensor:
        if fake.shape != real.shape:
            raise ValueError(f"fake and real images must have one shape, got {tuple(fake.shape)} and "
                             f"{tuple(real.shape)}")
        fake_features = self._features(fake)
        with torch.no_grad():
            real_features = self._features(real)
        loss = CRITERIA[self.criterion]
        terms = [w * loss(fake_features[name], real_features[name]) for name, w in zip(self.layers, self.weights)]
        return torch.stack(terms).sum()
