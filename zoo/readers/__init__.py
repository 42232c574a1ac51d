"""Safe readers of official checkpoint formats. None of them executes code from a file.

- `read_safetensors`: safetensors, after checking the header is sane.
- `read_torch_weights`: `torch.load(weights_only=True)` with a small, named allow-list of extra classes.
- `read_nvlabs_pickle`: a restricted unpickler for NVlabs' TensorFlow-era (dnnlib / tfutil Network) and
  PyTorch-era (torch_utils.persistence) pickles; their classes become inert placeholders.
- `read_t7`: Lua Torch7 binary files (numbers, strings, tables, booleans, tensors, storages, nn objects).

Converters registered by plugins read official files only through these.
"""
from zoo.readers.errors import UnsafeFileError

__all__ = [
    "InertObject",
    "TorchObject",
    "UnsafeFileError",
    "module_state_dict",
    "read_nvlabs_pickle",
    "read_safetensors",
    "read_t7",
    "read_torch_weights",
    "tf_variables",
]


def __getattr__(name):  # the readers import numpy / torch: load them on first use
    if name == "read_safetensors":
        from zoo.readers.safetensors_file import read_safetensors
        return read_safetensors
    if name == "read_torch_weights":
        from zoo.readers.torch_weights import read_torch_weights
        return read_torch_weights
    if name in ("read_nvlabs_pickle", "InertObject", "module_state_dict", "tf_variables"):
        from zoo.readers import nvlabs_pickle
        return getattr(nvlabs_pickle, name)
    if name in ("read_t7", "TorchObject"):
        from zoo.readers import lua_t7
        return getattr(lua_t7, name)
    raise AttributeError(f"module 'zoo.readers' has no attribute {name!r}")
