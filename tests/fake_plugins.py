"""In-process fake plugins for the plugin manager's tests: a module whose functions are hookimpls, and a
minimal architecture record to register."""
from __future__ import annotations

import types

from zoo import records
from zoo.hookspecs import hookimpl

PAPER = records.Paper(title="A test paper", authors="Nobody", year=2024)


def architecture(name: str) -> records.Architecture:
    return records.Architecture(name=name, paper=PAPER, components={"generator": "nowhere:Generator"})


def fake_plugin(module_name: str, **hooks) -> types.ModuleType:
    """A module named `module_name` implementing the given hooks (keyword: hook name → function)."""
    module = types.ModuleType(module_name)
    for hook_name, function in hooks.items():
        function.__name__ = hook_name
        setattr(module, hook_name, hookimpl(function))
    return module
