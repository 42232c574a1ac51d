"""Sampling-time shortcuts that change no number: spectral norm's W / σ computed once per weight rather
than at every forward, and only the output channels that are kept.

In eval mode torch's spectral norm recomputes W / σ(W) from the stored u and v at every call (a
matrix-vector product and a division over each weight: ~15 % of BigGAN-deep's CPU time at batch 1).
Without gradients and out of training the result only changes when the weight or the vectors do, so
`cache_spectral_norm` keys it by their storage and version counters. With gradients, or in training
(where each call is a power-iteration step), the hook runs as torch wrote it.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.spectral_norm import SpectralNorm


class CachedSpectralNorm(SpectralNorm):
    def __call__(self, module: nn.Module, inputs) -> None:
        if module.training or torch.is_grad_enabled():
            module.__dict__.pop("_sn_cache_key", None)
            return super().__call__(module, inputs)
        tensors = (getattr(module, self.name + "_orig"), getattr(module, self.name + "_u"),
                   getattr(module, self.name + "_v"))
        key = tuple((t.data_ptr(), t.dtype, t._version) for t in tensors)
        if module.__dict__.get("_sn_cache_key") != key:
            super().__call__(module, inputs)
            module.__dict__["_sn_cache_key"] = key


def cache_spectral_norm(root: nn.Module) -> nn.Module:
    """Make every torch spectral-norm hook under `root` cache W / σ when no gradient is needed."""
    for module in root.modules():
        for hook in module._forward_pre_hooks.values():
            if type(hook) is SpectralNorm:
                hook.__class__ = CachedSpectralNorm
    return root


def sn_weight(conv: nn.Module) -> Tensor:
    """The spectrally normalised weight a classic-SN layer uses now (calling its hook, which caches)."""
    for hook in conv._forward_pre_hooks.values():
        if isinstance(hook, SpectralNorm):
            hook(conv, ())
    return conv.weight


def first_channels_conv2d(conv: nn.Conv2d, x: Tensor, channels: int) -> Tensor:
    """conv(x)[:, :channels] computing only those channels (BigGAN-deep's to-RGB convolution has 128
    output channels of which the image keeps 3). In training the layer runs whole, so that its
    spectral norm's power iteration sees the whole weight, as the port's does."""
    if conv.training or torch.is_grad_enabled() or conv.out_channels == channels:
        return conv(x)[:, :channels]
    weight = sn_weight(conv)
    bias = conv.bias[:channels] if conv.bias is not None else None
    return F.conv2d(x, weight[:channels], bias, conv.stride, conv.padding, conv.dilation, conv.groups)
