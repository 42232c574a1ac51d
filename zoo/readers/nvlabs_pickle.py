"""A restricted unpickler for NVlabs' network pickles, which never imports a module the file names.

TensorFlow era (ProGAN `tfutil.Network`, StyleGAN/StyleGAN2 `dnnlib.tflib.network.Network`): each network
pickles its `__getstate__` dict (version, name, static_kwargs, components, build_module_src,
build_func_name, variables = [(name, numpy array)]). PyTorch era (stylegan2-ada-pytorch, stylegan3):
modules wrapped by `torch_utils.persistence` pickle as `_reconstruct_persistent_obj(meta)` with meta =
{type, version, module_src, class_name, state = the module's __dict__}; tensors as
`torch._utils._rebuild_tensor_v2(storage, ...)`, each storage as `torch.storage._load_from_bytes(bytes)`
(a legacy torch.save stream, read here with torch.load(weights_only=True)).

`find_class` maps the few globals these formats need to local functions that rebuild plain data, turns
the authors' own classes (modules dnnlib, tfutil, torch_utils, training; torch.nn.modules) into `InertObject`
placeholders that only record their class name and state, and refuses every other global: os.system,
builtins.eval, subprocess.Popen and the like cannot even be named. Source code stored in a pickle
(build_module_src, module_src) is kept as a string and never run.
"""
from __future__ import annotations

import codecs
import io
import os
import pickle
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from zoo.readers.errors import UnsafeFileError
from zoo.readers.torch_weights import python3_name, refused_global

# modules (and their submodules) whose classes become placeholders: the NVlabs code bases, and torch's
# own nn modules, which a snapshot may hold beside the persistent ones; a placeholder runs nothing
PLACEHOLDER_MODULES = ("dnnlib", "tfutil", "torch_utils", "training", "torch.nn.modules")


class InertObject(dict):
    """Stands in for an object of a class the reader will not import.

    `class_name` is "module.Class"; `state` is what the pickle gave __setstate__ (or the persistence
    meta's state); `args` what it was constructed with. It is a dict so that dict subclasses such as
    dnnlib.EasyDict keep their items.
    """

    class_name = "?"
    args: tuple = ()  # class defaults: NEWOBJ creates placeholders without calling __init__
    state: Any = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()
        self.args, self.state = args, kwargs or None

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def __reduce__(self):  # never pickled again by us; being a dict must not make it look like one
        raise TypeError("InertObject placeholders cannot be pickled")

    def __repr__(self) -> str:
        return f"<inert {self.class_name}>"


_placeholder_types: dict[str, type] = {}


def _placeholder(qualified: str) -> type:
    if qualified not in _placeholder_types:
        _placeholder_types[qualified] = type(qualified.rpartition(".")[2], (InertObject,),
                                             {"class_name": qualified, "__module__": __name__})
    return _placeholder_types[qualified]


# -- local stand-ins for the globals the formats need --------------------------------------------
class _PendingArray:
    """numpy's `_reconstruct(ndarray, (0,), b'b')`; BUILD then gives (version, shape, dtype, fortran, raw)."""

    def __init__(self) -> None:
        self.array: np.ndarray | None = None

    def __setstate__(self, state) -> None:
        _, shape, dtype, fortran, raw = state
        if not isinstance(dtype, np.dtype) or dtype.hasobject:
            raise pickle.UnpicklingError("an object array")
        if not isinstance(raw, (bytes, bytearray)):
            raise pickle.UnpicklingError("array data that is not raw bytes")
        flat = np.frombuffer(bytes(raw), dtype=dtype).copy()
        self.array = flat.reshape(shape, order="F" if fortran else "C")


def _np_reconstruct(subtype, shape, dtype_code) -> _PendingArray:
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError(f"array subtype {subtype!r}")
    return _PendingArray()


def _np_dtype(spec, align=False, copy=False) -> np.dtype:
    if not isinstance(spec, str) or spec.startswith(("O", "V")):
        raise pickle.UnpicklingError(f"numpy dtype {spec!r}")
    return np.dtype(spec, align=bool(align), copy=True)  # a copy: BUILD sets its byte order in place


