"""The truncation trade-off of a class-conditional digits generator (Brock et al. 2019, BigGAN, Sec. 3.1
and Fig. 2(a)): z drawn from N(0, I) with every value beyond the threshold resampled, for thresholds
0.1 … 2.0, and for each the digits judge's IS-style score, Fréchet distance to the held-out digits and
conditional accuracy (zoo.metrics.digits_scores). Small thresholds trade variety (Fréchet) for
typicality (IS-style, accuracy).

    python -m zoo_plugins.sagan.truncation_curve sagan.digits-32 [--n 2000] [--seed 0] [--out curve.json]
"""
from __future__ import annotations

import argparse
import json

THRESHOLDS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


def truncation_curve(model, thresholds=THRESHOLDS, n: int = 2000, seed: int = 0, against: str = "val") -> list[dict]:
    """One row per threshold: {"truncation", "is", "is_std", "frechet", "conditional_accuracy"}, from
    `model.generate(n, seed=seed, c=labels, truncation=t)` with labels 0..9 in turn (what `zoo generate
    --truncation t` draws); the Fréchet distance against the `against` split of the digits."""
    import torch

    from zoo.data.digits import load_digits_tensors
    from zoo.images import to_range
    from zoo.metrics.digits_judge import DigitsJudge
    from zoo.metrics.digits_scores import conditional_accuracy, frechet_between, is_style_score, judge_outputs

    G, judge = model.sampler, DigitsJudge.pretrained()
    labels = torch.arange(n) % G.condition.num_classes
    real_features, _ = judge_outputs(judge, load_digits_tensors(G.output.shape[-1], against)[0])
    rows = []
    for threshold in thresholds:
        images = model.generate(n, seed=seed, c=labels, truncation=threshold).float().cpu()
        features, logits = judge_outputs(judge, to_range(images, G.output.value_range, (-1.0, 1.0)))
        is_mean, is_std = is_style_score(logits)
        rows.append({"truncation": threshold, "is": round(is_mean, 3), "is_std": round(is_std, 3),
                     "frechet": round(frechet_between(features, real_features), 2),
                     "conditional_accuracy": round(conditional_accuracy(logits, labels), 4)})
    return rows


def main(argv=None) -> int:
    import zoo

    p = argparse.ArgumentParser(prog="python -m zoo_plugins.sagan.truncation_curve", description=__doc__.split("\n\n")[0])
    p.add_argument("name", help="weight set of a class-conditional digits generator")
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="also write the rows to this JSON file")
    args = p.parse_args(argv)
    rows = truncation_curve(zoo.load(args.name), n=args.n, seed=args.seed)
    for row in rows:
        print(json.dumps(row))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
