"""LPIPS (Zhang et al. 2018, "The Unreasonable Effectiveness of Deep Features as a Perceptual Metric",
arXiv:1801.03924), version 0.1: the backbone's five ReLU stages on inputs shifted and scaled by fixed
per-channel constants, each activation unit-normalized over channels, squared differences weighted by
learned 1x1 convolutions (`lin0..lin4`, as in the lpips package's weights), averaged over space, summed."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from zoo.features.backbones import AlexNetFeatures, FeatureTrunk, VGGFeatures

LPIPS_LAYERS = {"vgg16": ("relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3"),
                "alexnet": ("relu1", "relu2", "relu3", "relu4", "relu5")}
WIDTHS = {"vgg16": (64, 128, 256, 512, 512), "alexnet": (64, 192, 384, 256, 256)}


class LinearHead(nn.Module):
    """One stage's weights, keyed `model.1.weight` like the lpips package (its index 0 is a dropout)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(p=0.0), nn.Conv2d(channels, 1, 1, bias=False))


class LPIPS(nn.Module):
    def __init__(self, backbone: str = "alexnet") -> None:
        super().__init__()
        self.backbone_name = backbone
        self.backbone: FeatureTrunk = VGGFeatures("vgg16") if backbone == "vgg16" else AlexNetFeatures()
        self.register_buffer("shift", torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("scale", torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1), persistent=False)
        for k, channels in enumerate(WIDTHS[backbone]):
            self.add_module(f"lin{k}", LinearHead(channels))

    def forward(self, x0: Tensor, x1: Tensor) -> Tensor:
        """Distance per pair of images in [-1, 1], shape (N,)."""
        layers = LPIPS_LAYERS[self.backbone_name]
        f0 = self.backbone((x0 - self.shift) / self.scale, layers)
        f1 = self.backbone((x1 - self.shift) / self.scale, layers)
        total = x0.new_zeros(x0.shape[0])
        for k, name in enumerate(layers):
            a = f0[name] / (f0[name].square().sum(dim=1, keepdim=True).sqrt() + 1e-10)
            b = f1[name] / (f1[name].square().sum(dim=1, keepdim=True).sqrt() + 1e-10)
            total = total + getattr(self, f"lin{k}").model((a - b).square()).mean(dim=(1, 2, 3))
        return total
