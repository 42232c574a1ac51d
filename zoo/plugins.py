"""The plugin manager: built-in and third-party plugins, each loaded on its own.

Built-in plugins are declared in the ``genzoo`` entry-point group exactly like third-party ones;
DEFAULT_PLUGINS only covers a source checkout whose metadata is not installed. A plugin that fails to
import or to register is recorded with its error and the others keep working, unless
GENZOO_STRICT_PLUGINS=1. GENZOO_LOAD_PLUGINS=a,b loads only the plugins named.

Isolation covers everything a plugin can raise, SystemExit and KeyboardInterrupt included: a plugin that
calls sys.exit() or raises KeyboardInterrupt while it loads is recorded as failed. A Ctrl-C of the user
is told apart by a SIGINT handler installed while plugins load: that one stops the program. A failing
plugin's records and its pluggy registration are rolled back together. A plugin slower to load than
GENZOO_PLUGIN_WARN_SECONDS (2 s) is named in a one-line note on stderr. A third-party entry point whose
name is already taken (by a built-in, say) is not loaded and is reported under `name:distribution`.
"""
from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
import time
import traceback
from contextlib import contextmanager
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
    "cgan": "zoo_plugins.cgan",
    "icgan": "zoo_plugins.icgan",
    "infogan": "zoo_plugins.infogan",
    "biggan": "zoo_plugins.biggan",
    "sagan": "zoo_plugins.sagan",
    "pggan_inpaint": "zoo_plugins.pggan_inpaint",
    "gan3d": "zoo_plugins.gan3d",
    "spade": "zoo_plugins.spade",
    "pix2pixhd": "zoo_plugins.pix2pixhd",
    "ganintcls": "zoo_plugins.ganintcls",
    "stackgan": "zoo_plugins.stackgan",
    "pix2pix": "zoo_plugins.pix2pix",
    "cyclegan": "zoo_plugins.cyclegan",
    "srgan": "zoo_plugins.srgan",
    "esrgan": "zoo_plugins.esrgan",
    "stylegan2": "zoo_plugins.stylegan2",
    "progan": "zoo_plugins.progan",
    "stylegan": "zoo_plugins.stylegan",
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


def warn_seconds() -> float:
    try:
        return float(os.environ.get("GENZOO_PLUGIN_WARN_SECONDS", "2"))
    except ValueError:
        return 2.0


def _dist_name(ep) -> str:
    return ep.dist.metadata["Name"] if ep.dist is not None else "?"


def _is_builtin(ep) -> bool:
    return ep.value in DEFAULT_PLUGINS.values() or _dist_name(ep).lower() == "genzoo"


def _entry_points_by_name() -> dict[str, list]:
    """Entry points of the group by name, a built-in first where one shares the name."""
    by_name: dict[str, list] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        same = by_name.setdefault(ep.name, [])
        if not any(e.value == ep.value and _dist_name(e) == _dist_name(ep) for e in same):
            same.append(ep)
    for eps in by_name.values():
        eps.sort(key=lambda e: not _is_builtin(e))
    return by_name


def name_collisions() -> list[PluginInfo]:
    """A failed PluginInfo for each entry point whose name another plugin (a built-in first) has taken."""
    out = []
    for name, eps in _entry_points_by_name().items():
        kept = eps[0]
        for dropped in eps[1:]:
            version = dropped.dist.version if dropped.dist is not None else None
            owner = "the built-in plugin" if _is_builtin(kept) else f"the plugin of {_dist_name(kept)}"
            error = (f"DuplicateNameError: plugin name {name!r} is taken by {owner} ({kept.value}); the entry "
                     f"point of {_dist_name(dropped)} ({dropped.value}) was not loaded: rename it")
            out.append(PluginInfo(name=f"{name}:{_dist_name(dropped)}", module=dropped.value, version=version,
                                  error=error))
    return out


