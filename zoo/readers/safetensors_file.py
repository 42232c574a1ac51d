"""safetensors files, read after checking the header: an 8-byte little-endian length, then that many
bytes of JSON that must fit in the file and describe tensors only (the format holds no code at all;
the check turns a truncated or foreign file into one clear error)."""
from __future__ import annotations

import json
import os
import struct
from pathlib import Path

from zoo.readers.errors import UnsafeFileError

_MAX_HEADER = 100 * 1024 * 1024  # safetensors' own limit


def check_safetensors_header(path: str | os.PathLike) -> dict:
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise UnsafeFileError(path, "the file", "too short to be safetensors")
        (n,) = struct.unpack("<Q", head)
        if n > min(_MAX_HEADER, size - 8):
            raise UnsafeFileError(path, "the header", f"it claims {n} bytes, the file has {size}")
        try:
            header = json.loads(f.read(n))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UnsafeFileError(path, "the header", f"not JSON ({exc})") from None
    if not isinstance(header, dict):
        raise UnsafeFileError(path, "the header", "not a JSON object")
    for key, info in header.items():
        if key == "__metadata__":
            continue
        offsets = info.get("data_offsets") if isinstance(info, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2 and 0 <= offsets[0] <= offsets[1] <= size - 8 - n):
            raise UnsafeFileError(path, f"tensor {key!r}", "its data offsets lie outside the file")
    return header


def read_safetensors(path: str | os.PathLike) -> dict:
    """{name: torch.Tensor} of a safetensors file."""
    from safetensors.torch import load_file

    check_safetensors_header(path)
    return load_file(str(path))
