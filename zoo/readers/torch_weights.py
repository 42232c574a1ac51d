"""`.pth` / `.pt` files through `torch.load(weights_only=True)`: torch's own restricted unpickler, which
rebuilds tensors, storages and plain containers only. A format that needs one more class names it from
`EXTRA_GLOBALS` (an allow-list of plain-data classes); anything else in the file is refused."""
from __future__ import annotations

import argparse
import collections
import os
import re
from collections.abc import Iterable
from pathlib import Path

from zoo.readers.errors import UnsafeFileError


class AttributeBag:
    """Stands in for a plain configuration object of an authors' code base: the pickle's attributes are set
    on it (BUILD updates __dict__) and nothing else happens; it has no methods that could run."""

    def __repr__(self) -> str:
        return f"AttributeBag({vars(self)})"


# Plain-data classes some official .pth files hold besides tensors; constructing them runs no file code.
# Keys are the names the files use; a stand-in is allowed under that name only.
EXTRA_GLOBALS = {
    "collections.OrderedDict": collections.OrderedDict,  # torchvision / lpips state dicts
    "argparse.Namespace": argparse.Namespace,  # options saved beside weights (BasicSR-era checkpoints)
    "models.utils.config.BaseConfig": AttributeBag,  # facebookresearch/pytorch_GAN_zoo's saved config
}



def read_torch_weights(path: str | os.PathLike, extra: Iterable[str] = ()) -> object:
    """The object in a torch-saved file (usually a state dict), loaded on the CPU with weights_only=True.

    `extra` names entries of EXTRA_GLOBALS the format needs (e.g. ("argparse.Namespace",)).
    """
    import pickle

    import torch

    path = Path(path)
    unknown = [name for name in extra if name not in EXTRA_GLOBALS]
    if unknown:
        raise ValueError(f"not in the allow-list of extra globals: {unknown}; known: {sorted(EXTRA_GLOBALS)}")
    with _allowing([(EXTRA_GLOBALS[name], name) for name in extra]):
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            raise UnsafeFileError(path, refused_global(str(exc)), "torch.load(weights_only=True) does not "
                                  "allow it") from None
        except (RuntimeError, EOFError) as exc:
            raise UnsafeFileError(path, "the file", f"not a readable torch file ({str(exc).splitlines()[0]})") from None
        except OSError as exc:  # a cut zip archive: torch's reader fails with EINVAL
            if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError)):
                raise
            raise UnsafeFileError(path, "the file", f"not a readable torch file ({exc})") from None


def _allowing(classes: list):
    """torch's safe_globals context (torch >= 2.5); with no extras, any torch that has weights_only."""
    import contextlib

    import torch

    if not classes:
        return contextlib.nullcontext()
    if not hasattr(torch.serialization, "safe_globals"):
        raise UnsafeFileError("(this format)", f"extra globals {classes}", "allowing them needs torch >= 2.5")
    return torch.serialization.safe_globals(classes)


def refused_global(message: str) -> str:
    """The global torch's weights-only unpickler refused, from its message ("... GLOBAL x.y was not an
    allowed global ..."), under its Python 3 name (torch.save writes protocol 2, with Python 2 names)."""
    match = re.search(r"GLOBAL ([\w.]+)", message)
    if not match:
        first = message.strip().splitlines()[0] if message.strip() else "a pickle opcode"
        return first[:200]
    module, _, name = match.group(1).rpartition(".")
    return "global " + ".".join(python3_name(module or "builtins", name))


def python3_name(module: str, name: str) -> tuple[str, str]:
    """What a Python 2 global (copy_reg._reconstructor, __builtin__.eval) is called in Python 3."""
    import _compat_pickle

    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name
