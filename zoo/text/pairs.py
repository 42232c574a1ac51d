"""Text pairs a text-conditional discriminator or generator needs from a batch: mismatching texts (the
matching-aware discriminator, Reed et al. 2016, arXiv:1605.05396, Sec. 4.2) and interpolated ones
(GAN-INT, Sec. 4.3)."""
from __future__ import annotations

import torch
from torch import Tensor

MAX_SHIFT = 4


def mismatched_texts(texts: Tensor, description_ids: Tensor) -> tuple[Tensor, Tensor]:
    """For each row i, the text of the next row (cyclically) whose description differs from row i's:
    (wrong texts (N, D), valid (N,) bool). Rows with no differing description within MAX_SHIFT rows are
    not valid (their wrong pair is left out of the loss)."""
    n = texts.shape[0]
    source = torch.arange(n, device=texts.device)
    pending = torch.ones(n, dtype=torch.bool, device=texts.device)
    for shift in range(1, min(MAX_SHIFT, n - 1) + 1):
        candidate = (torch.arange(n, device=texts.device) + shift) % n
        found = pending & (description_ids[candidate] != description_ids)
        source = torch.where(found, candidate, source)
        pending &= ~found
    return texts[source], ~pending


def interpolated_texts(texts: Tensor, beta: float = 0.5) -> Tensor:
    """GAN-INT's β t1 + (1 − β) t2 between the batch's first and second halves: (N // 2, D)
    (Reed's interp_type 1, β = 0.5)."""
    half = texts.shape[0] // 2
    return beta * texts[:half] + (1 - beta) * texts[half:2 * half]
