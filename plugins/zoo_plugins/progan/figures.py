"""Progressive GAN's README figures and numbers on the digits:

    python -m zoo_plugins.progan.figures progan.digits-32 --run DIR --n 2000 --seed 0 --out docs/images

writes progan-samples.png (64 samples of the EMA generator), progan-interpolation.png (rows: linear paths
in Z between seeds), progan-growing.png (from the training run in DIR: the first row of its sample grids
at the given steps, the same eight latents through the EMA generator as it grew) and progan-scores.json
(the digits judge's Fréchet distance against the held-out digits and IS-style score).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def growing_grid(run: Path, path: Path, steps, size: int = 32, padding: int = 2, scale: int = 3) -> list[int]:
    """The first row of the training run's sample grids (`samples/step-N.png`: the EMA generator on the
    same 64 latents, 8 per row) at the given steps, stacked: the network as it grew."""
    from PIL import Image

    rows = []
    for step in steps:
        f = run / "samples" / f"step-{step:07d}.png"
        if f.exists():
            with Image.open(f) as im:
                rows.append(im.convert("L").crop((0, 0, im.width, size + 2 * padding)))
    if not rows:
        return []
    out = Image.new("L", (rows[0].width, sum(r.height for r in rows)))
    for i, r in enumerate(rows):
        out.paste(r, (0, i * r.height))
    out.resize((out.width * scale, out.height * scale), Image.NEAREST).save(path)
    return [s for s in steps if (run / "samples" / f"step-{s:07d}.png").exists()]


def interpolation_grid(model, path: Path, pairs=((0, 1), (2, 3), (4, 5)), steps: int = 10) -> None:
    import torch

    from zoo.images import save_grid

    g = model.sampler
    strips = []
    for a, b in pairs:
        za = g.sample_latent(1, generator=torch.Generator().manual_seed(a))[0]
        zb = g.sample_latent(1, generator=torch.Generator().manual_seed(b))[0]
        strips.append(model.interpolate(za, zb, steps))
    save_grid(torch.cat(strips), path, nrow=steps, scale=3)


def main(argv=None) -> int:
    import zoo
    from zoo.images import save_grid
    from zoo.metrics.digits_scores import judge_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--run", type=Path, help="the training run's folder (its samples/ give the growing rows)")
    parser.add_argument("--steps", type=int, nargs="*", default=[500, 1000, 1500, 2000, 2500, 3000, 4500])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    args = parser.parse_args(argv)
    model = zoo.load(args.model)
    args.out.mkdir(parents=True, exist_ok=True)
    scores = judge_model(model, n=args.n, seed=args.seed, against="val")
    report = {"model": args.model, "n": args.n, "seed": args.seed, "frechet_val": round(float(scores["frechet"]), 3),
              "is": round(float(scores["is"]), 4)}
    save_grid(model.generate(64, seed=args.seed), args.out / "progan-samples.png", nrow=8, scale=3)
    interpolation_grid(model, args.out / "progan-interpolation.png")
    if args.run is not None:
        report["growing_steps"] = growing_grid(args.run, args.out / "progan-growing.png", args.steps)
    (args.out / "progan-scores.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
