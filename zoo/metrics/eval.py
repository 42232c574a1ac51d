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

from zoo.metrics.paired import PAIRED_METRICS, evaluate_paired, paired_task
from zoo.metrics.records import round_value

# The reference images' split when none is given: the held-out split, on which the README's and the
# registry's numbers are measured (a folder has no split: all of it).
DEFAULT_SPLIT = "val"


def default_extractor(against: str) -> str:
    """The digits judge for digits data (an ImageNet network knows nothing of 8×8 digits), else Inception."""
    return "digits-judge" if against.startswith("digits") and not os.path.isdir(against) else "inception-fid"


def check_reference(against: str) -> None:
    """A registered dataset or an existing folder; otherwise an error that suggests close names (before
    any network is built or weights fetched)."""
    from zoo import registry
    from zoo.errors import UnknownNameError

    if os.path.isdir(against):
        return
    datasets = registry.catalog().by_kind["dataset"]
    if against not in datasets:
        raise UnknownNameError("data set or folder", against, datasets)


def reference_data(against: str, *, split: str | None = None, **options) -> tuple[dict, str, str]:
    """(the dataset's tensors, its name, its split) for a registered dataset or a folder of images."""
    from zoo.data import build_dataset

    check_reference(against)
    if os.path.isdir(against):
        name, split, options = "folder", split or "all", {**options, "root": against}
    else:
        name, split = against, split or DEFAULT_SPLIT
    return build_dataset(name, {**options, "split": split}).tensors(), name, split


def reference_images(against: str, *, resolution: int, channels: int, split: str | None = None):
    """(images in [-1, 1], description) of a registered dataset or a folder of images."""
    tensors, _, split = reference_data(against, split=split, resolution=resolution, channels=channels)
    images = tensors["image"]
    what = f"folder {against}" if os.path.isdir(against) else against
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
    catalog = registry.catalog()
    for m in metrics:
        catalog.get("metric", m)  # an unknown metric suggests close names
    check_reference(against)
    paired = [m for m in metrics if m in PAIRED_METRICS]
    if paired:
        if len(paired) != len(metrics):
            raise ValueError(f"{', '.join(paired)} compare outputs with targets and the other metrics compare "
                             "sample sets: run them separately")
        return _evaluate_paired(name, paired, against=against, n=n, split=split, batch_size=batch_size,
                                device=device, seed=seed)
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


def _evaluate_paired(name: str, metrics: Sequence[str], *, against: str, n: int, split: str | None,
                     batch_size: int, device: str, seed: int) -> dict[str, Any]:
    from zoo import api

    model = api.load(name, device=device, roles=("generator", "ema"))
    paired_task(model)  # refuse a noise-to-image model before building any data
    out_shape = tuple(model.sampler.output.shape)
    cond_shape = tuple(model.sampler.condition.shape or out_shape)
    # an upscaler that takes any size ("H", "W") says its factor as `scale`; its crops are the config's size
    free = not isinstance(out_shape[-1], int)
    resolution = int(model.config.get("resolution", 64)) if free else out_shape[-1]
    options = {"resolution": resolution, "channels": out_shape[0], "seed": seed}
    if free and int(getattr(model.sampler, "scale", 1)) > 1:
        options["scale"] = int(model.sampler.scale)
    elif not free and cond_shape[-1] and out_shape[-1] % cond_shape[-1] == 0 and out_shape[-1] != cond_shape[-1]:
        options["scale"] = out_shape[-1] // cond_shape[-1]
    pairs, dataset, split = reference_data(against, split=split, **options)
    results = evaluate_paired(model, metrics, pairs, n=n, batch_size=batch_size, crop_border=options.get("scale", 0))
    protocol = {"against": f"{dataset} ({split} split, {next(iter(results.values()))['images']} pairs)",
                "n": n, "seed": seed, "convention": "Y channel, 8-bit, border = scale (zoo.metrics.psnr_ssim)"}
    return {"model": model.name, "metrics": results, "protocol": protocol}
