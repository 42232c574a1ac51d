"""Three quality scores of generated digits, measured with the digits judge (zoo/metrics/digits_judge.py).

- Fréchet distance in the judge's penultimate features between generated and real digits: FID's
  formula (Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
  Equilibrium", 2017, arXiv:1706.08500) with the judge in place of Inception. Lower is better.
- IS-style score from the judge's class probabilities: exp(E_x KL(p(y|x) ‖ p(y))) over splits, as the
  Inception Score (Salimans et al., "Improved Techniques for Training GANs", 2016, arXiv:1606.03498).
  Between 1 (every sample the same class mixture) and 10 (confident and balanced over the 10 digits).
- Conditional accuracy: the fraction of samples generated for label y that the judge classifies as y
  (as the class-conditional GAN literature reports it, e.g. AC-GAN, Odena et al. 2017, arXiv:1610.09585).

`judge_model` gives all three for a zoo model and, as the ceiling to read them against, the same scores
of real held-out digits: the Fréchet distance between the held-out and the training split, the IS-style
score of the held-out split and the judge's accuracy on it.
"""
from __future__ import annotations

import inspect
from typing import Any

import torch
from torch import Tensor

from zoo.images import to_range
from zoo.metrics.frechet import FeatureStats, frechet_distance_from_stats
from zoo.metrics.inception_score import inception_score

REAL_RESOLUTIONS = (8, 16, 32, 64)  # the resolutions zoo.data.digits makes


@torch.no_grad()
def judge_outputs(judge, images: Tensor, batch_size: int = 256) -> tuple[Tensor, Tensor]:
    """Penultimate features (N, D) and logits (N, 10) of images in [-1, 1], batch by batch, on the CPU."""
    device = next(judge.parameters()).device
    feats, logits = [], []
    for start in range(0, len(images), batch_size):
        f, lg = judge.features_and_logits(images[start:start + batch_size].to(device))
        feats.append(f.float().cpu())
        logits.append(lg.float().cpu())
    return torch.cat(feats), torch.cat(logits)


def frechet_between(features_a: Tensor, features_b: Tensor) -> float:
    """The Fréchet distance between Gaussians fitted to two feature sets (N, D) and (M, D)."""
    stats = []
    for f in (features_a, features_b):
        s = FeatureStats(f.shape[1])
        s.update(f)
        stats.append(s)
    return frechet_distance_from_stats(*stats)


def is_style_score(logits: Tensor, splits: int = 10) -> tuple[float, float]:
    """(mean, std) over `splits` splits of exp(E_x KL(p(y|x) ‖ p(y))) from the judge's logits (N, 10)."""
    return inception_score(logits, splits=splits)


def conditional_accuracy(logits: Tensor, labels: Tensor) -> float:
    """Fraction of samples whose judged class (argmax of logits (N, K)) is the label (N,) they were made for."""
    if logits.ndim != 2 or labels.shape != logits.shape[:1]:
        raise ValueError(f"expected logits (N, K) and labels (N,), "
                         f"got {tuple(logits.shape)} and {tuple(labels.shape)}")
    return (logits.argmax(1) == labels.to(logits.device)).float().mean().item()


def _generate(model, n: int, seed: int, labels: Tensor | None, batch_size: int) -> Tensor:
    """n samples mapped to [-1, 1] (the judge's range) from the generator's declared output range."""
    kwargs = {"seed": seed, "c": labels}
    if "batch_size" in inspect.signature(model.generate).parameters:
        kwargs["batch_size"] = batch_size
    images = model.generate(n, **kwargs).float().cpu()
    output = getattr(model.sampler, "output", None)
    return to_range(images, tuple(getattr(output, "value_range", (-1.0, 1.0))), (-1.0, 1.0))


def judge_model(model, n: int = 2000, seed: int = 0, against: str = "val", batch_size: int = 256,
                splits: int = 10, judge=None) -> dict[str, Any]:
    """The three scores of `n` samples of `model` (seeded), and the real held-out digits' as a ceiling.

    model: a ZooModel (anything with `.generate(n, seed=, c=)` and `.sampler.condition.kind`).
    against: the real split the generated samples are compared with, "val" (held out) or "train".
    Class-conditional generators get labels 0..9 in turn (balanced, like the real digits) and a
    conditional accuracy. Real digits are made at the generator's resolution (when zoo.data.digits has
    it) so that real and generated images reach the judge through the same resize.
    Like FID, the Fréchet distance is biased upwards by small sample sizes (generated n vs 359 held-out or
    1,438 training digits), so compare numbers measured with the same n and `against`.
    The real IS-style score uses as many splits as give about the same split size as the generated one
    (the score grows with the split size), at least one.
    """
    from zoo.data.digits import load_digits_tensors
    from zoo.metrics.digits_judge import RESOLUTION, DigitsJudge

    if against not in ("val", "train"):
        raise ValueError(f"against must be 'val' or 'train', got {against!r}")
    if n < 2 * splits:
        raise ValueError(f"n={n} samples are too few for {splits} splits (need at least {2 * splits})")
    judge = judge if judge is not None else DigitsJudge.pretrained()
    condition = getattr(model.sampler, "condition", None)
    conditional = getattr(condition, "kind", "none") == "class"
    if conditional and getattr(condition, "num_classes", 10) not in (None, 10):
        raise ValueError(f"a class-conditional digits generator needs 10 classes, got {condition.num_classes}")

    labels = torch.arange(n) % 10 if conditional else None
    fake = _generate(model, n, seed, labels, batch_size)
    resolution = fake.shape[-1] if fake.shape[-1] in REAL_RESOLUTIONS else RESOLUTION
    real = {split: load_digits_tensors(resolution, split) for split in ("train", "val")}
    real_out = {split: judge_outputs(judge, images, batch_size) for split, (images, _) in real.items()}
    fake_feats, fake_logits = judge_outputs(judge, fake, batch_size)

    is_mean, is_std = is_style_score(fake_logits, splits)
    val_feats, val_logits = real_out["val"]
    real_splits = max(1, round(len(val_logits) * splits / n))
    real_is_mean, real_is_std = is_style_score(val_logits, real_splits)
    scores: dict[str, Any] = {
        "n": n, "seed": seed, "against": f"digits {against} split ({len(real[against][1])} images, {resolution} px)",
        "frechet": frechet_between(fake_feats, real_out[against][0]),
        "is": is_mean, "is_std": is_std, "is_splits": splits,
    }
    if conditional:
        scores["conditional_accuracy"] = conditional_accuracy(fake_logits, labels)
    scores["real"] = {
        "frechet_val_vs_train": frechet_between(val_feats, real_out["train"][0]),
        "is": real_is_mean, "is_std": real_is_std, "is_splits": real_splits,
        "judge_accuracy": conditional_accuracy(val_logits, real["val"][1]),
    }
    return scores
