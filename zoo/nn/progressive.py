"""Progressive growing (Karras et al. 2018, ProGAN, arXiv:1710.10196, Sec. 2 and App. A.1; the official
TensorFlow code's `TrainingSchedule` and `process_reals`), shared by ProGAN and StyleGAN v1.

The networks' growing state is one number, the level of detail `lod` (as in the official code): 0 is the
full resolution R, k a network that ends at R / 2**k. A fractional lod k + t (0 < t < 1) is the fade-in of
the block at R / 2**k: its output is blended with the 2x nearest up-sampled output of the block below,
new·(1 − t) + old·t, i.e. the paper's α = 1 − t grows from 0 to 1 (Fig. 2). Generators still give
images at R (nearest up-sampled), discriminators take images at R (box down-sampled), as the official
networks do, so the shapes a user sees never change.

Training time is counted in images shown to D: `stabilize_kimg` at each resolution, then `fade_kimg`
of fading in the next (800k and 800k for CelebA-HQ in the paper); the minibatch size is per resolution
(16 up to 128², then 14, 6, 3). `GrowthSchedule` turns that into steps, so that the trainer's declared
batch sizes and optimizer resets (Adam's moments restart at each new phase, as the official code
does) and the lod of every step are functions of the step alone: a resumed run continues exactly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor


def upscale2d(x: Tensor, factor: int = 2) -> Tensor:
    """Nearest-neighbour up-sampling by an integer factor (each pixel repeated factor x factor times)."""
    if factor == 1:
        return x
    return x.repeat_interleave(factor, dim=-2).repeat_interleave(factor, dim=-1)


def downscale2d(x: Tensor, factor: int = 2) -> Tensor:
    """Box-filter down-sampling: the mean of each factor x factor block."""
    if factor == 1:
        return x
    return F.avg_pool2d(x, factor)


def fade_in(old: Tensor, new: Tensor, alpha: float) -> Tensor:
    """The paper's fade-in (Fig. 2b): (1 − α)·old + α·new, with `old` already resized to `new`'s shape."""
    return old + (new - old) * alpha


def split_lod(lod: float) -> tuple[int, float]:
    """(k, α): the network ends at the block of level k (resolution R / 2**k), whose output is faded in
    with weight α (1 when lod is whole)."""
    k = math.floor(lod)
    return k, 1.0 - (lod - k)


def fade_reals(x: Tensor, lod: float) -> Tensor:
    """Real images (N, C, R, R) as D sees them at `lod` (official `process_reals`): box down-sampled to
    the current resolution, crossfaded with their own 2x blur in step with the generator's fade-in, and
    nearest up-sampled back to R."""
    k, alpha = split_lod(lod)
    x = downscale2d(x, 2 ** k)
    if alpha < 1:
        x = fade_in(upscale2d(downscale2d(x)), x, alpha)
    return upscale2d(x, 2 ** k)


def check_lod(lod: float, levels: int, resolution: int, role: str) -> None:
    """The levels of detail a growing network can show: 0 (full resolution) to `levels` (its smallest)."""
    if not 0 <= lod <= levels:
        raise ValueError(f"lod must be in [0, {levels}] for a {resolution} px {role}, got {lod}")


class GrowingDiscriminator:
    """The growing part of ProGAN's and StyleGAN's discriminators (official D_paper, D_basic), as a mixin.

    It gives `levels`, `set_lod` and `features`; the class using it has `resolution`, a `lod` buffer, `blocks`
    (blocks[i] takes the activations at 2**(i + 3) px to 2**(i + 2) px) and `from_rgb(index, image)`, the
    fromRGB layer of 2**(index + 2) px with its activation."""

    @property
    def levels(self) -> int:
        """How many blocks above 4x4 (the largest lod)."""
        return len(self.blocks)

    def set_lod(self, lod: float) -> None:
        """Set the level of detail the discriminator runs at (checked against its levels)."""
        check_lod(lod, self.levels, self.resolution, "discriminator")
        self.lod.fill_(lod)

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        """The activations entering each block in use and the 4x4 epilogue, top resolution first."""
        k, alpha = split_lod(float(self.lod))
        top = self.levels - k
        img = downscale2d(x, 2 ** k)  # to the newest block's resolution (x is at the full one)
        h = self.from_rgb(top, img)
        feats = [h]
        for i in range(top, 0, -1):
            h = self.blocks[i - 1](h)
            if i == top and alpha < 1:  # fading in: blend with the block below's fromRGB of the box-filtered image
                h = fade_in(self.from_rgb(top - 1, downscale2d(img)), h, alpha)
            feats.append(h)
        return feats


@dataclass(frozen=True)
class Segment:
    """A stretch of training with one batch size: stabilising at `resolution`, or fading it in."""

    start_step: int
    start_images: int
    batch_size: int
    resolution: int
    fading: bool


@dataclass(frozen=True)
class GrowthState:
    step: int
    images_seen: int
    lod: float
    resolution: int  # the resolution of the newest block in use
    alpha: float  # its fade-in weight (1 once stable)


@dataclass(frozen=True)
class GrowthSchedule:
    """The official schedule: lod(images) = log2(R) − log2(start) − phase − max(phase_kimg − stabilize, 0)
    / fade, with phase = ⌊kimg / (stabilize + fade)⌋, clipped at 0; batch size by the newest resolution."""

    resolution: int
    start_resolution: int = 4
    stabilize_kimg: float = 800.0
    fade_kimg: float = 800.0
    batch_size: int = 16
    batch_sizes: Mapping[int, int] = field(default_factory=dict)  # resolution -> size where not batch_size

    def __post_init__(self) -> None:
        for name in ("resolution", "start_resolution"):
            v = getattr(self, name)
            if v < 4 or not math.log2(v).is_integer():
                raise ValueError(f"{name} must be a power of two >= 4, got {v}")
        if self.start_resolution > self.resolution:
            raise ValueError(f"start_resolution {self.start_resolution} is above the resolution {self.resolution}")
        if self.stabilize_kimg < 0 or self.fade_kimg < 0 or self.stabilize_kimg + self.fade_kimg <= 0:
            raise ValueError("stabilize_kimg and fade_kimg must be >= 0 and not both 0")
        if min([self.batch_size, *self.batch_sizes.values()]) < 1:
            raise ValueError("batch sizes must be >= 1")

    @property
    def levels(self) -> int:
        """How many doublings training grows through."""
        return int(math.log2(self.resolution // self.start_resolution))

    def lod(self, images: int) -> float:
        kimg = images / 1000.0
        duration = self.stabilize_kimg + self.fade_kimg
        phase = math.floor(kimg / duration)
        lod = float(self.levels - phase)
        if self.fade_kimg > 0:
            lod -= max(kimg - phase * duration - self.stabilize_kimg, 0.0) / self.fade_kimg
        return max(lod, 0.0)

    def batch_at(self, resolution: int) -> int:
        return int(self.batch_sizes.get(resolution, self.batch_size))

    def segments(self) -> list[Segment]:
        """Every stabilising and fading stretch that lasts at least one step; the last one never ends."""
        bounds = []  # (first image, resolution, fading), in images
        duration = (self.stabilize_kimg + self.fade_kimg) * 1000
        for level in range(self.levels):
            res = self.start_resolution * 2 ** level
            bounds.append((level * duration, res, False))
            bounds.append((level * duration + self.stabilize_kimg * 1000, res * 2, True))
        bounds.append((self.levels * duration, self.resolution, False))
        out: list[Segment] = []
        step, images = 0, 0
        for i, (first, res, fading) in enumerate(bounds):
            end = bounds[i + 1][0] if i + 1 < len(bounds) else math.inf
            if images >= end:  # an empty stretch (no fade, or a step that ran past it)
                continue
            batch = self.batch_at(res)
            out.append(Segment(step, images, batch, res, fading))
            if end < math.inf:
                steps = math.ceil((end - images) / batch)
                step, images = step + steps, images + steps * batch
        return out

    def state_at(self, step: int) -> GrowthState:
        seg = [s for s in self.segments() if s.start_step <= step][-1]
        images = seg.start_images + (step - seg.start_step) * seg.batch_size
        lod = self.lod(images)
        k, alpha = split_lod(lod)
        return GrowthState(step, images, lod, self.resolution // 2 ** k, alpha)

    def phase_starts(self) -> tuple[int, ...]:
        """Steps at which a new phase (stabilising or fading) begins, step 0 excluded."""
        return tuple(s.start_step for s in self.segments() if s.start_step > 0)

    def batch_schedule(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(starts, sizes) for zoo.interfaces.BatchSizes."""
        segs = self.segments()
        return tuple(s.start_step for s in segs), tuple(s.batch_size for s in segs)


