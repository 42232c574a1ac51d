"""The `--out` folder of a training run: never lose a run that is already there.

A folder holds a run when it has the files a run writes (config.json, weights, log.jsonl, a
checkpoint). A new run refuses such a folder unless told to continue it (`--resume`, which needs a
checkpoint) or to replace it (`--overwrite`, which removes only the files a run writes, never a user's
other files). A run that fails before its first step removes what it created, so a failed start leaves
the folder as it found it.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from zoo.errors import ZooError
from zoo.training.checkpoint import LAST, PREVIOUS

CHECKPOINTS = "checkpoints"
LOG = "log.jsonl"
# what `zoo train` writes into --out (hub.save_pretrained: config.json, README.md, <role>.safetensors)
RUN_FILES = ("config.json", "README.md", LOG)
RUN_FOLDERS = (CHECKPOINTS, "samples", "tensorboard")


class RunFolderError(ZooError, ValueError):
    """--out holds another run, or --resume finds nothing to continue: a usage error."""


def checkpoint_files(out: Path) -> list[Path]:
    return [p for p in (out / CHECKPOINTS / LAST, out / CHECKPOINTS / PREVIOUS) if p.exists()]


def earlier_run(out: Path) -> list[str]:
    """The names of the files in `out` that belong to an earlier run (empty if none)."""
    if not out.is_dir():
        return []
    found = [name for name in ("config.json", LOG) if (out / name).exists()]
    found += sorted(p.name for p in out.glob("*.safetensors"))
    found += [f"{CHECKPOINTS}/{p.name}" for p in checkpoint_files(out)]
    return found


def check_out_folder(out: Path, *, resume: bool, overwrite: bool) -> list[str]:
    """Refuse (RunFolderError) what would lose or confuse a run; returns the earlier run's files."""
    if resume and overwrite:
        raise RunFolderError("--resume continues the run in --out and --overwrite replaces it; pass only one")
    found = earlier_run(out)
    if resume and not checkpoint_files(out):
        what = f"it holds {', '.join(found)} but" if found else "it"
        raise RunFolderError(f"--resume: nothing to continue in {out}: {what} has no checkpoint "
                             f"({out / CHECKPOINTS / LAST}); drop --resume to start a new run")
    if found and not resume and not overwrite:
        raise RunFolderError(f"{out} holds another run ({', '.join(found)}): pass --resume to continue it, "
                             f"--overwrite to replace it, or choose another --out")
    return found


def clear_earlier_run(out: Path) -> None:
    """Remove what an earlier run wrote into `out` (for --overwrite); other files stay."""
    for name in RUN_FILES:
        (out / name).unlink(missing_ok=True)
    for weights in out.glob("*.safetensors"):
        weights.unlink()
    for name in RUN_FOLDERS:
        if (out / name).is_dir():
            shutil.rmtree(out / name)


class NewEntries:
    """What a run adds to `out`, so a failed start can take it away again: `remove()` deletes the
    entries that were not there when this was made, and `out` itself if it did not exist."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.existed = out.exists()
        self.before = {p.name for p in out.iterdir()} if out.is_dir() else set()

    def remove(self) -> None:
        if not self.out.is_dir():
            return
        for entry in self.out.iterdir():
            if entry.name in self.before:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        if not self.existed:
            try:
                self.out.rmdir()
            except OSError:  # something else appeared there meanwhile: leave it
                pass
