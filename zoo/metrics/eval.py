"""`zoo eval`: measure a weight set's sample quality against a dataset or a folder of images.

    zoo eval dcgan.digits-32 --metric fid,is --against digits -n 10000 [--extractor NAME] [--write-card]

Samples are generated batch by batch, features extracted on the chosen device (shards under torchrun),
the reference set's features come from the disk cache after the first run, and each metric registered
through `register_metrics` (zoo/metrics/hooks.py) is computed from the two feature sets. `--write-card`
records the numbers, with how they were measured, in the weight set's registry.yaml entry (`metrics:`)
and in its model card (README.md, "Measured metrics"); for `local-dir:` models, in the folder's card.
"""
from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

from zoo.metrics.records import round_value

PAIRED_METRICS = ("psnr", "ssim")  # image-to-image metrics: zoo.metrics.psnr_ssim, not `zoo eval`


def default_extractor(against: str) -> str:
    """The digits judge for digits data (an ImageNet network knows nothing of 8×8 digits), else Inception."""
    return "digits-judge" if against.startswith("digits") and not os.path.isdir(against) else "inception-fid"


def reference_images(against: str, *, resolution: int, channels: int, split: str | None = None):
    """(images in [-1, 1], description) of a registered dataset or a folder of images."""
    from zoo.data import build_dataset

    if os.path.isdir(against):
        name, split, what, options = "folder", split or "all", f"folder {against}", {"root": against}
    else:
        name, split, what, options = against, split or "train", against, {}
    options.update(split=split, resolution=resolution, channels=channels)
    images = build_dataset(name, options).tensors()["image"]
    return images, f"{what} ({split} split, {len(images)} images)"


def evaluate(name: str, metrics: Sequence[str] = ("fid",), *, against: str = "digits", n: int = 10000,
             extractor: str | None = None, extractor_options: Mapping[str, Any] | None = None,
             batch_size: int = 64, device: str = "cpu", seed: int = 0, split: str | None = None,
             use_cache: bool = True) -> dict[str, Any]:
    """{"model", "metrics": {metric: {name: number}}, "protocol": {extractor, against, n, seed}}."""
    from zoo import api
    from zoo import registry
    from zoo.metrics.extractors import get_extractor
    from zoo.metrics.streaming import extract_generated, extract_images
    from zoo.records import import_object

    metrics = [m.strip() for m in metrics if m.strip()]
    paired = [m for m in metrics if m in PAIRED_METRICS]
    if paired:
        raise ValueError(f"{', '.join(paired)} compare paired images (super-resolution), not samples with a "
                         "dataset: use zoo.metrics.psnr_ssim.psnr/ssim on (output, target) pairs")
    catalog = registry.catalog()
    builders = {m: import_object(catalog.get("metric", m).builder) for m in metrics}
    if n < 2:
        raise ValueError(f"-n must be at least 2 samples, got {n}")

    model = api.load(name, device=device, roles=("generator", "ema"))
    if model.sampler.output.kind != "image":
        raise ValueError(f"{name} generates {model.sampler.output.kind}; these metrics measure images")
    channels, height, _ = model.sampler.output.shape
    extractor_name = extractor or default_extractor(against)
    net = get_extractor(extractor_name, device=device, **dict(extractor_options or {}))
    real_images, real_what = reference_images(against, resolution=height, channels=channels, split=split)
    real = extract_images(net, real_images, batch_size=batch_size, device=device, use_cache=use_cache)
    fake = extract_generated(model, net, n, seed=seed, batch_size=batch_size, device=device)

    protocol = {"extractor": extractor_name, "against": real_what, "n": n, "seed": seed}
    results = {}
    for metric, fn in builders.items():
        values = fn(fake, real)
        results[metric] = {k: round_value(v) for k, v in values.items()}
    return {"model": model.name, "metrics": results, "protocol": protocol}
