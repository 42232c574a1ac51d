"""Input checks shared by the task mixins: an image that is not what the generator takes (wrong shape,
0-255 values, NaN) is refused with one line instead of being silently encoded."""
from __future__ import annotations

import torch
from torch import Tensor

from zoo.errors import ShapeError, ZooError


class InputValueError(ZooError, ValueError):
    """A task input has the right shape but values the model cannot take (out of range, NaN, bad labels)."""


def image_batch(owner: str, x, *, value_range: tuple[float, float], channels: int | None = None,
                size: tuple[int, int] | None = None, what: str = "image") -> Tensor:
    """`x` as a float (N, C, H, W) batch (a single (C, H, W) image gains N=1), checked for shape and range."""
    if not isinstance(x, Tensor):
        raise ShapeError(f"{owner}: {what} must be a tensor of shape (N, C, H, W), got {type(x).__name__}")
    if x.dim() == 3:
        x = x[None]
    c = channels if channels is not None else "C"
    h, w = size if size is not None else ("H", "W")
    if x.dim() != 4 or (channels is not None and x.shape[1] != channels) or (
            size is not None and tuple(x.shape[2:]) != tuple(size)):
        raise ShapeError(f"{owner}: {what} must have shape (N, {c}, {h}, {w}), got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise InputValueError(f"{owner}: {what} must be floats in [{value_range[0]:g}, {value_range[1]:g}], "
                              f"got {x.dtype} (map 0-255 pixels with zoo.images.to_range)")
    check_finite_in_range(owner, x, value_range, what)
    return x


def check_finite_in_range(owner: str, x: Tensor, value_range: tuple[float, float], what: str) -> None:
    if not bool(torch.isfinite(x).all()):
        raise InputValueError(f"{owner}: {what} contains NaN or infinite values")
    lo, hi = value_range
    tol = 1e-3 * (hi - lo)  # rounding from uint8 conversions is fine; 0-255 pixels are not
    if x.numel() and (float(x.min()) < lo - tol or float(x.max()) > hi + tol):
        raise InputValueError(f"{owner}: {what} values must lie in [{lo:g}, {hi:g}], got "
                              f"[{float(x.min()):g}, {float(x.max()):g}] (map 0-255 pixels with zoo.images.to_range)")


def fixed_dim(shape, index: int) -> int | None:
    """An int entry of a spec shape, or None where the spec leaves that size free ("H", "W")."""
    if shape is None or len(shape) <= index:
        return None
    return shape[index] if isinstance(shape[index], int) else None


def input_range(generator) -> tuple[float, float]:
    """The value range of images a generator takes as its condition: its ConditionSpec's `value_range`
    (or an `input_range` attribute), else its output's."""
    declared = getattr(generator.condition, "value_range", None) or getattr(generator, "input_range", None)
    return tuple(declared or generator.output.value_range)


def require_condition(owner: str, generator, kind: str, task: str) -> None:
    if generator.condition.kind != kind:
        raise ZooError(f"{owner}: {task} needs a generator conditioned on a {kind!r} "
                       f"(this one takes {generator.condition.kind!r})")


def progress_bar(total: int, desc: str, enabled: bool):
    """A tqdm bar on stderr, shown only when asked (the CLI asks when stderr is a terminal)."""
    import sys

    from tqdm import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled, file=sys.stderr, dynamic_ncols=True, leave=False)
