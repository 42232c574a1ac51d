"""mode-coverage: how many of a classifier's classes the samples reach, and how evenly.

Mode collapse (a generator drawing only some of the data's modes, the failure Mao et al. 2017 study
on a mixture of Gaussians) shows in the class histogram of a classifier's predictions on the samples
(Metz et al. 2017 count the modes of stacked MNIST this way). A class counts as covered when it gets at
least `min_share` of a uniform share (N/K) of the samples. `mode_kl` is KL(p(y) || uniform): 0 for
perfectly even samples, log K for a generator that collapsed onto one class.

It follows the protocol of `zoo eval`'s metrics: (fake, real) extracted sets in, named numbers out;
it reads `fake.logits`, so it needs an extractor with a classifier (the digits judge for digits).
"""
from __future__ import annotations

import math

import torch


def mode_coverage(fake, real=None, min_share: float = 0.25) -> dict[str, float]:
    if fake.logits is None:
        raise ValueError("mode-coverage needs class logits; use an extractor with a classifier (digits-judge)")
    n, k = fake.logits.shape
    counts = torch.bincount(fake.logits.argmax(1), minlength=k).double()
    share = counts / n
    kl = float(sum(p * math.log(p * k) for p in share.tolist() if p > 0))
    return {"mode_coverage": float((counts >= min_share * n / k).double().mean()), "mode_kl": kl}
