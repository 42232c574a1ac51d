"""The timed loop and its statistics, with the clock injected so the logic is testable without timing.

Correct on GPU by construction: CUDA kernels run asynchronously, so a host clock read right after a
call measures the launch, not the work. `CudaEventTimer` records an event pair on the stream around
each call and reads them after one synchronize at the end; `WallTimer(sync=torch.cuda.synchronize)`
is the simpler alternative. On CPU the work is done when the call returns.

Throughput is batch × iterations / total timed seconds (the reciprocal of the mean time per sample);
latency is the per-batch time distribution: median, p95, min, max and the spread (max − min) / median.
"""
from __future__ import annotations

import math
import statistics
import time
from typing import Any, Callable, Protocol


class Timer(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def seconds(self) -> list[float]:
        """Per-call durations, in call order (may synchronize the device)."""


class WallTimer:
    """Host clock around each call; `sync` (e.g. torch.cuda.synchronize) runs before each clock read."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter, sync: Callable[[], Any] | None = None):
        self.clock, self.sync = clock, sync
        self._durations: list[float] = []
        self._t0: float | None = None

    def start(self) -> None:
        if self.sync:
            self.sync()
        self._t0 = self.clock()

    def stop(self) -> None:
        if self.sync:
            self.sync()
        if self._t0 is None:
            raise RuntimeError("WallTimer.stop() called before start()")
        self._durations.append(self.clock() - self._t0)
        self._t0 = None

    def seconds(self) -> list[float]:
        return list(self._durations)


class CudaEventTimer:
    """CUDA events recorded on the current stream around each call, read after one synchronize."""

    def __init__(self, device=None):
        import torch

        self.torch, self.device = torch, device
        self._pairs: list[tuple[Any, Any]] = []

    def start(self) -> None:
        event = self.torch.cuda.Event(enable_timing=True)
        event.record()
        self._pairs.append((event, None))

    def stop(self) -> None:
        event = self.torch.cuda.Event(enable_timing=True)
        event.record()
        self._pairs[-1] = (self._pairs[-1][0], event)

    def seconds(self) -> list[float]:
        self.torch.cuda.synchronize(self.device)
        return [a.elapsed_time(b) / 1000.0 for a, b in self._pairs]


def run_timed(fn: Callable[[], Any], *, warmup: int, iters: int, timer: Timer,
              settle: Callable[[], Any] | None = None) -> list[float]:
    """Call `fn` `warmup` times untimed (autotuning, compilation, caches), then `iters` times timed.

    `settle` runs between warm-up and the timed loop (a device synchronize), so queued warm-up work
    is never billed to the first timed call.
    """
    if iters < 1:
        raise ValueError(f"iters must be >= 1, got {iters}")
    if warmup < 0:
        raise ValueError(f"warmup must be >= 0, got {warmup}")
    for _ in range(warmup):
        fn()
    if settle:
        settle()
    for _ in range(iters):
        timer.start()
        fn()
        timer.stop()
    return timer.seconds()


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default), q in [0, 100]."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summarize(seconds: list[float], batch_size: int) -> dict[str, float]:
    """Throughput and latency statistics of per-batch durations."""
    if not seconds:
        raise ValueError("no timed iterations to summarize")
    if min(seconds) <= 0:
        raise ValueError(f"non-positive timing {min(seconds)}: the clock did not advance")
    total = sum(seconds)
    median = statistics.median(seconds)
    return {
        "samples_per_s": batch_size * len(seconds) / total,
        "latency_median_ms": median * 1e3,
        "latency_p95_ms": percentile(seconds, 95) * 1e3,
        "latency_min_ms": min(seconds) * 1e3,
        "latency_max_ms": max(seconds) * 1e3,
        "latency_spread_pct": 100.0 * (max(seconds) - min(seconds)) / median,
        "timed_seconds": total,
    }
