"""Batched feature extraction for generated and real images, with statistics that stream.

Generated samples are made batch by batch and passed straight to the extractor, so memory holds one
batch of images at a time; features (and logits, for IS) are kept on the CPU, and the Fréchet statistics
accumulate as they come. Under torchrun each process takes a contiguous shard of the samples and the
results are gathered, so every process ends with the same features, in the same order as one process
would produce. Features of real image sets are cached on disk by content hash (zoo/metrics/cache.py).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Iterable, Iterator

import torch
from torch import Tensor

from zoo.metrics import cache, distributed
from zoo.metrics.frechet import FeatureStats


@dataclass
class ExtractedSet:
    """Features (N, D) and logits (N, K) or None of one image set, with its Fréchet statistics."""

    features: Tensor
    logits: Tensor | None
    stats: FeatureStats

    def __len__(self) -> int:
        return len(self.features)

    @classmethod
    def from_tensors(cls, features: Tensor, logits: Tensor | None = None) -> "ExtractedSet":
        return cls(features, logits, FeatureStats(features.shape[1]).update(features))


def _progress(total: int, desc: str):
    from tqdm.auto import tqdm

    rank, _ = distributed.rank_and_world()
    # shown on rank 0 only, and only on a terminal (disable=None), like `zoo train`'s
    hidden = rank != 0 or os.environ.get("TQDM_DISABLE", "") not in ("", "0")
    return tqdm(total=total or None, desc=desc, unit="img", disable=True if hidden else None, leave=False)


@torch.no_grad()
def extract_batches(extractor, batches: Iterable[Tensor], *, device="cpu", total: int | None = None,
                    desc: str = "features") -> ExtractedSet:
    """Run `extractor` over image batches ([-1, 1] floats) of this process, then gather across processes."""
    feats, logits = [], []
    stats = None
    with _progress(total or 0, desc) as bar:
        for batch in batches:
            f, lg = _features_and_logits(extractor, batch.to(device))
            f = f.float().cpu()
            stats = stats or FeatureStats(f.shape[1])
            stats.update(f)
            feats.append(f)
            if lg is not None:
                logits.append(lg.float().cpu())
            bar.update(len(batch))
    dim = int(getattr(extractor, "feature_dim", 0)) or (feats[0].shape[1] if feats else 1)
    features = torch.cat(feats) if feats else torch.zeros(0, dim)
    logit_tensor = torch.cat(logits) if logits else None
    stats = distributed.gather_stats(stats or FeatureStats(dim))
    features = distributed.gather_rows(features)
    if logit_tensor is not None:
        logit_tensor = distributed.gather_rows(logit_tensor)
    return ExtractedSet(features, logit_tensor, stats)


def _features_and_logits(extractor, images: Tensor) -> tuple[Tensor, Tensor | None]:
    both = getattr(extractor, "features_and_logits", None)
    if both is not None:
        return both(images)
    f = extractor.features(images)
    return f, (extractor.logits(images) if getattr(extractor, "num_classes", None) else None)


# -- generated samples ---------------------------------------------------------------------------
def generated_batches(model, n: int, *, seed: int = 0, batch_size: int = 64, device="cpu",
                      indices: range | None = None) -> Iterator[Tensor]:
    """Samples `indices` (default: all n) of `model.generate(n, seed=seed)`, made batch by batch.

    Latents (and class labels) are drawn block by block exactly as GenerateTask.generate draws them
    (zoo.tasks.generate.LatentBlocks), so sample i is the same whatever the batch size or the number of
    processes, and no more than one block of latents is held at a time.
    """
    from zoo.tasks.generate import LatentBlocks

    g = model.sampler
    blocks = LatentBlocks(g, seed, n)
    indices = indices if indices is not None else range(n)
    lo, hi = indices.start, indices.stop
    for start in range(lo, hi, batch_size):
        stop = min(start + batch_size, hi)
        zb, cb = blocks.slice(start, stop)
        zb = zb.to(device) if zb is not None else None
        cb = cb.to(device) if cb is not None else None
        with torch.no_grad():
            out = g(zb, cb)
        yield _to_unit_range(out, g.output.value_range)


def _to_unit_range(x: Tensor, value_range) -> Tensor:
    from zoo.images import to_range

    return to_range(x.float(), tuple(value_range), (-1.0, 1.0))


def extract_generated(model, extractor, n: int, *, seed: int = 0, batch_size: int = 64, device="cpu") -> ExtractedSet:
    """Features of n samples of `model` (this process's shard, gathered)."""
    part = distributed.shard(n)
    batches = generated_batches(model, n, seed=seed, batch_size=batch_size, device=device, indices=part)
    return extract_batches(extractor, batches, device=device, total=len(part), desc=f"{model.name} samples")


# -- real images -----------------------------------------------------------------------------------
def extract_images(extractor, images: Tensor, *, batch_size: int = 64, device="cpu", use_cache: bool = True,
                   content_hash: str | None = None) -> ExtractedSet:
    """Features of a stack of real images in [-1, 1], from the disk cache when they were seen before."""
    key = None
    if use_cache:
        if content_hash is None:
            digest = hashlib.sha256()
            cache.hash_tensor(digest, images)
            content_hash = digest.hexdigest()
        key = cache.feature_key(content_hash, _identity(extractor))
        hit = cache.load_features(key)
        if distributed.all_true(hit is not None):  # every process hits, or all recompute together
            return ExtractedSet.from_tensors(hit["features"], hit.get("logits"))
    part = distributed.shard(len(images))
    mine = images[part.start:part.stop]
    batches = (mine[i:i + batch_size] for i in range(0, len(mine), batch_size))
    out = extract_batches(extractor, batches, device=device, total=len(part), desc="reference images")
    if key is not None and distributed.rank_and_world()[0] == 0:
        tensors = {"features": out.features}
        if out.logits is not None:
            tensors["logits"] = out.logits
        cache.save_features(key, tensors, metadata={"extractor": getattr(extractor, "name", "")})
    return out


def _identity(extractor) -> dict:
    ident = getattr(extractor, "identity", None)
    if ident is not None:
        return ident()
    from zoo.metrics.extractors import state_dict_hash

    return {"name": getattr(extractor, "name", type(extractor).__name__), "state": state_dict_hash(extractor)}
