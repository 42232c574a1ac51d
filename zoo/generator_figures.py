"""README figures and numbers of an unconditional latent generator trained on the digits, measured with the
digits judge (Fréchet distance against the held-out digits and the IS-style score):

    python -m zoo.generator_figures stylegan2.digits-32 --n 2000 --seed 0 --out docs/images

writes, named after the model's architecture (here stylegan2-*): -samples.png (64 samples, ψ = 1),
-interpolation.png (rows: linear in Z; for a style generator rows in pairs, Z then W, between the same two
latents), -projection.png (held-out digits, top, and their projections, bottom: into W for a style generator,
else into Z) and -scores.json. For a style generator (zoo.tasks.styles) also the truncation curve (ψ = 0.5 ...
1.0, StyleGAN's truncation in W towards the tracked w_avg) in -scores.json and -mixing.png (StyleGAN's Fig. 3
layout: the first row holds the column sources, the first column the row sources; each cell is its row's ws
with the coarse layers 0-3 taken from its column). With `--run DIR` (a progressively grown run) also
-growing.png: the first row of the run's sample grids at the given steps, the same latents as the network grew.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

PSIS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


class WithPsi:
    """A model whose `generate` samples at one truncation ψ (what judge_model calls)."""

    def __init__(self, model, psi: float):
        self.model, self.psi, self.sampler = model, psi, model.sampler

    def generate(self, n, *, seed=None, c=None, batch_size=256):
        return self.model.generate(n, seed=seed, c=c, batch_size=batch_size, truncation_psi=self.psi)


def is_style_model(model) -> bool:
    return hasattr(model, "mix_styles")


def scores(model, n: int, seed: int, judge=None) -> dict:
    from zoo.metrics.digits_scores import judge_model

    s = judge_model(model, n=n, seed=seed, judge=judge, against="val")
    return {"frechet_val": round(float(s["frechet"]), 3), "is": round(float(s["is"]), 4)}


def truncation_curve(model, psis=PSIS, n: int = 2000, seed: int = 0) -> list[dict]:
    from zoo.metrics.digits_judge import DigitsJudge

    judge = DigitsJudge.pretrained()
    rows = []
    for psi in psis:
        rows.append({"psi": psi, **scores(WithPsi(model, psi), n, seed, judge)})
        print(f"psi {psi}: Fréchet {rows[-1]['frechet_val']:.2f}, IS-style {rows[-1]['is']:.3f}",
              file=sys.stderr, flush=True)
    return rows


def mixing_grid(model, path, rows=(1, 2, 3, 4, 5), cols=(6, 7, 8, 9, 10, 11), styles=(0, 1, 2, 3), psi=1.0):
    import torch

    from zoo.images import save_grid

    g = model.sampler
    with torch.no_grad():
        mixed = model.mix_styles(list(rows), list(cols), col_styles=list(styles), psi=psi)
        col_images = g.synthesis(model.seed_ws(list(cols), psi=psi)).clamp(-1, 1)
        row_images = g.synthesis(model.seed_ws(list(rows), psi=psi)).clamp(-1, 1)
    blank = torch.full_like(col_images[:1], -1.0)
    grid = [blank, col_images]
    for r in range(len(rows)):
        grid += [row_images[r:r + 1], mixed[r].clamp(-1, 1)]
    return save_grid(torch.cat(grid), path, nrow=len(cols) + 1, scale=3)


def interpolation_grid(model, path, pairs=((0, 1), (2, 3), (4, 5)), steps: int = 10):
    import torch

    from zoo.images import save_grid

    g = model.sampler
    strips = []
    for a, b in pairs:
        za = g.sample_latent(1, generator=torch.Generator().manual_seed(a), device="cpu")[0]
        zb = g.sample_latent(1, generator=torch.Generator().manual_seed(b), device="cpu")[0]
        if is_style_model(model):
            strips += [model.interpolate(za, zb, steps, space="z"), model.interpolate(za, zb, steps, space="w")]
        else:
            strips.append(model.interpolate(za, zb, steps))
    return save_grid(torch.cat(strips), path, nrow=steps, scale=3)


def projection_grid(model, path, count: int = 6, steps: int = 300) -> list[float]:
    """Projects the first `count` held-out digits; their mean squared errors in [-1, 1]."""
    import torch

    from zoo.data.digits import load_digits_tensors
    from zoo.images import save_grid

    images, _ = load_digits_tensors(model.sampler.output.shape[-1], "val")
    targets = images[:count]
    found = [model.project(t[None], steps=steps, seed=0).image.clamp(-1, 1) for t in targets]
    mse = [float(((f - t[None]) ** 2).mean()) for f, t in zip(found, targets)]
    save_grid(torch.cat([targets, *found]), path, nrow=count, scale=3)
    return mse


def growing_grid(run: Path, path: Path, steps, size: int = 32, padding: int = 2, scale: int = 3) -> list[int]:
    """The first row of the training run's sample grids (`samples/step-N.png`: the EMA generator on the
    same 64 latents, 8 per row) at the given steps (none given: every grid the run saved), stacked; the
    steps found."""
    from PIL import Image

    if not steps:
        names = (re.fullmatch(r"step-(\d+)\.png", f.name) for f in (run / "samples").glob("step-*.png"))
        steps = sorted(int(m[1]) for m in names if m)  # the trainer's step-NNNNNNN.png; other files are not grids
    found, rows = [], []
    for step in steps:
        f = run / "samples" / f"step-{step:07d}.png"
        if f.exists():
            with Image.open(f) as im:
                rows.append(im.convert("L").crop((0, 0, im.width, size + 2 * padding)))
            found.append(step)
    if rows:
        out = Image.new("L", (rows[0].width, sum(r.height for r in rows)))
        for i, r in enumerate(rows):
            out.paste(r, (0, i * r.height))
        out.resize((out.width * scale, out.height * scale), Image.NEAREST).save(path)
    return found


def main(argv=None) -> int:
    import torch

    import zoo
    from zoo.images import save_grid

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    parser.add_argument("--no-scores", action="store_true", help="skip the judge (the figures only)")
    parser.add_argument("--run", type=Path, help="a progressively grown run's folder (its samples/ give -growing)")
    parser.add_argument("--growing-steps", type=int, nargs="*", default=[],
                        help="the sample grids' steps to stack (default: all of them)")
    args = parser.parse_args(argv)
    model = zoo.load(args.model)
    prefix = model.architecture.name
    args.out.mkdir(parents=True, exist_ok=True)
    report = {"model": args.model, "n": args.n, "seed": args.seed}
    if not args.no_scores:  # first: `project` below rewrites the generator's const noise maps
        if is_style_model(model):
            report["truncation"] = truncation_curve(model, n=args.n, seed=args.seed)
            report.update({k: report["truncation"][-1][k] for k in ("frechet_val", "is")})
        else:
            report.update(scores(model, args.n, args.seed))
    save_grid(model.generate(64, seed=args.seed), args.out / f"{prefix}-samples.png", nrow=8, scale=3)
    if is_style_model(model):
        mixing_grid(model, args.out / f"{prefix}-mixing.png")
    interpolation_grid(model, args.out / f"{prefix}-interpolation.png")
    torch.manual_seed(args.seed)
    mse = projection_grid(model, args.out / f"{prefix}-projection.png")
    report["projection_mse"] = [round(m, 4) for m in mse]
    if args.run is not None:
        report["growing_steps"] = growing_grid(args.run, args.out / f"{prefix}-growing.png", args.growing_steps)
    (args.out / f"{prefix}-scores.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
