"""Build an architecture's components from a config with a shared part and per-role sections.

A config is "sectioned": shared keys at the top (an architecture's flat `default_config` is all
shared), and a section per role that overrides them for that role only, so two components of one class
can differ:

    {"width": 64, "resolution": 32, "generator": {"width": 128}, "objective": {"lr": 1e-4}}

Sections are named by the architecture's component roles and "objective"; overrides may also be
dotted ("generator.width": 128, as `--config generator.width=128` gives them). Each component class
receives the keys its constructor names (timm-style kwargs); a key no one declares is an error naming
the known keys, so a typo in `--config` never passes silently. `instantiate` is that rule, also used for
objectives and datasets.
"""
from __future__ import annotations

import difflib
import inspect
from typing import Any, Mapping

from zoo import records
from zoo.errors import RegistryError

OBJECTIVE = "objective"
EMA = "ema"  # the EMA copy of the generator: built like the generator, from its section


def section_roles(arch: records.Architecture) -> tuple[str, ...]:
    """The names a config section may have: the component roles, and the objective."""
    return (*arch.components, OBJECTIVE)


def split_config(arch: records.Architecture, config: Mapping[str, Any]) -> tuple[dict, dict[str, dict]]:
    """(shared keys, {role: section}) of a sectioned config."""
    roles = section_roles(arch)
    shared = {k: v for k, v in config.items() if k not in roles}
    sections = {r: dict(config[r]) for r in roles if isinstance(config.get(r), Mapping)}
    return shared, sections


def _unknown(arch: records.Architecture, key: str, known, what: str = "config key") -> RegistryError:
    known = sorted(known)
    close = difflib.get_close_matches(key.rpartition(".")[2], known, n=3, cutoff=0.6)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    return RegistryError(f"unknown {what} {key!r} for architecture {arch.name!r}.{hint} "
                         f"Known: {', '.join(known)}")


def merged_config(arch: records.Architecture, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The architecture's defaults with `overrides` applied, as a sectioned config.

    A role section may set any shared key, or a key of that role's default section; other keys are
    errors naming the known ones."""
    roles = section_roles(arch)
    shared, sections = split_config(arch, arch.default_config)
    for key, value in (overrides or {}).items():
        if not isinstance(key, str):
            raise RegistryError(f"config keys are strings; got {key!r} for architecture {arch.name!r}")
        role, dot, sub = key.partition(".")
        if dot:
            items = [(role, sub, value)]
        elif key in roles:
            if not isinstance(value, Mapping):
                raise RegistryError(f"config section {key!r} of architecture {arch.name!r} must map keys to "
                                    f"values (got {type(value).__name__}); use {key}.KEY=VALUE")
            items = [(key, k, v) for k, v in value.items()]
        elif key in shared:
            shared[key] = value
            continue
        else:
            raise _unknown(arch, key, [*shared, *(f"{r}.KEY" for r in roles)])
        for role, sub, value in items:
            if role not in roles:
                raise _unknown(arch, role, roles, what="config section")
            known = {*shared, *sections.get(role, {})}
            if sub not in known:
                raise _unknown(arch, f"{role}.{sub}", known)
            sections.setdefault(role, {})[sub] = value
    return {**shared, **{r: s for r, s in sections.items() if s}}


def role_config(arch: records.Architecture, config: Mapping[str, Any], role: str) -> dict[str, Any]:
    """The flat options `role` is built with: the shared keys, overridden by the role's section."""
    shared, sections = split_config(arch, config)
    return {**shared, **sections.get(arch_role(role), {})}


def arch_role(role: str) -> str:
    return "generator" if role == EMA else role


def instantiate(cls, options: Mapping[str, Any], required: Mapping[str, Any] | None = None, *,
                what: str = "", names: Mapping[str, str] | None = None, must_take=()):
    """`cls(**required, **options)`, keeping only the options its signature names (all of them when it
    takes **kwargs); a required key it does not take is a ValueError naming `what`. `names` words keys
    for that message ("root" -> "data root"). Keys in `must_take` (a role section's keys) must be taken."""
    required = dict(required or {})
    params = inspect.signature(cls).parameters.values()
    if not any(p.kind is p.VAR_KEYWORD for p in params):
        accepted = {p.name for p in params}
        unknown = [(names or {}).get(k, k) for k in required if k not in accepted]
        if unknown:
            raise ValueError(f"{what or cls.__name__} takes no {', '.join(unknown)}")
        ignored = sorted(k for k in must_take if k not in accepted)
        if ignored:
            raise RegistryError(f"{what or cls.__name__} takes no {', '.join(ignored)} (set in its config "
                                f"section); it takes: {', '.join(sorted(accepted))}")
        options = {k: v for k, v in options.items() if k in accepted}
    return cls(**{**options, **required})


def build_components(arch: records.Architecture, config: Mapping[str, Any],
                     roles: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Instantiate the components (all roles, or only `roles`; "ema" is a second generator), each with
    its role's config."""
    _, sections = split_config(arch, config)
    built = {}
    for role in (roles if roles is not None else tuple(arch.components)):
        if arch_role(role) not in arch.components:
            raise RegistryError(f"architecture {arch.name!r} has no component {role!r}; "
                                f"its roles: {', '.join(arch.components)}")
        path = arch.components[arch_role(role)]
        built[role] = instantiate(records.import_object(path), role_config(arch, config, role),
                                  what=f"{role} ({path})", must_take=sections.get(arch_role(role), {}))
    return built


def build_objective(arch: records.Architecture, config: Mapping[str, Any], catalog) -> Any:
    if arch.objective is None:
        raise RegistryError(f"architecture {arch.name!r} declares no objective; it cannot be trained here")
    record = catalog.get("objective", arch.objective)
    _, sections = split_config(arch, config)
    return instantiate(records.import_object(record.builder), role_config(arch, config, OBJECTIVE),
                       what=f"objective ({record.builder})", must_take=sections.get(OBJECTIVE, {}))
