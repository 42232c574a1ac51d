"""Loading run-time weights into the equalized layers of zoo.nn.equalized (what the ProGAN and StyleGAN
converters share): an official checkpoint gives each layer's effective weight (what multiplies the input), our
layers store it divided by their gain (the He constant times the lr multiplier) and scale it back when they run."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import nn

from zoo.errors import WeightsFormatError


def equalized_gains(module: nn.Module) -> dict[str, float]:
    """The run-time gain of every equalized weight and bias in `module`, by state-dict name."""
    gains = {}
    for name, m in module.named_modules():
        if hasattr(m, "weight_gain"):
            gains[f"{name}.weight"] = m.weight_gain
            gains[f"{name}.bias"] = getattr(m, "bias_gain", 1.0)
    return gains


def stored_state(effective: Mapping[str, object], module: nn.Module, *, error: type[Exception] = WeightsFormatError,
                 where: str = "") -> dict[str, torch.Tensor]:
    """The state dict `module` stores for the `effective` (run-time) values: float32, reshaped where only the
    layout differs, divided by the layer's gain; a name or shape that does not fit raises `error`, its message
    after `where: ` when given."""
    prefix = f"{where}: " if where else ""
    gains = equalized_gains(module)
    expected = module.state_dict()
    if set(effective) != set(expected):
        missing, extra = sorted(set(expected) - set(effective)), sorted(set(effective) - set(expected))
        raise error(f"{prefix}the checkpoint's layers do not map onto ours (missing {missing[:3]}, "
                    f"unexpected {extra[:3]})")
    out = {}
    for name, value in effective.items():
        t = torch.from_numpy(np.array(value, dtype=np.float32))
        t = t.reshape(expected[name].shape) if t.numel() == expected[name].numel() else t
        if t.shape != expected[name].shape:
            raise error(f"{prefix}{name}: shape {tuple(t.shape)}, expected {tuple(expected[name].shape)}")
        out[name] = t / gains[name] if name in gains else t
    return out
