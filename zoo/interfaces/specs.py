"""What a component takes and gives: latent, condition and output specs, and the shape checks that
name the expected shape."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import torch
from torch import Tensor

from zoo.errors import ShapeError

CONDITION_KINDS = ("none", "class", "attributes", "segmentation", "low_res_image", "masked_image",
                   "text_embedding", "image")

# -- specs --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LatentSpec:
    """A latent code: its per-sample shape and the prior it is drawn from."""

    shape: tuple[int, ...]
    prior: str = "normal"  # "normal" | "uniform" (on [low, high])
    low: float = -1.0
    high: float = 1.0
    truncation: bool = False  # whether the generator supports the truncation trick

    def sample(self, n: int, generator: torch.Generator | None = None, device=None,
               dtype: torch.dtype | None = None) -> Tensor:
        size = (n, *self.shape)
        if self.prior == "normal":
            return torch.randn(size, generator=generator, device=device, dtype=dtype)
        if self.prior == "uniform":
            u = torch.rand(size, generator=generator, device=device, dtype=dtype)
            return u * (self.high - self.low) + self.low
        raise ValueError(f"unknown latent prior {self.prior!r}; expected 'normal' or 'uniform'")


@dataclass(frozen=True)
class ConditionSpec:
    """What a conditional component takes as `c`.

    kind "class" takes integer labels of shape (N,); every other kind takes a float tensor of shape
    (N, *shape): attributes (N, A), a segmentation map (N, classes, H, W), a low-resolution or masked
    image (N, C, H, W), a text embedding (N, D).
    """

    kind: str = "none"
    shape: tuple[int, ...] | None = None
    num_classes: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in CONDITION_KINDS:
            raise ValueError(f"unknown condition kind {self.kind!r}; expected one of {CONDITION_KINDS}")
        if self.kind == "class" and not self.num_classes:
            raise ValueError("a 'class' condition needs num_classes")

    @property
    def required(self) -> bool:
        return self.kind != "none"


@dataclass(frozen=True)
class OutputSpec:
    """An image C×H×W or a voxel grid C×D×H×W, with the range its values lie in."""

    shape: tuple[int, ...]
    kind: str = "image"  # "image" | "voxels"
    value_range: tuple[float, float] = (-1.0, 1.0)

    def __post_init__(self) -> None:
        expected = {"image": 3, "voxels": 4}.get(self.kind)
        if expected is None or len(self.shape) != expected:
            raise ValueError(f"output kind {self.kind!r} needs a {expected}-d shape, got {self.shape}")


def _fmt(shape: Sequence[Any]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


def check_shape(owner: str, what: str, tensor: Any, expected: Sequence[int | str]) -> None:
    """Raise ShapeError unless `tensor` has `expected` shape ("N" and other strings match any size)."""
    if not isinstance(tensor, Tensor):
        raise ShapeError(f"{owner}: {what} must be a tensor of shape {_fmt(expected)}, got {type(tensor).__name__}")
    actual = tuple(tensor.shape)
    ok = len(actual) == len(expected) and all(
        isinstance(e, str) or a == e for a, e in zip(actual, expected))
    if not ok:
        raise ShapeError(f"{owner}: {what} must have shape {_fmt(expected)}, got {_fmt(actual)}")


def check_condition(owner: str, spec: ConditionSpec, c: Any, n: int) -> None:
    if spec.kind == "none":
        if c is not None:
            raise ShapeError(f"{owner}: takes no condition, but c was given")
        return
    if c is None:
        raise ShapeError(f"{owner}: needs a {spec.kind!r} condition c; none was given")
    if spec.kind == "class":
        check_shape(owner, "c (class labels)", c, (n,))
        if c.dtype.is_floating_point:
            raise ShapeError(f"{owner}: class labels c must be integers, got {c.dtype}")
        return
    check_shape(owner, f"c ({spec.kind})", c, (n, *(spec.shape or ())))


