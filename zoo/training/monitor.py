"""Watching a run: a progress bar with the losses, a JSON-lines log, optional TensorBoard, sample grids."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Mapping

import torch
from torch import nn


def progress_bar(total: int, initial: int, enabled: bool | None):
    """A tqdm bar; `enabled=None` shows it only when stderr is a terminal."""
    from tqdm import tqdm

    if enabled is None:
        enabled = sys.stderr.isatty()
    return tqdm(total=total, initial=initial, disable=not enabled, desc="train", dynamic_ncols=True)


class JsonlLog:
    """One JSON object per logged step. On resume, records after the resumed step are dropped first,
    since the resumed run computes those steps again."""

    def __init__(self, path: Path, *, resume_step: int | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        kept = []
        if resume_step is not None and self.path.exists():
            for line in self.path.read_text().splitlines():
                try:
                    if json.loads(line).get("step", 0) <= resume_step:
                        kept.append(line)
                except json.JSONDecodeError:  # a line cut short by a crash
                    continue
        self.path.write_text("".join(line + "\n" for line in kept))
        self.file = open(self.path, "a")
        self.started = time.perf_counter()

    def write(self, step: int, logs: Mapping[str, float]) -> None:
        record = {"step": step, "time": round(time.perf_counter() - self.started, 3), **logs}
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()

    def close(self) -> None:
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
