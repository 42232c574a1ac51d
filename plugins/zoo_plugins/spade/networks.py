"""SPADE (GauGAN): Park, Liu, Wang, Zhu, "Semantic Image Synthesis with Spatially-Adaptive Normalization",
CVPR 2019, arXiv:1903.07291.

- `SPADE` (Sec. 3, Eq. 1): a parameter-free batch norm of the activations, then a per-pixel scale and bias
  predicted from the label map resized (nearest) to the activations' size: a shared 3×3 conv + ReLU, then
  two 3×3 convs for γ and β; out = BN(x)·(1 + γ) + β (the "1 +" is the authors' code: γ = 0 is identity).
- `SPADEResBlock` (Fig. 4): two (SPADE → LeakyReLU(0.2) → 3×3 conv) steps with a shortcut that is learned
  (SPADE → 1×1 conv without bias) when the channel count changes; spectral norm on every conv.
- `SPADEGenerator` (App. A, Fig. 12): a 3×3 conv of the label map downsampled to the first block's size
  (or a linear map of the style code z), then SPADE ResBlks with 2× nearest upsampling between them,
  LeakyReLU → 3×3 conv → tanh. The paper's widths are 16·64 channels at the start and γ/β hidden layers
  of 128; `width` (the authors' ngf) and `spade_hidden` scale them (their ratio is kept at 2 here).
- `StyleEncoder` (App. A, Fig. 14): stride-2 3×3 convs with instance norm and spectral norm, then two
  linear heads for the mean and log-variance of q(z|x) (the VAE option: multi-modal and style-guided).
- `SPADEDiscriminator`: the label map concatenated with the image, then pix2pixHD's multi-scale PatchGAN
  (4×4 convs, padding 2, instance norm and spectral norm, no bias before a norm).

Parameter and buffer names follow NVlabs/SPADE's (head_0.norm_0.mlp_shared.0.weight, ...), so its
checkpoints load after a plain key check (zoo_plugins.spade.converters). Every conv and linear weight
starts as Xavier-normal with gain 0.02 and every bias at 0 (the authors' `--init_type xavier
--init_variance 0.02`, applied to G, D and E; the paper does not say).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.interfaces import (
    ConditionSpec,
    Encoder,
    Generator,
    LatentSpec,
    OutputSpec,
    Posterior,
)
from zoo.nn.multiscale import LabelImageDiscriminator
from zoo.nn.patchgan import PatchGAN
from zoo.nn.spectral import sn

UPSAMPLINGS = {"normal": 5, "more": 6, "most": 7}


def xavier_init_(module: nn.Module, gain: float = 0.02) -> nn.Module:
    """Xavier-normal(gain) conv/linear weights (the stored `weight_orig` under spectral norm), zero biases."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            weight = getattr(m, "weight_orig", m.weight)
            with torch.no_grad():
                nn.init.xavier_normal_(weight, gain=gain)
                if m.bias is not None:
                    m.bias.zero_()
    return module


class SPADE(nn.Module):
    """BN(x)·(1 + γ(m)) + β(m), γ and β from the label map m (N, K, h, w) resized to x's size."""

    def __init__(self, channels: int, label_channels: int, hidden: int = 128, kernel_size: int = 3) -> None:
        super().__init__()
        pad = kernel_size // 2
        self.param_free_norm = nn.BatchNorm2d(channels, affine=False)
        self.mlp_shared = nn.Sequential(nn.Conv2d(label_channels, hidden, kernel_size, padding=pad), nn.ReLU())
        self.mlp_gamma = nn.Conv2d(hidden, channels, kernel_size, padding=pad)
        self.mlp_beta = nn.Conv2d(hidden, channels, kernel_size, padding=pad)

    def modulation(self, x: Tensor, segmap: Tensor) -> tuple[Tensor, Tensor]:
        """γ and β (N, C, H, W) for activations x (N, C, H, W)."""
        m = F.interpolate(segmap, size=x.shape[2:], mode="nearest")
        h = self.mlp_shared(m)
        return self.mlp_gamma(h), self.mlp_beta(h)

    def forward(self, x: Tensor, segmap: Tensor) -> Tensor:
        gamma, beta = self.modulation(x, segmap)
        return self.param_free_norm(x) * (1 + gamma) + beta


