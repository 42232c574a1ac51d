"""Super-resolution measured as the papers do, on the held-out photographs, and a crop comparison.

    python -m zoo_plugins.srgan.evaluate NAME [NAME ...] [--scale 4] [--crop-png OUT.png] [--json OUT.json]

The held-out photographs are photos-sr's validation split (zoo.data.photos: chelsea, stereo_motorcycle,
page), each whole, cut to a multiple of the scale; the LR input is photos-sr's bicubic anti-aliased
downscale. Every model (any name zoo.load takes: srresnet.*, srgan.*, esrgan.*) and plain bicubic
upsampling are scored by PSNR and SSIM on the Y channel with `scale` border pixels cropped (SRGAN's and
BasicSR's protocol, zoo.metrics.psnr_ssim), and by the no-reference sharpness ratios of
zoo.metrics.sharpness (1.0 = the ground truth's detail). Means over the photographs are printed as a
table. `--crop-png` writes one row per photograph: bicubic | each model | ground truth, on a 96 px crop.
"""
from __future__ import annotations

import argparse
import json
import sys

import torch
import torch.nn.functional as F
from torch import Tensor

from zoo.data.photos import available_photos, load_photo
from zoo.data.photos_sr import bicubic_downscale
from zoo.metrics import psnr_ssim
from zoo.metrics.sharpness import sharpness_ratios
from zoo.tasks.checks import input_range


def held_out_pairs(scale: int) -> dict[str, tuple[Tensor, Tensor]]:
    """{photograph: (LR (1, 3, h, w), HR (1, 3, scale·h, scale·w))}, both in [0, 1]."""
    out = {}
    for name in available_photos("val"):
        photo = load_photo(name).float()[None] / 255
        h, w = (s - s % scale for s in photo.shape[-2:])
        hr = photo[..., :h, :w]
        out[name] = (bicubic_downscale(hr, scale), hr)
    return out


def bicubic(low: Tensor, scale: int) -> Tensor:
    return F.interpolate(low, scale_factor=scale, mode="bicubic", align_corners=False).clamp(0, 1)


def model_upscaler(name: str):
    """A function LR [0, 1] -> SR [0, 1] for a weight set."""
    import zoo

    model = zoo.load(name)
    g = model.sampler
    (ilo, ihi), (olo, ohi) = input_range(g), tuple(g.output.value_range)

    def run(low: Tensor) -> Tensor:
        out = model.upscale(low * (ihi - ilo) + ilo, tile=None)
        return ((out - olo) / (ohi - olo)).clamp(0, 1)

    return run


def scores(sr: Tensor, hr: Tensor, scale: int) -> dict[str, float]:
    kw = {"crop_border": scale, "value_range": (0.0, 1.0)}
    sharp = sharpness_ratios(sr, hr, **kw)
    return {"psnr": float(psnr_ssim.psnr(sr, hr, **kw)), "ssim": float(psnr_ssim.ssim(sr, hr, **kw)),
            "gradient": float(sharp["gradient"]), "high_frequency": float(sharp["high_frequency"])}


def evaluate(names: list[str], scale: int = 4) -> tuple[dict, dict]:
    """({method: {metric: mean over photographs, "per_photo": {...}}}, {photograph: {method: SR image}})."""
    pairs = held_out_pairs(scale)
    methods = {"bicubic": lambda low: bicubic(low, scale), **{n: model_upscaler(n) for n in names}}
    results, images = {}, {p: {} for p in pairs}
    for method, run in methods.items():
        per = {}
        for photo, (low, high) in pairs.items():
            with torch.no_grad():
                sr = run(low)
            images[photo][method] = sr
            per[photo] = scores(sr, high, scale)
        keys = next(iter(per.values())).keys()
        results[method] = {k: round(sum(p[k] for p in per.values()) / len(per), 4) for k in keys}
        results[method]["per_photo"] = {p: {k: round(v, 4) for k, v in s.items()} for p, s in per.items()}
    for photo, (_, high) in pairs.items():
        images[photo]["ground truth"] = high
    return results, images


def crop_grid(images: dict, size: int = 96) -> Tensor:
    """(3, rows·size, columns·size): per photograph a crop at its centre from every method."""
    rows = []
    for photo, by_method in images.items():
        h, w = next(iter(by_method.values())).shape[-2:]
        top, left = (h - size) // 2, (w - size) // 2
        rows.append(torch.cat([im[0, :, top:top + size, left:left + size] for im in by_method.values()], 2))
    return torch.cat(rows, 1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m zoo_plugins.srgan.evaluate", description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", help="weight sets to score beside bicubic")
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--crop-png", help="write the crop comparison here")
    p.add_argument("--json", help="write the scores here")
    args = p.parse_args(argv)
    results, images = evaluate(args.names, args.scale)
    print(f"{'method':32s} {'PSNR':>7s} {'SSIM':>7s} {'grad':>6s} {'HF':>6s}")
    for method, r in results.items():
        print(f"{method:32s} {r['psnr']:7.2f} {r['ssim']:7.4f} {r['gradient']:6.3f} {r['high_frequency']:6.3f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)
    if args.crop_png:
        from zoo.images import save_image

        print("columns:", " | ".join(next(iter(images.values()))))
        save_image(crop_grid(images)[None], args.crop_png, value_range=(0.0, 1.0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
