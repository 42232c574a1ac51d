"""The inpainting ablation: PSNR, SSIM and L1 inside the holes and over the whole image, for any
inpainting weight sets and for scikit-image's `inpaint_biharmonic`, on held-out photographs with fixed
held-out masks (the validation split of `photos-inpaint`: photographs never seen in training, each
crop with one hole drawn from a seed of its own; rectangles and strokes measured apart; or of
`digits-inpaint` with --dataset).

    python -m zoo_plugins.pggan_inpaint.evaluate biharmonic pggan-inpaint.photos-64 local-dir:runs/x \\
        --resolution 64 --n 64 --json results.json --grid docs/grid.png --grid-model pggan-inpaint.photos-64

Conventions: images quantised to 8 bits and measured on RGB (all channels, no Y conversion: inpainting
papers report RGB), PSNR = 10 log10(255² / MSE); SSIM is Wang et al. 2004's (zoo.metrics.psnr_ssim:
11×11 Gaussian window, σ = 1.5), its map averaged over the whole valid region ("image") or over the
hole pixels the valid region holds ("holes"); L1 is the mean absolute error of pixels in [0, 1]. Every
number is the mean over images (a PSNR of an exact fill, infinite, left out of its mean and counted as
`exact_fills`). Models fill the holes with `model.inpaint` (known pixels kept exactly).
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

MASK_KINDS = {"rectangles": "rectangle", "strokes": "free-form"}
BASELINE = "biharmonic"


def to_255(x: Tensor) -> Tensor:
    """Images in [-1, 1] -> float64 8-bit values (rounded), as saved PNGs would hold."""
    return ((x.double() + 1) * 127.5).clamp(0, 255).round()


def ssim_map(a: Tensor, b: Tensor, window: int = 11, sigma: float = 1.5) -> Tensor:
    """Per-pixel SSIM (N, C, H - window + 1, W - window + 1) of two 0-255 batches (Wang et al. 2004)."""
    from zoo.metrics.psnr_ssim import gaussian_window

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    g = gaussian_window(window, sigma).to(a)
    ch = a.shape[1]
    kernel = (g[:, None] * g[None, :]).expand(ch, 1, window, window)

    def blur(x: Tensor) -> Tensor:
        return F.conv2d(x, kernel, groups=ch)

    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b = blur(a * a) - mu_a ** 2, blur(b * b) - mu_b ** 2
    cov = blur(a * b) - mu_a * mu_b
    return ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))


def scores(output: Tensor, target: Tensor, mask: Tensor, window: int = 11) -> dict[str, Tensor]:
    """Per-image PSNR, SSIM and L1 over the image and inside the holes (mask 1), images in [-1, 1]."""
    a, b = to_255(output), to_255(target)
    hole = mask.double().expand_as(a)
    sq = (a - b) ** 2
    err = (a - b).abs() / 255
    n_hole = hole.flatten(1).sum(1).clamp_min(1)
    out = {"psnr_image": 10 * torch.log10(255.0 ** 2 / sq.flatten(1).mean(1)),
           "psnr_holes": 10 * torch.log10(255.0 ** 2 / ((sq * hole).flatten(1).sum(1) / n_hole)),
           "l1_image": err.flatten(1).mean(1),
           "l1_holes": (err * hole).flatten(1).sum(1) / n_hole}
    smap = ssim_map(a, b, window)
    r = window // 2
    inner = hole[:, :, r:hole.shape[2] - r, r:hole.shape[3] - r]
    out["ssim_image"] = smap.flatten(1).mean(1)
    out["ssim_holes"] = (smap * inner).flatten(1).sum(1) / inner.flatten(1).sum(1).clamp_min(1)
    return out


def biharmonic(image: Tensor, mask: Tensor) -> Tensor:
    """scikit-image's inpaint_biharmonic on each image (in [-1, 1]); known pixels kept exactly."""
    import numpy as np
    from skimage.restoration import inpaint_biharmonic

    outs = []
    for x, m in zip(image, mask):
        hole = m[0].numpy() > 0.5
        rgb = ((x.permute(1, 2, 0).double().numpy() + 1) / 2) * (1 - hole[..., None])
        filled = inpaint_biharmonic(rgb, hole, channel_axis=-1)
        outs.append(torch.from_numpy(np.ascontiguousarray(filled)).permute(2, 0, 1).float() * 2 - 1)
    out = torch.stack(outs)
    return torch.where(mask.bool().expand_as(image), out, image)


