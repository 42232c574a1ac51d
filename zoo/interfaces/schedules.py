"""Step-dependent training rules declared as data: learning-rate multipliers and batch sizes.

Each schedule is a frozen dataclass (picklable, comparable, describable in a model card) mapping the
number of steps already taken to a value. Learning-rate schedules give a multiplier of the group's base
lr (the trainer sets lr = base_lr · multiplier(step) before each step, so a resumed run, which knows its
step, continues the same curve); `a * b` composes two of them (warm-up then decay). No torch needed.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass


class LRSchedule:
    """Base of the learning-rate multipliers; `a * b` multiplies two schedules step by step."""

    def multiplier(self, step: int) -> float:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def to_json(self) -> dict:
        """A plain description (for the model card and logs): the kind and the fields."""
        out: dict = {"kind": type(self).__name__}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = [v.to_json() if isinstance(v, LRSchedule) else v for v in value]
            out[f.name] = value
        return out

    def __mul__(self, other: "LRSchedule") -> "LRSchedule":
        if not isinstance(other, LRSchedule):
            return NotImplemented
        parts = (self.parts if isinstance(self, Product) else (self,)) + \
                (other.parts if isinstance(other, Product) else (other,))
        return Product(parts)


@dataclass(frozen=True)
class Constant(LRSchedule):
    """The base lr throughout (the default)."""

    def multiplier(self, step: int) -> float:
        return 1.0

    def describe(self) -> str:
        return "constant"


@dataclass(frozen=True)
class Step(LRSchedule):
    """Multiply by `factor` every `every` steps: factor ** (step // every)."""

    every: int
    factor: float = 0.1

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ValueError(f"Step(every=...) must be >= 1, got {self.every}")

    def multiplier(self, step: int) -> float:
        return self.factor ** (step // self.every)

    def describe(self) -> str:
        return f"x{self.factor:g} every {self.every} steps"


@dataclass(frozen=True)
class MultiStep(LRSchedule):
    """Multiply by `factor` at each milestone step (SRGAN: 1e-4, then 1e-5 from step 100k)."""

    milestones: tuple[int, ...]
    factor: float = 0.1

    def __post_init__(self) -> None:
        if list(self.milestones) != sorted(self.milestones):
            raise ValueError(f"MultiStep milestones must be increasing, got {self.milestones}")

    def multiplier(self, step: int) -> float:
        return self.factor ** sum(1 for m in self.milestones if step >= m)

    def describe(self) -> str:
        return f"x{self.factor:g} at steps {', '.join(str(m) for m in self.milestones)}"


@dataclass(frozen=True)
class LinearDecay(LRSchedule):
    """1 until `start`, then linearly down to `final` at `end`, `final` after (pix2pix, CycleGAN,
    SPADE: constant for the first half of training, then linearly to zero)."""

    start: int
    end: int
    final: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"LinearDecay needs 0 <= start < end, got start={self.start}, end={self.end}")

    def multiplier(self, step: int) -> float:
        if step <= self.start:
            return 1.0
        if step >= self.end:
            return self.final
        return 1.0 + (self.final - 1.0) * (step - self.start) / (self.end - self.start)

    def describe(self) -> str:
        return f"linear from 1 at step {self.start} to {self.final:g} at step {self.end}"


@dataclass(frozen=True)
class WarmUp(LRSchedule):
    """Linearly from `start_factor` at step 0 to 1 at step `steps`, 1 after."""

    steps: int
    start_factor: float = 0.0

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"WarmUp(steps=...) must be >= 1, got {self.steps}")

    def multiplier(self, step: int) -> float:
        if step >= self.steps:
            return 1.0
        return self.start_factor + (1.0 - self.start_factor) * step / self.steps

    def describe(self) -> str:
        return f"warm-up from {self.start_factor:g} over {self.steps} steps"


@dataclass(frozen=True)
class Product(LRSchedule):
    """Several schedules multiplied: WarmUp(1000) * LinearDecay(50_000, 100_000) warms up, then decays."""

    parts: tuple[LRSchedule, ...]

    def multiplier(self, step: int) -> float:
        value = 1.0
        for part in self.parts:
            value *= part.multiplier(step)
        return value

    def describe(self) -> str:
        return ", then ".join(p.describe() for p in self.parts)


@dataclass(frozen=True)
class BatchSizes:
    """A batch size that changes with the step (progressive growing: smaller batches at higher
    resolutions): `sizes[i]` from step `starts[i]` on; starts[0] must be 0."""

    starts: tuple[int, ...]
    sizes: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.starts or self.starts[0] != 0 or len(self.starts) != len(self.sizes) \
                or list(self.starts) != sorted(set(self.starts)) or min(self.sizes) < 1:
            raise ValueError(f"BatchSizes needs increasing starts from 0 and one positive size each, got "
                             f"starts={self.starts}, sizes={self.sizes}")

    def at(self, step: int) -> int:
        size = self.sizes[0]
        for start, n in zip(self.starts, self.sizes):
            if step >= start:
                size = n
        return size

    def describe(self) -> str:
        return ", ".join(f"{n} from step {s}" for s, n in zip(self.starts, self.sizes))
