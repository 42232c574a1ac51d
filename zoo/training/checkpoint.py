"""Training checkpoints that a crash can never leave half-written and trusted.

A checkpoint is one file: a magic line, the sha256 of the payload, then the payload (`torch.save`
of plain containers and tensors, read back with `weights_only=True` so loading runs no pickled code).
Writing goes to a temporary file in the same folder, is fsync'ed, and only then renamed over
`last.pt` with `os.replace` (atomic on POSIX); the checkpoint it replaces is kept as `previous.pt`.
A run killed at any moment therefore leaves either the old or the new `last.pt` complete, or no
`last.pt` and a complete `previous.pt`; a truncated or corrupted file fails its checksum and the
previous one is used instead.

A write that fails (a full disk) removes its temporary file, and temporary files of processes that
died while writing are removed before the next run starts, so a full disk never stays full of them.
A checkpoint whose model weights are not all finite is never written, and never resumed from: the
previous one is used instead when it is intact.
"""
from __future__ import annotations

import errno
import hashlib
import io
import logging
import os
from pathlib import Path
from typing import Any, Mapping

import torch

from zoo.errors import ZooError

log = logging.getLogger(__name__)

MAGIC = b"GENZOO-CHECKPOINT v1\n"
LAST, PREVIOUS = "last.pt", "previous.pt"
_DIGEST_LEN = 64


class CheckpointError(ZooError):
    """A checkpoint file is truncated, corrupted or not a genzoo checkpoint, or cannot be written."""


class NonFiniteWeightsError(CheckpointError):
    """Model weights hold NaN or infinity: saving or resuming them would spread a broken run."""


def nonfinite_weights(models: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """`role.key` of every floating-point tensor in `models` (state dicts by role) that is not all finite."""
    bad = []
    for role, state in models.items():
        for key, value in state.items():
            if isinstance(value, torch.Tensor) and value.is_floating_point() and not torch.isfinite(value).all():
                bad.append(f"{role}.{key}")
    return bad


def check_finite(models: Mapping[str, Mapping[str, Any]], what: str) -> None:
    """Raise NonFiniteWeightsError naming the first bad role and key (and how many more there are)."""
    bad = nonfinite_weights(models)
    if bad:
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise NonFiniteWeightsError(f"{what}: weight {bad[0]}{more} holds NaN or infinite values")


def _tmp_pid(path: Path) -> int | None:
    """The process id in a temporary file's name `.last.pt.<pid>.tmp`, or None if it has none."""
    middle = path.name[len(f".{LAST}."):-len(".tmp")]
    return int(middle) if middle.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale_temp_files(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that dead processes (or this one, in an earlier failed write) left in
    `folder`; a live process's file is being written and is kept. Returns the removed paths."""
    removed = []
    for tmp in Path(folder).glob(f".{LAST}.*.tmp"):
        pid = _tmp_pid(tmp)
        if pid is not None and pid != os.getpid() and _alive(pid):
            continue
        tmp.unlink(missing_ok=True)
        removed.append(tmp)
    return removed


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
    """Write `state` atomically to `folder`/last.pt, keeping the former last.pt as previous.pt.

    Refuses (NonFiniteWeightsError) model weights (`state["models"]`) that are not all finite; a write
    that fails leaves no temporary file and raises CheckpointError with the reason (e.g. a full disk).
    """
    folder = Path(folder)
    check_finite(state.get("models") or {}, f"not writing a checkpoint to {folder}")
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    payload = buffer.getbuffer()
    digest = hashlib.sha256(payload).hexdigest().encode()
    tmp = folder / f".{LAST}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(MAGIC + digest + b"\n")
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
    except BaseException as exc:  # a full disk, or an interrupt: never leave the partial file behind
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            hint = "; free some space and continue with --resume" if exc.errno == errno.ENOSPC else ""
            raise CheckpointError(f"could not write a checkpoint to {folder}: {reason}{hint}") from exc
        raise
    last = folder / LAST
    if last.exists():
        os.replace(last, folder / PREVIOUS)
    os.replace(tmp, last)
    _fsync_dir(folder)
    remove_stale_temp_files(folder)  # left behind by runs killed while writing
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


def load_latest(folder: str | os.PathLike, skipped: list[str] | None = None) -> tuple[dict[str, Any], Path] | None:
    """The newest good checkpoint in `folder` (last.pt, else previous.pt), or None if there is none.

    A checkpoint is good when it is intact and its model weights are all finite. Raises
    CheckpointError (NonFiniteWeightsError when that was the only fault) when checkpoint files exist
    but none of them is good. The reasons checkpoints were passed over are appended to `skipped`.
    """
    folder = Path(folder)
    errors: list[CheckpointError] = []
    for name in (LAST, PREVIOUS):
        path = folder / name
        if not path.exists():
            continue
        try:
            state = load_checkpoint(path)
            check_finite(state.get("models") or {}, str(path))
        except CheckpointError as exc:
            errors.append(exc)
            if skipped is not None:  # the caller reports it
                skipped.append(str(exc))
            else:
                log.warning("skipping a bad checkpoint: %s", exc)
            continue
        if errors and skipped is None:
            log.warning("resuming from the earlier checkpoint %s instead", path)
        return state, path
    if errors:
        kind = NonFiniteWeightsError if all(isinstance(e, NonFiniteWeightsError) for e in errors) else CheckpointError
        raise kind("no intact checkpoint: " + "; ".join(map(str, errors)))
    return None
