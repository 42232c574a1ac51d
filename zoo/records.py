"""Typed, frozen records that plugins register through the hooks.

Nothing here imports torch: `zoo list` and `zoo --help` read these records only.
Builders are named lazily as ``"module:attribute"`` strings and imported on first use.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Mapping

# The built-in tasks (mixins in zoo.tasks). An architecture may also name a task its plugin ships as a
# lazy "package.module:MixinClass" path (docs/plugins.md), so the set of tasks is open.
TASKS = (
    "generate", "encode", "reconstruct", "interpolate", "edit", "upscale",
    "inpaint", "synthesize", "mix_styles", "translate", "project",
)


def check_task_name(task: str, owner: str = "") -> None:
    """A built-in task name or a "module:Class" mixin path (not imported here: records stay torch-free)."""
    import difflib

    where = f"architecture {owner!r}: " if owner else ""
    if ":" in task:
        module_name, _, attr = task.partition(":")
        if module_name and attr.isidentifier() and all(p.isidentifier() for p in module_name.split(".")):
            return
        raise ValueError(f"{where}task {task!r} must be a built-in task or look like 'package.module:MixinClass'")
    if task not in TASKS:
        close = difflib.get_close_matches(task, TASKS, n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else f" Known: {', '.join(TASKS)}"
        raise ValueError(f"{where}unknown task {task!r} (neither built-in nor 'module:MixinClass').{hint}")


def import_object(path: str) -> Any:
    """Import ``"package.module:Attr"`` (the lazy builder convention)."""
    module_name, _, attr = path.partition(":")
    if not module_name or not attr:
        raise ValueError(f"builder {path!r} must look like 'package.module:Attribute'")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ImportError(f"{module_name!r} has no attribute {attr!r} (builder {path!r})") from None


@dataclass(frozen=True)
class Paper:
    title: str
    authors: str
    year: int
    arxiv: str = ""

    def __str__(self) -> str:
        ref = f" (arXiv:{self.arxiv})" if self.arxiv else ""
        return f"{self.authors} {self.year}, {self.title}{ref}"


@dataclass(frozen=True)
class Architecture:
    """A paper's model: its components by role, built lazily, and how it is trained."""

    name: str
    paper: Paper
    components: Mapping[str, str]  # role -> "module:Class"
    default_config: Mapping[str, Any] = field(default_factory=dict)
    tasks: tuple[str, ...] = ("generate",)  # built-in names (TASKS) or "module:MixinClass" paths
    objective: str | None = None  # name of a registered Objective
    description: str = ""
    # A tiny config used by tests and `zoo bench --quick` to build the model cheaply.
    test_config: Mapping[str, Any] = field(default_factory=dict)
    plugin: str = ""  # filled in by the plugin manager

    def __post_init__(self) -> None:
        if isinstance(self.tasks, str):
            raise ValueError(f"architecture {self.name!r}: tasks must be a tuple of names, got a string")
        for task in self.tasks:
            check_task_name(task, self.name)
        if "generator" not in self.components and "encoder" not in self.components:
            raise ValueError(f"architecture {self.name!r} needs a 'generator' or an 'encoder' component")
        reserved = {"shared", "objective"} & set(self.components)  # names of config sections (zoo.build)
        if reserved:
            raise ValueError(f"architecture {self.name!r}: {sorted(reserved)} cannot be component roles "
                             "(they name config sections)")
        sections = {*self.components, "objective"}
        flat = sorted(k for k, v in self.default_config.items() if k in sections and not isinstance(v, Mapping))
        if flat:
            raise ValueError(f"architecture {self.name!r}: default_config keys {flat} name config sections "
                             "(a role or 'objective') and must be mappings of that role's keys")


@dataclass(frozen=True)
class ObjectiveRecord:
    name: str
    builder: str  # "module:Class" of a zoo.interfaces.Objective
    description: str = ""
    plugin: str = ""


@dataclass(frozen=True)
class WeightFile:
    filename: str
    sha256: str | None  # None only for an official file whose publisher states no checksum


@dataclass(frozen=True)
class WeightSource:
    """Where a weight set's files live, pinned by checksums.

    A genzoo-layout source is a Hub repo whose `files` map each role and "config" to a file.
    An official source names the authors' file(s) and the `converter` (a registered Converter) that
    turns them into our state dicts: on the Hub (`repo_id`), or at the authors' own address (`url`,
    the base that each filename is joined to). Where no public source states a file's sha256, the
    file's `sha256` is None, `unpinned` says why, and loading it needs an explicit opt-in.
    """

    repo_id: str | None = None
    revision: str = "main"
    files: Mapping[str, WeightFile] = field(default_factory=dict)  # role, "config" or an official file's key
    url: str | None = None
    converter: str | None = None
    unpinned: str = ""

    @property
    def official(self) -> bool:
        return self.converter is not None


@dataclass(frozen=True)
class WeightSet:
    """One pretrained weight set, named ``arch.tag`` (timm's convention)."""

    name: str
    architecture: str
    source: WeightSource
    config: Mapping[str, Any] = field(default_factory=dict)
    default: bool = False
    shipped: str | None = None  # "package:relative/dir" copy shipped in a Python package
    origin: str = ""
    dataset: str = ""
    resolution: int | None = None
    license: str = ""
    paper: str = ""
    metrics: Mapping[str, Any] = field(default_factory=dict)
    plugin: str = ""

    @property
    def tag(self) -> str:
        return self.name.partition(".")[2]


@dataclass(frozen=True)
class Converter:
    """Reads an official checkpoint format into our state dicts.

    `builder` names a function `convert(paths: Mapping[str, Path]) -> (config, {role: state_dict})`,
    `paths` keyed like the source's `files`; it reads files only through zoo.readers (never executing
    code from a file). `format` is what `zoo convert FILE --format F` calls it.
    """

    name: str
    architecture: str
    builder: str
    description: str = ""
    format: str = ""
    plugin: str = ""


@dataclass(frozen=True)
class DatasetRecord:
    name: str
    builder: str  # "module:Class"
    description: str = ""
    plugin: str = ""


@dataclass(frozen=True)
class MetricRecord:
    name: str
    builder: str
    description: str = ""
    higher_is_better: bool = False
    plugin: str = ""
