"""How well a text-to-image model of the captioned digits draws what a caption asks, measured with the
digits judge (zoo/metrics/digits_judge.py) on captions whose combinations it never saw in training.

The captions are zoo.data.captions.held_out_captions(): per digit d, "a <thickness>, <slant> <d>" with
the (thickness, slant) pair held out of training for d (e.g. "a thick, slanted seven"). For `n` samples
of each:
- class accuracy: the judge's class is the caption's digit;
- attribute agreement: the sample's measured thickness and slant (zoo.data.digits.measure_attributes on
  the 8×8 average-pooled ink) fall in the third of all digits the caption's word names ("thick": the
  upper third of thickness; "left-leaning": the lower third of slant), as the captions were made; the
  mean over the two words (chance: 1/3);
- Fréchet distance in the judge's features to the real digits of those combinations (train and val
  splits: none was trained on);
- IS-style score of the judge's class probabilities.
The same numbers for the real held-out digits are the ceiling (their Fréchet distance is to the real
validation digits of seen combinations: the distance between two real sets of different combinations).
`captions="seen"` measures the validation split's captions of seen combinations instead (`n` samples of
each, compared with those validation digits). `stage1=True` measures a StackGAN's Stage-I images
(bicubic-upsampled to 32 px, as the real digits are made from 8 px) instead.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from zoo.metrics.digits_scores import conditional_accuracy, frechet_between, is_style_score, judge_outputs

WORD_THIRD = {"thin": (0, 1), "thick": (0, 2), "left-leaning": (1, 1), "slanted": (1, 2)}  # (attribute, third)


def attribute_agreement(images: Tensor, words: list[list[str]]) -> float:
    """Mean over samples and their words of [the measured attribute lies in the word's third]."""
    from zoo.data.captions import attribute_thirds
    from zoo.data.digits import measure_attributes

    ink = F.adaptive_avg_pool2d((images.float() + 1) / 2, 8)
    thirds = attribute_thirds(measure_attributes(ink))
    hits = [float(thirds[i, WORD_THIRD[w][0]] == WORD_THIRD[w][1]) for i, ws in enumerate(words) for w in ws]
    return sum(hits) / max(len(hits), 1)


@torch.no_grad()
def _samples(model, captions: list[str], n: int, seed: int, stage1: bool) -> Tensor:
    g = model.sampler
    c = model.embed_text(captions).repeat_interleave(n, 0)
    z = g.sample_latent(len(c), generator=torch.Generator().manual_seed(seed), device="cpu")
    out = []
    for start in range(0, len(c), 256):
        zb, cb = z[start:start + 256].to(model.device), c[start:start + 256].to(model.device)
        x = g.stage1_images(zb, cb) if stage1 else g(zb, cb)
        if x.shape[-1] != 32:
            x = F.interpolate(x, size=(32, 32), mode="bicubic", align_corners=False).clamp(-1, 1)
        out.append(x.float().cpu())
    return torch.cat(out)


def real_held_out_digits() -> tuple[Tensor, Tensor, list[list[str]]]:
    """The real 32 px digits of the held-out combinations (both splits), labels, and their held-out words."""
    from zoo.data.captions import HELD_OUT_PAIRS, Captions

    parts = [Captions(32, split, combinations="held-out") for split in ("train", "val")]
    images = torch.cat([p.images for p in parts])
    labels = torch.cat([p.labels for p in parts])
    return images, labels, [list(HELD_OUT_PAIRS[int(y) % 4]) for y in labels]


def _seen_validation():
    from zoo.data.captions import Captions, describe

    data = Captions(32, "val", combinations="seen")
    words = [[w for w in describe(r) if w in WORD_THIRD] for r in data.raw_attributes]
    return data, words


def judge_text_model(model, n: int = 200, seed: int = 0, stage1: bool = False, captions: str = "held-out",
                     judge=None) -> dict[str, Any]:
    """The four scores of `n` samples per caption, and the real digits' as a ceiling."""
    from zoo.data.captions import HELD_OUT_PAIRS, held_out_captions
    from zoo.metrics.digits_judge import DigitsJudge

    if captions not in ("held-out", "seen"):
        raise ValueError(f"captions must be 'held-out' or 'seen', got {captions!r}")
    judge = judge or DigitsJudge.pretrained()
    seen, seen_words = _seen_validation()
    if captions == "held-out":
        texts = held_out_captions()
        labels = torch.arange(10).repeat_interleave(n)
        words = [list(HELD_OUT_PAIRS[int(y) % 4]) for y in labels]
        real, real_labels, real_words = real_held_out_digits()
        other = seen.images  # a real set of other combinations, for the real Fréchet distance
    else:
        texts, labels = seen.captions, seen.labels.repeat_interleave(n)
        words = [w for w in seen_words for _ in range(n)]
        real, real_labels, real_words = seen.images, seen.labels, seen_words
        other = real_held_out_digits()[0]
    images = _samples(model, texts, n, seed, stage1)
    feats, logits = judge_outputs(judge, images)
    real_feats, real_logits = judge_outputs(judge, real)
    return {
        "captions": captions, "caption_count": len(texts), "samples_per_caption": n, "seed": seed,
        "stage": 1 if stage1 else "final",
        "class_accuracy": conditional_accuracy(logits, labels),
        "attribute_agreement": attribute_agreement(images, words),
        "frechet": frechet_between(feats, real_feats),
        "is_style": is_style_score(logits)[0],
        "real": {"n": len(real), "class_accuracy": conditional_accuracy(real_logits, real_labels),
                 "attribute_agreement": attribute_agreement(real, real_words),
                 "frechet_to_other_combinations": frechet_between(judge_outputs(judge, other)[0], real_feats),
                 "is_style": is_style_score(real_logits, splits=2)[0]},
    }


def main(argv=None) -> None:
    """python -m zoo.metrics.text_scores NAME [-n 200] [--seed 0] [--stage1]: the scores as JSON."""
    import argparse
    import json

    import zoo

    parser = argparse.ArgumentParser(description="judge a text-to-image model on the held-out captions")
    parser.add_argument("name")
    parser.add_argument("-n", type=int, default=200, help="samples per caption (default 200)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stage1", action="store_true", help="StackGAN: measure Stage-I's images")
    parser.add_argument("--captions", choices=("held-out", "seen"), default="held-out")
    args = parser.parse_args(argv)
    scores = judge_text_model(zoo.load(args.name), n=args.n, seed=args.seed, stage1=args.stage1,
                              captions=args.captions)
    print(json.dumps(scores, indent=1))


if __name__ == "__main__":
    main()
