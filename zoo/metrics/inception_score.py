"""The Inception Score.

Salimans, Goodfellow, Zaremba, Cheung, Radford, Chen, "Improved Techniques for Training GANs",
NeurIPS 2016, arXiv:1606.03498:  IS = exp(E_x KL(p(y|x) ‖ p(y))), computed on each of 10 splits of the
samples, reported as mean ± standard deviation over the splits, with p(y) the split's mean of p(y|x).

Logits as the references use them: the 2015 Inception graph's pool features times the softmax weights,
without the bias (Salimans et al.'s code, torch-fidelity's `logits_unbiased`), all 1008 classes, softmax
in float64. Before splitting, the samples are shuffled with numpy's RandomState(2020) permutation as
torch-fidelity does; `shuffle_seed=None` splits in the given order, as the original TF code did.
"""
from __future__ import annotations

import numpy as np
import torch


def inception_score(logits, splits: int = 10, shuffle_seed: int | None = 2020) -> tuple[float, float]:
    """(mean, std) of the Inception Score of (N, K) class logits over `splits` splits."""
    logits = torch.as_tensor(logits).detach().cpu().double()
    if logits.ndim != 2 or logits.shape[1] < 2:
        raise ValueError(f"logits must have shape (N, num_classes >= 2), got {tuple(logits.shape)}")
    n = logits.shape[0]
    if not 1 <= splits <= n:
        raise ValueError(f"need at least one sample per split: {n} samples, {splits} splits")
    if shuffle_seed is not None:
        logits = logits[torch.from_numpy(np.random.RandomState(shuffle_seed).permutation(n))]
    log_p = logits.log_softmax(dim=1)
    scores = []
    for i in range(splits):
        part = log_p[i * n // splits:(i + 1) * n // splits]
        log_marginal = part.exp().mean(0).log()  # log p(y) of this split
        kl = (part.exp() * (part - log_marginal)).sum(1).mean()
        scores.append(kl.exp().item())
    return float(np.mean(scores)), float(np.std(scores))
