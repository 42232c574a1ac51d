"""StackGAN's networks (Zhang, Xu, Li, Zhang, Wang, Huang, Metaxas, "StackGAN: Text to Photo-realistic
Image Synthesis with Stacked Generative Adversarial Networks", ICCV 2017, arXiv:1612.03242, Sec. 3 and
Fig. 2), here 16 px (Stage-I) -> 32 px (Stage-II) on the captioned digits (the paper: 64 -> 256).

Module names and layer order follow the authors' StackGAN-Pytorch (code/model.py: CA_NET, STAGE1_G,
STAGE2_G, D_GET_LOGITS), so that their checkpoints map onto these modules name for name
(zoo_plugins.stackgan.convert).
- Conditioning augmentation: ĉ = μ + σ ⊙ ε with [μ, log σ²] = FC(φ_t) (Sec. 3.1). The authors' code puts
  a ReLU on FC's output (`ca_relu=True`, set for their converted weights); trained here without it, as
  the paper: with it, the KL term drove every pre-activation below zero within Stage-I's first 1,200
  steps (KL ≈ 5·10⁻⁷), after which μ = 0, ĉ = ε carried no text and no gradient could revive it.
- `text_scale` s: both CAs read s·φ_t. The shipped char-CNN-RNN's embeddings are tiny (per-dimension
  std 0.036 over the training captions; Reed's joint embedding loss fixes only the product of text and
  image features, not their scales), and Adam moves each CA weight by about lr = 2e-4 a step, so the
  caption-dependent part of μ grew by at most lr·Σᵢ|Δφᵢ| ≈ 5·10⁻⁴ a step: after Stage-I's 1,500 steps
  its class means lay about 0.35 apart per dimension against σ ≈ 0.8, and the seen-caption class
  accuracy was 17 % (condition_dim 16). With the paper's condition_dim 128, 500 Stage-I steps gave 19 %
  at s = 1 and 68 % at s = 28 (1 / 0.036: unit-scale embeddings; 92 % after 1,500 steps). Unlike GAN-INT-CLS's compression, a layer after the CA cannot make up for it: it scales
  the CA noise with μ. The authors' converted weights get s = 1 (their embeddings as they come).
- Stage-I G: [z, ĉ] -> FC + BN + ReLU to 4×4 -> up-blocks (nearest ×2, 3×3 conv, BN, ReLU) -> 3×3 conv, tanh.
- Stage-II G: Stage-I's image (detached) -> 3×3 conv + ReLU, stride-2 4×4 convs with BN + ReLU
  (`down` of them); its own CA, ĉ replicated spatially and concatenated; 3×3 conv + BN + ReLU; residual
  blocks; up-blocks (`up` of them) and a 3×3 conv with tanh.
- D (per stage): stride-2 4×4 convs with leaky ReLU (BN but at the first) down to 4×4 (channels doubling
  from `d_width`); the text embedding φ_t compressed by a fully connected layer (+ leaky ReLU) to
  `condition_dim`, replicated over 4×4 and concatenated (Sec. 3.2-3.3: "φ_t is first compressed to N_d
  dimensions using a fully-connected layer and then spatially replicated"; the authors' code passes G's
  CA mean μ instead, which left D blind to the text once μ collapsed, see above); 3×3 conv + BN + leaky
  ReLU; a 4×4 conv to one logit (their sigmoid is in the loss). The authors' Stage-II D also has an
  unconditional head; the paper's does not, and neither does this one.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Discriminator, Generator, LatentSpec, OutputSpec
from zoo.nn.init import normal_init_


def conv3x3(c_in: int, c_out: int) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False)


def up_block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), conv3x3(c_in, c_out),
                         nn.BatchNorm2d(c_out), nn.ReLU(True))


class ResBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.block = nn.Sequential(conv3x3(channels, channels), nn.BatchNorm2d(channels), nn.ReLU(True),
                                   conv3x3(channels, channels), nn.BatchNorm2d(channels))

    def forward(self, x: Tensor) -> Tensor:
        return torch.relu(self.block(x) + x)


class ConditioningAugmentation(nn.Module):
    """φ_t -> (ĉ, μ, log σ²): ĉ ~ N(μ, diag σ²) reparameterised (Sec. 3.1)."""

    def __init__(self, text_dim: int, condition_dim: int, relu: bool = False) -> None:
        super().__init__()
        self.condition_dim, self.relu = condition_dim, relu
        self.fc = nn.Linear(text_dim, 2 * condition_dim)

    def encode(self, text: Tensor) -> tuple[Tensor, Tensor]:
        x = self.fc(text)
        x = torch.relu(x) if self.relu else x
        return x[:, :self.condition_dim], x[:, self.condition_dim:]

    def forward(self, text: Tensor, noise: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
        mu, logvar = self.encode(text)
        eps = torch.randn_like(mu) if noise is None else noise
        return mu + eps * torch.exp(0.5 * logvar), mu, logvar


class Stage1Generator(nn.Module):
    def __init__(self, latent_dim: int, text_dim: int, condition_dim: int, g_width: int, stage1_resolution: int,
                 channels: int, ca_relu: bool = False) -> None:
        super().__init__()
        ups = int(math.log2(stage1_resolution // 4))
        if stage1_resolution < 8 or 4 * 2 ** ups != stage1_resolution:
            raise ValueError(f"stage1_resolution must be a power of two >= 8, got {stage1_resolution}")
        self.width = g_width * 8
        self.ca_net = ConditioningAugmentation(text_dim, condition_dim, ca_relu)
        self.fc = nn.Sequential(nn.Linear(latent_dim + condition_dim, self.width * 16, bias=False),
                                nn.BatchNorm1d(self.width * 16), nn.ReLU(True))
        for i in range(ups):
            self.add_module(f"upsample{i + 1}", up_block(self.width // 2 ** i, self.width // 2 ** (i + 1)))
        self.ups = ups
        self.img = nn.Sequential(conv3x3(self.width // 2 ** ups, channels), nn.Tanh())

    def forward(self, z: Tensor, text: Tensor, eps: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """(image, μ, log σ²); `eps` is the CA's N(0, I) noise (drawn here when None)."""
        c, mu, logvar = self.ca_net(text, eps)
        h = self.fc(torch.cat([z, c], 1)).view(-1, self.width, 4, 4)
        for i in range(self.ups):
            h = getattr(self, f"upsample{i + 1}")(h)
        return self.img(h), mu, logvar


