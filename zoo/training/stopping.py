"""Stopping cleanly when asked: SIGTERM (a cluster's pre-emption, `kill`, torchrun shutting down) is
noted, the step in progress finishes, a checkpoint is written, and the run ends with TrainingStopped.
A half-finished step is never saved: its discriminator may have moved while its generator has not."""
from __future__ import annotations

import signal
import threading

from zoo.errors import ZooError


class TrainingStopped(ZooError):
    def __init__(self, step: int, signum: int) -> None:
        self.step, self.signum = step, signum
        super().__init__(f"stopped by {signal.Signals(signum).name} after step {step}; a checkpoint was "
                         f"written: continue with --resume")


class StopOnSignal:
    """Within `with`, record SIGTERM instead of dying (only in the main thread, where Python allows it)."""

    def __init__(self, signals: tuple[int, ...] = (signal.SIGTERM,), enabled: bool = True) -> None:
        self.signals, self.enabled, self.signum, self._previous = signals, enabled, None, {}

    def _note(self, signum, frame) -> None:
        self.signum = signum

    def __enter__(self) -> "StopOnSignal":
        if self.enabled and threading.current_thread() is threading.main_thread():
            self._previous = {s: signal.signal(s, self._note) for s in self.signals}
        return self

    def __exit__(self, *exc) -> None:
        for s, handler in self._previous.items():
            signal.signal(s, handler)
        self._previous = {}
