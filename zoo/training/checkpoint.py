"""Training checkpoints that a crash can never leave half-written and trusted.

A checkpoint is one file: a magic line, the sha256 of the payload, then the payload (`torch.save`
of plain containers and tensors, read back with `weights_only=True` so loading runs no pickled code).
Writing goes to a temporary file in the same folder, is fsync'ed, and only then renamed over
`last.pt` with `os.replace` (atomic on POSIX); the checkpoint it replaces is kept as `previous.pt`.
A run killed at any moment therefore leaves either the old or the new `last.pt` complete, or no
`last.pt` and a complete `previous.pt`; a truncated or corrupted file fails its checksum and the
previous one is used instead.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
from pathlib import Path
from typing import Any

import torch

from zoo.errors import ZooError

log = logging.getLogger(__name__)

MAGIC = b"GENZOO-CHECKPOINT v1\n"
LAST, PREVIOUS = "last.pt", "previous.pt"
_DIGEST_LEN = 64


class CheckpointError(ZooError):
    """A checkpoint file is truncated, corrupted or not a genzoo checkpoint."""


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open folders; the rename is still atomic
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_checkpoint(state: dict[str, Any], folder: str | os.PathLike) -> Path:
    """Write `state` atomically to `folder`/last.pt, keeping the former last.pt as previous.pt."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    payload = buffer.getbuffer()
    digest = hashlib.sha256(payload).hexdigest().encode()
    tmp = folder / f".{LAST}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(MAGIC + digest + b"\n")
        f.write(payload)
        f.flush()
        os.fsync(f.fileno())
    last = folder / LAST
    if last.exists():
        os.replace(last, folder / PREVIOUS)
    os.replace(tmp, last)
    _fsync_dir(folder)
    for stale in folder.glob(f".{LAST}.*.tmp"):  # left behind by runs killed while writing
        stale.unlink(missing_ok=True)
    return last


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read and verify one checkpoint; CheckpointError when it is incomplete or corrupted."""
    path = Path(path)
    data = path.read_bytes()
    header = len(MAGIC) + _DIGEST_LEN + 1
    if not data.startswith(MAGIC) or len(data) < header:
        raise CheckpointError(f"{path}: not a genzoo checkpoint (or truncated before its header)")
    expected = data[len(MAGIC):len(MAGIC) + _DIGEST_LEN].decode("ascii", "replace")
    payload = memoryview(data)[header:]
    actual = hashlib.sha256(payload).hexdigest()
    if actual != expected:
        raise CheckpointError(f"{path}: checksum mismatch (file truncated or corrupted)")
    try:
        return torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)
    except Exception as exc:  # a valid checksum over an unreadable payload: wrong writer
        raise CheckpointError(f"{path}: unreadable checkpoint payload ({exc})") from exc


def load_latest(folder: str | os.PathLike) -> tuple[dict[str, Any], Path] | None:
    """The newest good checkpoint in `folder` (last.pt, else previous.pt), or None if there is none.

    Raises CheckpointError when checkpoint files exist but none of them is intact.
    """
    folder = Path(folder)
    errors = []
    for name in (LAST, PREVIOUS):
        path = folder / name
        if not path.exists():
            continue
        try:
            return load_checkpoint(path), path
        except CheckpointError as exc:
            log.warning("skipping a bad checkpoint: %s", exc)
            errors.append(str(exc))
    if errors:
        raise CheckpointError("no intact checkpoint: " + "; ".join(errors))
    return None
