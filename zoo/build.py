"""Build an architecture's components from a flat config.

Each component class receives the config keys its constructor names (timm-style kwargs); a key no
component accepts is an error, so a typo in `--config` never passes silently.
"""
from __future__ import annotations

import inspect
from typing import Any, Mapping

from zoo import records
from zoo.errors import RegistryError


def merged_config(arch: records.Architecture, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    config = dict(arch.default_config)
    for key, value in (overrides or {}).items():
        if key not in config:
            raise RegistryError(f"unknown config key {key!r} for architecture {arch.name!r}; "
                                f"known keys: {', '.join(sorted(config))}")
        config[key] = value
    return config


def _accepted(cls) -> set[str] | None:
    params = inspect.signature(cls.__init__).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None  # takes everything
    return {p.name for p in params if p.name != "self"}


def build_components(arch: records.Architecture, config: Mapping[str, Any],
                     roles: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Instantiate the components (all roles, or only `roles`) with their slice of `config`."""
    built = {}
    for role, path in arch.components.items():
        if roles is not None and role not in roles:
            continue
        cls = records.import_object(path)
        accepted = _accepted(cls)
        kwargs = dict(config) if accepted is None else {k: v for k, v in config.items() if k in accepted}
        built[role] = cls(**kwargs)
    return built


def build_objective(arch: records.Architecture, config: Mapping[str, Any], catalog) -> Any:
    if arch.objective is None:
        raise RegistryError(f"architecture {arch.name!r} declares no objective; it cannot be trained here")
    record = catalog.get("objective", arch.objective)
    cls = records.import_object(record.builder)
    accepted = _accepted(cls)
    kwargs = dict(config) if accepted is None else {k: v for k, v in config.items() if k in accepted}
    return cls(**kwargs)