class GrowthCheckpoint:
    """The growing part of a growing objective (`self.state`, a GrowthState; `self.growth`, its
    GrowthSchedule): each step's state, set on both networks, and its checkpoint. The schedule is a function
    of the step, so a resumed run recomputes it and refuses a checkpoint grown on another schedule instead
    of silently continuing at another level of detail."""

    def begin_step(self, step: int, models: Mapping[str, torch.nn.Module]) -> None:
        """The schedule's state at `step`; the generator and the discriminator set to its level of detail."""
        self.state = self.growth.state_at(step)
        for role in ("generator", "discriminator"):
            models[role].set_lod(self.state.lod)

    def state_dict(self) -> dict:
        s = self.state
        return {"step": s.step, "images_seen": s.images_seen, "lod": s.lod, "resolution": s.resolution,
                "alpha": s.alpha}

    def load_state_dict(self, state: dict) -> None:
        if not state:
            return
        expected = self.growth.state_at(int(state["step"]))
        if abs(expected.lod - float(state["lod"])) > 1e-9 or expected.images_seen != int(state["images_seen"]):
            raise ValueError(f"the checkpoint was grown on another schedule: at step {state['step']} it had lod "
                             f"{state['lod']} after {state['images_seen']} images, this configuration gives lod "
                             f"{expected.lod} after {expected.images_seen}")
        self.state = GrowthState(int(state["step"]), int(state["images_seen"]), float(state["lod"]),
                                 int(state["resolution"]), float(state["alpha"]))
