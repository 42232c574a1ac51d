"""Second, plain implementations of the shipped papers' equations, written from the papers and used by
the tests as independent expectations (never the code under test). They read a network's parameters
(its weights are what is being computed with) but redo every operation with torch.nn.functional, in
the order the paper gives.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def log_sigmoid(x: Tensor) -> Tensor:
    """log σ(x) written out (not F.logsigmoid), stable for large |x|."""
    return -torch.log1p(torch.exp(-x.abs())) + torch.clamp(x, max=0)


# -- Goodfellow et al. 2014 / Goodfellow et al. 2013 (maxout) -------------------------------------------
def maxout(x: Tensor, linear: nn.Linear, units: int, pieces: int) -> Tensor:
    """h_i = max_j z_ij with z_ij = x·W_ij + b_ij (Goodfellow 2013, Eq. 1); piece j of unit i is row i·k + j."""
    z = x @ linear.weight.T + linear.bias
    out = torch.empty(x.shape[0], units)
    for i in range(units):
        out[:, i] = z[:, i * pieces:(i + 1) * pieces].max(dim=1).values
    return out


def minimax_generator_loss(fake_logits: Tensor) -> Tensor:
    """Algorithm 1: the generator descends log(1 − D(G(z)))."""
    return torch.log(1 - torch.sigmoid(fake_logits.double())).mean()


def nonsaturating_generator_loss(fake_logits: Tensor) -> Tensor:
    """Section 3: the generator ascends log D(G(z)), i.e. descends −log D(G(z))."""
    return -torch.log(torch.sigmoid(fake_logits.double())).mean()


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Algorithm 1: D ascends log D(x) + log(1 − D(G(z))); its loss is the negative."""
    r, f = real_logits.double(), fake_logits.double()
    return -(torch.log(torch.sigmoid(r)).mean() + torch.log(1 - torch.sigmoid(f)).mean())


# -- Radford et al. 2016 (DCGAN) ----------------------------------------------------------------------
def batch_norm_train(h: Tensor, bn: nn.BatchNorm2d | nn.BatchNorm1d) -> Tensor:
    """Batch norm with this batch's statistics (biased variance), then the learned scale and shift."""
    dims = [0] + list(range(2, h.dim()))
    mean = h.mean(dims, keepdim=True)
    var = h.var(dims, unbiased=False, keepdim=True)
    shape = [1, -1] + [1] * (h.dim() - 2)
    return (h - mean) / torch.sqrt(var + bn.eps) * bn.weight.view(shape) + bn.bias.view(shape)


def dcgan_generator(g, z: Tensor) -> Tensor:
    """Fig. 1 / Sec. 3: project z and reshape to 4×4, BN + ReLU; each hidden fractionally-strided
    convolution followed by BN + ReLU; the last one by tanh, without BN."""
    convs = [m for m in g.blocks if isinstance(m, nn.ConvTranspose2d)]
    norms = [m for m in g.blocks if isinstance(m, nn.BatchNorm2d)]
    assert len(norms) == len(convs) - 1, "every hidden generator layer has batch norm (Sec. 3)"
    h = (z @ g.project.weight.T).view(len(z), -1, 4, 4)
    h = F.relu(batch_norm_train(h, g.project_norm))
    for conv, bn in zip(convs, norms):
        h = F.relu(batch_norm_train(_deconv(h, conv), bn))
    return torch.tanh(_deconv(h, convs[-1]))


def _deconv(h: Tensor, conv: nn.ConvTranspose2d) -> Tensor:
    return F.conv_transpose2d(h, conv.weight, conv.bias, stride=2, padding=conv.padding,
                              output_padding=conv.output_padding)


def dcgan_discriminator(d, x: Tensor) -> Tensor:
    """Sec. 3: strided convolutions with LeakyReLU(0.2), BN on every layer but the input one, and the
    last 4×4 map flattened into one logit."""
    for i, layer in enumerate(d.layers):
        conv = layer[0]
        x = F.conv2d(x, conv.weight, conv.bias, stride=2, padding=conv.padding)
        if i > 0:
            x = batch_norm_train(x, layer[1])
        x = F.leaky_relu(x, 0.2)
    return (x.flatten(1) @ d.head.weight.T + d.head.bias).squeeze(1)


