"""The catalogue: architectures, objectives, weight sets, datasets, metrics and converters by name.

Weight sets come from registry.yaml (read by zoo.schema.safe_yaml, validated by the pydantic schema in
zoo.schema.registry_entry; errors name the entry and the field) and from plugins' `register_weights`
hooks. Nothing here imports torch.
"""
from __future__ import annotations

import fnmatch
import os
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

from zoo import records
from zoo.errors import DuplicateNameError, RegistryError, UnknownNameError

_KIND_OF = {
    records.Architecture: "architecture",
    records.ObjectiveRecord: "objective",
    records.WeightSet: "weight set",
    records.Converter: "converter",
    records.DatasetRecord: "dataset",
    records.MetricRecord: "metric",
}


def registry_yaml_path() -> Path:
    """registry.yaml of a source checkout if there is one, else the copy inside the installed package."""
    override = os.environ.get("GENZOO_REGISTRY")
    if override:
        return Path(override)
    checkout = Path(__file__).resolve().parent.parent / "registry.yaml"
    if checkout.is_file():
        return checkout
    return Path(str(resources.files("zoo") / "registry.yaml"))


class Catalog:
    """Everything registered, by kind and name; weight-set lookups resolve `arch` to its default tag."""

    def __init__(self) -> None:
        self.by_kind: dict[str, dict[str, Any]] = {kind: {} for kind in _KIND_OF.values()}

    # -- registration -------------------------------------------------------------------------
    def add_all(self, items: Iterable[Any], plugin: str) -> None:
        """Add a plugin's records atomically: a duplicate name rejects all of them, naming both sources."""
        staged: list[tuple[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for item in items:
            kind = _KIND_OF[type(item)]
            key = (kind, item.name)
            previous = self.by_kind[kind].get(item.name)
            if previous is not None or key in seen:
                other = previous.plugin if previous is not None else plugin
                raise DuplicateNameError(
                    f"{kind} {item.name!r} is registered by both {other!r} and {plugin!r}")
            seen.add(key)
            staged.append((kind, _with_plugin(item, plugin)))
        for kind, item in staged:
            self.by_kind[kind][item.name] = item
        self._check_default_tags()

    def _check_default_tags(self) -> None:
        defaults: dict[str, str] = {}
        for ws in self.by_kind["weight set"].values():
            if ws.default:
                if ws.architecture in defaults:
                    raise RegistryError(f"architecture {ws.architecture!r} has two default weight sets: "
                                        f"{defaults[ws.architecture]!r} and {ws.name!r}")
                defaults[ws.architecture] = ws.name

    # -- lookups --------------------------------------------------------------------------------
    def get(self, kind: str, name: str):
        table = self.by_kind[kind]
        if name not in table:
            raise UnknownNameError(kind, name, table)
        return table[name]

    def architecture(self, name: str) -> records.Architecture:
        return self.get("architecture", name)

    def weight_set(self, name: str) -> records.WeightSet:
        """`arch.tag`, or a bare `arch` meaning its default tag. An unknown tag is an error."""
        table = self.by_kind["weight set"]
        if name in table:
            return table[name]
        if "." not in name and name in self.by_kind["architecture"]:
            for ws in table.values():
                if ws.architecture == name and ws.default:
                    return ws
            tags = sorted(ws.name for ws in table.values() if ws.architecture == name)
            listing = f"its weight sets: {', '.join(tags)}" if tags else "it has no pretrained weights yet"
            raise RegistryError(f"architecture {name!r} has no default weight set ({listing}); "
                                f"use zoo.create({name!r}) for an untrained model")
        known = list(table) + list(self.by_kind["architecture"])
        raise UnknownNameError("model", name, known)

    def names(self, kind: str, pattern: str | None = None) -> list[str]:
        names = sorted(self.by_kind[kind])
        return [n for n in names if pattern is None or fnmatch.fnmatch(n, pattern) or pattern in n]


def _with_plugin(item, plugin: str):
    if getattr(item, "plugin", "") == plugin:
        return item
    import dataclasses
    return dataclasses.replace(item, plugin=item.plugin or plugin)


# -- registry.yaml ----------------------------------------------------------------------------
# registry.yaml is a few kilobytes; anything far larger is a mistake or an attack
MAX_REGISTRY_BYTES = 16 * 1024 * 1024


def parse_registry(data: Any, origin: str = "registry.yaml") -> list[records.WeightSet]:
    """Validate the parsed YAML (zoo.schema.registry_entry) and build WeightSet records; errors name the
    entry and the field, in one line."""
    from zoo.schema.registry_entry import parse_entry  # pydantic: loaded when a registry is read

    if data is None:
        return []
    if not isinstance(data, Mapping):
        raise RegistryError(f"{origin}: the top level must be a mapping of 'arch.tag' entries")
    return [parse_entry(name, entry, origin) for name, entry in data.items()]


def load_registry_yaml(path: Path | None = None) -> list[records.WeightSet]:
    """Read a registry file: safe YAML without anchors, aliases or duplicate keys, then the schema."""
    import yaml

    from zoo.schema.safe_yaml import load_strict_yaml

    path = path or registry_yaml_path()
    try:
        if path.stat().st_size > MAX_REGISTRY_BYTES:
            raise RegistryError(f"{path}: larger than {MAX_REGISTRY_BYTES} bytes; not a registry file")
        data = load_strict_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML: {_one_line(exc)}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: unreadable ({exc})") from None
    return parse_registry(data, origin="registry.yaml")


def _one_line(exc: Exception) -> str:
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else problem


# -- the process-wide catalogue ---------------------------------------------------------------
_catalog: Catalog | None = None
_manager = None


def catalog() -> Catalog:
    """Load registry.yaml and every plugin once, then answer from memory."""
    global _catalog, _manager
    if _catalog is None:
        from zoo.plugins import PluginManager

        cat = Catalog()
        cat.add_all(load_registry_yaml(), plugin="registry.yaml")
        manager = PluginManager()
        manager.load(cat)
        _catalog, _manager = cat, manager
    return _catalog


def plugin_manager():
    catalog()
    return _manager


def reset() -> None:
    """Forget the loaded catalogue (tests, and after installing a plugin in-process)."""
    global _catalog, _manager
    _catalog = _manager = None
