"""SAGAN's generator and discriminator (Zhang, Goodfellow, Metaxas, Odena 2019, arXiv:1805.08318),
scaled from the paper's 128×128 ImageNet model to 32×32 digits.

The paper's model is SNGAN's residual ImageNet network (Miyato et al. 2018) with self-attention added:
- G: z → spectrally-normalised linear → 4×4; residual up-blocks (CBN-ReLU-upsample-conv3×3-CBN-ReLU-
  conv3×3, shortcut upsample-conv1×1); batch norm, ReLU, conv3×3, tanh at the output. Class-conditional
  batch norm (per-class γ, β: zoo.nn.ClassConditionalBatchNorm2d) in every block.
- D: residual down-blocks (ReLU-conv3×3-ReLU-conv3×3-avgpool, shortcut conv1×1-avgpool; the first block
  without the leading ReLU), ReLU, global sum pooling, projection head (Miyato & Koyama 2018).
- Spectral norm on every convolution and linear layer of G and D (Sec. 4: SN in G too, not D only).
- Self-attention (zoo.nn.SelfAttention) in G and D at `attention_resolution`. The paper's 128-px model
  puts it on G's 64×64 feature maps (half the image side, its best setting with 32×32, Table 1); scaled
  to 32 px that is 16×16, used in both G and D here.
- Weights initialised orthogonally (nn.init.orthogonal_ on conv/linear weights, zero biases).
Widths: G's blocks have 4w, 4w, 2w, w channels (4→8→16→32), D's w, 2w, 4w, 4w (32→16→8→4→4),
the 128-px model's 16/8/4/2/1 ladder cut to the three stages a 32-px image has.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Discriminator, Generator, LatentSpec, OutputSpec
from zoo.interfaces.specs import truncated_normal
from zoo.nn import ClassConditionalBatchNorm2d, ProjectionHead, SelfAttention, sn_conv2d, sn_linear


def _stages(resolution: int) -> int:
    stages = math.log2(resolution / 4)
    if resolution < 8 or not stages.is_integer():
        raise ValueError(f"SAGAN needs a power-of-two resolution >= 8, got {resolution}")
    return int(stages)


def _check_attention(resolution: int, attention_resolution: int) -> None:
    # the sides both G (after an up-block, before the output) and D (after a down-block) have
    sizes = [resolution // 2 ** i for i in range(1, _stages(resolution))]
    if attention_resolution not in sizes and attention_resolution != 0:
        raise ValueError(f"attention_resolution must be one of {sizes} (the feature-map sides G and D "
                         f"share) or 0 for none, got {attention_resolution}")


def orthogonal_init_(module: nn.Module) -> nn.Module:
    """Orthogonal conv/linear/embedding-free weights (the raw `weight_orig` under spectral norm), zero biases."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.orthogonal_(getattr(m, "weight_orig", m.weight))
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return module


class GeneratorBlock(nn.Module):
    """CBN-ReLU-up-conv3-CBN-ReLU-conv3, plus up-conv1 on the shortcut (x2 nearest upsampling)."""

    def __init__(self, c_in: int, c_out: int, num_classes: int):
        super().__init__()
        self.norm1 = ClassConditionalBatchNorm2d(c_in, num_classes)
        self.conv1 = sn_conv2d(c_in, c_out, 3, padding=1)
        self.norm2 = ClassConditionalBatchNorm2d(c_out, num_classes)
        self.conv2 = sn_conv2d(c_out, c_out, 3, padding=1)
        self.shortcut = sn_conv2d(c_in, c_out, 1)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        h = F.interpolate(F.relu(self.norm1(x, y)), scale_factor=2)
        h = self.conv2(F.relu(self.norm2(self.conv1(h), y)))
        return h + self.shortcut(F.interpolate(x, scale_factor=2))


