"""The measurements of pix2pix on `layouts` (README tables; registry metrics), and the picture grid.

labels -> renders (Table 1 of the paper: cGAN + L1 against L1 alone):
  l1            mean |G(x) − y| against the true render, pixels in [-1, 1]
  fid           Fréchet distance between the outputs and the true renders of the same scenes, in the
                features of the layouts segmenter (zoo.metrics.layouts_segmenter: a network trained here
                on real renders; Inception has never seen these scenes) — realism, lower is better
  seg_miou / seg_accuracy  the segmenter's reading of the outputs against the input label maps (the
                paper's "FCN-score", Sec. 4.2), with the segmenter on real renders as the ceiling
renders -> labels: pixel accuracy and mIoU of the output read as a label map (nearest palette colour).

Validation scenes: `layouts`, split "val" (fixed scenes, never trained on), 600 by default; outputs with
seed 0 (the dropout noise), 50 at a time.

    python -m zoo_plugins.pix2pix.evaluate pix2pix.layouts-64 local-dir:runs/l1only [--n 600] [--grid out.png]
"""
from __future__ import annotations

import argparse
import json
from typing import Mapping, Sequence

import torch

from zoo_plugins.pix2pix import pairs


def _outputs(model, a: torch.Tensor, batch: int = 50) -> torch.Tensor:
    return torch.cat([model.translate(a[i:i + batch], seed=i) for i in range(0, len(a), batch)])


def segmenter():
    from zoo.metrics.layouts_segmenter import LayoutsSegmenter

    return LayoutsSegmenter.pretrained()


def render_scores(outputs: torch.Tensor, targets: torch.Tensor, label_map: torch.Tensor, judge) -> dict[str, float]:
    """l1, fid (segmenter features), seg_miou, seg_accuracy of rendered outputs."""
    from zoo.metrics.frechet import frechet_distance_from_features

    with torch.no_grad():
        read = [judge.features_and_segments(outputs[i:i + 100]) for i in range(0, len(outputs), 100)]
        fake, seg = torch.cat([f for f, _ in read]), torch.cat([s for _, s in read])
        real = torch.cat([judge.features(targets[i:i + 100]) for i in range(0, len(targets), 100)])
    scores = pairs.pixel_scores(seg, label_map, len(pairs.palette_tensor()))
    return {"l1": (outputs - targets).abs().mean().item(), "fid": frechet_distance_from_features(fake, real),
            "seg_miou": scores["miou"], "seg_accuracy": scores["pixel_accuracy"]}


def evaluate(names: Sequence[str], *, n: int = 600, resolution: int = 64,
             ceiling: bool = True) -> dict[str, dict[str, float]]:
    """Scores of each weight set; with `ceiling`, also those of the real renders ("real renders")."""
    import zoo
    from zoo.data.layouts import Layouts

    val = Layouts(resolution=resolution, split="val", size=n).tensors()
    results: dict[str, dict[str, float]] = {}
    judge = None
    for name in names:
        model = zoo.load(name)
        pairing = model.config.get("pairing", "labels2renders")
        a, b = pairs.paired_images(val, pairing)
        out = _outputs(model, a)
        if pairing == "labels2renders":
            judge = judge or segmenter()
            results[name] = render_scores(out, b, val["label_map"], judge)
        else:
            results[name] = pairs.pixel_scores(pairs.nearest_labels(out), val["label_map"], len(pairs.palette_tensor()))
    if ceiling and judge is not None:  # the ceiling: real renders read by the segmenter
        results["real renders"] = render_scores(val["image"], val["image"], val["label_map"], judge)
    return results


def grid(pairs_of_models: Mapping[str, str], path: str, *, n: int = 6, resolution: int = 64) -> None:
    """Rows of input / output / target for each model (labels->renders and renders->labels)."""
    import zoo
    from zoo.data.layouts import Layouts
    from zoo.images import save_grid

    val = Layouts(resolution=resolution, split="val", size=n).tensors()
    rows = []
    for name in pairs_of_models.values():
        model = zoo.load(name)
        a, b = pairs.paired_images(val, model.config.get("pairing", "labels2renders"))
        rows += [a, model.translate(a, seed=0), b]
    save_grid(torch.cat(rows), path, nrow=n)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m zoo_plugins.pix2pix.evaluate", description=__doc__.split("\n")[0])
    p.add_argument("names", nargs="+")
    p.add_argument("--n", type=int, default=600)
    p.add_argument("--grid", help="also write an input/output/target grid of the given models here")
    args = p.parse_args(argv)
    torch.set_grad_enabled(False)
    print(json.dumps(evaluate(args.names, n=args.n), indent=2))
    if args.grid:
        grid({name: name for name in args.names}, args.grid)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
