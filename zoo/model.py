"""ZooModel: a loaded model's components by role, its config and metadata, and its task methods.

Task methods exist only when the components allow them: the class of a model is composed from the
task mixins its architecture declares, so `hasattr(model, "encode")` is False for a plain GAN.
"""
from __future__ import annotations

import functools
from typing import Any, Mapping

import torch
from torch import nn

from zoo.errors import TaskNotSupportedError
from zoo.tasks import TASK_METHODS, TASK_MIXINS


class ZooModel(nn.Module):
    tasks: tuple[str, ...] = ()

    def __init__(self, architecture, components: Mapping[str, nn.Module], config: Mapping[str, Any],
                 weight_set=None, metadata: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.architecture = architecture
        self.components = nn.ModuleDict(dict(components))
        self.config = dict(config)
        self.weight_set = weight_set
        self.metadata = dict(metadata or {})

    @property
    def name(self) -> str:
        return self.weight_set.name if self.weight_set is not None else self.architecture.name

    def __getitem__(self, role: str) -> nn.Module:
        return self.components[role]

    @property
    def generator(self) -> nn.Module:
        return self.components["generator"]

    @property
    def sampler(self) -> nn.Module:
        """The generator used for sampling: the EMA copy when the weight set has one."""
        return self.components["ema"] if "ema" in self.components else self.components["generator"]

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def parameter_counts(self) -> dict[str, int]:
        return {role: sum(p.numel() for p in m.parameters()) for role, m in self.components.items()}

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name in TASK_METHODS:  # still an AttributeError, so hasattr(model, "upscale") is False
                raise TaskNotSupportedError(
                    f"{self.name} cannot {name}: its tasks are {', '.join(self.tasks) or 'none'}") from None
            raise

    def __repr__(self) -> str:
        counts = ", ".join(f"{r}={n:,}" for r, n in self.parameter_counts().items())
        return f"ZooModel({self.name!r}, tasks={self.tasks}, params: {counts})"


@functools.lru_cache(maxsize=None)
def model_class(tasks: tuple[str, ...]) -> type:
    """ZooModel composed with the mixins of `tasks`: built-in names (zoo.tasks.TASK_MIXINS) or the
    "module:MixinClass" paths of tasks a plugin ships, imported here, on first use."""
    from zoo.records import check_task_name, import_object

    mixins = []
    for task in tasks:
        try:
            check_task_name(task)
        except ValueError as exc:
            raise TaskNotSupportedError(str(exc)) from None
        if ":" not in task:
            mixins.append(TASK_MIXINS[task])
            continue
        try:
            mixin = import_object(task)
        except ImportError as exc:
            raise TaskNotSupportedError(f"task {task!r} cannot be imported: {exc}") from None
        if not isinstance(mixin, type):
            raise TaskNotSupportedError(f"task {task!r} must name a mixin class, got {type(mixin).__name__}")
        mixins.append(mixin)
    return type("ZooModel", (*dict.fromkeys(mixins), ZooModel), {"tasks": tasks})
