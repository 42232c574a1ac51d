"""Errors a user can act on: each says what was expected and, where it can, what to do.

Each error class carries the exit code the `zoo` command ends with (docs/errors.md): 2 for a usage
error or bad input (a wrong name, a malformed file), 1 for a runtime failure (network, disk, a corrupt
cache). 130 is kept for an interrupt by the user.
"""
from __future__ import annotations

import difflib

EXIT_BAD_INPUT = 2
EXIT_RUNTIME = 1
EXIT_INTERRUPTED = 130


class ZooError(Exception):
    """Base class of genzoo's errors."""

    exit_code = EXIT_BAD_INPUT


class UnknownNameError(ZooError, KeyError):
    def __init__(self, kind: str, name: str, known) -> None:
        self.kind, self.name = kind, name
        known = sorted(known)
        close = difflib.get_close_matches(name, known, n=5, cutoff=0.5)
        # also suggest names that share the architecture prefix ("dcgan.foo" -> "dcgan.digits-32")
        prefix = name.partition(".")[0]
        close += [k for k in known if k.partition(".")[0] == prefix and k not in close][:5]
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        msg = f"unknown {kind} {name!r}.{hint}"
        if not close and known:
            msg += f" Known: {', '.join(known[:20])}{' ...' if len(known) > 20 else ''}"
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.args[0]


class ShapeError(ZooError, ValueError):
    """A tensor of the wrong shape was passed to a component."""


class RegistryError(ZooError, ValueError):
    """registry.yaml (or a registered weight set) is malformed."""


class UnsafeNameError(RegistryError):
    """An `hf-hub:` repo id, revision or file name that could reach outside the cache."""


class PluginError(ZooError):
    """A plugin failed to load or registered something invalid."""


class DuplicateNameError(PluginError):
    pass


class ChecksumError(ZooError):
    """A weight file's sha256 does not match the registry."""

    exit_code = EXIT_RUNTIME


class WeightsNotFoundError(ZooError):
    pass


class HubUnavailableError(WeightsNotFoundError):
    """The Hub could not be reached or answered badly, and the cache could not stand in for it."""

    exit_code = EXIT_RUNTIME


class CacheError(ZooError):
    """The Hugging Face cache holds something that cannot be trusted and cannot be repaired offline."""

    exit_code = EXIT_RUNTIME


class WeightsFormatError(ZooError, ValueError):
    """A weight file that is truncated, not safetensors, or whose tensors do not fit the model."""


class DataError(ZooError):
    """A data file (an image, a voxel grid) that cannot be read."""


class TaskNotSupportedError(ZooError, AttributeError):
    pass
