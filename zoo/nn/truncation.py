"""StyleGAN's tracked average of w and the truncation trick in W (Karras 2019, Sec. 2 and App. B;
StyleGAN2 keeps it: Karras 2020)."""
from __future__ import annotations

import torch
from torch import Tensor, nn


class WAverage(nn.Module):
    """A buffer w_avg (dim,) moved towards each training batch's mean w: w_avg = lerp(mean(w), w_avg, beta),
    i.e. beta * w_avg + (1 - beta) * mean(w); saved with the generator's weights."""

    def __init__(self, dim: int, beta: float = 0.995):
        super().__init__()
        if not 0.0 <= beta <= 1.0:
            raise ValueError(f"w_avg beta must be in [0, 1], got {beta}")
        self.beta = beta
        self.register_buffer("w_avg", torch.zeros(dim))

    @torch.no_grad()
    def update(self, w: Tensor) -> None:
        """Track a batch of w (N, dim), or of per-layer ws (N, L, dim) (their first layer)."""
        w = w[:, 0] if w.dim() == 3 else w
        self.w_avg.copy_(w.detach().mean(0).to(self.w_avg.dtype).lerp(self.w_avg, self.beta))

    def truncate(self, ws: Tensor, psi: float = 1.0, cutoff: int | None = None) -> Tensor:
        """w_avg + psi (w - w_avg) for w (N, dim), or for ws (N, L, dim) on layers [0, cutoff) only
        (all layers when cutoff is None)."""
        if psi == 1:
            return ws
        truncated = self.w_avg.to(ws.dtype).lerp(ws, psi)
        if cutoff is None or ws.dim() == 2:
            return truncated
        layer = torch.arange(ws.shape[1], device=ws.device).view(1, -1, 1)
        return torch.where(layer < cutoff, truncated, ws)
