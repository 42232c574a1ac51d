"""StyleGAN2's README figures and numbers on the digits, measured with the digits judge:

    python -m zoo_plugins.stylegan2.figures stylegan2.digits-32 --n 2000 --seed 0 --out docs/images

writes stylegan2-truncation.json (Fréchet against the held-out digits and the IS-style score for
ψ = 0.5 ... 1.0, StyleGAN's truncation in W towards the tracked w_avg), stylegan2-samples.png (ψ = 1),
stylegan2-mixing.png (StyleGAN's Fig. 3 layout: the first row holds the column sources, the first column
the row sources; each cell is its row's ws with the coarse layers 0-3 taken from its column),
stylegan2-interpolation.png (rows in pairs: linear in Z, then linear in W, between the same two latents)
and stylegan2-projection.png (held-out digits, top, and their projections into W, bottom).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

PSIS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


class WithPsi:
    """A model whose `generate` samples at one truncation ψ (what judge_model calls)."""

    def __init__(self, model, psi: float):
        self.model, self.psi, self.sampler = model, psi, model.sampler

    def generate(self, n, *, seed=None, c=None, batch_size=256):
        return self.model.generate(n, seed=seed, c=c, batch_size=batch_size, truncation_psi=self.psi)


def truncation_curve(model, psis=PSIS, n: int = 2000, seed: int = 0) -> list[dict]:
    from zoo.metrics.digits_judge import DigitsJudge
    from zoo.metrics.digits_scores import judge_model

    judge = DigitsJudge.pretrained()
    rows = []
    for psi in psis:
        s = judge_model(WithPsi(model, psi), n=n, seed=seed, judge=judge)
        rows.append({"psi": psi, "frechet_val": round(s["frechet"], 3), "is": round(s["is"], 4)})
        print(f"psi {psi}: Fréchet {s['frechet']:.2f}, IS-style {s['is']:.3f}", file=sys.stderr, flush=True)
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
        strips += [model.interpolate(za, zb, steps, space="z"), model.interpolate(za, zb, steps, space="w")]
    return save_grid(torch.cat(strips), path, nrow=steps, scale=3)


def projection_grid(model, path, count: int = 6, steps: int = 300):
    import torch

    from zoo.data.digits import load_digits_tensors
    from zoo.images import save_grid

    images, _ = load_digits_tensors(model.sampler.output.shape[-1], "val")
    targets = images[:count]
    found = [model.project(t[None], steps=steps, seed=0).image.clamp(-1, 1) for t in targets]
    mse = [float(((f - t[None]) ** 2).mean()) for f, t in zip(found, targets)]
    save_grid(torch.cat([targets, *found]), path, nrow=count, scale=3)
    return mse


def main(argv=None) -> int:
    import torch

    import zoo

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    parser.add_argument("--no-curve", action="store_true")
    args = parser.parse_args(argv)
    model = zoo.load(args.model)
    args.out.mkdir(parents=True, exist_ok=True)
    from zoo.images import save_grid

    report = {"model": args.model, "n": args.n, "seed": args.seed}
    if not args.no_curve:  # first: `project` below rewrites the generator's const noise maps
        report["truncation"] = truncation_curve(model, n=args.n, seed=args.seed)
    save_grid(model.generate(64, seed=args.seed), args.out / "stylegan2-samples.png", nrow=8, scale=3)
    mixing_grid(model, args.out / "stylegan2-mixing.png")
    interpolation_grid(model, args.out / "stylegan2-interpolation.png")
    torch.manual_seed(args.seed)
    report["projection_mse"] = [round(m, 4) for m in projection_grid(model, args.out / "stylegan2-projection.png")]
    (args.out / "stylegan2-truncation.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
