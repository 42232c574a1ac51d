"""Build an architecture's components from a flat config.

Each component class receives the config keys its constructor names (timm-style kwargs); a key no
component accepts is an error, so a typo in `--config` never passes silently. `instantiate` is that
rule, also used for objectives and datasets.
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


def instantiate(cls, options: Mapping[str, Any], required: Mapping[str, Any] | None = None, *,
                what: str = "", names: Mapping[str, str] | None = None):
    """`cls(**required, **options)`, keeping only the options its signature names (all of them when it
    takes **kwargs); a required key it does not take is a ValueError naming `what`. `names` words keys
    for that message ("root" -> "data root")."""
    required = dict(required or {})
    params = inspect.signature(cls).parameters.values()
    if not any(p.kind is p.VAR_KEYWORD for p in params):
        accepted = {p.name for p in params}
        unknown = [(names or {}).get(k, k) for k in required if k not in accepted]
        if unknown:
            raise ValueError(f"{what or cls.__name__} takes no {', '.join(unknown)}")
        options = {k: v for k, v in options.items() if k in accepted}
    return cls(**{**options, **required})


def build_components(arch: records.Architecture, config: Mapping[str, Any],
                     roles: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Instantiate the components (all roles, or only `roles`) with their slice of `config`."""
    built = {}
    for role, path in arch.components.items():
        if roles is not None and role not in roles:
            continue
        built[role] = instantiate(records.import_object(path), config)
    return built


def build_objective(arch: records.Architecture, config: Mapping[str, Any], catalog) -> Any:
    if arch.objective is None:
        raise RegistryError(f"architecture {arch.name!r} declares no objective; it cannot be trained here")
    record = catalog.get("objective", arch.objective)
    return instantiate(records.import_object(record.builder), config)
