"""Errors a user can act on: each says what was expected and, where it can, what to do."""
from __future__ import annotations

import difflib


class ZooError(Exception):
    """Base class of genzoo's errors."""


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


class PluginError(ZooError):
    """A plugin failed to load or registered something invalid."""


class DuplicateNameError(PluginError):
    pass


class ChecksumError(ZooError):
    """A weight file's sha256 does not match the registry."""


class WeightsNotFoundError(ZooError):
    pass


class TaskNotSupportedError(ZooError, AttributeError):
    pass
