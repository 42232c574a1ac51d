"""The plugin manager: built-in and third-party plugins, each loaded on its own.

Built-in plugins are declared in the ``genzoo`` entry-point group exactly like third-party ones;
DEFAULT_PLUGINS only covers a source checkout whose metadata is not installed. A plugin that fails to
import or to register is recorded with its error and the others keep working, unless
GENZOO_STRICT_PLUGINS=1. GENZOO_LOAD_PLUGINS=a,b loads only the plugins named.
"""
from __future__ import annotations

import importlib
import os
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable

import pluggy

from zoo import hookspecs, records
from zoo.errors import DuplicateNameError, PluginError

ENTRY_POINT_GROUP = "genzoo"
# name -> module, as declared in pyproject's entry points; used for a checkout that is not installed
DEFAULT_PLUGINS = {
    "datasets": "zoo.data.hooks",
    "metrics": "zoo.metrics.hooks",
    "gan": "zoo_plugins.gan",
    "dcgan": "zoo_plugins.dcgan",
    "vae": "zoo_plugins.vae",
    "cvae": "zoo_plugins.cvae",
    "aae": "zoo_plugins.aae",
    "vaegan": "zoo_plugins.vaegan",
}

# hook name -> (record type it registers, attribute of the Catalog that stores it)
RECORD_HOOKS: dict[str, type] = {
    "register_architectures": records.Architecture,
    "register_objectives": records.ObjectiveRecord,
    "register_weights": records.WeightSet,
    "register_converters": records.Converter,
    "register_datasets": records.DatasetRecord,
    "register_metrics": records.MetricRecord,
}


@dataclass
class PluginInfo:
    name: str
    module: str
    version: str | None = None
    hooks: list[str] = field(default_factory=list)
    registered: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None
    traceback: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "module": self.module, "version": self.version, "hooks": self.hooks,
                "registered": self.registered, "error": self.error}


def strict() -> bool:
    return os.environ.get("GENZOO_STRICT_PLUGINS", "") not in ("", "0", "false", "False")


def _selected() -> set[str] | None:
    names = os.environ.get("GENZOO_LOAD_PLUGINS")
    if names is None:
        return None
    return {n.strip() for n in names.split(",") if n.strip()}


def _candidates() -> list[tuple[str, str, str | None, Callable[[], Any]]]:
    """(plugin name, module, distribution version, loader) for every plugin that may load."""
    found: dict[str, tuple[str, str, str | None, Callable[[], Any]]] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        version = ep.dist.version if ep.dist is not None else None
        found.setdefault(ep.name, (ep.name, ep.value, version, ep.load))
    loaded_modules = {module for _, module, _, _ in found.values()}
    for name, module in DEFAULT_PLUGINS.items():
        if module not in loaded_modules and name not in found:
            found[name] = (name, module, None, lambda m=module: importlib.import_module(m))
    return list(found.values())


def _check_hook_names(pm: pluggy.PluginManager, plugin) -> None:
    """A hookimpl whose name matches no hookspec (a typo such as `register_architecture`) would
    otherwise be ignored in silence."""
    unknown = sorted(h.name for h in pm.get_hookcallers(plugin) or [] if not h.has_spec())
    if unknown:
        known = sorted(RECORD_HOOKS) + ["register_commands"]
        raise PluginError(f"implements {', '.join(unknown)}, which {'is' if len(unknown) == 1 else 'are'} "
                          f"not a genzoo hook; the hooks are: {', '.join(known)}")


class PluginManager:
    """Loads plugins once and collects the records they register into a Catalog."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("genzoo")
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self._loaded = False

    def load(self, catalog) -> None:
        """Import and register every selected plugin into `catalog` (idempotent)."""
        if self._loaded:
            return
        self._loaded = True
        selected = _selected()
        for name, module, version, loader in _candidates():
            if selected is not None and name not in selected:
                continue
            info = PluginInfo(name=name, module=module, version=version)
            self.infos[name] = info
            try:
                plugin = loader()
                self.pm.register(plugin, name=name)
                info.hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
                _check_hook_names(self.pm, plugin)
                staged = self._collect(name, plugin)
                catalog.add_all(staged, plugin=name)
            except Exception as exc:  # fault isolation: report, keep the rest working
                if self.pm.is_registered(self.pm.get_plugin(name)):
                    self.pm.unregister(name=name)
                info.error = f"{type(exc).__name__}: {exc}"
                info.registered = {}
                if strict():
                    raise PluginError(f"plugin {name!r} ({module}) failed: {info.error}") from exc
                info.traceback = traceback.format_exc()
                continue
            for record in staged:
                kind = type(record).__name__
                info.registered.setdefault(kind, []).append(record.name)
        if selected is not None:
            self._report_unknown_selection(selected)

    def _report_unknown_selection(self, selected: set[str]) -> None:
        """A name in GENZOO_LOAD_PLUGINS that matches no installed plugin is a typo worth reporting."""
        installed = sorted(name for name, *_ in _candidates())
        for name in sorted(selected - set(installed)):
            error = (f"selected by GENZOO_LOAD_PLUGINS but no plugin of that name is installed; "
                     f"installed: {', '.join(installed)}")
            if strict():
                raise PluginError(f"plugin {name!r}: {error}")
            self.infos[name] = PluginInfo(name=name, module="", error=error)

    def _collect(self, name: str, plugin) -> list[Any]:
        """Call each of this plugin's record hooks alone, checking what it registers."""
        staged: list[Any] = []
        for hook_name, record_type in RECORD_HOOKS.items():
            impl = getattr(plugin, hook_name, None)
            if impl is None:
                continue

            def register(record, _hook=hook_name, _type=record_type):
                if not isinstance(record, _type):
                    raise PluginError(f"{_hook} must register {_type.__name__} records, got {type(record).__name__}")
                staged.append(record)

            impl(register=register)
        return staged

    def register_commands(self, subparsers) -> None:
        """Let each loaded plugin add CLI subcommands; a failing one is reported, not fatal."""
        for name, info in self.infos.items():
            plugin = self.pm.get_plugin(name)
            impl = getattr(plugin, "register_commands", None) if plugin is not None else None
            if impl is None:
                continue
            try:
                impl(cli=subparsers)
            except Exception as exc:
                info.error = f"register_commands: {type(exc).__name__}: {exc}"
                if strict():
                    raise PluginError(f"plugin {name!r} failed to add commands: {exc}") from exc


__all__ = ["PluginManager", "PluginInfo", "DEFAULT_PLUGINS", "ENTRY_POINT_GROUP", "DuplicateNameError"]
