"""Weight initialisations that papers specify."""
from __future__ import annotations

from torch import nn


def normal_init_(module: nn.Module, std: float = 0.02) -> nn.Module:
    """DCGAN's init (Radford 2016, Sec. 4): conv/linear weights ~ N(0, std); norm scales ~ N(1, std)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.ConvTranspose3d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)) and m.affine:
            nn.init.normal_(m.weight, 1.0, std)
            nn.init.zeros_(m.bias)
    return module
