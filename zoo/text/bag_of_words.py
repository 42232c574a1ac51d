"""A small deterministic text encoder: a hashed random-projection bag of words.

Text-to-image GANs condition on a sentence embedding from a pretrained text encoder (StackGAN: Zhang
et al., "StackGAN: Text to Photo-realistic Image Synthesis with Stacked Generative Adversarial Networks",
ICCV 2017, arXiv:1612.03242, uses Reed et al.'s char-CNN-RNN, 1,024-d). None can be downloaded here, and
for the templated captions of zoo.data.captions none is needed: a caption's meaning is the set of its
content words (digit name and adjectives; word order and the template's filler words carry nothing).
Each word gets a fixed Gaussian vector seeded by the CRC-32 of the word (so no vocabulary file, and any
word, even an unseen one, has a vector), and a caption is the sum of its content words' vectors, divided
by sqrt(dim). With at most `dim` distinct content words the vectors are linearly independent with
probability one, so the embedding determines the caption's word set exactly and a network can read it
off linearly: all the information a toy text-conditioned model can use, with none of a real encoder's
cost. Deviation from StackGAN: no learned semantics (no "7" ≈ "seven").
"""
from __future__ import annotations

import re
import zlib

import torch
from torch import Tensor

STOP_WORDS = frozenset({"a", "an", "the", "digit", "that", "is", "and", "of", "number", "with"})
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def content_words(caption: str) -> list[str]:
    """Lower-cased words of `caption` without the template's filler words."""
    if not isinstance(caption, str):
        raise TypeError(f"captions are strings, got {type(caption).__name__}")
    return [w for w in _WORD.findall(caption.lower()) if w not in STOP_WORDS]


class BagOfWordsEncoder:
    """Captions -> (N, dim) float embeddings; deterministic, no parameters to train or download."""

    def __init__(self, dim: int = 64) -> None:
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive integer, got {dim!r}")
        self.dim = dim
        self._vectors: dict[str, Tensor] = {}

    def word_vector(self, word: str) -> Tensor:
        if word not in self._vectors:
            g = torch.Generator().manual_seed(zlib.crc32(word.encode()) + 1_000_003 * self.dim)
            self._vectors[word] = torch.randn(self.dim, generator=g)
        return self._vectors[word]

    def __call__(self, captions: str | list[str]) -> Tensor:
        if isinstance(captions, str):
            captions = [captions]
        out = torch.zeros(len(captions), self.dim)
        for i, caption in enumerate(captions):
            for word in content_words(caption):
                out[i] += self.word_vector(word)
        return out / self.dim ** 0.5
