"""The public functions behind `zoo.load`, `zoo.create` and `zoo.list_models`."""
from __future__ import annotations

from typing import Any, Mapping

from zoo import build, hub, registry
from zoo.errors import WeightsFormatError, ZooError


def create(architecture: str, *, config: Mapping[str, Any] | None = None, device=None):
    """An untrained model of `architecture` (randomly initialised, as the paper initialises it)."""
    from zoo.model import model_class

    cat = registry.catalog()
    arch = cat.architecture(architecture)
    cfg = build.merged_config(arch, config)
    model = model_class(arch.tasks)(arch, build.build_components(arch, cfg), cfg)
    return model.to(device) if device is not None else model


def load(name: str, *, device=None, roles: tuple[str, ...] | None = None):
    """A pretrained model by name: `arch.tag`, `arch` (default tag), `hf-hub:org/repo[@rev]`, `local-dir:PATH`.

    `roles` limits which components are built and loaded (e.g. ("generator",) to skip the discriminator).
    """
    from zoo.model import model_class

    cat = registry.catalog()
    folder, ws = hub.resolve_folder(name, cat)
    try:  # a config.json that names a model which cannot be built is bad input, in one line
        saved = hub.read_config(folder)
        arch = cat.architecture(saved["architecture"])
        cfg = build.merged_config(arch, saved["config"])
        components = {r: f for r, f in saved["components"].items() if roles is None or r in roles}
        modules = build.build_components(arch, cfg, roles=tuple(r for r in components if r != "ema"))
        if "ema" in components:  # the EMA copy is a second generator
            modules["ema"] = build.build_components(arch, cfg, roles=("generator",))["generator"]
    except ZooError:
        raise
    except Exception as exc:
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        raise WeightsFormatError(f"{folder / hub.CONFIG_NAME}: does not describe a model that can be built "
                                 f"({detail})") from None
    hub.load_into(modules, hub.load_state_dicts(folder, components), where=folder)
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
