"""Replacing a saved folder as a whole: stage the complete new folder beside the target (same
filesystem), then swap it in, so that a save killed at any moment leaves either the whole old folder or
the whole new one. Also the byte-stable safetensors writer that makes a re-save reproduce its sha256.

The swap is Linux's renameat2(RENAME_EXCHANGE) where libc has it (the target never disappears), else
two renames: old aside as `.genzoo-old-<name>.XXXXXXXX`, staged in. Whatever a killed save leaves
beside the folder is resolved by `recover_interrupted_save`, which the next save or load runs:
a `.genzoo-save-<name>.XXXXXXXX` is a staging folder or, after an exchange, the old folder, and is
removed; a `.genzoo-old-<name>.XXXXXXXX` is the old folder, put back if the target is missing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import json
import logging
import os
import re
import shutil
import stat
import struct
import tempfile
from pathlib import Path
from typing import Iterable, Mapping

log = logging.getLogger(__name__)

SAVE_PREFIX = ".genzoo-save-"
OLD_PREFIX = ".genzoo-old-"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _leftovers(folder: Path, prefix: str) -> list[Path]:
    # exactly "<prefix><name>.<8 mkdtemp chars>": a folder named "a" never claims "a.b"'s leftovers
    pattern = re.compile(re.escape(prefix + folder.name) + r"\.[A-Za-z0-9_]{8}")
    try:
        return sorted(p for p in folder.parent.iterdir() if pattern.fullmatch(p.name))
    except OSError:
        return []


def _remove_tree(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def recover_interrupted_save(folder: str | os.PathLike) -> None:
    """Resolve what an interrupted save left beside `folder` (see the module docstring)."""
    folder = Path(os.path.abspath(folder))
    try:
        for old in _leftovers(folder, OLD_PREFIX):
            if not folder.exists():
                log.warning("%s: an interrupted save left the old folder aside; putting it back", folder)
                os.rename(old, folder)
            else:
                _remove_tree(old)
        for staged in _leftovers(folder, SAVE_PREFIX):
            _remove_tree(staged)
    except OSError as exc:  # a read-only place: loading must still work, a save will fail on its own
        log.warning("%s: could not tidy an interrupted save (%s)", folder, exc)


def staging_folder(folder: Path) -> Path:
    folder.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{SAVE_PREFIX}{folder.name}.", suffix="", dir=folder.parent))


def carry_over(old: Path, staged: Path, skip: Iterable[str]) -> None:
    """Bring everything of `old` except the names in `skip` into `staged`: hard links where the
    filesystem allows (a checkpoint is not copied), copies otherwise; links stay links."""
    skip = set(skip)
    if not old.is_dir():
        return
    for entry in old.iterdir():
        if entry.name in skip or entry.name.startswith((SAVE_PREFIX, OLD_PREFIX)):
            continue
        _link_tree(entry, staged / entry.name)


def _link_tree(src: Path, dst: Path) -> None:
    mode = os.lstat(src).st_mode
    if stat.S_ISLNK(mode):
        os.symlink(os.readlink(src), dst)
    elif stat.S_ISDIR(mode):
        dst.mkdir()
        for child in src.iterdir():
            _link_tree(child, dst / child.name)
    elif stat.S_ISREG(mode):
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)


def _renameat2_exchange():
    """libc's renameat2, or None where there is none (not Linux, old glibc, musl without it)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def swap_in(staged: Path, folder: Path, *, use_exchange: bool = True) -> None:
    """Put the complete folder `staged` at `folder`, removing the old one, never leaving a mix."""
    _fsync_dir(staged)
    if not folder.exists():
        os.rename(staged, folder)
        _fsync_dir(folder.parent)
        return
    exchange = _renameat2_exchange() if use_exchange else None
    if exchange is not None and exchange(_AT_FDCWD, os.fsencode(staged), _AT_FDCWD, os.fsencode(folder),
                                         _RENAME_EXCHANGE) == 0:
        _fsync_dir(folder.parent)
        _remove_tree(staged)  # now the old folder
        return
    aside = Path(tempfile.mkdtemp(prefix=f"{OLD_PREFIX}{folder.name}.", dir=folder.parent))
    os.rename(folder, aside)  # replaces the empty placeholder mkdtemp made
    os.rename(staged, folder)
    _fsync_dir(folder.parent)
    _remove_tree(aside)


def write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def stable_safetensors(tensors: Mapping[str, object], metadata: Mapping[str, str]) -> bytes:
    """safetensors bytes that depend only on the tensors and metadata: the header's keys sorted (the
    library writes its metadata map in a per-process order, so a re-save never reproduced its sha256)."""
    from safetensors.torch import save

    raw = save(dict(tensors), metadata=dict(metadata))
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + size])
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the format pads the header to 8 bytes with spaces
    return struct.pack("<Q", len(text)) + text + raw[8 + size:]
