"""BigGAN's generator and discriminator (Brock, Donahue, Simonyan 2019, arXiv:1809.11096), and
BigGAN-deep as a configuration of the same generator.

Generator (Sec. 3, App. B, Fig. 15):
- a shared class embedding: a linear map (no bias) of the one-hot class vector, so a blend of two
  classes' one-hot vectors blends their embeddings (class interpolation) and the official files'
  `embeddings.weight` fits as it is;
- BigGAN (`deep=False`): the hierarchical latent. z is cut into len(blocks) + 1 equal chunks; the first
  is projected to the 4×4 input, and block i's conditional batch norms see [z_{i+1}, embedding];
  residual blocks BN-ReLU-up-conv3-BN-ReLU-conv3 with a 1×1 convolution on the upsampled skip;
- BigGAN-deep (`deep=True`, App. B Fig. 16): z is not split; [z, embedding] is projected to the 4×4 input
  and given whole to every norm; bottleneck blocks (1×1 down to C/4, two 3×3, 1×1 up) whose skip drops
  the channels it does not need (keeps the first C_out) instead of a convolution;
- self-attention (SAGAN's, with BigGAN's pooled keys/values) before the block `attention_block`;
- spectral norm on every convolution and linear map but the class embedding; output BN-ReLU-conv3-tanh.
Discriminator: residual blocks (pre-activation but the first, 2×2 average pooling), self-attention,
ReLU, sum over positions, projection head (Miyato & Koyama 2018), all spectrally normalised.

`norm_stats="per_truncation"`, `rgb_channels` and `truncation_mode="scaled"` are what the official
BigGAN-deep files need (zoo_plugins.biggan.convert): see zoo_plugins.biggan.norms.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Discriminator, Generator, LatentSpec, OutputSpec, truncated_normal
from zoo.nn import ProjectionHead, SelfAttention, sn

from zoo_plugins.biggan.fast_eval import cache_spectral_norm, first_channels_conv2d
from zoo_plugins.biggan.norms import make_norm

TRUNCATION_MODES = ("resample", "scaled")


def upsample2x(x: Tensor) -> Tensor:
    """Nearest-neighbour ×2, as torch's interpolate(x, scale_factor=2) (bit for bit) but as one broadcast
    copy, 3-5× faster on the CPU than torch's upsample kernel."""
    n, c, h, w = x.shape
    return x[:, :, :, None, :, None].expand(n, c, h, 2, w, 2).reshape(n, c, 2 * h, 2 * w)


