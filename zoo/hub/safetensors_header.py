"""Read a safetensors file's header (tensor names, dtypes, shapes) without reading its data.

The format: 8 bytes little-endian header length N, N bytes of JSON {name: {dtype, shape,
data_offsets: [begin, end]}, "__metadata__": {...}}, then the data. Checking the header against the
file's size finds a truncated file before anything is allocated. Nothing here imports torch.
"""
from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path

from zoo.errors import WeightsFormatError

ITEM_SIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
             "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}
FLOAT_DTYPES = frozenset({"F8_E4M3", "F8_E5M2", "F16", "BF16", "F32", "F64"})
MAX_HEADER_BYTES = 100 * 1024 * 1024  # the format's own limit


@dataclass(frozen=True)
class TensorInfo:
    dtype: str  # the file's name for it: "F32", "I64", "BOOL", ...
    shape: tuple[int, ...]


def read_header(path: Path, what: str = "") -> dict[str, TensorInfo]:
    """{tensor name: TensorInfo}; a malformed or truncated file is one WeightsNotFoundError line."""
    what = what or str(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise WeightsFormatError(f"{what}: not a safetensors file (only {size} bytes)")
            (length,) = struct.unpack("<Q", head)
            if length > min(MAX_HEADER_BYTES, size - 8):
                raise WeightsFormatError(f"{what}: truncated or not a safetensors file (header of {length} "
                                           f"bytes in a file of {size})")
            raw = f.read(length)
    except OSError as exc:
        raise WeightsFormatError(f"{what}: unreadable ({exc})") from None
    try:
        header = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise WeightsFormatError(f"{what}: not a safetensors file (its header is not JSON)") from None
    if not isinstance(header, dict):
        raise WeightsFormatError(f"{what}: not a safetensors file (its header is not a JSON object)")
    data_size = size - 8 - length
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        tensors[name] = _tensor_info(name, entry, data_size, what)
    return tensors


def _tensor_info(name: str, entry, data_size: int, what: str) -> TensorInfo:
    try:
        dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
        valid = (dtype in ITEM_SIZE and isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)
                 and type(begin) is int and type(end) is int and 0 <= begin <= end)
    except (TypeError, KeyError, ValueError):
        valid = False
    if not valid:
        raise WeightsFormatError(f"{what}: tensor {name!r} has a malformed header entry")
    if end > data_size:
        raise WeightsFormatError(f"{what}: truncated: tensor {name!r} ends at byte {end} of the data, "
                                   f"which holds {data_size}")
    if end - begin != math.prod(shape) * ITEM_SIZE[dtype]:
        raise WeightsFormatError(f"{what}: tensor {name!r} has {end - begin} bytes for shape {tuple(shape)} "
                                   f"of {dtype}")
    return TensorInfo(dtype=dtype, shape=tuple(shape))
