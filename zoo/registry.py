"""The catalogue: architectures, objectives, weight sets, datasets, metrics and converters by name.

Weight sets come from registry.yaml (validated here, errors name the entry and the field) and from
plugins' `register_weights` hooks. Nothing here imports torch.
"""
from __future__ import annotations

import fnmatch
import os
from dataclasses import fields
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
_WEIGHT_FIELDS = {f.name for f in fields(records.WeightSet)} - {"name", "plugin"}
_REQUIRED = ("architecture", "source")


def parse_registry(data: Any, origin: str = "registry.yaml") -> list[records.WeightSet]:
    """Validate the parsed YAML and build WeightSet records; errors name the entry and the field."""
    if data is None:
        return []
    if not isinstance(data, Mapping):
        raise RegistryError(f"{origin}: the top level must be a mapping of 'arch.tag' entries")
    out = []
    for name, entry in data.items():
        where = f"{origin}: entry {name!r}"
        arch, dot, tag = str(name).partition(".")
        if not (arch and dot and tag):
            raise RegistryError(f"{where}: the name must look like 'architecture.tag'")
        if not isinstance(entry, Mapping):
            raise RegistryError(f"{where}: must be a mapping of fields")
        unknown = set(entry) - _WEIGHT_FIELDS
        if unknown:
            raise RegistryError(f"{where}: unknown field(s) {sorted(unknown)}; allowed: {sorted(_WEIGHT_FIELDS)}")
        for key in _REQUIRED:
            if key not in entry:
                raise RegistryError(f"{where}: field {key!r} is required")
        if entry["architecture"] != arch:
            raise RegistryError(f"{where}: field 'architecture' is {entry['architecture']!r} "
                                f"but the name says {arch!r}")
        source = _parse_source(entry["source"], where)
        for key, typ in (("config", Mapping), ("metrics", Mapping)):
            if key in entry and not isinstance(entry[key], typ):
                raise RegistryError(f"{where}: field {key!r} must be a mapping")
        if "resolution" in entry and not isinstance(entry["resolution"], int):
            raise RegistryError(f"{where}: field 'resolution' must be an integer")
        if "shipped" in entry and ":" not in str(entry["shipped"]):
            raise RegistryError(f"{where}: field 'shipped' must look like 'package:relative/dir'")
        kwargs = {k: v for k, v in entry.items() if k != "source"}
        out.append(records.WeightSet(name=str(name), source=source, plugin=origin, **kwargs))
    return out


def _parse_source(src: Any, where: str) -> records.WeightSource:
    if not isinstance(src, Mapping):
        raise RegistryError(f"{where}: field 'source' must be a mapping with repo_id (or url), revision, files")
    converter = src.get("converter")
    url = src.get("url")
    if url is not None and not converter:
        raise RegistryError(f"{where}: field 'source.url' is for official files and needs 'source.converter'")
    if url is None and (not src.get("repo_id") or "/" not in str(src["repo_id"])):
        raise RegistryError(f"{where}: field 'source.repo_id' must look like 'org/name'")
    files = src.get("files")
    if not isinstance(files, Mapping) or not files:
        raise RegistryError(f"{where}: field 'source.files' must map each component to a filename and sha256")
    if "config" not in files and not converter:
        raise RegistryError(f"{where}: field 'source.files' must include 'config' (config.json)")
    parsed = {}
    for role, spec in files.items():
        if not isinstance(spec, Mapping) or "filename" not in spec or "sha256" not in spec:
            raise RegistryError(f"{where}: field 'source.files.{role}' needs 'filename' and 'sha256'")
        if spec["sha256"] is None and converter and src.get("unpinned"):
            parsed[str(role)] = records.WeightFile(filename=str(spec["filename"]), sha256=None)
            continue
        digest = str(spec["sha256"]).lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise RegistryError(f"{where}: field 'source.files.{role}.sha256' is not a sha256 hex digest"
                                + " (an official file without a published "
                                "checksum has sha256: null and says why in 'source.unpinned')")
        parsed[str(role)] = records.WeightFile(filename=str(spec["filename"]), sha256=digest)
    return records.WeightSource(repo_id=str(src["repo_id"]) if src.get("repo_id") else None,
                                revision=str(src.get("revision", "main")), files=parsed,
                                url=str(url) if url is not None else None,
                                converter=str(converter) if converter else None,
                                unpinned=str(src.get("unpinned") or ""))


def load_registry_yaml(path: Path | None = None) -> list[records.WeightSet]:
    import yaml

    path = path or registry_yaml_path()
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML: {exc}") from exc
    return parse_registry(data, origin="registry.yaml")


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
