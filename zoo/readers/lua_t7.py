"""Lua Torch7 `.t7` files (binary mode), as written by torch.save in the DCGAN / GAN-INT-CLS / StackGAN
era. The format is data by construction: each value is a type tag then its bytes. This reader knows
nil, number, string, boolean, table and torch objects (tensors and storages of float, double, long,
int, short, char and byte; CUDA tensors as float; any other class such as nn.SpatialConvolution as a
`TorchObject` holding the table it wrote). Lua functions (tags 6-8) are refused: they carry bytecode.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from zoo.readers.errors import UnsafeFileError

NIL, NUMBER, STRING, TABLE, TORCH, BOOLEAN, FUNCTION, RECUR_FUNCTION, LEGACY_RECUR_FUNCTION = range(9)

_ELEMENT = {"Float": "<f4", "Double": "<f8", "Long": "<i8", "Int": "<i4", "Short": "<i2", "Char": "i1",
            "Byte": "u1", "Cuda": "<f4", "CudaDouble": "<f8", "CudaLong": "<i8"}


@dataclass
class TorchObject:
    """A torch class the reader does not turn into an array: its class name and what it wrote."""

    class_name: str
    value: Any = None
    version: int = 0
    fields: dict = field(default_factory=dict)


class _Reader:
    def __init__(self, f: BinaryIO, path: Path) -> None:
        self.f, self.path = f, path
        self.memo: dict[int, Any] = {}

    def _bytes(self, n: int) -> bytes:
        if n < 0:
            raise UnsafeFileError(self.path, "a negative length", "the file is corrupt")
        data = self.f.read(n)
        if len(data) != n:
            raise UnsafeFileError(self.path, "the file", "truncated")
        return data

    def int(self) -> int:
        return struct.unpack("<i", self._bytes(4))[0]

    def long(self) -> int:
        return struct.unpack("<q", self._bytes(8))[0]

    def string(self) -> str:
        return self._bytes(self.int()).decode("latin1")

    def object(self) -> Any:
        tag = self.int()
        if tag == NIL:
            return None
        if tag == NUMBER:
            value = struct.unpack("<d", self._bytes(8))[0]
            return int(value) if value.is_integer() else value
        if tag == STRING:
            return self.string()
        if tag == BOOLEAN:
            return self.int() == 1
        if tag in (TABLE, TORCH):
            index = self.int()
            if index in self.memo:
                return self.memo[index]
            return self._table(index) if tag == TABLE else self._torch(index)
        if tag in (FUNCTION, RECUR_FUNCTION, LEGACY_RECUR_FUNCTION):
            raise UnsafeFileError(self.path, "a Lua function", "t7 functions carry bytecode and are never read")
        raise UnsafeFileError(self.path, f"type tag {tag}", "not a Torch7 type")

    def _table(self, index: int) -> dict:
        table: dict = {}
        self.memo[index] = table
        for _ in range(self.int()):
            key = self.object()
            table[key] = self.object()
        return table

    def _torch(self, index: int) -> Any:
        version_or_class = self.string()
        version = 0
        if version_or_class.startswith("V "):
            version = int(version_or_class[2:])
            class_name = self.string()
        else:
            class_name = version_or_class
        kind, _, suffix = class_name.partition(".")
        if kind == "torch" and suffix.endswith("Tensor") and suffix[:-6] in _ELEMENT:
            return self._tensor(index, np.dtype(_ELEMENT[suffix[:-6]]))
        if kind == "torch" and suffix.endswith("Storage") and suffix[:-7] in _ELEMENT:
            size = self.long()
            dtype = np.dtype(_ELEMENT[suffix[:-7]])
            storage = np.frombuffer(self._bytes(size * dtype.itemsize), dtype=dtype).copy()
            self.memo[index] = storage
            return storage
        obj = TorchObject(class_name, version=version)
        self.memo[index] = obj
        obj.value = self.object()  # nn modules and the like write a table
        if isinstance(obj.value, dict):
            obj.fields = obj.value
        return obj

    def _tensor(self, index: int, dtype: np.dtype) -> np.ndarray:
        ndim = self.int()
        size = [self.long() for _ in range(ndim)]
        stride = [self.long() for _ in range(ndim)]
        offset = self.long() - 1  # written 1-based
        storage = self.object()
        if ndim == 0 or storage is None:
            array = np.zeros([0], dtype=dtype)
        else:
            if not isinstance(storage, np.ndarray) or storage.dtype != dtype:
                raise UnsafeFileError(self.path, "a tensor", "its storage is missing or of another type")
            last = offset + sum((s - 1) * st for s, st in zip(size, stride)) if all(size) else offset - 1
            if offset < 0 or any(st < 0 for st in stride) or last >= storage.size:
                raise UnsafeFileError(self.path, "a tensor", "its size and stride run past its storage")
            array = np.lib.stride_tricks.as_strided(storage[offset:], shape=size,
                                                    strides=[st * dtype.itemsize for st in stride]).copy()
        self.memo[index] = array
        return array


def read_t7(path: str | os.PathLike) -> Any:
    """The object in a binary Torch7 file: numbers, str, bool, dict (tables), numpy arrays (tensors and
    storages) and TorchObject (other torch classes). Little-endian, 8-byte longs (64-bit Linux files)."""
    path = Path(path)
    with open(path, "rb") as f:
        return _Reader(f, path).object()
