"""`captions`: the digits with templated captions from their measured attributes, and text embeddings.

A caption names the digit and describes each measured attribute (zoo.data.digits) that lies in the
lower or upper third of all 1,797 digits: thickness (thin / thick), slant (left-leaning / slanted),
width (narrow / wide), height (short / tall), e.g. "a thick, slanted seven". The phrasing is drawn per
digit from three templates ("a thick, slanted seven", "a seven that is thick and slanted", "the digit
seven, thick and slanted"); the text encoder (zoo.data.text.BagOfWordsEncoder) ignores the template's
filler words, so the phrasings of one description share one embedding. Training phrasings follow
`seed`; validation ones are fixed.

Items: {"image": float (1, R, R) in [-1, 1], "label": long in 0..9, "attributes": float (4,)
        (standardised, as Digits), "text_embedding": float (dim,), "caption": str}.
`tensors()` holds every key but "caption" (strings do not batch as tensors); `captions` is the list.
"""
from __future__ import annotations

import functools

from torch import Tensor

from zoo.data.base import check_split, item_rng
from zoo.data.digits import ATTRIBUTE_NAMES, Digits, source_digits, measure_attributes
from zoo.data.text import BagOfWordsEncoder

DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ADJECTIVES = {"thickness": ("thin", "thick"), "slant": ("left-leaning", "slanted"),
              "width": ("narrow", "wide"), "height": ("short", "tall")}


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

    def __init__(self, resolution: int = 32, split: str = "train", seed: int = 0, embedding_dim: int = 64) -> None:
        super().__init__(resolution, check_split(split), seed)
        self.encoder = BagOfWordsEncoder(embedding_dim)
        self.captions = [make_caption(int(label), describe(raw), int(item_rng("captions", split, seed, i).integers(3)))
                         for i, (label, raw) in enumerate(zip(self.labels, self.raw_attributes))]
        self.text_embeddings = self.encoder(self.captions)

    def __getitem__(self, i: int) -> dict:
        return {**super().__getitem__(i), "text_embedding": self.text_embeddings[i], "caption": self.captions[i]}

    def tensors(self) -> dict[str, Tensor]:
        return {**super().tensors(), "text_embedding": self.text_embeddings}