class DiscriminatorBlock(nn.Module):
    """(ReLU)-conv3-ReLU-conv3-avgpool, plus conv1-avgpool on the shortcut; `first` drops the leading
    ReLU (the input is an image) and pools before the shortcut conv, as SNGAN's optimised block."""

    def __init__(self, c_in: int, c_out: int, downsample: bool = True, first: bool = False):
        super().__init__()
        self.conv1 = sn_conv2d(c_in, c_out, 3, padding=1)
        self.conv2 = sn_conv2d(c_out, c_out, 3, padding=1)
        self.shortcut = sn_conv2d(c_in, c_out, 1) if (c_in != c_out or downsample) else None
        self.downsample, self.first = downsample, first

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv2(F.relu(self.conv1(x if self.first else F.relu(x))))
        if self.downsample:
            h = F.avg_pool2d(h, 2)
        s = x
        if self.first:
            s = self.shortcut(F.avg_pool2d(s, 2))
        elif self.shortcut is not None:
            s = self.shortcut(s)
            s = F.avg_pool2d(s, 2) if self.downsample else s
        return h + s


class SAGANGenerator(Generator):
    def __init__(self, latent_dim: int = 128, resolution: int = 32, channels: int = 1, g_width: int = 32,
                 num_classes: int = 10, attention_resolution: int = 16):
        super().__init__()
        n = _stages(resolution)
        _check_attention(resolution, attention_resolution)
        self.condition = ConditionSpec("class", num_classes=num_classes)
        self.latent = LatentSpec((latent_dim,), truncation=True)
        self.output = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        widths = [g_width * min(4, 2 ** (n - i)) for i in range(n + 1)]  # 32 px, w=32: 128, 128, 64, 32
        self.base_width = widths[0]
        self.project = sn_linear(latent_dim, widths[0] * 16)
        self.blocks = nn.ModuleList(GeneratorBlock(a, b, num_classes) for a, b in zip(widths, widths[1:]))
        # attention after the block whose output has the attention resolution (4·2^(i+1) px)
        self.attention_after = {4 * 2 ** (i + 1): i for i in range(n)}.get(attention_resolution)
        self.attention = SelfAttention(widths[self.attention_after + 1]) if self.attention_after is not None else None
        self.out_norm = nn.BatchNorm2d(widths[-1])
        self.out_conv = sn_conv2d(widths[-1], channels, 3, padding=1)
        self.sampling_truncation: float | None = None  # set while generate(..., truncation=t) draws latents
        orthogonal_init_(self)

    def sample_latent(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor:
        """N(0, I); with `sampling_truncation` t, every value beyond ±t redrawn (BigGAN's truncation trick)."""
        if self.sampling_truncation is None:
            return super().sample_latent(n, generator=generator, device=device)
        device = device if device is not None else self.project.weight_orig.device
        return truncated_normal((n, *self.latent.shape), self.sampling_truncation, generator=generator).to(device)

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        h = self.project(z).view(z.shape[0], self.base_width, 4, 4)
        for i, block in enumerate(self.blocks):
            h = block(h, c)
            if i == self.attention_after:
                h = self.attention(h)
        return torch.tanh(self.out_conv(F.relu(self.out_norm(h))))


class SAGANDiscriminator(Discriminator):
    def __init__(self, resolution: int = 32, channels: int = 1, d_width: int = 32, num_classes: int = 10,
                 attention_resolution: int = 16):
        super().__init__()
        n = _stages(resolution)
        _check_attention(resolution, attention_resolution)
        self.condition = ConditionSpec("class", num_classes=num_classes)
        self.input = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        widths = [d_width * min(4, 2 ** i) for i in range(n)] + [d_width * min(4, 2 ** (n - 1))]
        blocks = [DiscriminatorBlock(channels, widths[0], first=True)]
        blocks += [DiscriminatorBlock(a, b, downsample=i < n) for i, (a, b) in
                   enumerate(zip(widths, widths[1:]), start=1)]
        self.blocks = nn.ModuleList(blocks)
        # attention after the down-block whose output has the attention resolution (resolution / 2^(i+1))
        self.attention_after = {resolution // 2 ** (i + 1): i for i in range(n)}.get(attention_resolution)
        self.attention = SelfAttention(widths[self.attention_after]) if self.attention_after is not None else None
        self.head = ProjectionHead(widths[-1], num_classes, spectral_norm=True)
        orthogonal_init_(self)

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        feats = []
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i == self.attention_after:
                x = self.attention(x)
            feats.append(x)
        return feats

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        h = F.relu(self.features(x, c)[-1]).sum(dim=(2, 3))  # global sum pooling
        return self.head(h, c)