# -- Kingma & Welling 2014 / Sohn et al. 2015 --------------------------------------------------------------
def gaussian_kl_per_sample(mean: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(μ, σ²) ‖ N(0, 1)) summed over dimensions: ½ Σ (μ² + σ² − 1 − log σ²) (AEVB, Appendix B)."""
    return 0.5 * (mean ** 2 + torch.exp(logvar) - 1 - logvar).sum(1)


def bernoulli_nll_per_sample(logits: Tensor, ink: Tensor) -> Tensor:
    """−Σ [x log y + (1 − x) log(1 − y)], y = σ(logits) (AEVB, Appendix C.1)."""
    logits, ink = logits.double(), ink.double()
    return -(ink * log_sigmoid(logits) + (1 - ink) * log_sigmoid(-logits)).flatten(1).sum(1)


def gaussian_nll_per_sample(mean: Tensor, logvar: Tensor, target: Tensor) -> Tensor:
    """−log N(x; μ, σ²) summed over pixels (AEVB, Appendix C.2)."""
    var = torch.exp(logvar)
    return (0.5 * math.log(2 * math.pi) + 0.5 * logvar + (target - mean) ** 2 / (2 * var)).flatten(1).sum(1)


# -- Larsen et al. 2016 (VAE-GAN) ------------------------------------------------------------------------
def vaegan_terms(enc, dec, dis, x: Tensor, layer: int, seed: int) -> dict[str, Tensor]:
    """Algorithm 1 from the paper, with the randomness drawn as: ε for Z = μ + σε, then Z_p ~ N(0, I)."""
    n = len(x)
    post = enc(x)
    mean, logvar = post.mean, post.logvar
    torch.manual_seed(seed)
    eps = torch.randn(mean.shape)
    z_p = torch.randn(mean.shape)
    z = mean + torch.exp(0.5 * logvar) * eps  # a sample of q(Z|X), not its mean
    x_tilde, x_p = dec(z), dec(z_p)
    # Dis_l: the output of the l-th convolution, before its batch norm and ReLU (the authors' code);
    # X, X̃ and X_p go through Dis as one batch
    h = torch.cat([x, x_tilde, x_p])
    feature = None
    for i, (conv, after) in enumerate(zip(dis.convs, dis.after)):
        h = conv(h)
        if i == layer - 1:
            feature = h
        h = after(h)
    logits = dis.head(h).squeeze(1)
    f_x, f_tilde = feature[:n], feature[n:2 * n]
    l_real, l_tilde, l_p = logits[:n], logits[n:2 * n], logits[2 * n:]
    llike = (0.5 * (f_x - f_tilde) ** 2).flatten(1).sum(1).mean()  # −log N(Dis_l(X) | Dis_l(X̃), I) + const
    gan = -(log_sigmoid(l_real).mean() + log_sigmoid(-l_tilde).mean() + log_sigmoid(-l_p).mean())
    return {"prior": gaussian_kl_per_sample(mean, logvar).mean(), "llike": llike, "gan": gan,
            "nonsaturating": -(log_sigmoid(l_tilde).mean() + log_sigmoid(l_p).mean()),
            "d_real": torch.sigmoid(l_real).mean(), "d_prior": torch.sigmoid(l_p).mean()}


def _conv_bn_relu(h: Tensor, conv, bn, transpose: bool = False) -> Tensor:
    assert conv.bias is None, "a convolution followed by batch norm has no bias"
    assert conv.kernel_size == (5, 5), "VAE-GAN's convolutions are 5×5"
    if transpose:
        h = F.conv_transpose2d(h, conv.weight, None, stride=2, padding=2, output_padding=1)
    else:
        h = F.conv2d(h, conv.weight, None, stride=2, padding=2)
    return F.relu(batch_norm_train(h, bn))


def _linear_bn_relu(h: Tensor, linear, bn) -> Tensor:
    assert linear.bias is None, "a linear layer followed by batch norm has no bias"
    return F.relu(batch_norm_train(h @ linear.weight.T, bn))


def vaegan_encoder(enc, x: Tensor) -> tuple[Tensor, Tensor]:
    """Enc: 5×5 stride-2 convolutions, each BNorm + ReLU; fully connected, BNorm, ReLU; linear μ, log σ²."""
    h = x
    for block in enc.convs:
        h = _conv_bn_relu(h, block[0], block[1])
    h = _linear_bn_relu(h.flatten(1), enc.fc[1], enc.fc[2])
    return h @ enc.mean.weight.T + enc.mean.bias, h @ enc.logvar.weight.T + enc.logvar.bias


def vaegan_decoder(dec, z: Tensor) -> Tensor:
    """Dec: fully connected to 4×4 maps, BNorm, ReLU; 5×5 stride-2 up-convolutions, BNorm, ReLU; 5×5
    convolution and tanh."""
    h = _linear_bn_relu(z, dec.fc[0], dec.fc[1]).view(len(z), -1, 4, 4)
    for block in dec.ups:
        h = _conv_bn_relu(h, block[0], block[1], transpose=True)
    out = dec.to_image[0]
    assert out.kernel_size == (5, 5)
    return torch.tanh(F.conv2d(h, out.weight, out.bias, padding=2))


def _stride(conv) -> tuple[int, int]:
    return tuple(conv.stride)


def vaegan_discriminator(dis, x: Tensor) -> Tensor:
    """Dis: 5×5 convolution and ReLU; 5×5 stride-2 convolutions, BNorm, ReLU; fully connected, BNorm,
    ReLU; one logit."""
    first = dis.convs[0]
    assert first.kernel_size == (5, 5) and _stride(first) == (1, 1)
    h = F.relu(F.conv2d(x, first.weight, first.bias, padding=2))
    for conv, after in zip(dis.convs[1:], dis.after[1:]):
        h = _conv_bn_relu(h, conv, after[0])
    h = _linear_bn_relu(h.flatten(1), dis.head[1], dis.head[2])
    return (h @ dis.head[4].weight.T + dis.head[4].bias).squeeze(1)
