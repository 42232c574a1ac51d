"""The text encoders by name, and the shipped char-CNN-RNN weights.

    embed_captions(["a thick, slanted seven"], "char-cnn-rnn")  # (1, 64)

"bag-of-words" is zoo.text.bag_of_words (no weights); "char-cnn-rnn" is the encoder trained here on the
`captions` data set with the joint embedding loss (zoo/text/weights/char-cnn-rnn-captions.safetensors,
made by `OMP_NUM_THREADS=1 python -m zoo.training.train_text_encoder --out PATH`; its file is refused
unless its sha256 is the one pinned below; its shape is in the file's metadata).
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
from pathlib import Path

TEXT_ENCODERS = ("bag-of-words", "char-cnn-rnn")
WEIGHTS_PATH = Path(__file__).parent / "weights" / "char-cnn-rnn-captions.safetensors"
WEIGHTS_SHA256 = "48037bb17843c3c635296db60f996f6212eb0fa367ef9b266af0c0acdb958b91"  # written by the training script's run that made the shipped file


def check_text_encoder(name: str) -> str:
    from zoo.errors import UnknownNameError

    if name not in TEXT_ENCODERS:
        raise UnknownNameError("text encoder", name, TEXT_ENCODERS)
    return name


def load_char_cnn_rnn(path: str | Path | None = None, sha256: str | None = WEIGHTS_SHA256):
    """A CharCNNRNN from a safetensors file (the shipped one by default) in eval mode, without gradients.
    `sha256=None` skips the check (a file just written by the training script)."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    from zoo.errors import ChecksumError, WeightsNotFoundError
    from zoo.text.char_cnn_rnn import CharCNNRNN

    path = Path(path) if path is not None else WEIGHTS_PATH
    if not path.is_file():
        raise WeightsNotFoundError(f"char-CNN-RNN weights not found at {path}; make them with "
                                   "`python -m zoo.training.train_text_encoder --out PATH`")
    if sha256 is not None:
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if actual != sha256:
            raise ChecksumError(f"char-CNN-RNN weights {path}: sha256 mismatch (expected {sha256}, got {actual}); "
                                "the file is corrupted or has been tampered with and was not loaded")
    with safe_open(str(path), "pt") as f:
        config = json.loads((f.metadata() or {}).get("config", "{}"))
    as_tuple = lambda v: tuple(as_tuple(x) for x in v) if isinstance(v, list) else v  # noqa: E731
    encoder = CharCNNRNN(**{k: as_tuple(v) for k, v in config.items()})
    encoder.load_state_dict(load_file(str(path)))
    return encoder.eval().requires_grad_(False)


@functools.lru_cache(maxsize=1)
def _shipped_char_cnn_rnn():
    return load_char_cnn_rnn()


NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_NUMERAL = re.compile(r"(?<![\w-])([0-9])(?![\w-])")


def normalise_caption(caption: str) -> str:
    """A standalone numeral becomes its word ("a thin 4" -> "a thin four"): the captions the encoders were
    trained on spell digits out."""
    return _NUMERAL.sub(lambda m: NUMBER_WORDS[int(m.group(1))], caption)


def embed_captions(captions: str | list[str], encoder: str = "char-cnn-rnn", dim: int = 64):
    """Captions -> (N, D) float embeddings on the CPU (`dim` is the bag of words' size; the char-CNN-RNN's
    is fixed by its weights). Numerals are spelt out first (`normalise_caption`)."""
    import torch

    check_text_encoder(encoder)
    captions = [normalise_caption(c) for c in ([captions] if isinstance(captions, str) else captions)]
    if encoder == "bag-of-words":
        from zoo.text.bag_of_words import BagOfWordsEncoder

        return BagOfWordsEncoder(dim)(captions)
    with torch.no_grad():
        return _shipped_char_cnn_rnn().embed(captions)


def embedding_dim(encoder: str, dim: int = 64) -> int:
    """The size of `encoder`'s embeddings (the bag of words': `dim`)."""
    if check_text_encoder(encoder) == "bag-of-words":
        return dim
    return _shipped_char_cnn_rnn().dim