class SPADEResBlock(nn.Module):
    def __init__(self, fin: int, fout: int, label_channels: int, hidden: int = 128, spectral_norm: bool = True) -> None:
        super().__init__()
        self.learned_shortcut = fin != fout
        fmid = min(fin, fout)
        wrap = sn if spectral_norm else (lambda m: m)
        self.conv_0 = wrap(nn.Conv2d(fin, fmid, 3, padding=1))
        self.conv_1 = wrap(nn.Conv2d(fmid, fout, 3, padding=1))
        self.norm_0 = SPADE(fin, label_channels, hidden)
        self.norm_1 = SPADE(fmid, label_channels, hidden)
        if self.learned_shortcut:
            self.conv_s = wrap(nn.Conv2d(fin, fout, 1, bias=False))
            self.norm_s = SPADE(fin, label_channels, hidden)

    def forward(self, x: Tensor, segmap: Tensor) -> Tensor:
        shortcut = self.conv_s(self.norm_s(x, segmap)) if self.learned_shortcut else x
        dx = self.conv_0(F.leaky_relu(self.norm_0(x, segmap), 0.2))
        dx = self.conv_1(F.leaky_relu(self.norm_1(dx, segmap), 0.2))
        return shortcut + dx


class SPADEGenerator(Generator):
    """Label map (N, K, H, W) one-hot (K = classes [+ don't-care] [+ 1 instance-edge channel]) → image.

    `use_vae`: start from a style code z (N, z_dim) through a linear layer (the VAE option) instead of the
    downsampled label map; then z ~ N(0, I) gives multi-modal outputs and an encoded image a style.
    `num_upsampling_layers`: "normal" (5: the first block at size/32), "more" (6), "most" (7).
    `aspect_ratio`: width / height (Cityscapes: 2).
    """

    def __init__(self, num_classes: int = 7, resolution: int = 64, width: int = 16, spade_hidden: int = 32,
                 use_vae: bool = True, z_dim: int = 64, num_upsampling_layers: str = "normal",
                 aspect_ratio: float = 1.0, instance_edges: bool = False, spectral_norm: bool = True) -> None:
        super().__init__()
        if num_upsampling_layers not in UPSAMPLINGS:
            raise ValueError(f"num_upsampling_layers must be one of {sorted(UPSAMPLINGS)}, got {num_upsampling_layers!r}")
        ups = UPSAMPLINGS[num_upsampling_layers]
        height, wide = resolution, int(round(resolution * aspect_ratio))
        if height % 2 ** ups or wide % 2 ** ups:
            raise ValueError(f"resolution {height}x{wide} must be divisible by 2^{ups} ({num_upsampling_layers!r})")
        self.sh, self.sw = height // 2 ** ups, wide // 2 ** ups
        self.num_upsampling_layers, self.use_vae, self.z_dim = num_upsampling_layers, use_vae, z_dim
        self.label_channels = num_classes  # one-hot classes; the instance-edge channel comes after them
        channels = num_classes + int(instance_edges)
        self.latent = LatentSpec((z_dim,), prior="normal") if use_vae else None
        self.condition = ConditionSpec("segmentation", shape=(channels, height, wide))
        self.output = OutputSpec((3, height, wide), value_range=(-1.0, 1.0))
        nf = width
        if use_vae:
            self.fc = nn.Linear(z_dim, 16 * nf * self.sh * self.sw)
        else:
            self.fc = nn.Conv2d(channels, 16 * nf, 3, padding=1)

        def block(fin, fout):
            return SPADEResBlock(fin, fout, channels, spade_hidden, spectral_norm)

        self.head_0 = block(16 * nf, 16 * nf)
        self.G_middle_0 = block(16 * nf, 16 * nf)
        self.G_middle_1 = block(16 * nf, 16 * nf)
        self.up_0, self.up_1 = block(16 * nf, 8 * nf), block(8 * nf, 4 * nf)
        self.up_2, self.up_3 = block(4 * nf, 2 * nf), block(2 * nf, nf)
        final = nf
        if num_upsampling_layers == "most":
            self.up_4 = block(nf, nf // 2)
            final = nf // 2
        self.conv_img = nn.Conv2d(final, 3, 3, padding=1)
        xavier_init_(self)

    def forward(self, z: Tensor | None, c: Tensor | None = None) -> Tensor:
        seg = c
        if self.use_vae:
            x = self.fc(z).view(-1, self.fc.out_features // (self.sh * self.sw), self.sh, self.sw)
        else:
            x = self.fc(F.interpolate(seg, size=(self.sh, self.sw), mode="nearest"))
        x = self.head_0(x, seg)
        x = self.G_middle_0(_up(x), seg)
        if self.num_upsampling_layers in ("more", "most"):
            x = _up(x)
        x = self.G_middle_1(x, seg)
        for block in (self.up_0, self.up_1, self.up_2, self.up_3):
            x = block(_up(x), seg)
        if self.num_upsampling_layers == "most":
            x = self.up_4(_up(x), seg)
        return torch.tanh(self.conv_img(F.leaky_relu(x, 0.2)))


def _up(x: Tensor) -> Tensor:
    return F.interpolate(x, scale_factor=2.0, mode="nearest")


class StyleEncoder(Encoder):
    """Image (N, 3, H, W) → q(z|x): stride-2 3×3 convs (width·1, 2, 4, 8, 8[, 8]) with instance norm and
    spectral norm, LeakyReLU(0.2), flattened → mean and log-variance. The authors resize every input to
    256 px and use six layers down to 4×4; here the layer count follows the resolution (down to 4×4)."""

    def __init__(self, resolution: int = 64, encoder_width: int = 16, z_dim: int = 64, aspect_ratio: float = 1.0) -> None:
        super().__init__()
        wide = int(round(resolution * aspect_ratio))
        self.input = OutputSpec((3, resolution, wide), value_range=(-1.0, 1.0))
        self.latent = LatentSpec((z_dim,), prior="normal")
        n_layers = int(math.log2(resolution // 4))
        if n_layers < 1 or resolution != 4 * 2 ** n_layers:
            raise ValueError(f"the style encoder needs a power-of-two resolution >= 8, got {resolution}")
        widths = [encoder_width * m for m in (1, 2, 4, 8, 8, 8, 8, 8)][:n_layers]
        layers, c_in = [], 3
        for i, c_out in enumerate(widths):
            layers += [sn(nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False)),
                       nn.InstanceNorm2d(c_out, affine=False), nn.LeakyReLU(0.2)]
            c_in = c_out
        self.layers = nn.Sequential(*layers)
        flat = c_in * 4 * (wide // 2 ** n_layers)
        self.fc_mu, self.fc_var = nn.Linear(flat, z_dim), nn.Linear(flat, z_dim)
        xavier_init_(self)

    def forward(self, x: Tensor, c: Tensor | None = None) -> Posterior:
        h = self.layers(x).flatten(1)
        return Posterior(self.fc_mu(h), self.fc_var(h))


class SPADEDiscriminator(LabelImageDiscriminator):
    """[label map, image] → `num_scales` PatchGANs (zoo.nn.multiscale), each on the pair downsampled once more."""

    def __init__(self, num_classes: int = 7, resolution: int = 64, d_width: int = 32, d_layers: int = 4,
                 num_scales: int = 2, aspect_ratio: float = 1.0, instance_edges: bool = False) -> None:
        def patchgan(in_channels: int) -> PatchGAN:
            return PatchGAN(in_channels, width=d_width, num_downsamples=d_layers - 1, norm="instance",
                            spectral_norm=True, padding=2, middle_bias=False)

        super().__init__(num_classes + int(instance_edges), resolution, patchgan, num_scales, aspect_ratio)
        xavier_init_(self)
