"""`zoo train` as a new user meets it (issue 10): the first run fits the model to the dataset, a run is
never lost or overwritten unasked, progress shows off a terminal, NaN weights and a full disk are
handled, and every failure is one line with the documented exit status."""
from __future__ import annotations

import errno
import hashlib
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from zoo.cli import main
from zoo.training import checkpoint, monitor
from zoo.training.trainer import Trainer

# a gan small enough that a CLI run takes well under a second of training
TINY_GAN = ["--config", "hidden=8", "d_hidden=8", "pieces=2", "latent_dim=4"]
QUIET = ["--batch-size", "8", "--no-progress"]


def _config(folder: Path) -> dict:
    """The run's config as zoo.load reads it (shared keys at the top, whatever the file's version)."""
    from zoo.hub import read_config

    return read_config(folder)["config"]


def _error_line(err: str) -> str:
    """The stderr of a failed command must be exactly one `zoo train: error:` line (no traceback)."""
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("zoo train: error: ")]
    assert len(errors) == 1 and "Traceback" not in err, err
    return errors[0]


def _write_raw_checkpoint(state: dict, path: Path) -> None:
    """The checkpoint format written by hand (magic line, sha256 of the payload, payload), so that a
    state save_checkpoint would refuse can be put on disk."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    payload = buffer.getvalue()
    path.write_bytes(b"GENZOO-CHECKPOINT v1\n" + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)


# -- 1. first run: the model is fitted to the dataset ---------------------------------------------------
def test_dcgan_on_digits_takes_one_channel_from_the_dataset(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "dcgan", "--dataset", "digits", "--steps", "1", "--out", str(out), *QUIET,
                 "--config", "g_width=4", "d_width=4", "latent_dim=4"]) == 0
    config = _config(out)
    assert config["channels"] == 1  # dcgan's default is 3; the digits are grey
    assert config["resolution"] == 64  # dcgan's own 64 px, which the digits come at
    said = [line for line in capsys.readouterr().err.splitlines() if line.startswith("zoo train: ")]
    assert len(said) == 1 and "channels=1" in said[0] and "not 3" in said[0]


def test_gan_on_digits_takes_the_nearest_digits_resolution(tmp_path):
    import zoo

    out = tmp_path / "run"
    assert main(["train", "gan", "--steps", "1", "--out", str(out), *QUIET, *TINY_GAN]) == 0  # --dataset digits by default
    assert _config(out)["resolution"] == 32 and _config(out)["channels"] == 1  # 28 px is not a digits size
    assert zoo.load(f"local-dir:{out}").generate(2, seed=0).shape == (2, 1, 32, 32)


def test_a_resolution_the_dataset_lacks_names_the_config_to_pass_and_leaves_no_files(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "gan", "--steps", "1", "--out", str(out), *QUIET, *TINY_GAN, "resolution=28"]) == 2
    line = _error_line(capsys.readouterr().err)
    assert "8, 16, 32 or 64 px" in line and "pass --config resolution=32" in line
    assert not out.exists()


def test_a_channel_count_the_dataset_lacks_names_the_config_to_pass(tmp_path, capsys):
    assert main(["train", "gan", "--steps", "1", "--out", str(tmp_path / "run"), *QUIET, *TINY_GAN,
                 "channels=3"]) == 2
    assert "pass --config channels=1" in _error_line(capsys.readouterr().err)


def test_a_start_that_fails_at_its_first_step_leaves_no_file_behind(tmp_path, capsys, monkeypatch):
    def broken_step(self):
        raise RuntimeError("the first step failed")
    monkeypatch.setattr(Trainer, "train_step", broken_step)
    fresh, kept = tmp_path / "fresh", tmp_path / "kept"
    kept.mkdir()
    (kept / "notes.txt").write_text("mine")
    for out in (fresh, kept):
        assert main(["train", "gan", "--steps", "2", "--out", str(out), *QUIET, *TINY_GAN]) == 1
        assert "the first step failed" in _error_line(capsys.readouterr().err)
    assert not fresh.exists()
    assert [p.name for p in kept.iterdir()] == ["notes.txt"]  # the user's file stays, no empty log.jsonl


# -- 2. never lose a run ------------------------------------------------------------------------------
def test_resume_without_a_checkpoint_is_a_usage_error(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "gan", "--steps", "2", "--out", str(out), "--resume", *QUIET, *TINY_GAN]) == 2
    line = _error_line(capsys.readouterr().err)
    assert "--resume" in line and "no checkpoint" in line
    assert not out.exists()


def test_a_finished_run_is_kept_unless_overwrite_is_passed(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "gan", "--steps", "2", "--out", str(out), *QUIET, *TINY_GAN]) == 0
    assert (out / "checkpoints" / "last.pt").exists()  # checkpointed by default, at the end at least
    files = ("generator.safetensors", "discriminator.safetensors", "log.jsonl", "config.json", "README.md")
    before = {name: (out / name).read_bytes() for name in files}
    capsys.readouterr()

    assert main(["train", "gan", "--steps", "2", "--out", str(out), "--seed", "5", *QUIET, *TINY_GAN]) == 2
    line = _error_line(capsys.readouterr().err)
    assert "--resume" in line and "--overwrite" in line
    assert {name: (out / name).read_bytes() for name in files} == before

    assert main(["train", "gan", "--steps", "2", "--out", str(out), "--seed", "5", "--overwrite",
                 *QUIET, *TINY_GAN]) == 0
    assert (out / "generator.safetensors").read_bytes() != before["generator.safetensors"]
    assert "--seed 5" in (out / "README.md").read_text()


def test_resume_and_overwrite_together_are_refused(tmp_path, capsys):
    assert main(["train", "gan", "--steps", "1", "--out", str(tmp_path), "--resume", "--overwrite",
                 *QUIET, *TINY_GAN]) == 2
    assert "pass only one" in _error_line(capsys.readouterr().err)


class SteppedClock:
    """Stands in for the `time` module of zoo.training.monitor: the clock moves only when a step runs."""

    def __init__(self) -> None:
        self.now = 1000.0

    def perf_counter(self) -> float:
        return self.now


def test_a_resumed_run_continues_the_log_time_and_the_wall_clock(tmp_path, monkeypatch):
    clock = SteppedClock()
    monkeypatch.setattr(monitor, "time", clock)
    real_step = Trainer.train_step

    def five_second_step(self):
        logs = real_step(self)
        clock.now += 5.0
        return logs
    monkeypatch.setattr(Trainer, "train_step", five_second_step)
    out = tmp_path / "run"
    common = ["--out", str(out), "--log-every", "1", *QUIET, *TINY_GAN]
    assert main(["train", "gan", "--steps", "2", *common]) == 0
    assert "wall-clock seconds: 10.0" in (out / "README.md").read_text()
    clock.now += 3600.0  # the hour between the two segments is not training time
    assert main(["train", "gan", "--steps", "5", "--resume", *common]) == 0
    times = [json.loads(line)["time"] for line in (out / "log.jsonl").read_text().splitlines()]
    assert times == [5.0, 10.0, 15.0, 20.0, 25.0]
    card = (out / "README.md").read_text()
    assert "wall-clock seconds: 25.0" in card and "resumed from step: 2" in card


# -- 3. progress off a terminal -----------------------------------------------------------------------
def test_progress_is_one_plain_line_per_logging_step_when_stderr_is_not_a_terminal(tmp_path, capsys):
    assert main(["train", "gan", "--steps", "4", "--log-every", "2", "--batch-size", "8",
                 "--out", str(tmp_path / "run"), *TINY_GAN]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = [line for line in err.splitlines() if line.startswith("train step")]
    assert [line.split()[2] for line in lines] == ["2/4", "4/4"]
    assert all("d_loss=" in line and "g_loss=" in line and "steps/s" in line and "ETA" in line for line in lines)


def test_bench_writes_lines_not_bars_off_a_terminal(capsys):
    from zoo import bench
    from zoo.bench.timing import WallTimer

    ticks = iter(float(t) for t in range(10_000))
    specs = bench.resolve_models(["gan"], quick=True)
    settings = bench.BenchSettings(tasks=("generate",), batch_sizes=(1, 2), warmup=0, iters=1, quick=True)
    bench.run_bench(specs, settings, progress=True, timer_factory=lambda d: WallTimer(clock=lambda: next(ticks)))
    err = capsys.readouterr().err
    assert "\r" not in err
    assert [line.split(":")[0] for line in err.splitlines() if line.startswith("bench")] == ["bench 1/2", "bench 2/2"]


# -- 4. NaN weights -----------------------------------------------------------------------------------
def _poison(path: Path, role: str = "generator") -> str:
    """Rewrite the checkpoint at `path` with NaN in the first floating tensor of `role`; returns its key."""
    state = checkpoint.load_checkpoint(path)
    key = next(k for k, v in state["models"][role].items() if v.is_floating_point())
    state["models"][role][key].fill_(math.nan)
    _write_raw_checkpoint(state, path)
    return key


def test_a_nan_checkpoint_is_not_resumed_the_previous_one_is(tmp_path, capsys):
    out = tmp_path / "run"
    common = ["--out", str(out), "--checkpoint-every", "1", *QUIET, *TINY_GAN]
    assert main(["train", "gan", "--steps", "2", *common]) == 0  # last.pt: step 2, previous.pt: step 1
    key = _poison(out / "checkpoints" / "last.pt")
    capsys.readouterr()
    assert main(["train", "gan", "--steps", "3", "--resume", *common]) == 0
    err = capsys.readouterr().err
    assert f"generator.{key}" in err and "previous.pt (step 1)" in err
    assert "resumed from step: 1" in (out / "README.md").read_text()
    from safetensors.torch import load_file
    assert all(torch.isfinite(v).all() for v in load_file(str(out / "generator.safetensors")).values())


def test_resuming_when_every_checkpoint_is_nan_is_an_error_naming_role_and_key(tmp_path, capsys):
    out = tmp_path / "run"
    common = ["--out", str(out), "--checkpoint-every", "1", *QUIET, *TINY_GAN]
    assert main(["train", "gan", "--steps", "2", *common]) == 0
    key = _poison(out / "checkpoints" / "last.pt")
    _poison(out / "checkpoints" / "previous.pt")
    weights = (out / "generator.safetensors").read_bytes()
    capsys.readouterr()
    assert main(["train", "gan", "--steps", "3", "--resume", *common]) == 1
    line = _error_line(capsys.readouterr().err)
    assert f"generator.{key}" in line and "NaN" in line
    assert (out / "generator.safetensors").read_bytes() == weights


def test_weights_that_turn_nan_are_never_saved(tmp_path, capsys, monkeypatch):
    real_step = Trainer.train_step

    def diverging_step(self):
        logs = real_step(self)
        with torch.no_grad():
            next(self.models["discriminator"].parameters()).fill_(math.nan)
        return logs
    monkeypatch.setattr(Trainer, "train_step", diverging_step)
    out = tmp_path / "run"
    # one step: the poisoned weights reach the end-of-run checkpoint before any loss can show them
    assert main(["train", "gan", "--steps", "1", "--out", str(out), *QUIET, *TINY_GAN]) == 1
    line = _error_line(capsys.readouterr().err)
    assert "discriminator." in line and "NaN" in line
    assert not list(out.glob("*.safetensors")) and not (out / "checkpoints" / "last.pt").exists()


def test_save_checkpoint_refuses_non_finite_model_weights(tmp_path):
    state = {"step": 1, "models": {"generator": {"w": torch.ones(3)}, "ema": {"b": torch.tensor([1.0, math.inf])}}}
    with pytest.raises(checkpoint.NonFiniteWeightsError, match=r"ema\.b"):
        checkpoint.save_checkpoint(state, tmp_path)
    assert list(tmp_path.iterdir()) == []


# -- 5. a full disk -----------------------------------------------------------------------------------
class FillsTheDisk:
    """`open` for checkpoint.py whose files take half of the first write, then fail with ENOSPC."""

    def __init__(self, fail_on_call: int) -> None:
        self.calls, self.fail_on_call = 0, fail_on_call

    def __call__(self, path, mode="r", *args, **kwargs):
        self.calls += 1
        real = open(path, mode, *args, **kwargs)
        if self.calls != self.fail_on_call:
            return real

        class Full(io.RawIOBase):
            def write(_, data):
                real.write(bytes(data)[: len(data) // 2])
                real.flush()
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

            def fileno(_):
                return real.fileno()

            def close(_):
                real.close()
                super(Full, _).close()
        return Full()


def test_a_full_disk_leaves_no_temporary_file_and_the_run_resumes(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    common = ["--out", str(out), "--checkpoint-every", "1", *QUIET, *TINY_GAN]
    monkeypatch.setattr(checkpoint, "open", FillsTheDisk(fail_on_call=2), raising=False)  # step 2's checkpoint
    assert main(["train", "gan", "--steps", "3", *common]) == 1
    line = _error_line(capsys.readouterr().err)
    assert "No space left on device" in line
    assert not list((out / "checkpoints").glob(".*.tmp"))
    assert checkpoint.load_checkpoint(out / "checkpoints" / "last.pt")["step"] == 1
    monkeypatch.undo()
    assert main(["train", "gan", "--steps", "3", "--resume", *common]) == 0
    assert "resumed from step: 1" in (out / "README.md").read_text()


def test_stale_temporary_files_of_dead_processes_are_removed_at_start(tmp_path):
    out = tmp_path / "run"
    common = ["--out", str(out), *QUIET, *TINY_GAN]
    assert main(["train", "gan", "--steps", "1", *common]) == 0
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_tmp = out / "checkpoints" / f".last.pt.{int(dead.stdout)}.tmp"
    live_tmp = out / "checkpoints" / f".last.pt.{os.getppid()}.tmp"  # a live process may be writing it
    for tmp in (dead_tmp, live_tmp):
        tmp.write_bytes(b"x" * 1000)
    assert main(["train", "gan", "--steps", "2", "--resume", *common]) == 0
    assert not dead_tmp.exists() and live_tmp.exists()
