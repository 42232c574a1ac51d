"""The distribution metrics as `zoo eval` runs them: each takes the generated and the real set's
extracted features (streaming.ExtractedSet) and returns named numbers. Registered by zoo/metrics/hooks.py."""
from __future__ import annotations

from zoo.metrics.frechet import frechet_distance_from_stats
from zoo.metrics.inception_score import inception_score
from zoo.metrics.kid import kernel_inception_distance
from zoo.metrics.precision_recall import precision_recall

KID_SUBSET_SIZE = 1000


def fid(fake, real) -> dict[str, float]:
    return {"fid": frechet_distance_from_stats(fake.stats, real.stats)}


def inception_score_of(fake, real=None, splits: int = 10) -> dict[str, float]:
    if fake.logits is None:
        raise ValueError("the Inception Score needs class logits; this extractor has no classifier")
    mean, std = inception_score(fake.logits, splits=splits)
    return {"is": mean, "is_std": std}


def kid(fake, real, subsets: int = 100) -> dict[str, float]:
    # 1,000 per subset as the paper; smaller sets (digits has 1,797) use all they have
    size = min(KID_SUBSET_SIZE, len(fake), len(real))
    mean, std = kernel_inception_distance(fake.features, real.features, subsets=subsets, subset_size=size)
    return {"kid": mean, "kid_std": std, "kid_subset_size": size}


def precision_recall_of(fake, real, k: int = 3) -> dict[str, float]:
    precision, recall = precision_recall(real.features, fake.features, k=k)
    return {"precision": precision, "recall": recall}
