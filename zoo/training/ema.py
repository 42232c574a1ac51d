"""An exponential moving average of a component's weights (Karras et al. 2018, ProGAN, Sec. A.1;
Yazıcı et al. 2019, "The Unusual Effectiveness of Averaging in GAN Training", arXiv:1806.04498).

After every training step θ_ema ← β·θ_ema + (1 − β)·θ. Buffers (batch-norm running statistics) are
copied, not averaged, as in the official ProGAN/StyleGAN code. Before `start_step` the average just
tracks the weights (BigGAN starts its EMA late, Brock et al. 2019, Sec. 4). The trainer may pass each
step's β (StyleGAN's ramped half-life, `EMASpec.decay_at`); otherwise the fixed `decay` is used.
"""
from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    def __init__(self, module: nn.Module, decay: float | None = 0.999, start_step: int = 0) -> None:
        if decay is not None and not 0.0 <= decay < 1.0:
            raise ValueError(f"EMA decay must be in [0, 1), got {decay}")
        self.decay, self.start_step = (None if decay is None else float(decay)), int(start_step)
        self.module = copy.deepcopy(module).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, source: nn.Module, step: int, decay: float | None = None) -> None:
        """Blend `source`'s current weights in; `step` is the number of steps taken so far; `decay`
        this step's β (default: the fixed decay)."""
        decay = self.decay if decay is None else decay
        if decay is None or not 0.0 <= decay <= 1.0:
            raise ValueError(f"EMA decay must be in [0, 1], got {decay}")
        decay = decay if step >= self.start_step else 0.0
        ema_params = list(self.module.parameters())
        src_params = list(source.parameters())
        if len(ema_params) != len(src_params):
            raise ValueError("the EMA copy and its source no longer have the same parameters")
        for e, p in zip(ema_params, src_params, strict=True):
            e.lerp_(p.detach().to(e.dtype), 1.0 - decay)  # e + (1-β)(p − e) = β·e + (1−β)·p
        for e, b in zip(self.module.buffers(), source.buffers(), strict=True):
            e.copy_(b)

    def state_dict(self) -> dict:
        return self.module.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.module.load_state_dict(state)
