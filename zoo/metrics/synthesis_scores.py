"""Scores of semantic image synthesis on `layouts`, as the SPADE paper measures it (Park et al. 2019,
arXiv:1903.07291, Sec. 4, Table 1), with the layouts segmenter (zoo/metrics/layouts_segmenter.py):

- mIoU and pixel accuracy of the segmenter's predictions on images synthesised from the validation label
  maps against those maps. mIoU is the mean over classes of |pred ∩ true| / |pred ∪ true| with the counts
  summed over the whole set (one confusion matrix, as the Cityscapes / ADE20K evaluations do); a class
  absent from both prediction and truth is left out of the mean. Higher is better.
- FID: the Fréchet distance (Heusel et al. 2017, arXiv:1706.08500) between the segmenter's features of the
  synthesised images and of the real validation renders. Lower is better.
- The ceiling: the same numbers for the real validation renders themselves (FID against 600 training
  renders of another seed, so it measures the estimator's noise floor, not 0).
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from zoo.metrics.frechet import FeatureStats, frechet_distance_from_stats


def confusion_matrix(pred: Tensor, target: Tensor, num_classes: int) -> Tensor:
    """(K, K) int64 counts, rows = true class, columns = predicted class."""
    if pred.shape != target.shape:
        raise ValueError(f"predicted and true label maps differ in shape: {tuple(pred.shape)} vs {tuple(target.shape)}")
    idx = target.reshape(-1).long() * num_classes + pred.reshape(-1).long()
    return torch.bincount(idx, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def segmentation_scores(confusion: Tensor) -> dict[str, Any]:
    """mIoU, pixel accuracy and the per-class IoU (None where a class is absent from both maps)."""
    c = confusion.double()
    inter = c.diag()
    union = c.sum(0) + c.sum(1) - inter
    present = union > 0
    iou = torch.where(present, inter / union.clamp_min(1), torch.zeros_like(inter))
    return {"miou": float(iou[present].mean()) if bool(present.any()) else float("nan"),
            "pixel_accuracy": float(inter.sum() / c.sum().clamp_min(1)),
            "class_iou": [round(float(v), 4) if p else None for v, p in zip(iou, present)]}


def frechet_between(a: Tensor, b: Tensor) -> float:
    sa, sb = FeatureStats(a.shape[1]).update(a), FeatureStats(b.shape[1]).update(b)
    return float(frechet_distance_from_stats(sa, sb))


@torch.no_grad()
def score_images(images: Tensor, label_maps: Tensor, segmenter, batch_size: int = 100) -> tuple[dict[str, Any], Tensor]:
    """Segmentation scores of renders (N, 3, R, R) against their maps (N, R, R), and their features."""
    k = segmenter.num_pixel_classes
    confusion, feats = torch.zeros(k, k, dtype=torch.long), []
    for x, y in zip(images.split(batch_size), label_maps.split(batch_size)):
        f, logits = segmenter._run(x.float())
        pred = logits.argmax(1)
        if pred.shape[-2:] != y.shape[-2:]:  # a map of another size: compare at the map's size
            pred = torch.nn.functional.interpolate(pred[:, None].float(), size=y.shape[-2:], mode="nearest")[:, 0].long()
        confusion += confusion_matrix(pred, y, k)
        feats.append(f.double())
    return segmentation_scores(confusion), torch.cat(feats)


def judge_synthesis(model, size: int = 600, seed: int = 0, segmenter=None, batch_size: int = 50,
                    real: bool = True) -> dict[str, Any]:
    """mIoU / pixel accuracy / FID of `model.synthesize` on `size` validation label maps (one seeded sample
    each), and, with `real`, the same scores of the real validation renders (the ceiling)."""
    from zoo.data.layouts import Layouts
    from zoo.metrics.layouts_segmenter import LayoutsSegmenter

    segmenter = segmenter if segmenter is not None else LayoutsSegmenter.pretrained()
    resolution = model.sampler.output.shape[-1]
    val = Layouts(resolution, "val", size=size).tensors()
    train = Layouts(resolution, "train", seed=2, size=size).tensors()
    fake = torch.cat([model.synthesize(m, seed=seed + i).cpu()
                      for i, m in enumerate(val["label_map"].split(batch_size))])
    real_scores, val_feats = score_images(val["image"], val["label_map"], segmenter)
    scores, fake_feats = score_images(fake.clamp(-1, 1), val["label_map"], segmenter)
    scores["fid"] = frechet_between(fake_feats, val_feats)
    out = {**scores, "n": size, "seed": seed, "against": f"layouts val split ({size} scenes, {resolution} px)"}
    if real:
        _, train_feats = score_images(train["image"], train["label_map"], segmenter)
        real_scores["fid"] = frechet_between(val_feats, train_feats)
        out["real"] = real_scores
    return out


@torch.no_grad()
def seed_spread(model, label_maps: Tensor, seeds: int = 8) -> dict[str, float]:
    """Multi-modality: for each map, `seeds` syntheses with different seeds; the mean per-pixel standard
    deviation across seeds (in [-1, 1] units) and the mean pairwise L1 distance between samples."""
    outs = torch.stack([model.synthesize(label_maps, seed=s).cpu() for s in range(seeds)])  # (S, N, 3, H, W)
    std = outs.std(0, unbiased=True).mean()
    pair = torch.stack([(outs[i] - outs[j]).abs().mean() for i in range(seeds) for j in range(i + 1, seeds)])
    return {"pixel_std": float(std), "pairwise_l1": float(pair.mean()), "seeds": seeds, "maps": len(label_maps)}


def main(argv=None) -> int:
    """python -m zoo.metrics.synthesis_scores NAME [NAME ...] [--size 600] [--json FILE]: the table."""
    import argparse
    import json

    import zoo

    parser = argparse.ArgumentParser(description="mIoU / pixel accuracy / FID of label-map-to-image models on layouts")
    parser.add_argument("names", nargs="+")
    parser.add_argument("--size", type=int, default=600)
    parser.add_argument("--seeds", type=int, default=8, help="seeds for the multi-modal spread (on 16 maps)")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--figures", help="draw the README's pictures into this folder")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    from zoo.data.layouts import Layouts

    results, real, models = {}, None, {}
    spread_maps = Layouts(64, "val", size=16).tensors()["label_map"]
    for name in args.names:
        model = models[name] = zoo.load(name)
        out = judge_synthesis(model, size=args.size, real=real is None)
        real = out.pop("real", real)
        out["spread"] = seed_spread(model, spread_maps, seeds=args.seeds)
        results[name] = out
        print(f"{name}: mIoU {out['miou']:.4f}  pixel accuracy {out['pixel_accuracy']:.4f}  FID {out['fid']:.3f}  "
              f"seed spread (pixel std) {out['spread']['pixel_std']:.4f}", flush=True)
    results["real renders"] = real
    print(f"real renders: mIoU {real['miou']:.4f}  pixel accuracy {real['pixel_accuracy']:.4f}  FID {real['fid']:.3f}")
    if args.figures:
        from zoo.metrics.synthesis_figures import draw

        print("wrote", ", ".join(str(p) for p in draw(models, args.figures)))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
