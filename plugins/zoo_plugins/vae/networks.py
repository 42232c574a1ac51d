"""The VAE's networks as in Kingma & Welling 2014, Appendix C.2: MLPs with one hidden tanh layer.

- encoder q(z|x) = N(μ, diag σ²): h = tanh(W₁x + b₁), μ = W₂h + b₂, log σ² = W₃h + b₃;
- Bernoulli decoder p(x|z): y = sigmoid(W₅ tanh(W₄z + b₄) + b₅), the ink probabilities;
- Gaussian decoder p(x|z) = N(μ, diag σ²): μ = sigmoid(·) and log σ² from the same hidden layer.

Pixels are modelled as ink in [0, 1] ((x + 1)/2 of the [-1, 1] images); `forward` returns the
decoder's mean mapped back to [-1, 1], and `nll` gives −log p(x|z) in nats.
"""
from __future__ import annotations

from torch import Tensor, nn

from zoo.interfaces import ConditionSpec, Encoder, Generator, LatentSpec, OutputSpec, Posterior
from zoo.losses import MIN_PIXEL_LOGVAR, check_pixel_likelihood, pixel_nll_per_sample


class GaussianMLPEncoder(Encoder):
    condition = ConditionSpec()

    def __init__(self, latent_dim: int = 16, resolution: int = 32, channels: int = 1, hidden: int = 256):
        super().__init__()
        self.input = OutputSpec((channels, resolution, resolution))
        self.latent = LatentSpec((latent_dim,))
        self.hidden = nn.Sequential(nn.Flatten(), nn.Linear(channels * resolution ** 2, hidden), nn.Tanh())
        self.mean = nn.Linear(hidden, latent_dim)
        self.logvar = nn.Linear(hidden, latent_dim)

    def forward(self, x: Tensor, c: Tensor | None = None) -> Posterior:
        h = self.hidden(x)
        return Posterior(self.mean(h), self.logvar(h))


class MLPDecoder(Generator):
    condition = ConditionSpec()

    def __init__(self, latent_dim: int = 16, resolution: int = 32, channels: int = 1, hidden: int = 256,
                 likelihood: str = "bernoulli"):
        super().__init__()
        self.likelihood = check_pixel_likelihood(likelihood)
        self.latent = LatentSpec((latent_dim,))
        self.output = OutputSpec((channels, resolution, resolution), value_range=(-1.0, 1.0))
        pixels = channels * resolution ** 2
        self.hidden = nn.Sequential(nn.Linear(latent_dim, hidden), nn.Tanh())
        self.logits = nn.Linear(hidden, pixels)
        self.logvar = nn.Linear(hidden, pixels) if likelihood == "gaussian" else None

    def _params(self, z: Tensor) -> tuple[Tensor, Tensor | None]:
        h = self.hidden(z)
        logvar = self.logvar(h).clamp(min=MIN_PIXEL_LOGVAR).view(-1, *self.output.shape) if self.logvar is not None else None
        return self.logits(h).view(-1, *self.output.shape), logvar

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        logits, _ = self._params(z)
        return logits.sigmoid() * 2 - 1

    def nll(self, z: Tensor, x: Tensor, c: Tensor | None = None) -> Tensor:
        """−log p(x|z) per sample, in nats; `x` in [-1, 1]."""
        logits, logvar = self._params(z)
        return pixel_nll_per_sample(self.likelihood, logits, logvar, x)