def method(name: str) -> Callable[[Tensor, Tensor], Tensor]:
    if name == BASELINE:
        return biharmonic
    import zoo

    model = zoo.load(name, roles=("generator",))
    return lambda image, mask: model.inpaint(image, mask).float()


def held_out(resolution: int, kind: str, n: int, seed: int = 0, dataset: str = "photos-inpaint") -> dict[str, Tensor]:
    """The first n items of the dataset's validation split with holes of one kind."""
    from zoo.data.inpainting import DigitsInpaint, PhotosInpaint

    if dataset not in ("photos-inpaint", "digits-inpaint"):
        raise ValueError(f"dataset must be photos-inpaint or digits-inpaint, got {dataset!r}")
    cls = PhotosInpaint if dataset == "photos-inpaint" else DigitsInpaint
    data = cls(resolution=resolution, split="val", seed=seed, mask_kind=kind).tensors()
    return {k: v[:n] for k, v in data.items()}


def evaluate(names: list[str], resolution: int = 64, n: int = 64, seed: int = 0, batch_size: int = 16,
             dataset: str = "photos-inpaint") -> dict[str, dict[str, dict[str, float]]]:
    """{method: {mask kind: {metric: mean}}} for every name (a weight set or "biharmonic")."""
    results: dict[str, dict[str, dict[str, float]]] = {}
    sets = {label: held_out(resolution, kind, n, seed, dataset) for label, kind in MASK_KINDS.items()}
    for name in names:
        fill = method(name)
        results[name] = {}
        for label, data in sets.items():
            parts: dict[str, list[Tensor]] = {}
            for start in range(0, len(data["image"]), batch_size):
                image = data["image"][start:start + batch_size]
                mask = data["mask"][start:start + batch_size]
                for k, v in scores(fill(image, mask), image, mask).items():
                    parts.setdefault(k, []).append(v)
            results[name][label] = summary(parts)
    return results


def versus_baseline(ours: Tensor, baseline: Tensor, threshold: float = 30.0) -> dict[str, float]:
    """Per-crop hole PSNRs of a model (`ours`) against the baseline's on the same crops: how many crops
    the model wins, the median of the per-crop differences, and the means over the crops the baseline
    fills nearly exactly (its hole PSNR >= `threshold` dB: smooth ramps, where a mean of PSNRs rewards
    the baseline most) and over the others. Crops either fills exactly (infinite PSNR) are left out."""
    keep = torch.isfinite(ours) & torch.isfinite(baseline)
    ours, baseline = ours[keep].double(), baseline[keep].double()
    smooth = baseline >= threshold
    out = {"crops": int(keep.sum()), "wins": int((ours > baseline).sum()),
           "median_difference": round(float((ours - baseline).median()), 4), "smooth_crops": int(smooth.sum())}
    for part, where in (("smooth", smooth), ("rest", ~smooth)):
        out[f"{part}_model"] = round(float(ours[where].mean()), 4) if where.any() else float("nan")
        out[f"{part}_baseline"] = round(float(baseline[where].mean()), 4) if where.any() else float("nan")
    return out


def compare_per_crop(name: str, resolution: int = 64, n: int = 64, seed: int = 0, batch_size: int = 16,
                     dataset: str = "photos-inpaint", threshold: float = 30.0) -> dict[str, dict[str, float]]:
    """{mask kind: versus_baseline(...)} of one weight set against biharmonic on the held-out crops."""
    fills = {"model": method(name), "baseline": biharmonic}
    out = {}
    for label, kind in MASK_KINDS.items():
        data = held_out(resolution, kind, n, seed, dataset)
        psnr = {who: [] for who in fills}
        for start in range(0, len(data["image"]), batch_size):
            image, mask = data["image"][start:start + batch_size], data["mask"][start:start + batch_size]
            for who, fill in fills.items():
                psnr[who].append(scores(fill(image, mask), image, mask)["psnr_holes"])
        out[label] = versus_baseline(torch.cat(psnr["model"]), torch.cat(psnr["baseline"]), threshold)
    return out


