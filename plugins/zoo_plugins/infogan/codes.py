"""How well an InfoGAN's codes capture the digits' factors, trained with no labels (Chen et al. 2016, Sec. 7.1):

- the categorical code as a classifier: Q's most likely category for each real digit, matched one-to-one
  to the digit classes so as to maximise the agreement (the Hungarian algorithm, scipy's
  linear_sum_assignment), gives the accuracy the paper reports (about 5 % error on MNIST); and the
  normalised mutual information between categories and classes (arithmetic-mean normalisation,
  NMI = 2 I(U; V) / (H(U) + H(V)));
- the same for generation: samples made with c1 = k, classified by the digits judge;
- the continuous codes: Pearson correlation of each code, set uniformly in [-1, 1], with the slant and
  width measured on its samples (zoo.data.digits' measures on the 8×8 average-pooled image), and of Q's
  posterior mean on real digits with their measured slant and width.

`python -m zoo_plugins.infogan.codes NAME [--n 2000] [--seed 0]` prints the measures as JSON.
"""
from __future__ import annotations

import argparse
import json
import math

import torch
import torch.nn.functional as F
from torch import Tensor

from zoo.data.digits import ATTRIBUTE_NAMES, measure_attributes, standardise_attributes


def confusion(pred: Tensor, labels: Tensor, k: int | None = None) -> Tensor:
    """Counts (k, k): row = predicted category, column = true class."""
    k = k or int(max(pred.max(), labels.max())) + 1
    return torch.bincount(pred.long() * k + labels.long(), minlength=k * k).view(k, k)


def matched_accuracy(pred: Tensor, labels: Tensor, k: int | None = None) -> tuple[float, list[int]]:
    """Accuracy after the best one-to-one matching of categories to classes, and the matching
    (mapping[category] = class)."""
    from scipy.optimize import linear_sum_assignment

    counts = confusion(pred, labels, k)
    rows, cols = linear_sum_assignment(counts.numpy(), maximize=True)
    mapping = [0] * counts.shape[0]
    for r, c in zip(rows.tolist(), cols.tolist()):
        mapping[r] = c
    return counts[rows, cols].sum().item() / len(labels), mapping


def normalised_mutual_information(pred: Tensor, labels: Tensor) -> float:
    """2 I(U; V) / (H(U) + H(V)) of two labellings (1 when one determines the other, 0 when independent)."""
    joint = confusion(pred, labels).double() / len(labels)
    pu, pv = joint.sum(1), joint.sum(0)
    nz = joint > 0
    mi = (joint[nz] * (joint[nz] / (pu[:, None] * pv[None, :])[nz]).log()).sum().item()
    h = -sum((p[p > 0] * p[p > 0].log()).sum().item() for p in (pu, pv))
    return 2 * mi / h if h > 0 else 1.0


def pearson(a: Tensor, b: Tensor) -> float:
    a, b = a.double() - a.double().mean(), b.double() - b.double().mean()
    return (a * b).sum().item() / math.sqrt((a * a).sum().item() * (b * b).sum().item())


def sample_attributes(images: Tensor) -> Tensor:
    """Standardised (N, 4) attributes of samples (N, 1, R, R) in [-1, 1], R a multiple of 8."""
    ink = (images.float().clamp(-1, 1) + 1) / 2
    small = F.adaptive_avg_pool2d(ink, 8) if ink.shape[-1] != 8 else ink
    return standardise_attributes(measure_attributes(small))


@torch.no_grad()
def evaluate_codes(model, n: int = 2000, seed: int = 0) -> dict:
    """The measures of the module docstring for a loaded InfoGAN (generator and discriminator)."""
    from zoo.data.digits import Digits
    from zoo.metrics.digits_judge import DigitsJudge
    from zoo.metrics.digits_scores import judge_outputs

    G, D = model.sampler, model.components["discriminator"]
    G.eval(), D.eval()
    latent, k = G.latent, G.latent.split(G.latent.sample(1))["c1"].shape[1]
    out: dict = {"n": n, "seed": seed}
    for split in ("val", "all"):  # Q as a classifier of real digits
        data = Digits(G.output.shape[-1], split)
        q = D.outputs(data.images.to(model.device)).aux
        pred = q["categorical"].argmax(1).cpu()
        acc, mapping = matched_accuracy(pred, data.labels, k)
        entry = {"digits": len(data), "accuracy": acc, "nmi": normalised_mutual_information(pred, data.labels),
                 "category_to_digit": mapping}
        for j, code in enumerate(p.name for p in latent.parts if p.prior == "uniform" and p.name != "z"):
            for attr in ("slant", "width"):
                col = ATTRIBUTE_NAMES.index(attr)
                entry[f"corr_q_{code}_{attr}"] = pearson(q["mean"][:, j].cpu(), data.attributes[:, col])
        out[f"q_{split}"] = entry

    g = torch.Generator().manual_seed(seed)
    z = latent.sample(n, generator=g)
    parts = latent.split(z)
    category = parts["c1"].argmax(1)
    images = torch.cat([G(z[i:i + 500].to(model.device)).cpu() for i in range(0, n, 500)])
    judged = judge_outputs(DigitsJudge.pretrained(), images)[1].argmax(1)
    acc, mapping = matched_accuracy(category, judged, k)
    out["generated"] = {"accuracy": acc, "nmi": normalised_mutual_information(category, judged),
                        "category_to_digit": mapping}
    attrs = sample_attributes(images)
    for code, values in parts.items():
        if code in ("z", "c1"):
            continue
        for attr in ("slant", "width"):
            out["generated"][f"corr_{code}_{attr}"] = pearson(values[:, 0], attrs[:, ATTRIBUTE_NAMES.index(attr)])
    return out


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m zoo_plugins.infogan.codes", description=__doc__.split("\n")[0])
    p.add_argument("name")
    p.add_argument("--n", type=int, default=2000, help="samples for the generated-code measures (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the samples (default 0)")
    return p


def main(argv=None) -> None:
    from zoo import api

    args = parser().parse_args(argv)
    print(json.dumps(evaluate_codes(api.load(args.name), args.n, args.seed), indent=1))


if __name__ == "__main__":
    main()
