"""sha256 of weight files, checked before anything reads them; a cached file that fails is removed.

Removal is confined to the Hugging Face cache: only a snapshot entry (the link itself, never what it
points to outside) and a regular file in the same repo's blobs/ folder are ever deleted.
"""
from __future__ import annotations

import hashlib
import logging
import os
import stat
from pathlib import Path

from zoo.errors import ChecksumError

log = logging.getLogger(__name__)


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_root() -> Path:
    """The resolved HF_HUB_CACHE folder, as the Hub client uses it now."""
    from huggingface_hub import constants

    return Path(os.path.realpath(constants.HF_HUB_CACHE))


def is_inside(path: str | os.PathLike, root: Path) -> bool:
    """Whether `path`, with every link resolved, lies strictly inside `root`."""
    resolved = Path(os.path.realpath(path))
    return resolved != root and resolved.is_relative_to(root)


def _repo_folder(entry: Path, root: Path, kind: str) -> Path | None:
    """The `models--org--name` folder of a cache entry under its `kind` (snapshots/blobs), or None."""
    try:
        rel = entry.relative_to(root).parts
    except ValueError:
        return None
    if len(rel) >= 3 and rel[1] == kind:
        return root / rel[0]
    return None


def discard_from_cache(path: Path) -> list[Path]:
    """Remove a cached file: the snapshot entry and the blob it points to, if both lie in the cache.

    The entry's own location is found by resolving its folder only, so a link is removed as a link;
    its target is removed only when it is a regular file in the same repo's blobs/. Returns what was
    removed.
    """
    root = cache_root()
    entry = Path(os.path.realpath(Path(path).parent)) / Path(path).name
    repo = _repo_folder(entry, root, "snapshots")
    if repo is None:
        log.warning("%s is not a snapshot file of the cache %s: not removed", path, root)
        return []
    removed = []
    blob = Path(os.path.realpath(entry))
    try:
        blob_is_file = stat.S_ISREG(os.lstat(blob).st_mode)
    except OSError:
        blob_is_file = False
    if blob_is_file and blob != entry and _repo_folder(blob, root, "blobs") == repo:
        blob.unlink(missing_ok=True)
        removed.append(blob)
    elif blob != entry:
        log.warning("%s points outside its repo's blobs (%s): the target is left alone", path, blob)
    try:
        mode = os.lstat(entry).st_mode
    except OSError:
        return removed
    if stat.S_ISLNK(mode) or stat.S_ISREG(mode):
        entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def verify(path: Path, expected: str, *, what: str, cached: bool) -> Path:
    try:
        actual = sha256_of(path)
    except OSError as exc:
        raise ChecksumError(f"{what}: cannot read {path} to check its sha256 ({exc.strerror or exc})") from exc
    if actual != expected:
        if cached:
            discard_from_cache(path)
        raise ChecksumError(f"{what}: sha256 mismatch (expected {expected}, got {actual}); the file is "
                            f"corrupted or has been tampered with and was {'removed' if cached else 'not loaded'}")
    return path