def summary(parts: dict[str, list[Tensor]]) -> dict[str, float]:
    """Means over the images. A PSNR is infinite for an exact fill (a digit's hole all background):
    its mean leaves those out (zoo.metrics.psnr_ssim.mean_finite) and `exact_fills` counts them."""
    from zoo.metrics.psnr_ssim import mean_finite

    out = {}
    for k, v in parts.items():
        values = torch.cat(v)
        out[k] = round(mean_finite(values) if k.startswith("psnr") else float(values.mean()), 4)
    out["exact_fills"] = int(torch.isinf(torch.cat(parts["psnr_holes"])).sum())
    return out


def table(results: dict[str, dict[str, dict[str, float]]], labels: dict[str, str] | None = None) -> str:
    """A Markdown table: one row per method and mask kind."""
    keys = ("psnr_holes", "ssim_holes", "l1_holes", "psnr_image", "ssim_image", "l1_image")
    lines = ["| method | holes | PSNR holes (dB) | SSIM holes | L1 holes | PSNR image (dB) | SSIM image | L1 image |",
             "|---|---|---|---|---|---|---|---|"]
    for name, per_kind in results.items():
        for kind, m in per_kind.items():
            cells = [f"{m[k]:.2f}" if k.startswith("psnr") else f"{m[k]:.4f}" for k in keys]
            lines.append(f"| {(labels or {}).get(name, name)} | {kind} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def picture_grid(path: str, model_name: str, resolution: int = 64, rows: int = 6, seed: int = 0,
                 dataset: str = "photos-inpaint", scale: int = 2) -> None:
    """Rows of (masked input, biharmonic, model, ground truth), alternating rectangles and strokes."""
    from zoo.images import save_grid

    ours = method(model_name)
    cells = []
    for label, kind in MASK_KINDS.items():
        data = held_out(resolution, kind, rows // 2 + rows % 2, seed, dataset)
        image, mask = data["image"], data["mask"]
        masked = torch.where(mask.bool().expand_as(image), torch.ones_like(image), image)  # holes white
        cells.append(torch.stack([masked, biharmonic(image, mask), ours(image, mask), image], 1))
    grid = torch.cat(cells)[:rows].flatten(0, 1)
    save_grid(grid, path, nrow=4, scale=scale)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m zoo_plugins.pggan_inpaint.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("names", nargs="+", help="weight sets (anything zoo.load takes) or 'biharmonic'")
    p.add_argument("--dataset", default="photos-inpaint", choices=("photos-inpaint", "digits-inpaint"))
    p.add_argument("--resolution", type=int, default=64)
    p.add_argument("--n", type=int, default=64, help="held-out images per mask kind (default 64)")
    p.add_argument("--seed", type=int, default=0, help="seed of the held-out crops and masks (default 0)")
    p.add_argument("--json", help="write the results here")
    p.add_argument("--grid", help="write a picture grid (masked / biharmonic / model / truth) here")
    p.add_argument("--per-crop", action="store_true",
                   help="also compare each weight set with biharmonic crop by crop (wins, median difference, "
                        "smooth crops apart)")
    p.add_argument("--grid-model", help="the model of the grid (default: the first name that is not biharmonic)")
    args = p.parse_args(argv)
    results = evaluate(args.names, resolution=args.resolution, n=args.n, seed=args.seed, dataset=args.dataset)
    print(table(results))
    if args.per_crop:
        for name in (n for n in args.names if n != BASELINE):
            print(name, json.dumps(compare_per_crop(name, args.resolution, args.n, args.seed, dataset=args.dataset)))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"protocol": {"dataset": args.dataset, "split": "val", "resolution": args.resolution,
                                    "n": args.n, "seed": args.seed, "mask kinds": MASK_KINDS},
                       "results": results}, f, indent=2)
    if args.grid:
        model = args.grid_model or next((n for n in args.names if n != BASELINE), None)
        if model is None:
            p.error("--grid needs a model (--grid-model)")
        picture_grid(args.grid, model, resolution=args.resolution, seed=args.seed, dataset=args.dataset)
    return 0


if __name__ == "__main__":
    sys.exit(main())
