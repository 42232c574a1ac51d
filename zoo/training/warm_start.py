"""Start a training run from another weight set (`zoo train --init NAME`): SRGAN from SRResNet, ESRGAN's
GAN stage from its PSNR stage, StackGAN's stage II from stage I.

Each component of the new model whose role the weight set also has is loaded from it. A role loads
strictly (same tensor names, same shapes) unless the objective lists it in `partial_init`, in which case
the tensors whose names and shapes match are loaded and the rest stay freshly initialised. Roles the
weight set lacks stay fresh. Every role gets one line of report.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from torch import nn

from zoo.errors import ZooError


class InitError(ZooError, ValueError):
    """A component of the weight set given to --init does not fit the new model."""


def _mismatch(role: str, name: str, src: Mapping, dst: Mapping) -> str | None:
    """A one-line reason why `src` cannot load strictly into `dst`, or None when it can."""
    shapes = [k for k in src if k in dst and tuple(src[k].shape) != tuple(dst[k].shape)]
    if shapes:
        k = shapes[0]
        more = f" (and {len(shapes) - 1} more)" if len(shapes) > 1 else ""
        return (f"{role}.{k} has shape {tuple(src[k].shape)} in {name} but {tuple(dst[k].shape)} here{more}")
    missing = [k for k in dst if k not in src]
    extra = [k for k in src if k not in dst]
    if missing or extra:
        parts = ([f"{len(missing)} tensor(s) not in {name}, e.g. {missing[0]!r}"] if missing else []) + \
                ([f"{len(extra)} tensor(s) of {name} not here, e.g. {extra[0]!r}"] if extra else [])
        return f"{role}: " + "; ".join(parts)
    return None


def load_matching(components: Mapping[str, nn.Module], source: Mapping[str, nn.Module], name: str,
                  partial: Iterable[str] = ()) -> list[str]:
    """Copy `source`'s components into `components` role by role; returns one report line per role."""
    partial = set(partial)
    report = []
    for role, module in components.items():
        if role not in source:
            report.append(f"{role}: left fresh ({name} has no {role!r})")
            continue
        src, dst = source[role].state_dict(), module.state_dict()
        reason = _mismatch(role, name, src, dst)
        if reason is None:
            module.load_state_dict(src)
            report.append(f"{role}: initialised from {name} (all {len(dst)} tensors)")
            continue
        if role not in partial:
            raise InitError(f"--init {name}: {reason}; the objective may allow a partial load of "
                            f"{role!r} (Objective.partial_init)")
        matching = {k: v for k, v in src.items() if k in dst and tuple(v.shape) == tuple(dst[k].shape)}
        module.load_state_dict(matching, strict=False)
        fresh = [k for k in dst if k not in matching]
        unused = [k for k in src if k not in matching]
        line = f"{role}: initialised {len(matching)} of {len(dst)} tensors from {name}"
        for what, keys in (("left fresh", fresh), (f"not used from {name}", unused)):
            if keys:
                line += f"; {what}: {', '.join(keys[:8])}{' ...' if len(keys) > 8 else ''}"
        report.append(line)
    return report


def init_from(components: Mapping[str, nn.Module], name: str, partial: Iterable[str] = ()) -> list[str]:
    """Load the weight set `name` (anything `zoo.load` takes) into `components`; the report lines."""
    from zoo.api import load

    source = load(name)
    return load_matching(components, dict(source.components), name, partial)
