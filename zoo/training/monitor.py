"""Watching a run: progress (a bar on a terminal, one line per logging step elsewhere) with the
losses, a JSON-lines log, optional TensorBoard, sample grids, and the run's wall-clock across resumes."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Mapping, TextIO

import torch
from torch import nn


def progress_bar(total: int, initial: int, enabled: bool | None, *, stream: TextIO | None = None):
    """Progress on `stream` (stderr): a tqdm bar on a terminal; elsewhere (a log file, a pipe, a batch
    job) a ProgressLines, since a bar's carriage returns make a file unreadable. `enabled=None`: on a
    terminal the bar, else the lines; True: the bar even off a terminal; False: nothing."""
    from tqdm import tqdm

    stream = stream or sys.stderr
    tty = _is_terminal(stream)
    if enabled is None and not tty:
        return ProgressLines(total, initial, stream)
    show = tty if enabled is None else enabled
    return tqdm(total=total, initial=initial, disable=not show, desc="train", dynamic_ncols=True, file=stream)


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s" if m else f"{s}s"


class ProgressLines:
    """tqdm's interface (`update`, `set_postfix`, `close`) printing one plain line each time the losses
    are posted (the trainer does so at every logging step):
    `train step 50/1000 (5%) d_loss=0.693 g_loss=0.701 | 12.3 steps/s | ETA 1m17s`."""

    def __init__(self, total: int, initial: int, stream: TextIO) -> None:
        self.total, self.n, self.stream = total, initial, stream
        self.first, self.started = initial, time.perf_counter()
        self.postfix: Mapping[str, object] | None = None

    def set_postfix(self, postfix: Mapping[str, object], refresh: bool = True) -> None:
        self.postfix = postfix

    def update(self, n: int = 1) -> None:
        self.n += n
        if self.postfix is not None:  # print the step the losses were posted for
            self.stream.write(self.line() + "\n")
            self.stream.flush()
            self.postfix = None

    def line(self) -> str:
        done, elapsed = self.n - self.first, time.perf_counter() - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        losses = " ".join(f"{k}={v}" for k, v in (self.postfix or {}).items())
        eta = _duration((self.total - self.n) / rate) if rate > 0 else "?"
        percent = 100 * self.n // self.total if self.total else 100
        return (f"train step {self.n}/{self.total} ({percent}%)" + (f" {losses}" if losses else "")
                + f" | {rate:.3g} steps/s | ETA {eta}")

    def close(self) -> None:
        pass


class RunClock:
    """Seconds a run has trained, across resumes: the earlier segments' total (from the checkpoint)
    plus the time since this segment started."""

    def __init__(self) -> None:
        self.before, self.since = 0.0, None

    def start(self) -> None:
        if self.since is None:
            self.since = time.perf_counter()

    def stop(self) -> None:
        self.before, self.since = self.seconds(), None

    def seconds(self) -> float:
        return self.before + (time.perf_counter() - self.since if self.since is not None else 0.0)

    def continue_from(self, seconds: float) -> None:
        """Resume: the earlier segments took `seconds`."""
        self.before, self.since = float(seconds), None if self.since is None else time.perf_counter()


class JsonlLog:
    """One JSON object per logged step, with `time`: the run's seconds so far (`clock`, which continues
    across resumes; else the seconds since this log was opened). On resume, records after the resumed
    step are dropped, since the resumed run computes those steps again. The file is touched only at the
    first write, so a run that fails before logging anything leaves no empty log behind."""

    def __init__(self, path: Path, *, resume_step: int | None = None, clock: RunClock | None = None) -> None:
        self.path, self.resume_step = Path(path), resume_step
        self.file = None
        self.clock = clock
        self.started = time.perf_counter()

    def _open(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        kept = []
        if self.resume_step is not None and self.path.exists():
            for line in self.path.read_text().splitlines():
                try:
                    if json.loads(line).get("step", 0) <= self.resume_step:
                        kept.append(line)
                except json.JSONDecodeError:  # a line cut short by a crash
                    continue
        self.path.write_text("".join(line + "\n" for line in kept))  # a new run starts an empty log
        return open(self.path, "a")

    def write(self, step: int, logs: Mapping[str, float]) -> None:
        if self.file is None:
            self.file = self._open()
        seconds = self.clock.seconds() if self.clock is not None else time.perf_counter() - self.started
        record = {"step": step, "time": round(seconds, 3), **logs}
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def tensorboard_writer(folder: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as exc:  # torch's writer needs the tensorboard package
        raise RuntimeError(f"--tensorboard needs the tensorboard package: pip install 'genzoo[tensorboard]' "
                           f"(or pip install tensorboard); importing it failed with: {exc}") from exc
    return SummaryWriter(log_dir=str(folder))


class SampleGrid:
    """Samples of a generator from the same latents every time, so grids show training progress.

    Uses its own random generator (the training RNG stays untouched, so checkpoints resume exactly)
    and eval mode under no_grad (batch-norm statistics are not updated by sampling).
    """

    def __init__(self, n: int = 64, seed: int = 0) -> None:
        self.n, self.seed = n, seed

    @torch.no_grad()
    def __call__(self, generator: nn.Module, path: Path) -> Path | None:
        latent = getattr(generator, "latent", None)
        condition = getattr(generator, "condition", None)
        if latent is None or condition is None or condition.kind not in ("none", "class"):
            return None  # nothing to sample without inputs from data (super-resolution, pix2pix, ...)
        from zoo.images import save_grid

        device = next(generator.parameters()).device
        gen = torch.Generator().manual_seed(self.seed)
        z = generator.sample_latent(self.n, generator=gen, device="cpu").to(device)
        c = None
        if condition.kind == "class":
            c = (torch.arange(self.n) % condition.num_classes).to(device)
        was_training = generator.training
        generator.eval()
        try:
            images = generator(z, c)
        finally:
            generator.train(was_training)
        if images.dim() != 4:  # voxels and other non-image outputs
            return None
        return save_grid(images.float(), path, value_range=generator.output.value_range, scale=2,
                         nrow=10 if condition.kind == "class" else None)
