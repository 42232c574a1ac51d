"""Building a model from a config without surprises.

A config (a user's, or a downloaded config.json) can ask for anything: `latent_dim: 700000` allocates
gigabytes before any shape check. So a model is first built on the `meta` device (shapes, no memory):
its parameter count is held to a budget, and for saved weights its state-dict names, shapes and dtypes
are compared with the safetensors headers (read without the data). Only then is it built for real, and
loaded tensors must be finite. Every mismatch is one line naming the role, the key, what the model
expects and what the file holds.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Mapping

import torch

from zoo import build, records
from zoo.errors import RegistryError, WeightsFormatError, ZooError
from zoo.hub.safetensors_header import FLOAT_DTYPES, TensorInfo, read_header

# ten times the largest model the zoo plans (BigGAN-deep 512, ~112M): 4 GB of float32
DEFAULT_MAX_PARAMETERS = 1_000_000_000
_BUILD_ERRORS = (TypeError, ValueError, RuntimeError, OverflowError, IndexError, ZeroDivisionError, MemoryError)


class WeightsMismatchError(WeightsFormatError):
    """Saved weights that do not fit the model their config describes, or hold non-finite values."""


def max_parameters(limit: int | None = None) -> int:
    """The parameter budget: `limit`, else $GENZOO_MAX_PARAMETERS, else DEFAULT_MAX_PARAMETERS."""
    if limit is not None:
        return int(limit)
    env = os.environ.get("GENZOO_MAX_PARAMETERS")
    try:
        return int(float(env)) if env else DEFAULT_MAX_PARAMETERS
    except ValueError:
        raise RegistryError(f"GENZOO_MAX_PARAMETERS={env!r} is not a number") from None


def build_components(arch: records.Architecture, config: Mapping[str, Any], roles: tuple[str, ...] | None = None,
                     *, device: str | torch.device | None = None) -> dict[str, torch.nn.Module]:
    """build.build_components, one role at a time, under `device` (a `torch.device` context); a config
    the constructors reject is one RegistryError line naming the role."""
    roles = roles if roles is not None else tuple(arch.components)
    built = {}
    for role in roles:
        try:
            with torch.device(device) if device is not None else contextlib.nullcontext():
                built.update(build.build_components(arch, config, roles=(role,)))
        except ZooError:
            raise
        except _BUILD_ERRORS as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise RegistryError(f"{arch.name}: cannot build the {role} from this config: {first}") from None
    return built


def parameter_counts(modules: Mapping[str, torch.nn.Module]) -> dict[str, int]:
    return {role: sum(p.numel() for p in m.parameters()) for role, m in modules.items()}


def dry_run(arch: records.Architecture, config: Mapping[str, Any], roles: tuple[str, ...] | None = None,
            *, limit: int | None = None) -> dict[str, torch.nn.Module]:
    """The components built on the meta device, refused when their parameters exceed the budget."""
    modules = build_components(arch, config, roles, device="meta")
    counts = parameter_counts(modules)
    budget = max_parameters(limit)
    if sum(counts.values()) > budget:
        detail = ", ".join(f"{r} {n:,}" for r, n in counts.items())
        raise RegistryError(f"{arch.name}: this config asks for {sum(counts.values()):,} parameters ({detail}), "
                            f"over the limit of {budget:,}; raise it with max_parameters= or "
                            f"GENZOO_MAX_PARAMETERS if you mean it")
    return modules


def _kind(dtype: str) -> str:
    return "float" if dtype in FLOAT_DTYPES else "bool" if dtype == "BOOL" else "integer"


def _torch_kind(dtype: torch.dtype) -> str:
    return "float" if dtype.is_floating_point else "bool" if dtype == torch.bool else "integer"


def check_against_headers(modules: Mapping[str, torch.nn.Module], folder: Path,
                          components: Mapping[str, str]) -> None:
    """Compare each (meta-built) module's state dict with its file's safetensors header."""
    for role, module in modules.items():
        path = folder / components[role]
        found = read_header(path, what=f"{role} weights {components[role]}")
        expected = {k: (tuple(v.shape), v.dtype) for k, v in module.state_dict().items()}
        missing = [k for k in expected if k not in found]
        if missing:
            shape = expected[missing[0]][0]
            raise WeightsMismatchError(f"{role}: {path.name} lacks {missing[0]!r} (expected shape {list(shape)})"
                                       + (f" and {len(missing) - 1} more key(s)" if len(missing) > 1 else ""))
        unexpected = [k for k in found if k not in expected]
        if unexpected:
            raise WeightsMismatchError(f"{role}: {path.name} holds {unexpected[0]!r} (shape "
                                       f"{list(found[unexpected[0]].shape)}), which the model does not have"
                                       + (f", and {len(unexpected) - 1} more" if len(unexpected) > 1 else ""))
        for key, (shape, dtype) in expected.items():
            info: TensorInfo = found[key]
            if info.shape != shape:
                raise WeightsMismatchError(f"{role}: {key!r} has shape {list(info.shape)} in {path.name}; "
                                           f"the config builds {list(shape)}")
            if _kind(info.dtype) != _torch_kind(dtype):
                raise WeightsMismatchError(f"{role}: {key!r} is {info.dtype} in {path.name}; the model "
                                           f"holds {str(dtype).removeprefix('torch.')} ({_torch_kind(dtype)})")


def check_finite(role: str, state: Mapping[str, torch.Tensor]) -> None:
    """Refuse NaN or infinite values in floating tensors (they load silently and sample black images)."""
    for key, tensor in state.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            bad = int((~torch.isfinite(tensor)).sum())
            raise WeightsMismatchError(f"{role}: {key!r} holds {bad} non-finite value(s) (NaN or inf); "
                                       "these weights are corrupt")
