"""Spectral normalisation (Miyato et al. 2018): W / σ(W), σ estimated by one power iteration per step.

We wrap torch's classic hook version, `torch.nn.utils.spectral_norm`, not the newer parametrization,
because it stores the raw weight and the power-iteration vectors as `weight_orig`, `weight_u` and
`weight_v`: the layout of pytorch-pretrained-biggan and of most official SAGAN/BigGAN checkpoints, so
their files load key for key. In eval mode the stored u and v are used as they are (no iteration).
"""
from __future__ import annotations

from torch import nn


def sn(module: nn.Module, n_power_iterations: int = 1, eps: float = 1e-12) -> nn.Module:
    """`module` with its `weight` spectrally normalised (in place; returned for chaining)."""
    nn.utils.spectral_norm(module, n_power_iterations=n_power_iterations, eps=eps)
    module.register_forward_hook(_detach_cached_weight)
    return module


def _detach_cached_weight(module: nn.Module, args, output) -> None:
    """torch's hook leaves W / σ of the last forward on the module as a graph tensor, which
    copy.deepcopy refuses (an EMA copy of G made after training began; BigGAN's EMA starts late). The
    forward pre-hook recomputes it every call and the graph keeps its own reference, so a detached
    copy is all that needs to stay."""
    module.weight = module.weight.detach()


def sn_conv2d(*args, n_power_iterations: int = 1, eps: float = 1e-12, **kwargs) -> nn.Conv2d:
    """nn.Conv2d(*args, **kwargs) under spectral norm."""
    return sn(nn.Conv2d(*args, **kwargs), n_power_iterations, eps)


def sn_linear(*args, n_power_iterations: int = 1, eps: float = 1e-12, **kwargs) -> nn.Linear:
    """nn.Linear(*args, **kwargs) under spectral norm."""
    return sn(nn.Linear(*args, **kwargs), n_power_iterations, eps)


def sn_embedding(*args, n_power_iterations: int = 1, eps: float = 1e-12, **kwargs) -> nn.Embedding:
    """nn.Embedding(*args, **kwargs) under spectral norm (the table is the (classes, dim) matrix)."""
    return sn(nn.Embedding(*args, **kwargs), n_power_iterations, eps)


def has_spectral_norm(module: nn.Module) -> bool:
    """Whether `module`'s own weight is spectrally normalised (either torch flavour)."""
    if hasattr(module, "weight_orig") and hasattr(module, "weight_u"):
        return True
    parametrizations = getattr(module, "parametrizations", None)
    return parametrizations is not None and "weight" in parametrizations
