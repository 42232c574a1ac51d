"""`captions`: the digits with templated captions from their measured attributes, and text embeddings.

A caption names the digit and describes each measured attribute (zoo.data.digits) that lies in the
lower or upper third of all 1,797 digits: thickness (thin / thick), slant (left-leaning / slanted),
width (narrow / wide), height (short / tall), e.g. "a thick, slanted seven". The phrasing is drawn per
digit from three templates ("a thick, slanted seven", "a seven that is thick and slanted", "the digit
seven, thick and slanted"); the default text encoder (zoo.text.bag_of_words) ignores the template's
filler words, so the phrasings of one description share one embedding; `text_encoder="char-cnn-rnn"`
embeds them with the shipped char-CNN-RNN (zoo.text). Training phrasings follow `seed`; validation
ones are fixed.

Held-out combinations (for text-to-image models and the text encoder, measured on captions they never
saw): for each digit d one (thickness, slant) pair, HELD_OUT_PAIRS[d % 4], e.g. "thick" and "slanted"
for 7. A description is held out when it has both words of its digit's pair (whatever its width and
height words). `combinations="seen"` keeps the other digits, `"held-out"` only these, `"all"` both.
A description's id (`description_id`) numbers the (digit, attribute thirds) combinations: 10 × 3⁴.

Items: {"image": float (1, R, R) in [-1, 1], "label": long in 0..9, "attributes": float (4,)
        (standardised, as Digits), "text_embedding": float (dim,), "description_id": long, "caption": str}.
`tensors()` holds every key but "caption" (strings do not batch as tensors); `captions` is the list.
"""
from __future__ import annotations

import functools

import torch
from torch import Tensor

from zoo.data.base import check_split, item_rng
from zoo.data.digits import ATTRIBUTE_NAMES, Digits, source_digits, measure_attributes
from zoo.text.pretrained import check_text_encoder, embed_captions

DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ADJECTIVES = {"thickness": ("thin", "thick"), "slant": ("left-leaning", "slanted"),
              "width": ("narrow", "wide"), "height": ("short", "tall")}


HELD_OUT_PAIRS = (("thin", "left-leaning"), ("thin", "slanted"), ("thick", "left-leaning"), ("thick", "slanted"))
COMBINATIONS = ("all", "seen", "held-out")


@functools.lru_cache(maxsize=1)
def _tertiles() -> tuple[Tensor, Tensor]:
    raw = measure_attributes(source_digits()[0])
    return raw.quantile(1 / 3, dim=0), raw.quantile(2 / 3, dim=0)


def describe(raw_attributes: Tensor) -> list[str]:
    """The adjectives for one digit's raw attributes (4,), in ATTRIBUTE_NAMES order."""
    low, high = _tertiles()
    words = []
    for j, name in enumerate(ATTRIBUTE_NAMES):
        if raw_attributes[j] < low[j]:
            words.append(ADJECTIVES[name][0])
        elif raw_attributes[j] > high[j]:
            words.append(ADJECTIVES[name][1])
    return words


def attribute_thirds(raw_attributes: Tensor) -> Tensor:
    """(N, 4) raw attributes -> (N, 4) long: 0 middle third (no word), 1 lower third, 2 upper third."""
    low, high = _tertiles()
    return (raw_attributes < low).long() + 2 * (raw_attributes > high).long()


def description_id(labels: Tensor, raw_attributes: Tensor) -> Tensor:
    """(N,) ids of the (digit, attribute thirds) combinations the captions describe, in 0..809."""
    thirds = attribute_thirds(raw_attributes)
    return labels * 81 + (thirds * torch.tensor([1, 3, 9, 27])).sum(1)


def is_held_out(label: int, adjectives: list[str]) -> bool:
    """Whether a description (digit, its adjectives) is one of the held-out combinations."""
    return set(HELD_OUT_PAIRS[label % 4]) <= set(adjectives)


def held_out_captions() -> list[str]:
    """One caption per held-out pair: "a thin, left-leaning zero", ..., "a thick, slanted seven", ..."""
    return [make_caption(d, list(HELD_OUT_PAIRS[d % 4])) for d in range(10)]


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" and word != "one" else "a"


def make_caption(label: int, adjectives: list[str], template: int = 0) -> str:
    name = DIGIT_NAMES[label]
    if not adjectives:
        return f"{_article(name)} {name}" if template != 2 else f"the digit {name}"
    listed = adjectives[0] if len(adjectives) == 1 else ", ".join(adjectives[:-1]) + " and " + adjectives[-1]
    if template == 0:
        phrase = ", ".join(adjectives) + " " + name
        return f"{_article(phrase)} {phrase}"
    if template == 1:
        return f"{_article(name)} {name} that is {listed}"
    return f"the digit {name}, {listed}"


class Captions(Digits):
    """Digits with captions and the captions' embeddings."""

    def __init__(self, resolution: int = 32, split: str = "train", seed: int = 0, embedding_dim: int = 64,
                 text_encoder: str = "bag-of-words", combinations: str = "all") -> None:
        super().__init__(resolution, check_split(split), seed)
        self.text_encoder = check_text_encoder(text_encoder)
        if combinations not in COMBINATIONS:
            raise ValueError(f"combinations must be one of {', '.join(map(repr, COMBINATIONS))}, got {combinations!r}")
        adjectives = [describe(raw) for raw in self.raw_attributes]
        self.captions = [make_caption(int(label), words, int(item_rng("captions", split, seed, i).integers(3)))
                         for i, (label, words) in enumerate(zip(self.labels, adjectives))]
        if combinations != "all":
            keep = [i for i, (label, words) in enumerate(zip(self.labels, adjectives))
                    if is_held_out(int(label), words) == (combinations == "held-out")]
            index = torch.tensor(keep, dtype=torch.long)
            self.images, self.labels = self.images[index], self.labels[index]
            self.raw_attributes, self.attributes = self.raw_attributes[index], self.attributes[index]
            self.captions = [self.captions[i] for i in keep]
        self.description_ids = description_id(self.labels, self.raw_attributes)
        self.text_embeddings = embed_captions(self.captions, text_encoder, embedding_dim)

    def __getitem__(self, i: int) -> dict:
        return {**super().__getitem__(i), "text_embedding": self.text_embeddings[i],
                "description_id": self.description_ids[i], "caption": self.captions[i]}

    def tensors(self) -> dict[str, Tensor]:
        return {**super().tensors(), "text_embedding": self.text_embeddings, "description_id": self.description_ids}