def _np_scalar(dtype, data=None):
    if not isinstance(dtype, np.dtype) or dtype.hasobject or not isinstance(data, bytes):
        raise pickle.UnpicklingError("a numpy scalar that is not plain data")
    return np.frombuffer(data, dtype=dtype)[0]


def _np_frombuffer(buffer, dtype, shape, order):  # protocol 5 arrays
    if not isinstance(dtype, np.dtype) or dtype.hasobject or not isinstance(buffer, (bytes, bytearray, memoryview,
                                                                                      pickle.PickleBuffer)):
        raise pickle.UnpicklingError("a numpy buffer that is not plain data")
    return np.frombuffer(bytes(buffer), dtype=dtype).reshape(shape, order="F" if order == "F" else "C").copy()


def _latin1_encode(text, encoding="latin1"):  # protocol-2 pickles write bytes as _codecs.encode(str, 'latin1')
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("_codecs.encode beyond latin1 text")
    return codecs.encode(text, "latin1")


def _storage_from_bytes(data):
    import torch

    if not isinstance(data, bytes):
        raise pickle.UnpicklingError("a storage that is not bytes")
    try:
        storage = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:  # torch's weights-only unpickler refused something in the bytes
        raise _Refused(refused_global(str(exc)) + " (inside a storage)") from None
    if not isinstance(storage, (torch.TypedStorage, torch.UntypedStorage)):
        raise pickle.UnpicklingError("storage bytes that hold no storage")
    return storage


