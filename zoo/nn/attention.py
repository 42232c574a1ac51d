"""Self-attention over feature-map positions (Zhang et al. 2019, SAGAN, Sec. 3; BigGAN keeps it)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.nn.spectral import sn


class SelfAttention(nn.Module):
    """y = γ·o + x with o = out(Σ_i softmax_i(query(x)_jᵀ key(x)_i) · value(x)_i) at every position j.

    query, key, value and out are 1×1 convolutions (the paper's g, f, h and v); key and query have
    C / key_divisor channels, value C / value_divisor. γ is a learned scalar initialised at 0, so the
    block starts as the identity and the network learns to lean on non-local evidence gradually.
    `pool=True` max-pools key and value 2×2 (BigGAN's variant, there with value_divisor=2): a quarter
    of the positions to attend to. The convolutions have no bias, as in the SAGAN and BigGAN code.
    """

    def __init__(self, channels: int, key_divisor: int = 8, value_divisor: int = 8, pool: bool = False,
                 spectral_norm: bool = True):
        super().__init__()
        if channels % key_divisor or channels % value_divisor:
            raise ValueError(f"self-attention channels ({channels}) must be divisible by key_divisor "
                             f"({key_divisor}) and value_divisor ({value_divisor})")
        wrap = sn if spectral_norm else (lambda m: m)
        key_channels, value_channels = channels // key_divisor, channels // value_divisor
        self.query = wrap(nn.Conv2d(channels, key_channels, 1, bias=False))
        self.key = wrap(nn.Conv2d(channels, key_channels, 1, bias=False))
        self.value = wrap(nn.Conv2d(channels, value_channels, 1, bias=False))
        self.out = wrap(nn.Conv2d(value_channels, channels, 1, bias=False))
        self.gamma = nn.Parameter(torch.zeros(()))
        self.pool = pool

    def forward(self, x: Tensor) -> Tensor:
        n, _, h, w = x.shape
        query = self.query(x).flatten(2)  # (N, C/k, HW)
        key, value = self.key(x), self.value(x)
        if self.pool:
            key, value = F.max_pool2d(key, 2), F.max_pool2d(value, 2)
        key, value = key.flatten(2), value.flatten(2)  # (N, C/k, P), (N, C/v, P)
        attention = torch.softmax(query.transpose(1, 2) @ key, dim=-1)  # (N, HW, P): rows sum to 1
        # (attention @ valueᵀ)ᵀ, not value @ attentionᵀ: the same product, but the transposed operand is
        # the small (P, C/v) value rather than the (HW, P) attention map, which bmm would copy whole
        attended = (attention @ value.transpose(1, 2)).transpose(1, 2).reshape(n, -1, h, w)
        return x + self.gamma * self.out(attended)
