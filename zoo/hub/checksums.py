"""sha256 of weight files, checked before anything reads them; a cached file that fails is removed."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from zoo.errors import ChecksumError


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _discard_from_cache(path: Path) -> None:
    """Remove a cached file: the snapshot link and the blob it points to."""
    blob = Path(os.path.realpath(path))
    for p in (path, blob):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def verify(path: Path, expected: str, *, what: str, cached: bool) -> Path:
    actual = sha256_of(path)
    if actual != expected:
        if cached:
            _discard_from_cache(path)
        raise ChecksumError(f"{what}: sha256 mismatch (expected {expected}, got {actual}); the file is "
                            f"corrupted or has been tampered with and was {'removed' if cached else 'not loaded'}")
    return path


