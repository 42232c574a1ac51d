"""The public functions behind `zoo.load`, `zoo.create` and `zoo.list_models`."""
from __future__ import annotations

from typing import Any, Mapping

from zoo import build, hub, registry
from zoo.errors import WeightsFormatError, ZooError


def create(architecture: str, *, config: Mapping[str, Any] | None = None, device=None,
           max_parameters: int | None = None):
    """An untrained model of `architecture` (randomly initialised, as the paper initialises it).

    `config` overrides the defaults: shared keys, and per-role sections ({"generator": {"width": 64}} or
    "generator.width": 64). A config asking for more than `max_parameters` (default: 1e9, or
    $GENZOO_MAX_PARAMETERS) is refused before anything is allocated."""
    from zoo import safe_build
    from zoo.model import model_class

    cat = registry.catalog()
    arch = cat.architecture(architecture)
    cfg = build.merged_config(arch, config)
    safe_build.dry_run(arch, cfg, limit=max_parameters)
    model = model_class(arch.tasks)(arch, safe_build.build_components(arch, cfg), cfg)
    return model.to(device) if device is not None else model


def saved_model_plan(name: str, roles: tuple[str, ...] | None = None, *, trust_unpinned: bool = False):
    """What `load(name)` would build, without building it: (folder, weight set or None, architecture,
    config, {role: filename})."""
    cat = registry.catalog()
    folder, ws = hub.resolve_folder(name, cat, trust_unpinned=trust_unpinned)
    saved = hub.read_config(folder)
    arch = cat.architecture(saved["architecture"])
    cfg = build.merged_config(arch, saved["config"])
    components = {r: f for r, f in saved["components"].items() if roles is None or r in roles}
    return folder, ws, arch, cfg, components


def load(name: str, *, device=None, roles: tuple[str, ...] | None = None, max_parameters: int | None = None,
         trust_unpinned: bool = False):
    """A pretrained model by name: `arch.tag`, `arch` (default tag), `hf-hub:org/repo[@rev]`, `local-dir:PATH`.

    `roles` limits which components are built and loaded (e.g. ("generator",) to skip the discriminator).
    `trust_unpinned` accepts an official file whose publisher states no sha256 (its hash is printed).
    Before anything is allocated the model is built on the meta device and compared with the weight
    files' headers (names, shapes, dtypes); loaded tensors must be finite.
    """
    from zoo import safe_build
    from zoo.model import model_class

    folder, ws, arch, cfg, components = saved_model_plan(name, roles, trust_unpinned=trust_unpinned)
    plan = tuple(components)
    try:  # a config.json that names a model which cannot be built is bad input, in one line
        safe_build.check_against_headers(safe_build.dry_run(arch, cfg, plan, limit=max_parameters), folder,
                                         components)
        modules = safe_build.build_components(arch, cfg, plan)
    except ZooError:
        raise
    except Exception as exc:
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        raise WeightsFormatError(f"{folder / hub.CONFIG_NAME}: does not describe a model that can be built "
                                 f"({detail})") from None
    states = hub.load_state_dicts(folder, components)
    for role, state in states.items():
        safe_build.check_finite(role, state)
    hub.load_into(modules, states, where=folder)
    metadata = {"folder": str(folder)}
    if ws is not None:
        metadata.update(paper=ws.paper, dataset=ws.dataset, license=ws.license, metrics=dict(ws.metrics),
                        origin=ws.origin)
    model = model_class(arch.tasks)(arch, modules, cfg, weight_set=ws, metadata=metadata).eval()
    return model.to(device) if device is not None else model


def list_models(pattern: str | None = None, *, pretrained: bool = False) -> list[str]:
    cat = registry.catalog()
    if pretrained:
        return cat.names("weight set", pattern)
    return cat.names("architecture", pattern)
