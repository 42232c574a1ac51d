"""The measurements of CycleGAN on `layouts-seasons` (README table; registry metrics), and the picture grid.

On the fixed validation scenes (600 by default), for A→B (summer→winter, `generator`) and B→A
(winter→summer, `generator_ba`):
  target_rate   the share of translations the seasons domain judge (.domain_judge, trained here on real
                renders of other scenes) places in the target domain
  cycle_l1      mean |F(G(x)) − x| (and |G(F(y)) − y|), pixels in [-1, 1]
  true_l1       mean |G(x) − y*| against the true counterpart y* of the same scene in the other season,
                known to the evaluation only (the models trained on unpaired halves)
  identity_l1   the same distance for the untranslated input, |x − y*|: what doing nothing scores

    python -m zoo_plugins.cyclegan.evaluate cyclegan.seasons-64 [--n 600] [--grid out.png]
"""
from __future__ import annotations

import argparse
import json
from typing import Sequence

import torch


def _run(model, x: torch.Tensor, direction: str, batch: int = 50) -> torch.Tensor:
    return torch.cat([model.translate(x[i:i + batch], direction=direction) for i in range(0, len(x), batch)])


def evaluate(names: Sequence[str], *, n: int = 600, resolution: int = 64) -> dict[str, dict[str, float]]:
    import zoo
    from zoo_plugins.cyclegan.domain_judge import DomainJudge
    from zoo_plugins.cyclegan.seasons import LayoutsSeasons

    val = LayoutsSeasons(resolution=resolution, split="val", size=n).tensors()
    summer, winter = val["image"], val["image_b_true"]  # the same scenes in both seasons
    judge = DomainJudge.pretrained()
    results = {}
    for name in names:
        model = zoo.load(name)
        to_winter, to_summer = _run(model, summer, "ab"), _run(model, winter, "ba")
        back_summer, back_winter = _run(model, to_winter, "ba"), _run(model, to_summer, "ab")
        with torch.no_grad():
            results[name] = {
                "ab_target_rate": (judge(to_winter) > 0).float().mean().item(),
                "ba_target_rate": (judge(to_summer) <= 0).float().mean().item(),
                "ab_true_l1": (to_winter - winter).abs().mean().item(),
                "ba_true_l1": (to_summer - summer).abs().mean().item(),
                "ab_cycle_l1": (back_summer - summer).abs().mean().item(),
                "ba_cycle_l1": (back_winter - winter).abs().mean().item(),
            }
    results["identity (no translation)"] = {
        "ab_target_rate": (judge(summer) > 0).float().mean().item(),
        "ba_target_rate": (judge(winter) <= 0).float().mean().item(),
        "ab_true_l1": (summer - winter).abs().mean().item(), "ba_true_l1": (winter - summer).abs().mean().item()}
    return results


def grid(name: str, path: str, *, n: int = 6, resolution: int = 64) -> None:
    """Rows: summer input / its winter translation / the true winter; winter input / summer translation / true summer."""
    import zoo
    from zoo.images import save_grid
    from zoo_plugins.cyclegan.seasons import LayoutsSeasons

    val = LayoutsSeasons(resolution=resolution, split="val", size=n).tensors()
    model = zoo.load(name)
    summer, winter = val["image"], val["image_b_true"]
    rows = [summer, model.translate(summer, direction="ab"), winter, winter, model.translate(winter, direction="ba"), summer]
    save_grid(torch.cat(rows), path, nrow=n)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m zoo_plugins.cyclegan.evaluate", description=__doc__.split("\n")[0])
    p.add_argument("names", nargs="+")
    p.add_argument("--n", type=int, default=600)
    p.add_argument("--grid", help="also write the grid of the first model here")
    args = p.parse_args(argv)
    torch.set_grad_enabled(False)
    print(json.dumps(evaluate(args.names, n=args.n), indent=2))
    if args.grid:
        grid(args.names[0], args.grid)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
