"""Writing NVIDIA's TensorFlow-era pickles without TensorFlow (TensorFlow 1.x does not install here), for the
converter fixtures of ProGAN, StyleGAN and StyleGAN2 (tests/fixtures/*/make_fixtures.py): a stand-in for their
Network class that pickles the state the official __getstate__ gives, registered under the official name."""
from __future__ import annotations

import sys
import types


class TFNetwork:
    """Stand-in for a TensorFlow-era Network: name, static_kwargs, variables (name -> array) and components;
    a family's subclass (named Network) sets the pickled `version`, `build_func_name` and whether its
    state has `components` (tfutil's, ProGAN's, has none)."""

    version = 3
    has_components = True

    def __init__(self, name, static_kwargs, variables, components=None):
        self.name, self.static_kwargs, self.variables = name, static_kwargs, variables
        self.components = components or {}

    def build_func_name(self) -> str:
        return self.name

    def __getstate__(self):
        state = {"version": self.version, "name": self.name, "static_kwargs": self.static_kwargs}
        if self.has_components:
            state["components"] = self.components
        state.update({"build_module_src": "raise SystemExit('never run')\n", "build_func_name": self.build_func_name(),
                      "variables": list(self.variables.items())})
        return state


def register_as(cls: type, qualified: str) -> None:
    """Make `qualified` (e.g. "dnnlib.tflib.network.Network") name `cls`, so that pickle writes that global;
    the parent packages become empty modules."""
    module_name, name = qualified.rsplit(".", 1)
    parts = module_name.split(".")
    for i in range(1, len(parts)):
        sys.modules[".".join(parts[:i])] = types.ModuleType(".".join(parts[:i]))
    module = types.ModuleType(module_name)
    cls.__module__ = module_name
    setattr(module, name, cls)
    sys.modules[module_name] = module
