"""A minimal writer of binary Lua Torch7 files (the layout torch.save writes: a type tag, then the value;
tables and torch objects carry a reference index), enough to write a 3dgan-release-style generator
`nn.Sequential` for the converter's tests. Written from the format, not from any torch7 source."""
from __future__ import annotations

import struct

import numpy as np

NIL, NUMBER, STRING, TABLE, TORCH, BOOLEAN = range(6)


class T7Writer:
    def __init__(self) -> None:
        self.next_index = 0
        self.out = bytearray()

    def _int(self, v: int) -> None:
        self.out += struct.pack("<i", v)

    def _long(self, v: int) -> None:
        self.out += struct.pack("<q", v)

    def _raw_string(self, s: str) -> None:
        data = s.encode("latin1")
        self._int(len(data))
        self.out += data

    def _index(self) -> None:
        self.next_index += 1
        self._int(self.next_index)

    def value(self, v) -> None:
        if v is None:
            self._int(NIL)
        elif isinstance(v, bool):
            self._int(BOOLEAN)
            self._int(1 if v else 0)
        elif isinstance(v, (int, float)):
            self._int(NUMBER)
            self.out += struct.pack("<d", float(v))
        elif isinstance(v, str):
            self._int(STRING)
            self._raw_string(v)
        elif isinstance(v, np.ndarray):
            self.tensor(v)
        elif isinstance(v, Module):
            self._int(TORCH)
            self._index()
            self._raw_string("V 1")
            self._raw_string(v.class_name)
            self.value(v.fields)
        elif isinstance(v, dict):
            self._int(TABLE)
            self._index()
            self._int(len(v))
            for key, item in v.items():
                self.value(key)
                self.value(item)
        else:
            raise TypeError(type(v))

    def tensor(self, array: np.ndarray) -> None:
        array = np.ascontiguousarray(array, dtype="<f4")
        self._int(TORCH)
        self._index()
        self._raw_string("V 1")
        self._raw_string("torch.FloatTensor")
        self._int(array.ndim)
        for s in array.shape:
            self._long(s)
        for st in (np.array(array.strides) // 4):
            self._long(int(st))
        self._long(1)  # storage offset, 1-based
        self._int(TORCH)
        self._index()
        self._raw_string("V 1")
        self._raw_string("torch.FloatStorage")
        self._long(array.size)
        self.out += array.tobytes()


class Module:
    """An nn object: its class name and the table of fields torch.save writes for it."""

    def __init__(self, class_name: str, **fields) -> None:
        self.class_name, self.fields = class_name, fields


def write_t7(path, obj) -> None:
    w = T7Writer()
    w.value(obj)
    path.write_bytes(bytes(w.out))


def full_conv(rng, c_in: int, c_out: int, stride: int, pad: int, prefix: str = "nn") -> Module:
    return Module(f"{prefix}.VolumetricFullConvolution", nInputPlane=c_in, nOutputPlane=c_out,
                  kT=4, kW=4, kH=4, dT=stride, dW=stride, dH=stride, padT=pad, padW=pad, padH=pad,
                  adjT=0, adjW=0, adjH=0, weight=rng.normal(0, 0.1, (c_in, c_out, 4, 4, 4)).astype("f4"),
                  bias=rng.normal(0, 1, c_out).astype("f4"), gradWeight=np.zeros((c_in, c_out, 4, 4, 4), "f4"),
                  train=False)


def batch_norm(rng, c: int, prefix: str = "nn") -> Module:
    return Module(f"{prefix}.VolumetricBatchNormalization", eps=1e-5, momentum=0.1, affine=True, train=False,
                  weight=rng.uniform(0.5, 1.5, c).astype("f4"), bias=rng.normal(0, 0.2, c).astype("f4"),
                  running_mean=rng.normal(0, 0.3, c).astype("f4"),
                  running_var=rng.uniform(0.5, 2.0, c).astype("f4"))


def generator_sequential(rng, widths: list[int], prefix: str = "nn") -> Module:
    """nz → widths[0] (k4 s1 p0), then k4 s2 p1 layers through widths, then 1 channel and a sigmoid."""
    modules = [full_conv(rng, widths[0], widths[1], 1, 0, prefix), batch_norm(rng, widths[1], prefix),
               Module(f"{prefix}.ReLU", inplace=True, threshold=0, val=0)]
    for c_in, c_out in zip(widths[1:-1], widths[2:]):
        modules += [full_conv(rng, c_in, c_out, 2, 1, prefix), batch_norm(rng, c_out, prefix),
                    Module(f"{prefix}.ReLU", inplace=True, threshold=0, val=0)]
    modules += [full_conv(rng, widths[-1], 1, 2, 1, prefix), Module(f"{prefix}.Sigmoid")]
    return Module("nn.Sequential", modules={i + 1: m for i, m in enumerate(modules)}, train=False)
