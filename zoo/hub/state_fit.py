"""Putting loaded tensors into built components, with one-line errors that name the role and the key
instead of torch's multi-line RuntimeError."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

from zoo.errors import WeightsFormatError


def _shape(t) -> str:
    return "(" + ", ".join(str(d) for d in t.shape) + ")"


def misfit(module, state: Mapping[str, object]) -> str | None:
    """What keeps `state` from loading into `module` (missing/unexpected keys, a shape), or None."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    problems = []
    if missing:
        problems.append(f"missing key(s) {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
    if unexpected:
        problems.append(f"unexpected key(s) {', '.join(unexpected[:5])}{' ...' if len(unexpected) > 5 else ''}")
    for key in sorted(set(expected) & set(state)):
        if tuple(expected[key].shape) != tuple(state[key].shape):
            problems.append(f"key {key!r} has shape {_shape(state[key])} but the model expects "
                            f"{_shape(expected[key])}")
            break
    return "; ".join(problems) or None


def load_into(modules: Mapping[str, object], states: Mapping[str, Mapping[str, object]], where: Path) -> None:
    """`module.load_state_dict(state)` for each role, every mismatch a WeightsFormatError."""
    for role, state in states.items():
        module = modules[role]
        problem = misfit(module, state)
        if problem is None:
            try:
                module.load_state_dict(state)
                continue
            except (RuntimeError, ValueError, TypeError) as exc:
                problem = " ".join(str(exc).split())[:300]
        raise WeightsFormatError(f"{where}: the {role!r} weights do not fit the model built from config.json: "
                                 f"{problem}")