def _candidates() -> list[tuple[str, str, str | None, Callable[[], Any]]]:
    """(plugin name, module, distribution version, loader) for every plugin that may load."""
    found: dict[str, tuple[str, str, str | None, Callable[[], Any]]] = {}
    for name, eps in _entry_points_by_name().items():
        ep = eps[0]
        version = ep.dist.version if ep.dist is not None else None
        found[name] = (name, ep.value, version, ep.load)
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


@contextmanager
def _user_interrupts_marked():
    """While plugins load, a SIGINT (the user's Ctrl-C) sets `marked["user"]` before interrupting, so a
    KeyboardInterrupt that a plugin raises itself can be told apart from the user's."""
    marked = {"user": False}
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield marked
        return

    def on_sigint(signum, frame):
        marked["user"] = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield marked
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _catalog_state(catalog) -> dict[str, Any]:
    """What a plugin's registration may change in the catalogue, copied for a rollback."""
    return {key: ({k: dict(v) if isinstance(v, dict) else v for k, v in value.items()}
                  if isinstance(value, dict) else value) for key, value in vars(catalog).items()}


def _restore_catalog(catalog, state: dict[str, Any]) -> None:
    vars(catalog).clear()
    vars(catalog).update(state)


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
        with _user_interrupts_marked() as interrupt:
            for name, module, version, loader in _candidates():
                if selected is not None and name not in selected:
                    continue
                self._load_one(catalog, PluginInfo(name=name, module=module, version=version), loader, interrupt)
        for info in name_collisions():
            if selected is not None and info.name.partition(":")[0] not in selected:
                continue
            if strict():
                raise PluginError(f"plugin {info.name!r} ({info.module}): {info.error}")
            self.infos[info.name] = info
        if selected is not None:
            self._report_unknown_selection(selected)

    def _load_one(self, catalog, info: PluginInfo, loader, interrupt) -> None:
        """Import and register one plugin; on any failure undo all it did and record the error."""
        name = info.name
        self.infos[name] = info
        before = _catalog_state(catalog)
        started = time.monotonic()
        try:
            plugin = loader()
            self.pm.register(plugin, name=name)
            info.hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
            _check_hook_names(self.pm, plugin)
            staged = self._collect(name, plugin)
            catalog.add_all(staged, plugin=name)
        except BaseException as exc:  # fault isolation: SystemExit and a plugin's own KeyboardInterrupt too
            if isinstance(exc, KeyboardInterrupt) and interrupt["user"]:
                raise
            if isinstance(exc, (GeneratorExit,)):
                raise
            _restore_catalog(catalog, before)
            if self.pm.get_plugin(name) is not None:
                self.pm.unregister(name=name)
            info.error = f"{type(exc).__name__}: {exc}"
            info.registered = {}
            if strict():
                raise PluginError(f"plugin {name!r} ({info.module}) failed: {info.error}") from exc
            info.traceback = traceback.format_exc()
            return
        finally:
            self._note_if_slow(info, time.monotonic() - started)
        for record in staged:
            kind = type(record).__name__
            info.registered.setdefault(kind, []).append(record.name)

    @staticmethod
    def _note_if_slow(info: PluginInfo, seconds: float) -> None:
        limit = warn_seconds()
        if seconds > limit:
            print(f"zoo: note: plugin {info.name!r} ({info.module}) took {seconds:.1f} s to load, more than "
                  f"GENZOO_PLUGIN_WARN_SECONDS={limit:g}; every zoo command waits for it "
                  f"(GENZOO_LOAD_PLUGINS selects the plugins to load)", file=sys.stderr)

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
            except BaseException as exc:  # SystemExit / KeyboardInterrupt raised by the plugin, too
                info.error = f"register_commands: {type(exc).__name__}: {exc}"
                if strict():
                    raise PluginError(f"plugin {name!r} failed to add commands: {exc}") from exc


__all__ = ["PluginManager", "PluginInfo", "DEFAULT_PLUGINS", "ENTRY_POINT_GROUP", "DuplicateNameError"]
