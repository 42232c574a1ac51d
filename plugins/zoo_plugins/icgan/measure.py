"""IcGAN's editing measured on the held-out digits (the validation split, 359 digits):

- class change: encode each digit, set each of the ten classes, decode; the digits judge's accuracy on
  the requested class (3,590 edits), for both kinds of class change (zoo_plugins.icgan.tasks): "literal"
  (the paper's: only the class entries of y change) and "relative" (the default: the attributes move
  with the class means);
- style kept: Pearson correlation, over all those edits, between each attribute (thickness, slant, width,
  height) measured on the input and on its class-changed decoding; for "relative" edits each measured
  attribute is first taken relative to its class's training mean (input: its true class; output: the
  requested one), since that is what a relative edit keeps;
- attribute edits: the mean measured change of an attribute when it is shifted by +1 (in the digits'
  standard deviations), class kept;
- reconstruction: mean squared error per pixel of decode(encode(x)) against x, in [-1, 1].
Attributes are measured as zoo.data.digits measures them, on 8x8 images (4x4 area means of the 32 px
input and output, so both pass the same path).

    python -m zoo_plugins.icgan.measure icgan.digits-32
"""
from __future__ import annotations

import argparse
import json

import torch
import torch.nn.functional as F
from torch import Tensor


def attributes_of(images: Tensor) -> Tensor:
    """Standardised (thickness, slant, width, height) of digits in [-1, 1], measured at 8x8."""
    from zoo.data.digits import measure_attributes, standardise_attributes

    ink = (images.float().clamp(-1, 1) + 1) / 2
    return standardise_attributes(measure_attributes(F.adaptive_avg_pool2d(ink, 8)))


def pearson(a: Tensor, b: Tensor) -> float:
    a, b = a.double() - a.double().mean(), b.double() - b.double().mean()
    return float((a * b).sum() / (a.norm() * b.norm()).clamp_min(1e-12))


@torch.no_grad()
def measure_editing(model, judge=None) -> dict:
    from zoo.data.digits import ATTRIBUTE_NAMES, Digits
    from zoo.metrics.digits_judge import DigitsJudge
    from zoo.metrics.digits_scores import conditional_accuracy, judge_outputs
    from zoo_plugins.icgan.tasks import class_attribute_means

    judge = judge if judge is not None else DigitsJudge.pretrained()
    data = Digits(model.config.get("resolution", 32), "val")
    x = data.images.to(model.device)
    k = model.components["generator"].condition.num_classes
    means = class_attribute_means()
    before = attributes_of(x.cpu())
    asked = torch.arange(k).repeat_interleave(len(x))
    scores = {"heldout_digits": len(x)}
    for mode in ("literal", "relative"):
        edits = torch.cat([model.edit_conditions(x, {"class": j}, relative_to_class=mode == "relative").cpu()
                           for j in range(k)])
        _, logits = judge_outputs(judge, edits)
        after, start = attributes_of(edits), before.repeat(k, 1)
        if mode == "relative":
            after, start = after - means[asked], start - means[data.labels.repeat(k)]
        scores[f"class_edit_{mode}_judge_accuracy"] = conditional_accuracy(logits, asked)
        scores[f"style_correlation_{mode}"] = {name: pearson(start[:, i], after[:, i])
                                               for i, name in enumerate(ATTRIBUTE_NAMES)}
    recon = model.reconstruct(x).cpu()
    _, recon_logits = judge_outputs(judge, recon)
    scores.update({
        "reconstruction_mse": float((recon - x.cpu()).pow(2).mean()),
        "reconstruction_judge_accuracy": conditional_accuracy(recon_logits, data.labels),
        "attribute_shift_plus_1_measured_change": {},
    })
    base = attributes_of(recon)
    for i, name in enumerate(ATTRIBUTE_NAMES):
        shifted = attributes_of(model.edit_conditions(x, {name: "+1"}).cpu())
        scores["attribute_shift_plus_1_measured_change"][name] = float((shifted[:, i] - base[:, i]).mean())
    return scores


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="measure IcGAN editing on the held-out digits")
    parser.add_argument("name", nargs="?", default="icgan.digits-32")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    from zoo import api

    model = api.load(args.name, device=args.device).eval()
    print(json.dumps(measure_editing(model), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