def _rebuild_tensor(storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
    import torch

    if not isinstance(storage, torch.TypedStorage):
        raise pickle.UnpicklingError("a tensor without a typed storage")
    with warnings.catch_warnings():  # TypedStorage is deprecated, but it is what these files hold
        warnings.simplefilter("ignore", UserWarning)
        untyped = storage.untyped()
    size, stride = tuple(int(n) for n in size), tuple(int(n) for n in stride)
    # set_ itself does not check this: a tensor must not reach past its storage
    last = offset + sum((n - 1) * st for n, st in zip(size, stride)) if all(size) else offset - 1
    elements = untyped.nbytes() // storage.dtype.itemsize
    if offset < 0 or len(size) != len(stride) or min(size + stride, default=0) < 0 or last >= elements:
        raise ValueError("a tensor whose size and stride run past its storage")
    return torch.empty(0, dtype=storage.dtype).set_(untyped, offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, hooks=None, state=None):
    return data  # only the values matter here; a Parameter wrapper would add nothing


def _reconstruct_persistent_obj(meta):
    if not isinstance(meta, dict) or "class_name" not in meta or "state" not in meta:
        raise pickle.UnpicklingError("persistence meta without class_name and state")
    obj = _placeholder(f"persistent.{meta['class_name']}")()
    obj.state = meta["state"]
    obj.source = meta.get("module_src", "")  # kept as text for inspection; never executed
    return obj


def _copyreg_reconstructor(cls, base, state):  # protocol 0/1 object creation
    if not (isinstance(cls, type) and issubclass(cls, InertObject)) or base is not object or state is not None:
        raise pickle.UnpicklingError("copyreg._reconstructor beyond placeholders")
    return cls()


_LOCAL = {
    ("collections", "OrderedDict"): OrderedDict,
    ("builtins", "set"): set, ("builtins", "frozenset"): frozenset, ("builtins", "object"): object,
    ("builtins", "bytearray"): bytearray,
    ("copyreg", "_reconstructor"): _copyreg_reconstructor,
    ("_codecs", "encode"): _latin1_encode,
    ("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): _np_dtype,
    ("numpy.core.multiarray", "_reconstruct"): _np_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _np_reconstruct,
    ("numpy.core.multiarray", "scalar"): _np_scalar, ("numpy._core.multiarray", "scalar"): _np_scalar,
    ("numpy.core.numeric", "_frombuffer"): _np_frombuffer, ("numpy._core.numeric", "_frombuffer"): _np_frombuffer,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch.storage", "_load_from_bytes"): _storage_from_bytes,
    ("torch_utils.persistence", "_reconstruct_persistent_obj"): _reconstruct_persistent_obj,
}


class _Refused(Exception):
    """Raised where the file is not known; read_nvlabs_pickle names the file."""


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, path: Path) -> None:
        super().__init__(file)
        self.path = path

    def find_class(self, module: str, name: str):
        module, name = python3_name(module, name)  # as pickle's own find_class does for protocols < 3
        if (module, name) in _LOCAL:
            return _LOCAL[(module, name)]
        if any(module == m or module.startswith(m + ".") for m in PLACEHOLDER_MODULES) and name.isidentifier():
            return _placeholder(f"{module}.{name}")
        raise UnsafeFileError(self.path, f"global {module}.{name}", "not a class of the NVlabs formats")

    def persistent_load(self, pid):
        raise UnsafeFileError(self.path, "a persistent id", "NVlabs network pickles hold none")


def read_nvlabs_pickle(path: str | os.PathLike) -> Any:
    """The pickled object tree, with numpy arrays, torch tensors, plain containers and InertObjects."""
    path = Path(path)
    with open(path, "rb") as f:
        try:
            root = _RestrictedUnpickler(f, path).load()
        except UnsafeFileError:
            raise
        except _Refused as exc:
            raise UnsafeFileError(path, str(exc), "torch.load(weights_only=True) does not allow it") from None
        except pickle.UnpicklingError as exc:
            raise UnsafeFileError(path, str(exc), "outside what NVlabs pickles hold") from None
        except (EOFError, TypeError, ValueError, AttributeError, IndexError, KeyError, RuntimeError) as exc:
            raise UnsafeFileError(path, "the pickle stream", f"malformed ({type(exc).__name__}: {exc})") from None
    return _finish(root, set())


def _finish(obj, seen: set[int]):
    """Swap each _PendingArray for its array, in place, through containers and placeholder states."""
    if isinstance(obj, _PendingArray):
        return obj.array
    if id(obj) in seen:
        return obj
    if isinstance(obj, (dict, list, InertObject)):
        seen.add(id(obj))
    if isinstance(obj, dict):
        for key in list(obj):
            obj[key] = _finish(obj[key], seen)
    if isinstance(obj, list):
        obj[:] = [_finish(v, seen) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_finish(v, seen) for v in obj)
    if isinstance(obj, InertObject):
        obj.state = _finish(obj.state, seen)
        obj.args = _finish(obj.args, seen)
    return obj


# -- walking the result ------------------------------------------------------------------------
def tf_variables(network: InertObject) -> dict[str, np.ndarray]:
    """A TensorFlow-era Network's own variables by name (components hold theirs in state['components'])."""
    state = getattr(network, "state", None)
    if not isinstance(state, dict) or "variables" not in state:
        raise ValueError(f"{network!r} is not a pickled TensorFlow-era Network (no 'variables' in its state)")
    return {str(name): value for name, value in state["variables"]}


def module_state_dict(module: InertObject, prefix: str = "") -> dict[str, Any]:
    """What `state_dict()` would give for a pickled torch module: parameters and persistent buffers,
    named through `_modules`, from the module's pickled __dict__."""
    state = getattr(module, "state", None)
    if not isinstance(state, dict) or "_parameters" not in state:
        raise ValueError(f"{module!r} is not a pickled torch module (no '_parameters' in its state)")
    out = {}
    for name, value in state["_parameters"].items():
        if value is not None:
            out[prefix + name] = value
    skip = state.get("_non_persistent_buffers_set") or set()
    for name, value in state.get("_buffers", {}).items():
        if value is not None and name not in skip:
            out[prefix + name] = value
    for name, child in state.get("_modules", {}).items():
        if child is not None:
            out.update(module_state_dict(child, f"{prefix}{name}."))
    return out
