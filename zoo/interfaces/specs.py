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

# -- latents ------------------------------------------------------------------------------------
LATENT_PRIORS = ("normal", "uniform", "truncated_normal", "categorical")


def truncated_normal(size: Sequence[int], threshold: float, generator: torch.Generator | None = None,
                     device=None, dtype: torch.dtype | None = None) -> Tensor:
    """N(0, I) with every value resampled until |z| <= threshold (BigGAN's truncation trick, Brock 2019,
    Sec. 3.1). Resampling draws from `generator` only, so a seeded generator gives the same codes."""
    if threshold is None or not threshold > 0:
        raise ValueError(f"truncation threshold must be > 0, got {threshold}")
    z = torch.randn(tuple(size), generator=generator, device=device, dtype=dtype)
    outside = z.abs() > threshold
    while outside.any():
        z[outside] = torch.randn(int(outside.sum()), generator=generator, device=device, dtype=dtype)
        outside = z.abs() > threshold
    return z


def _sample_prior(prior: str, n: int, shape: tuple[int, ...], low: float, high: float, threshold: float | None,
                  generator, device, dtype) -> Tensor:
    size = (n, *shape)
    if prior == "normal":
        return torch.randn(size, generator=generator, device=device, dtype=dtype)
    if prior == "uniform":
        u = torch.rand(size, generator=generator, device=device, dtype=dtype)
        return u * (high - low) + low
    if prior == "truncated_normal":
        return truncated_normal(size, threshold, generator=generator, device=device, dtype=dtype)
    if prior == "categorical":  # one-hot rows over shape[-1] classes
        labels = torch.randint(shape[-1], size[:-1], generator=generator, device=device)
        return torch.nn.functional.one_hot(labels, shape[-1]).to(dtype or torch.get_default_dtype())
    raise ValueError(f"unknown latent prior {prior!r}; expected one of {LATENT_PRIORS}")


@dataclass(frozen=True)
class LatentPart:
    """One named slice of a structured latent code, with its own prior (InfoGAN, Chen 2016, Sec. 5):
    `size` values drawn from "normal", "uniform" (on [low, high]), "truncated_normal" (|z| <= threshold)
    or "categorical" (a one-hot row of `size` classes)."""

    name: str
    size: int
    prior: str = "normal"
    low: float = -1.0
    high: float = 1.0
    threshold: float | None = None

    def __post_init__(self) -> None:
        _check_prior(self.prior, self.threshold, f"latent part {self.name!r}")
        if self.size < 1:
            raise ValueError(f"latent part {self.name!r}: size must be >= 1, got {self.size}")


@dataclass(frozen=True)
class WSpaceSpec:
    """A generator with a mapping network z -> w (StyleGAN, Karras 2019): `dim` of w, `num_ws` layers that
    each take a w, and the decay of the tracked average w_avg that truncation pulls towards
    (w_avg = lerp(mean(w), w_avg, avg_beta)). The generator holds `mapping` and a zoo.nn.WAverage `w_avg`."""

    dim: int
    num_ws: int = 1
    avg_beta: float = 0.995


def _check_prior(prior: str, threshold: float | None, owner: str) -> None:
    if prior not in LATENT_PRIORS:
        raise ValueError(f"{owner}: unknown latent prior {prior!r}; expected one of {LATENT_PRIORS}")
    if prior == "truncated_normal" and not (threshold and threshold > 0):
        raise ValueError(f"{owner}: a 'truncated_normal' prior needs a threshold > 0")


@dataclass(frozen=True)
class LatentSpec:
    """A latent code: its per-sample shape and the prior it is drawn from.

    `LatentSpec(shape=(100,))` draws N(0, I); `prior="uniform"` draws from [low, high];
    `prior="truncated_normal"` resamples until |z| <= threshold. A structured code gives `parts`
    instead (its shape is their total size): `sample` concatenates them in order and `split` cuts a
    code back into them by name. `w_space` declares a StyleGAN-style mapping network.
    """

    shape: tuple[int, ...] = ()
    prior: str = "normal"  # one of LATENT_PRIORS
    low: float = -1.0
    high: float = 1.0
    truncation: bool = False  # whether the generator supports the truncation trick
    threshold: float | None = None  # for prior="truncated_normal"
    parts: tuple[LatentPart, ...] = ()
    w_space: WSpaceSpec | None = None

    def __post_init__(self) -> None:
        if self.parts:
            total = sum(p.size for p in self.parts)
            if self.shape and tuple(self.shape) != (total,):
                raise ValueError(f"latent parts total {total} values, but shape is {tuple(self.shape)}; "
                                 f"omit shape or set it to ({total},)")
            object.__setattr__(self, "shape", (total,))
            names = [p.name for p in self.parts]
            if len(set(names)) != len(names):
                raise ValueError(f"latent part names must be unique, got {names}")
        elif not self.shape:
            raise ValueError("a LatentSpec needs a shape or parts")

    def sample(self, n: int, generator: torch.Generator | None = None, device=None,
               dtype: torch.dtype | None = None) -> Tensor:
        if not self.parts:
            return _sample_prior(self.prior, n, tuple(self.shape), self.low, self.high, self.threshold,
                                 generator, device, dtype)
        return torch.cat([_sample_prior(p.prior, n, (p.size,), p.low, p.high, p.threshold, generator, device, dtype)
                          for p in self.parts], dim=1)

    def split(self, z: Tensor) -> dict[str, Tensor]:
        """The parts of codes z (N, total) by name, in order (a categorical part stays one-hot;
        `.argmax(1)` gives its class)."""
        if not self.parts:
            return {"z": z}
        check_shape("LatentSpec.split", "z", z, ("N", *self.shape))
        return dict(zip([p.name for p in self.parts], z.split([p.size for p in self.parts], dim=1)))


@dataclass(frozen=True)
class ConditionSpec:
    """What a conditional component takes as `c`.

    kind "class" takes integer labels of shape (N,); every other kind takes a float tensor of shape
    (N, *shape): attributes (N, A), a segmentation map (N, classes, H, W), a low-resolution or masked
    image (N, C, H, W), a text embedding (N, D). `value_range` is the range an image condition's values
    lie in where it differs from the output's (SRGAN takes its low-resolution input in [0, 1] and gives
    [-1, 1]); None means the output's range.
    """

    kind: str = "none"
    shape: tuple[int, ...] | None = None
    num_classes: int | None = None
    value_range: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.kind not in CONDITION_KINDS:
            raise ValueError(f"unknown condition kind {self.kind!r}; expected one of {CONDITION_KINDS}")
        if self.kind == "class" and not self.num_classes:
            raise ValueError("a 'class' condition needs num_classes")
        if self.value_range is not None and not self.value_range[0] < self.value_range[1]:
            raise ValueError(f"a condition's value_range must be (low, high) with low < high, got {self.value_range}")

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


