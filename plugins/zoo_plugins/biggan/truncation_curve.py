"""The truncation trade-off (Brock 2019, Sec. 3.1, Fig. 2(b)/4): IS-style score against Fréchet distance as
the truncation threshold goes from 0.1 to 2.0, measured with the digits judge; and a per-class grid.

    python -m zoo_plugins.biggan.truncation_curve biggan.digits-32 --n 2000 --seed 0 \\
        --plot docs/images/biggan-truncation.png --grid docs/images/biggan-classes.png \\
        --interpolation docs/images/biggan-interpolation.png --json docs/images/biggan-truncation.json

Smaller thresholds trade variety (Fréchet grows) for fidelity (the IS-style score, whose confident-
class term rises); the untruncated sampler is the point "none". Drawn with Pillow (no matplotlib here).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

THRESHOLDS = tuple(round(0.1 * k, 1) for k in range(1, 21))  # 0.1 ... 2.0


class Truncated:
    """A model whose `generate` samples with one truncation (what judge_model calls)."""

    def __init__(self, model, truncation: float | None):
        self.model, self.truncation, self.sampler = model, truncation, model.sampler

    def generate(self, n, *, seed=None, c=None, batch_size=256):
        extra = {} if self.truncation is None else {"truncation": self.truncation}
        return self.model.generate(n, seed=seed, c=c, batch_size=batch_size, **extra)


def measure(model, thresholds=THRESHOLDS, n: int = 2000, seed: int = 0) -> list[dict]:
    from zoo.metrics.digits_judge import DigitsJudge
    from zoo.metrics.digits_scores import judge_model

    judge = DigitsJudge.pretrained()
    rows = []
    for t in (None, *thresholds):
        s = judge_model(Truncated(model, t), n=n, seed=seed, judge=judge)
        rows.append({"truncation": t, "is": s["is"], "frechet_val": s["frechet"],
                     "conditional_accuracy": s.get("conditional_accuracy")})
        print(f"truncation {t}: IS-style {s['is']:.3f}, Fréchet {s['frechet']:.2f}, "
              f"accuracy {s.get('conditional_accuracy')}", file=sys.stderr, flush=True)
    return rows


def plot_curve(rows, path, title: str = "truncation trade-off", size=(760, 520)) -> Path:
    """IS-style (x) against Fréchet (y), one point per threshold, labelled; the untruncated point in red."""
    from PIL import Image, ImageDraw, ImageFont

    try:
        font = ImageFont.load_default(size=13)
    except TypeError:
        font = ImageFont.load_default()
    width, height = size
    left, right, top, bottom = 70, 30, 40, 55
    xs, ys = [r["is"] for r in rows], [r["frechet_val"] for r in rows]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    pad_x, pad_y = (x1 - x0) * 0.05 or 0.1, (y1 - y0) * 0.05 or 0.1
    x0, x1, y0, y1 = x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y

    def px(x, y):
        return (left + (x - x0) / (x1 - x0) * (width - left - right),
                height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom))

    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle([left, top, width - right, height - bottom], outline="black")
    for k in range(6):  # ticks
        xv, yv = x0 + (x1 - x0) * k / 5, y0 + (y1 - y0) * k / 5
        x, _ = px(xv, y0)
        _, y = px(x0, yv)
        draw.line([x, top, x, height - bottom], fill=(235, 235, 235))
        draw.line([left, y, width - right, y], fill=(235, 235, 235))
        draw.text((x, height - bottom + 6), f"{xv:.2f}", fill="black", font=font, anchor="mt")
        draw.text((left - 6, y), f"{yv:.1f}", fill="black", font=font, anchor="rm")
    curve = [r for r in rows if r["truncation"] is not None]
    draw.line([px(r["is"], r["frechet_val"]) for r in curve], fill=(31, 119, 180), width=2)
    for r in rows:
        x, y = px(r["is"], r["frechet_val"])
        colour = (214, 39, 40) if r["truncation"] is None else (31, 119, 180)
        draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=colour)
        label = "none" if r["truncation"] is None else f"{r['truncation']:g}"
        if r["truncation"] is None or round(r["truncation"] * 10) % 2 == 1 or r["truncation"] == 2.0:
            draw.text((x + 6, y - 6), label, fill=colour, font=font, anchor="ls")
    draw.text(((left + width - right) / 2, height - 18), "IS-style score (digits judge)  ->  fidelity",
              fill="black", font=font, anchor="mm")
    draw.text((8, top - 26), "Frechet distance to held-out digits (lower: closer)", fill="black", font=font)
    draw.text(((left + width - right) / 2, 12), title, fill="black", font=font, anchor="mm")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


def class_grid(model, path, per_class: int = 10, seed: int = 0, truncation: float | None = None, scale: int = 2):
    """One row per class: `per_class` samples of digit 0, then 1, ..., 9."""
    import torch

    from zoo.images import save_grid

    labels = torch.arange(10).repeat_interleave(per_class)
    extra = {} if truncation is None else {"truncation": truncation}
    images = model.generate(len(labels), seed=seed, c=labels, **extra)
    return save_grid(images, path, value_range=model.sampler.output.value_range, nrow=per_class, scale=scale)


def interpolation_grid(model, path, steps: int = 8, seed: int = 0, scale: int = 2):
    """Rows 1-5: class interpolation (one z, the class vector blended from a to b); rows 6-10: latent
    interpolation (slerp between two z, the class fixed)."""
    import torch

    from zoo.images import save_grid

    rows = [model.interpolate_classes(a, b, steps, seed=seed + i) for i, (a, b) in
            enumerate(((0, 6), (1, 7), (3, 8), (4, 9), (2, 5)))]
    rows += [model.interpolate_latents(label, steps, seed=seed + label) for label in (0, 2, 4, 6, 8)]
    return save_grid(torch.cat(rows), path, value_range=model.sampler.output.value_range, nrow=steps, scale=scale)


def main(argv=None) -> int:
    import zoo

    parser = argparse.ArgumentParser(description="BigGAN's truncation trade-off on the digits judge")
    parser.add_argument("name", help="a class-conditional digits model, e.g. biggan.digits-32")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot")
    parser.add_argument("--grid")
    parser.add_argument("--grid-truncation", type=float, default=None)
    parser.add_argument("--interpolation", help="PNG of class and latent interpolation strips")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    model = zoo.load(args.name)
    if args.interpolation:
        print(f"wrote {interpolation_grid(model, args.interpolation, seed=args.seed)}")
    if args.grid:
        print(f"wrote {class_grid(model, args.grid, seed=args.seed, truncation=args.grid_truncation)}")
    rows = measure(model, n=args.n, seed=args.seed)
    if args.json:
        Path(args.json).write_text(json.dumps({"model": args.name, "n": args.n, "seed": args.seed,
                                               "against": "digits val split", "rows": rows}, indent=1) + "\n")
    if args.plot:
        print(f"wrote {plot_curve(rows, args.plot, title=f'{args.name}: truncation 0.1 ... 2.0 (n={args.n})')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