class Stage2Generator(nn.Module):
    def __init__(self, text_dim: int, condition_dim: int, g2_width: int, channels: int, down: int, up: int,
                 residual_blocks: int, ca_relu: bool = False) -> None:
        super().__init__()
        self.ca_net = ConditioningAugmentation(text_dim, condition_dim, ca_relu)
        layers = [conv3x3(channels, g2_width), nn.ReLU(True)]
        for i in range(down):
            layers += [nn.Conv2d(g2_width * 2 ** i, g2_width * 2 ** (i + 1), 4, 2, 1, bias=False),
                       nn.BatchNorm2d(g2_width * 2 ** (i + 1)), nn.ReLU(True)]
        self.encoder = nn.Sequential(*layers)
        width = g2_width * 2 ** down
        self.hr_joint = nn.Sequential(conv3x3(condition_dim + width, width), nn.BatchNorm2d(width), nn.ReLU(True))
        self.residual = nn.Sequential(*[ResBlock(width) for _ in range(residual_blocks)])
        for i in range(up):
            self.add_module(f"upsample{i + 1}", up_block(width // 2 ** i, width // 2 ** (i + 1)))
        self.ups = up
        self.img = nn.Sequential(conv3x3(width // 2 ** up, channels), nn.Tanh())

    def forward(self, stage1_image: Tensor, text: Tensor, eps: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
        h = self.encoder(stage1_image.detach())
        c, mu, logvar = self.ca_net(text, eps)
        h = torch.cat([h, c[:, :, None, None].expand(-1, -1, *h.shape[-2:])], 1)
        h = self.residual(self.hr_joint(h))
        for i in range(self.ups):
            h = getattr(self, f"upsample{i + 1}")(h)
        return self.img(h), mu, logvar


class StackGANGenerator(Generator):
    """Both stages; `forward` gives Stage-II's image, `stage1_images` Stage-I's (same latent and text).

    The latent is [z, ε₁, ε₂]: z (`latent_dim`) and the N(0, I) noise of the two stages' conditioning
    augmentations (`condition_dim` each), so that a seed fixes the whole sample (the authors draw ε inside
    CA_NET); `generate` draws all three from N(0, I), as the paper does.
    """

    def __init__(self, latent_dim: int = 100, text_dim: int = 64, condition_dim: int = 16, g_width: int = 16,
                 g2_width: int = 16, resolution: int = 32, stage1_resolution: int = 16, channels: int = 1,
                 down: int = 1, residual_blocks: int = 2, text_encoder: str = "char-cnn-rnn",
                 ca_relu: bool = False, text_scale: float = 1.0) -> None:
        super().__init__()
        up = int(math.log2(resolution / stage1_resolution)) + down
        if stage1_resolution * 2 ** (up - down) != resolution or up < 1:
            raise ValueError(f"resolution must be stage1_resolution times a power of two, got {resolution} "
                             f"and {stage1_resolution}")
        self.latent = LatentSpec((latent_dim + 2 * condition_dim,))
        self.z_dim, self.condition_dim, self.text_scale = latent_dim, condition_dim, text_scale
        self.condition = ConditionSpec("text_embedding", shape=(text_dim,))
        self.output = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.stage1_output = OutputSpec((channels, stage1_resolution, stage1_resolution), value_range=(-1.0, 1.0))
        self.text_encoder = text_encoder
        self.stage1 = Stage1Generator(latent_dim, text_dim, condition_dim, g_width, stage1_resolution, channels,
                                      ca_relu)
        self.stage2 = Stage2Generator(text_dim, condition_dim, g2_width, channels, down, up, residual_blocks,
                                      ca_relu)
        normal_init_(self)

    def split_latent(self, latent: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """[z, ε₁, ε₂] -> z, ε₁, ε₂."""
        return latent.split([self.z_dim, self.condition_dim, self.condition_dim], 1)

    def stage1_forward(self, latent: Tensor, c: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Stage-I's (image, μ, log σ²)."""
        z, eps1, _ = self.split_latent(latent)
        return self.stage1(z, c * self.text_scale, eps1)

    def stage2_forward(self, latent: Tensor, c: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """(Stage-I image, Stage-II image, μ, log σ² of Stage-II's CA); no gradient reaches Stage-I."""
        with torch.no_grad():
            low = self.stage1_forward(latent, c)[0]
        high, mu, logvar = self.stage2(low, c * self.text_scale, self.split_latent(latent)[2])
        return low, high, mu, logvar

    def stage1_images(self, latent: Tensor, c: Tensor) -> Tensor:
        return self.stage1_forward(latent, c)[0]

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        return self.stage2_forward(z, c)[1]


class StackGANDiscriminator(Discriminator):
    """A stage's matching-aware D on `resolution` px images and the text embedding φ_t, compressed to
    `condition_dim` values."""

    def __init__(self, text_dim: int = 64, condition_dim: int = 16, resolution: int = 16, channels: int = 1,
                 d_width: int = 16) -> None:
        super().__init__()
        n = int(math.log2(resolution // 4))
        if resolution < 8 or 4 * 2 ** n != resolution:
            raise ValueError(f"a StackGAN discriminator needs a power-of-two resolution >= 8, got {resolution}")
        self.input = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        self.condition = ConditionSpec("text_embedding", shape=(text_dim,))
        self.compress = nn.Sequential(nn.Linear(text_dim, condition_dim), nn.LeakyReLU(0.2, True))
        layers, c_in = [], channels
        for i in range(n):
            c_out = d_width * 2 ** i
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), *([nn.BatchNorm2d(c_out)] if i else []),
                       nn.LeakyReLU(0.2, True)]
            c_in = c_out
        self.encode_img = nn.Sequential(*layers)
        self.width = c_in
        self.outlogits = nn.Sequential(conv3x3(c_in + condition_dim, c_in), nn.BatchNorm2d(c_in),
                                       nn.LeakyReLU(0.2, True), nn.Conv2d(c_in, 1, 4, 4))
        normal_init_(self)

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        h = self.encode_img(x)
        joint = torch.cat([h, self.compress(c)[:, :, None, None].expand(-1, -1, 4, 4)], 1)
        return [h, self.outlogits[:3](joint)]

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        return self.outlogits[3](self.features(x, c)[-1]).flatten()


class Stage1Discriminator(StackGANDiscriminator):
    """Stage-I's D, on `stage1_resolution` px."""

    def __init__(self, text_dim: int = 64, condition_dim: int = 16, stage1_resolution: int = 16, channels: int = 1,
                 d_width: int = 16) -> None:
        super().__init__(text_dim, condition_dim, stage1_resolution, channels, d_width)


class Stage2Discriminator(StackGANDiscriminator):
    """Stage-II's D, on `resolution` px."""

    def __init__(self, text_dim: int = 64, condition_dim: int = 16, resolution: int = 32, channels: int = 1,
                 d_width: int = 16) -> None:
        super().__init__(text_dim, condition_dim, resolution, channels, d_width)