def orthogonal_init_(module: nn.Module) -> nn.Module:
    """BigGAN's init (App. B: "orthogonal initialization", Saxe 2014) of every conv/linear weight."""
    for m in module.modules():
        weight = getattr(m, "weight_orig", None) if hasattr(m, "weight_u") else getattr(m, "weight", None)
        if isinstance(m, (nn.Conv2d, nn.Linear)) and weight is not None:
            nn.init.orthogonal_(weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return module


class GBlock(nn.Module):
    """BigGAN's residual up-block: BN-ReLU-up-conv3-BN-ReLU-conv3, skip up-conv1 (App. B, Fig. 15b)."""

    def __init__(self, c_in: int, c_out: int, condition_dim: int, upsample: bool, norm: dict, sn_eps: float):
        super().__init__()
        self.upsample = upsample
        self.norm_0 = make_norm(num_features=c_in, condition_dim=condition_dim, **norm)
        self.conv_0 = sn(nn.Conv2d(c_in, c_out, 3, padding=1), eps=sn_eps)
        self.norm_1 = make_norm(num_features=c_out, condition_dim=condition_dim, **norm)
        self.conv_1 = sn(nn.Conv2d(c_out, c_out, 3, padding=1), eps=sn_eps)
        self.skip = sn(nn.Conv2d(c_in, c_out, 1), eps=sn_eps) if c_in != c_out or upsample else None

    def forward(self, x: Tensor, condition: Tensor, truncation: float) -> Tensor:
        h = F.relu(self.norm_0(x, condition, truncation))
        if self.upsample:
            h, x = upsample2x(h), upsample2x(x)
        h = self.conv_1(F.relu(self.norm_1(self.conv_0(h), condition, truncation)))
        return h + (self.skip(x) if self.skip is not None else x)


class DeepGBlock(nn.Module):
    """BigGAN-deep's bottleneck up-block (App. B, Fig. 16b): BN-ReLU-conv1 (C/4), BN-ReLU-up-conv3,
    BN-ReLU-conv3, BN-ReLU-conv1 (C_out); the skip keeps the first C_out channels, then upsamples."""

    def __init__(self, c_in: int, c_out: int, condition_dim: int, upsample: bool, norm: dict, sn_eps: float,
                 bottleneck: int = 4):
        super().__init__()
        if c_out > c_in:
            raise ValueError(f"a BigGAN-deep generator block drops channels, it cannot add them ({c_in} -> {c_out})")
        middle = c_in // bottleneck
        self.upsample, self.c_out = upsample, c_out
        widths = [(c_in, middle, 1), (middle, middle, 3), (middle, middle, 3), (middle, c_out, 1)]
        for i, (a, b, k) in enumerate(widths):
            setattr(self, f"norm_{i}", make_norm(num_features=a, condition_dim=condition_dim, **norm))
            setattr(self, f"conv_{i}", sn(nn.Conv2d(a, b, k, padding=k // 2), eps=sn_eps))

    def forward(self, x: Tensor, condition: Tensor, truncation: float) -> Tensor:
        h = x
        for i in range(4):
            h = F.relu(getattr(self, f"norm_{i}")(h, condition, truncation))
            if i == 1 and self.upsample:
                h = upsample2x(h)
            h = getattr(self, f"conv_{i}")(h)
        skip = x[:, :self.c_out]
        if self.upsample:
            skip = upsample2x(skip)
        return h + skip


class BigGANGenerator(Generator):
    """G(z, y): `g_blocks` lists [upsample (0/1), input width, output width] per block, widths in units
    of `g_width` (BigGAN-deep 128: [[0,16,16], [1,16,16], [0,16,16], [1,16,8], ...])."""

    def __init__(self, latent_dim: int = 128, num_classes: int = 10, embed_dim: int = 128, resolution: int = 32,
                 channels: int = 1, g_width: int = 16, g_blocks=((1, 4, 4), (1, 4, 4), (1, 4, 4)),
                 attention_block: int = 2, deep: bool = False, bottleneck: int = 4, norm_stats: str = "batch",
                 n_stats: int = 51, norm_eps: float = 1e-5, sn_eps: float = 1e-8, rgb_channels: int | None = None,
                 truncation_mode: str = "resample"):
        super().__init__()
        if truncation_mode not in TRUNCATION_MODES:
            raise ValueError(f"truncation_mode must be one of {TRUNCATION_MODES}, got {truncation_mode!r}")
        blocks = [tuple(int(v) for v in b) for b in g_blocks]
        if 4 * 2 ** sum(b[0] for b in blocks) != resolution:
            raise ValueError(f"g_blocks upsample 4x4 {sum(b[0] for b in blocks)} times, not to {resolution} px")
        chunks = 1 if deep else len(blocks) + 1
        if latent_dim % chunks:
            raise ValueError(f"the hierarchical latent cuts z into {chunks} equal chunks: latent_dim "
                             f"{latent_dim} is not divisible by {chunks}")
        self.deep, self.num_classes, self.truncation_mode = deep, num_classes, truncation_mode
        self.chunk = latent_dim // chunks
        self.latent = LatentSpec((latent_dim,), truncation=True)
        self.condition = ConditionSpec("class", num_classes=num_classes)
        self.output = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.sampling_truncation: float | None = None  # set by the generate task's --truncation

        self.embedding = nn.Linear(num_classes, embed_dim, bias=False)  # shared; not spectrally normalised
        condition_dim = embed_dim + (latent_dim if deep else self.chunk)
        self.base_width = g_width * blocks[0][1]
        self.project = sn(nn.Linear(condition_dim if deep else self.chunk, 16 * self.base_width), eps=sn_eps)
        norm = {"norm_stats": norm_stats, "n_stats": n_stats, "eps": norm_eps}
        layers: list[nn.Module] = []
        for i, (up, c_in, c_out) in enumerate(blocks):
            if i == attention_block:
                layers.append(SelfAttention(g_width * c_in, key_divisor=8, value_divisor=2, pool=True))
            block = DeepGBlock(g_width * c_in, g_width * c_out, condition_dim, bool(up), norm, sn_eps, bottleneck) \
                if deep else GBlock(g_width * c_in, g_width * c_out, condition_dim, bool(up), norm, sn_eps)
            layers.append(block)
        self.blocks = nn.ModuleList(layers)
        width = g_width * blocks[-1][2]
        self.out_norm = make_norm(num_features=width, condition_dim=None, **norm)
        self.to_rgb = sn(nn.Conv2d(width, rgb_channels or channels, 3, padding=1), eps=sn_eps)
        self.channels = channels
        orthogonal_init_(self)
        cache_spectral_norm(self)

    # -- sampling ---------------------------------------------------------------------------------
    def sample_latent(self, n: int, generator: torch.Generator | None = None, device=None,
                      truncation: float | None = None) -> Tensor:
        """N(0, I); with a truncation t (or `sampling_truncation`): "resample" redraws every value with
        |z| > t (Brock 2019, Sec. 3.1), "scaled" draws N(0, I) truncated to [-2, 2] times t (the TF Hub
        module the official files come from)."""
        t = truncation if truncation is not None else self.sampling_truncation
        device = device if device is not None else self.embedding.weight.device
        size = (n, *self.latent.shape)
        if t is None:
            return torch.randn(size, generator=generator).to(device)
        if self.truncation_mode == "resample":
            return truncated_normal(size, t, generator=generator).to(device)
        return (truncated_normal(size, 2.0, generator=generator) * t).to(device)

    # -- forward ----------------------------------------------------------------------------------
    def class_vectors(self, labels: Tensor) -> Tensor:
        """One-hot rows (N, num_classes) of integer labels, in the embedding's dtype."""
        return F.one_hot(labels.long(), self.num_classes).to(self.embedding.weight.dtype)

    def forward(self, z: Tensor, c: Tensor | None = None, truncation: float | None = None) -> Tensor:
        return self.synthesize(z, self.class_vectors(c), truncation)

    def synthesize(self, z: Tensor, class_vector: Tensor, truncation: float | None = None) -> Tensor:
        """Images from z (N, latent_dim) and class vectors (N, num_classes): one-hot, or blends of classes.
        `truncation` picks the per-truncation norm statistics of the official files (default 1)."""
        t = 1.0 if truncation is None else float(truncation)
        embedding = self.embedding(class_vector)
        if self.deep:  # [z, embedding] into the projection and, whole, into every block
            whole = torch.cat([z, embedding], 1)
            h, conditions = self.project(whole), iter(lambda: whole, None)
        else:  # chunk 0 into the projection, chunk i + 1 with the embedding into block i
            zs = z.split(self.chunk, dim=1)
            h, conditions = self.project(zs[0]), iter([torch.cat([part, embedding], 1) for part in zs[1:]])
        h = h.view(z.shape[0], self.base_width, 4, 4)
        for layer in self.blocks:
            h = layer(h) if isinstance(layer, SelfAttention) else layer(h, next(conditions), t)
        h = first_channels_conv2d(self.to_rgb, F.relu(self.out_norm(h, None, t)), self.channels)
        return torch.tanh(h)


class DBlock(nn.Module):
    """BigGAN's residual down-block (App. B, Fig. 15c): [ReLU]-conv3-ReLU-conv3-[avgpool]; skip
    conv1 and avgpool (convolution first in pre-activation blocks, as BigGAN-PyTorch)."""

    def __init__(self, c_in: int, c_out: int, downsample: bool, preactivation: bool, sn_eps: float):
        super().__init__()
        self.downsample, self.preactivation = downsample, preactivation
        self.conv_0 = sn(nn.Conv2d(c_in, c_out, 3, padding=1), eps=sn_eps)
        self.conv_1 = sn(nn.Conv2d(c_out, c_out, 3, padding=1), eps=sn_eps)
        self.skip = sn(nn.Conv2d(c_in, c_out, 1), eps=sn_eps) if c_in != c_out or downsample else None

    def forward(self, x: Tensor) -> Tensor:
        h = F.relu(x) if self.preactivation else x
        h = self.conv_1(F.relu(self.conv_0(h)))
        if self.downsample:
            h = F.avg_pool2d(h, 2)
        if self.preactivation:
            s = self.skip(x) if self.skip is not None else x
            s = F.avg_pool2d(s, 2) if self.downsample else s
        else:
            s = F.avg_pool2d(x, 2) if self.downsample else x
            s = self.skip(s) if self.skip is not None else s
        return h + s


class BigGANDiscriminator(Discriminator):
    """D(x, y): `d_blocks` lists [downsample (0/1), output width] per block in units of `d_width`;
    self-attention before block `d_attention_block`; projection head on the summed features."""

    def __init__(self, num_classes: int = 10, resolution: int = 32, channels: int = 1, d_width: int = 16,
                 d_blocks=((1, 4), (1, 4), (0, 4), (0, 4)), d_attention_block: int = 1, sn_eps: float = 1e-8):
        super().__init__()
        self.condition = ConditionSpec("class", num_classes=num_classes)
        self.input = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        layers: list[nn.Module] = []
        c_in = channels
        for i, (down, mult) in enumerate(d_blocks):
            if i == d_attention_block:
                layers.append(SelfAttention(c_in, key_divisor=8, value_divisor=2, pool=True))
            layers.append(DBlock(c_in, d_width * mult, bool(down), preactivation=i > 0, sn_eps=sn_eps))
            c_in = d_width * mult
        self.blocks = nn.Sequential(*layers)
        self.head = ProjectionHead(c_in, num_classes, spectral_norm=True)
        orthogonal_init_(self)

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        return [F.relu(self.blocks(x)).sum(dim=(2, 3))]

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        return self.head(self.features(x)[0], c)
