"""The generic trainer: gradient routing, schedules, lazy regularisation, EMA, clipping, mixed
precision, exact resume, crash-safe checkpoints, monitoring, `zoo train`, and a run that learns."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
from torch import nn
from train_toys import BatchNoiseGAN, PointDiscriminator, PointGenerator, gaussian_points, point_batches_tensors

from zoo.data.batches import TensorBatches
from zoo.interfaces import EMASpec, Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup
from zoo.objectives import AdversarialObjective
from zoo.training.trainer import Trainer
from zoo.training.checkpoint import CheckpointError, load_checkpoint, load_latest, save_checkpoint
from zoo.training.ema import EMA

SGD1 = OptimizerSpec("sgd", lr=1.0)
TINY_DCGAN = ["--config", "resolution=16", "g_width=8", "d_width=8", "latent_dim=8", "channels=1",
              "--batch-size", "16", "--log-every", "1", "--ema", "0.9", "--no-progress"]


def _constant_batches(n: int = 4):
    x = torch.arange(n * 3, dtype=torch.float32).view(n, 3) / 10

    def stream():
        while True:
            yield {"x": x}
    return stream()


class CrossObjective(Objective):
    """Three groups whose losses each depend on ALL three modules, updated from one forward pass
    (VAE-GAN's Algorithm 1 shape), or a and b in two phases (AAE's shape). A trainer that let a loss
    reach another group's parameters would fail the tests below."""

    def __init__(self, one_phase: bool = True) -> None:
        self.one_phase = one_phase

    def update_groups(self):
        return tuple(UpdateGroup(r, (r,), SGD1) for r in "abc")

    def schedule(self, step):
        if self.one_phase:
            return (Phase("all", ("a", "b", "c")),)
        return (Phase("first", ("a",)), Phase("second", ("b",)))

    @staticmethod
    def terms(x, a, b, c):
        h = b(x)
        loss_a = (a(h) + c(x)).pow(2).mean()
        loss_b = (h - a(x)).pow(2).mean() * 3 + c(h).mean()
        loss_c = (c(a(x)) - h).abs().mean()
        return loss_a, loss_b, loss_c

    def losses(self, phase, batch, models):
        loss_a, loss_b, loss_c = self.terms(batch["x"], models["a"], models["b"], models["c"])
        updates = {"all": {"a": loss_a, "b": loss_b, "c": loss_c},
                   "first": {"a": loss_a}, "second": {"b": loss_b}}[phase]
        return PhaseLosses(updates)


def _three_linears():
    torch.manual_seed(0)
    return {r: nn.Linear(3, 3) for r in "abc"}


def test_one_phase_routes_each_loss_only_into_its_group():
    models = _three_linears()
    before = {r: [p.detach().clone() for p in m.parameters()] for r, m in models.items()}
    x = next(_constant_batches())["x"]
    own = dict(zip("abc", CrossObjective.terms(x, *models.values())))
    grads = {r: torch.autograd.grad(own[r], list(models[r].parameters()), retain_graph=True) for r in "abc"}
    Trainer(models, CrossObjective(), _constant_batches()).train_step()
    for r in "abc":  # SGD(lr=1) moved each module by the gradient of its own loss only
        for p, p0, g in zip(models[r].parameters(), before[r], grads[r]):
            torch.testing.assert_close(p.detach(), p0 - g)


def test_a_phase_leaves_the_other_groups_gradients_untouched():
    models = _three_linears()
    trainer = Trainer(models, CrossObjective(one_phase=False), _constant_batches())
    b_before = [p.detach().clone() for p in models["b"].parameters()]
    x = next(_constant_batches())["x"]
    trainer._apply(("a",), PhaseLosses({"a": CrossObjective.terms(x, *models.values())[0]}))
    assert all(p.grad is None for p in models["b"].parameters())
    assert all(torch.equal(p, q) for p, q in zip(models["b"].parameters(), b_before))


def test_missing_group_loss_is_a_clear_error():
    models = _three_linears()
    trainer = Trainer(models, CrossObjective(), _constant_batches())
    with pytest.raises(ValueError, match="no loss for update group"):
        trainer._apply(("a", "b"), PhaseLosses({"a": models["a"].weight.sum()}))


class CountingObjective(Objective):
    """Records the phases it is asked for; a lazy phase every `interval` steps."""

    def __init__(self, k: int = 3, interval: int = 2) -> None:
        self.k, self.interval, self.calls = k, interval, []

    def update_groups(self):
        return (UpdateGroup("d", ("d",), SGD1), UpdateGroup("g", ("g",), SGD1))

    def schedule(self, step):
        return (Phase("d", ("d",), repeats=self.k), Phase("g", ("g",)),
                Phase("reg", ("d",), interval=self.interval))

    def losses(self, phase, batch, models):
        self.calls.append(phase)
        group = "g" if phase == "g" else "d"
        return PhaseLosses({group: models[group].weight.sum() * 0})


def test_k_steps_per_phase_and_lazy_interval():
    obj = CountingObjective(k=3, interval=2)
    served = []

    def batches():
        while True:
            served.append(1)
            yield {"x": torch.zeros(1)}
    trainer = Trainer({"d": nn.Linear(1, 1), "g": nn.Linear(1, 1)}, obj, batches())
    for _ in range(4):
        trainer.train_step()
    per_step = ["d", "d", "d", "g"]
    assert obj.calls == per_step + ["reg"] + per_step + per_step + ["reg"] + per_step
    assert len(served) == len(obj.calls)  # a fresh mini-batch for every repeat


class SharedBatchObjective(Objective):
    """Two phases on one mini-batch (AAE's reconstruction then regularisation phase)."""

    def __init__(self) -> None:
        self.seen = []

    def update_groups(self):
        return (UpdateGroup("d", ("d",), SGD1), UpdateGroup("g", ("g",), SGD1))

    def schedule(self, step):
        return (Phase("g", ("g",)), Phase("d", ("d",), new_batch=False))

    def losses(self, phase, batch, models):
        self.seen.append((phase, int(batch["i"])))
        group = "g" if phase == "g" else "d"
        return PhaseLosses({group: models[group].weight.sum() * 0})


def test_a_phase_can_reuse_the_previous_phases_batch():
    counter = iter(range(100))
    batches = ({"i": torch.tensor(next(counter))} for _ in range(100))
    obj = SharedBatchObjective()
    trainer = Trainer({"d": nn.Linear(1, 1), "g": nn.Linear(1, 1)}, obj, batches)
    trainer.train_step()
    trainer.train_step()
    assert obj.seen == [("g", 0), ("d", 0), ("g", 1), ("d", 1)]


class LazyPenalty(Objective):
    def update_groups(self):
        return (UpdateGroup("w", ("w",), SGD1),)

    def schedule(self, step):
        return (Phase("penalty", ("w",), interval=4),)

    def losses(self, phase, batch, models):
        return PhaseLosses({"w": models["w"].weight.sum()})  # gradient 1 per weight


def test_lazy_regularisation_scales_the_loss_by_its_interval():
    w = nn.Linear(2, 1, bias=False)
    nn.init.zeros_(w.weight)
    trainer = Trainer({"w": w}, LazyPenalty(), _constant_batches())
    trainer.train_step()  # step 0: runs, scaled by 4
    torch.testing.assert_close(w.weight.detach(), torch.full((1, 2), -4.0))
    for _ in range(3):  # steps 1-3: skipped
        trainer.train_step()
    torch.testing.assert_close(w.weight.detach(), torch.full((1, 2), -4.0))
    trainer.train_step()  # step 4
    torch.testing.assert_close(w.weight.detach(), torch.full((1, 2), -8.0))


def test_lazy_optimizer_spec_follows_stylegan2():
    spec = OptimizerSpec("adam", lr=0.0025, betas=(0.0, 0.99)).lazy(16)
    c = 16 / 17
    assert spec.lr == pytest.approx(0.0025 * c)
    assert spec.betas == pytest.approx((0.0, 0.99 ** c))


def test_ema_matches_a_hand_computation():
    source = nn.Linear(1, 1)
    with torch.no_grad():
        source.weight.fill_(1.0)
        source.bias.fill_(0.0)
    ema = EMA(source, decay=0.9)
    expected = 1.0
    for step, value in enumerate([2.0, 4.0, -1.0], start=1):
        with torch.no_grad():
            source.weight.fill_(value)
        ema.update(source, step)
        expected = 0.9 * expected + 0.1 * value
        assert ema.module.weight.item() == pytest.approx(expected)
    assert expected == pytest.approx(0.9 * (0.9 * (0.9 + 0.2) + 0.4) - 0.1)
    late = EMA(source, decay=0.9, start_step=5)
    with torch.no_grad():
        source.weight.fill_(7.0)
    late.update(source, 1)  # before start_step the average copies the weights
    assert late.module.weight.item() == 7.0


def test_trainer_updates_ema_after_each_step():
    models = {"generator": PointGenerator(), "discriminator": PointDiscriminator()}
    first = [p.detach().clone() for p in models["generator"].parameters()]
    trainer = Trainer(models, BatchNoiseGAN(), TensorBatches(point_batches_tensors(), 16), ema=EMASpec(decay=0.75))
    trainer.train_step()
    for e, p0, p in zip(trainer.ema.module.parameters(), first, models["generator"].parameters()):
        torch.testing.assert_close(e, 0.75 * p0 + 0.25 * p.detach())
    assert not any(p.requires_grad for p in trainer.ema.module.parameters())


class HugeGradient(Objective):
    def __init__(self, clip):
        self.clip = clip

    def update_groups(self):
        return (UpdateGroup("w", ("w",), SGD1, clip_grad_norm=self.clip),)

    def schedule(self, step):
        return (Phase("w", ("w",)),)

    def losses(self, phase, batch, models):
        return PhaseLosses({"w": 100.0 * models["w"].weight.sum()})


def test_fp16_loss_scaling_path_unscales_before_clipping_and_stepping():
    """The GradScaler path (fp16 on CUDA) exercised on CPU in fp32: the update must be the unscaled one."""
    w = nn.Linear(4, 1, bias=False)
    before = w.weight.detach().clone()
    trainer = Trainer({"w": w}, HugeGradient(0.5), _constant_batches())
    trainer.scalers = {"w": torch.amp.GradScaler("cpu", init_scale=2.0 ** 10)}
    logs = trainer.train_step()
    assert logs["w_grad_norm"] == pytest.approx(200.0)  # measured after unscaling
    assert (w.weight.detach() - before).norm().item() == pytest.approx(0.5, rel=1e-5)
    assert trainer.state_dict()["scalers"]["w"]["scale"] == 2.0 ** 10


@pytest.mark.parametrize("clip", [0.5, None])
def test_gradient_clipping_limits_the_update(clip):
    w = nn.Linear(4, 1, bias=False)
    before = w.weight.detach().clone()
    logs = Trainer({"w": w}, HugeGradient(clip), _constant_batches()).train_step()
    moved = (w.weight.detach() - before).norm().item()
    if clip is None:
        assert moved == pytest.approx(200.0)  # ‖100·1‖ over 4 weights
    else:
        assert moved == pytest.approx(0.5, rel=1e-5)
        assert logs["w_grad_norm"] == pytest.approx(200.0)


class DtypeProbe(Objective):
    def __init__(self):
        self.seen = []

    def update_groups(self):
        return (UpdateGroup("w", ("w",), OptimizerSpec("adam", lr=1e-2)),)

    def schedule(self, step):
        return (Phase("w", ("w",)),)

    def losses(self, phase, batch, models):
        y = models["w"](batch["x"])
        self.seen.append(y.dtype)
        return PhaseLosses({"w": (y - 1).pow(2).mean()}, {"loss": (y - 1).pow(2).mean().detach()})


def test_bf16_autocast_on_cpu_trains_fp32_weights():
    torch.manual_seed(0)
    w = nn.Linear(3, 1)
    probe = DtypeProbe()
    trainer = Trainer({"w": w}, probe, _constant_batches(), precision="bf16")
    first = trainer.train_step()["loss"]
    for _ in range(30):
        last = trainer.train_step()["loss"]
    assert probe.seen[0] == torch.bfloat16 and w.weight.dtype == torch.float32
    assert last < first * 0.5


def test_fp16_on_cpu_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="fp16 .* CUDA"):
        Trainer({"w": nn.Linear(3, 1)}, DtypeProbe(), _constant_batches(), precision="fp16")
    with pytest.raises(ValueError, match="precision must be one of"):
        Trainer({"w": nn.Linear(3, 1)}, DtypeProbe(), _constant_batches(), precision="int8")


class GrowingObjective(DtypeProbe):
    """Progressive growing's shape: begin_step sets a fade-in alpha, the schedule changes at step 3."""

    def __init__(self):
        super().__init__()
        self.phases, self.alphas = [], []

    def begin_step(self, step, models):
        models["w"].alpha = min(1.0, step / 4)

    def schedule(self, step):
        return (Phase("low" if step < 3 else "high", ("w",)),)

    def losses(self, phase, batch, models):
        self.phases.append(phase)
        self.alphas.append(models["w"].alpha)
        return super().losses(phase, batch, models)


def test_objective_changes_schedule_and_model_state_with_the_step():
    obj = GrowingObjective()
    trainer = Trainer({"w": nn.Linear(3, 1)}, obj, _constant_batches())
    for _ in range(6):
        trainer.train_step()
    assert obj.phases == ["low"] * 3 + ["high"] * 3
    assert obj.alphas == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]


# -- resume ----------------------------------------------------------------------------------------
def _gan_trainer(seed: int) -> Trainer:
    """A GAN that draws its noise from the global RNG (so resuming must restore it), k=2, with EMA."""
    torch.manual_seed(seed)
    models = {"generator": PointGenerator(), "discriminator": PointDiscriminator()}
    data = TensorBatches({"image": gaussian_points(64)}, batch_size=8, seed=seed)
    objective = AdversarialObjective(d_steps=2, lr=1e-2)
    return Trainer(models, objective, data, ema=0.9)


def test_stopped_and_resumed_run_gives_the_same_losses_step_for_step(tmp_path):
    steps, stop = 10, 4
    full, resumed = [], []
    _gan_trainer(seed=0).fit(steps, log_every=1, callback=lambda s, logs: full.append(logs))

    first = _gan_trainer(seed=0)
    first.fit(stop, log_every=1, callback=lambda s, logs: resumed.append(logs),
              checkpoint_dir=tmp_path, checkpoint_every=stop)
    del first
    torch.manual_seed(123)  # anything the new process would have drawn before resuming
    second = _gan_trainer(seed=7)  # different init and data seed: all of it must come from the checkpoint
    assert second.resume(tmp_path) and second.step == stop
    second.fit(steps - stop, log_every=1, callback=lambda s, logs: resumed.append(logs))
    assert resumed == full  # exact equality, step for step
    reference = _gan_trainer(seed=0)
    reference.fit(steps, log_every=1)
    for a, b in zip(second.ema.module.state_dict().values(), reference.ema.module.state_dict().values()):
        assert torch.equal(a, b)


def test_zoo_train_resumes_exactly_and_writes_the_hub_layout(tmp_path):
    from zoo.cli import main

    tiny = TINY_DCGAN
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    assert main(["train", "dcgan", "--steps", "6", "--out", str(whole), *tiny]) == 0
    assert main(["train", "dcgan", "--steps", "3", "--out", str(parts), "--checkpoint-every", "3", *tiny]) == 0
    assert main(["train", "dcgan", "--steps", "6", "--out", str(parts), *tiny]) == 2  # refuses to clobber
    assert main(["train", "dcgan", "--steps", "6", "--out", str(parts), "--resume",
                 "--checkpoint-every", "3", *tiny]) == 0

    def losses(folder):
        return [{k: v for k, v in json.loads(line).items() if k != "time"}
                for line in (folder / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in losses(parts)] == [1, 2, 3, 4, 5, 6]
    assert losses(parts) == losses(whole)

    from safetensors.torch import load_file

    import zoo
    for role in ("generator", "discriminator", "ema"):
        a, b = load_file(str(whole / f"{role}.safetensors")), load_file(str(parts / f"{role}.safetensors"))
        assert all(torch.equal(a[k], b[k]) for k in a)
    model = zoo.load(f"local-dir:{parts}")
    assert model.sampler is model.components["ema"]
    assert model.generate(4, seed=0).shape == (4, 1, 16, 16)
    card = (parts / "README.md").read_text()
    assert "zoo train dcgan --dataset digits --steps 6" in card and "--ema 0.9" in card
    assert "resumed from step: 3" in card
    assert sorted(p.name for p in (parts / "samples").iterdir()) == ["step-0000003.png", "step-0000006.png"]


# -- crash-safe checkpoints --------------------------------------------------------------------------
def test_crash_between_write_and_rename_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    from zoo.training import checkpoint

    save_checkpoint({"step": 1}, tmp_path)
    save_checkpoint({"step": 2}, tmp_path)
    real_replace = os.replace

    def crash_on_final_rename(src, dst):
        if Path(dst).name == checkpoint.LAST:
            raise KeyboardInterrupt("killed")  # the process dies after writing, before renaming
        real_replace(src, dst)
    monkeypatch.setattr(checkpoint.os, "replace", crash_on_final_rename)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({"step": 3}, tmp_path)
    monkeypatch.setattr(checkpoint.os, "replace", real_replace)
    assert list(tmp_path.glob(".last.pt.*.tmp"))  # the complete new file never became last.pt
    state, path = load_latest(tmp_path)
    assert state["step"] == 2 and path.name == "previous.pt"
    save_checkpoint({"step": 4}, tmp_path)
    assert not list(tmp_path.glob(".last.pt.*.tmp"))  # stale temporaries are cleaned up
    assert load_latest(tmp_path)[0]["step"] == 4


def test_truncated_or_corrupted_checkpoints_are_detected(tmp_path):
    save_checkpoint({"step": 1, "w": torch.ones(1000)}, tmp_path)
    save_checkpoint({"step": 2, "w": torch.full((1000,), 2.0)}, tmp_path)
    last = tmp_path / "last.pt"
    data = last.read_bytes()
    last.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="checksum"):
        load_checkpoint(last)
    assert load_latest(tmp_path)[0]["step"] == 1
    flipped = bytearray(data)
    flipped[-100] ^= 0xFF
    last.write_bytes(bytes(flipped))
    with pytest.raises(CheckpointError):
        load_checkpoint(last)
    (tmp_path / "previous.pt").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="no intact checkpoint"):
        load_latest(tmp_path)
    assert load_latest(tmp_path / "empty") is None


_WRITER = textwrap.dedent("""
    import os, sys, torch
    from zoo.training import checkpoint
    real_fsync = os.fsync
    def announce_then_hang(fd):  # the temporary file is written; the rename has not happened
        real_fsync(fd)
        print("WRITTEN", flush=True)
        import time; time.sleep(600)
    for step in (1, 2, 3):
        if step == 3:
            checkpoint.os.fsync = announce_then_hang
        checkpoint.save_checkpoint({"step": step, "w": torch.full((1_000_000,), float(step))}, sys.argv[1])
        print("SAVED", step, flush=True)
""")


def _kill_writer_before_rename(folder: Path) -> list[str]:
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(folder)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line.strip())
            if line.startswith("WRITTEN"):
                break
    finally:
        proc.kill()
        proc.wait(timeout=60)
    return lines


def _kill_zoo_train_midway(out: Path, steps: int) -> int:
    """`zoo train` with a checkpoint every step, SIGKILLed at an arbitrary point of its run."""
    proc = subprocess.Popen([sys.executable, "-m", "zoo.cli", "train", "dcgan", "--steps", str(steps), "--out",
                             str(out), "--checkpoint-every", "1", *TINY_DCGAN],
                            env={**os.environ, "OMP_NUM_THREADS": "1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while not (out / "checkpoints" / "last.pt").exists() and proc.poll() is None:
            assert time.monotonic() < deadline, "zoo train wrote no checkpoint"
            time.sleep(0.01)
        time.sleep(0.2)  # a few steps further: likely while a checkpoint is being written
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    return proc.returncode


def test_killed_runs_leave_only_trusted_checkpoints_and_resume_exactly(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from safetensors.torch import load_file

    from zoo.cli import main

    steps = 40
    with ThreadPoolExecutor(2) as pool:  # both subprocesses at once: each pays for importing torch
        writer = pool.submit(_kill_writer_before_rename, tmp_path / "writer")
        trainer = pool.submit(_kill_zoo_train_midway, tmp_path / "killed", steps)
        lines, returncode = writer.result(), trainer.result()

    # killed between writing and renaming: the complete new file is not trusted, the last one is
    assert lines == ["SAVED 1", "SAVED 2", "WRITTEN"]
    state, path = load_latest(tmp_path / "writer")
    assert path.name == "last.pt" and state["step"] == 2 and torch.all(state["w"] == 2.0)
    assert list((tmp_path / "writer").glob(".last.pt.*.tmp"))

    # a training run killed anywhere resumes to exactly the uninterrupted run's result
    assert returncode == -signal.SIGKILL, "the run finished before it could be killed"
    killed_at = load_latest(tmp_path / "killed" / "checkpoints")[0]["step"]
    assert 1 <= killed_at < steps
    resumed, whole = tmp_path / "killed", tmp_path / "whole"
    # the killed part ran on one thread; bitwise equality needs the same reduction order here
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert main(["train", "dcgan", "--steps", str(steps), "--out", str(resumed), "--resume",
                     "--checkpoint-every", "20", *TINY_DCGAN]) == 0
        assert main(["train", "dcgan", "--steps", str(steps), "--out", str(whole), *TINY_DCGAN]) == 0
    finally:
        torch.set_num_threads(threads)
    for role in ("generator", "discriminator", "ema"):
        a, b = load_file(str(whole / f"{role}.safetensors")), load_file(str(resumed / f"{role}.safetensors"))
        assert all(torch.equal(a[k], b[k]) for k in a), role

    def losses(folder):
        return [{k: v for k, v in json.loads(line).items() if k != "time"}
                for line in (folder / "log.jsonl").read_text().splitlines()]
    assert losses(resumed) == losses(whole)


# -- monitoring --------------------------------------------------------------------------------------
def test_fit_writes_json_lines_and_sample_grids(tmp_path):
    trainer = _gan_trainer(seed=0)
    trainer.fit(4, log_every=2, log_file=tmp_path / "log.jsonl", sample_dir=tmp_path / "s", sample_every=2)
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [2, 4] and {"d_loss", "g_loss", "time"} <= set(records[0])
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["step-0000002.png", "step-0000004.png"]
    trainer.fit(2, log_every=2, log_file=tmp_path / "log.jsonl")  # continuing appends
    assert len((tmp_path / "log.jsonl").read_text().splitlines()) == 3


def test_tensorboard_logs_or_says_how_to_install_it(tmp_path):
    trainer = _gan_trainer(seed=0)
    try:
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401 - needs the tensorboard package
    except ImportError:
        with pytest.raises(RuntimeError, match="pip install"):
            trainer.fit(1, tensorboard_dir=tmp_path / "tb")
    else:
        trainer.fit(1, tensorboard_dir=tmp_path / "tb")
        assert list((tmp_path / "tb").glob("events.*"))


# -- it learns ---------------------------------------------------------------------------------------
def test_a_tiny_gan_learns_the_data_mean():
    target = torch.tensor([0.5, -0.25])
    trainer = _gan_trainer(seed=0)
    trainer.objective = AdversarialObjective(d_steps=1, lr=2e-3)
    trainer.optimizers = {g.name: g.optimizer.build(trainer.params[g.name])
                          for g in trainer.objective.update_groups()}
    z = torch.randn(512, 4, generator=torch.Generator().manual_seed(1))

    def error():
        with torch.no_grad():
            return (trainer.models["generator"](z).view(-1, 2).mean(0) - target).norm().item()
    before = error()
    trainer.fit(300, log_every=300)
    after = error()
    assert after < 0.3 * before, (before, after)


class MissesOneParameter(Objective):
    def update_groups(self):
        return (UpdateGroup("w", ("w",), OptimizerSpec("adam", lr=0.1)),)

    def schedule(self, step):
        return (Phase("w", ("w",)),)

    def losses(self, phase, batch, models):
        return PhaseLosses({"w": models["w"].weight.sum()})  # the bias is not reached


def test_parameters_a_loss_misses_are_not_stepped():
    w = nn.Linear(2, 1)
    bias = w.bias.detach().clone()
    trainer = Trainer({"w": w}, MissesOneParameter(), _constant_batches())
    trainer.train_step()
    assert w.bias.grad is None and torch.equal(w.bias.detach(), bias)
    assert w.bias not in trainer.optimizers["w"].state and w.weight in trainer.optimizers["w"].state


def test_sigterm_stops_after_the_step_with_a_checkpoint(tmp_path):
    from zoo.training.stopping import TrainingStopped

    def terminate_at_step_3(step, logs):
        if step == 3:
            os.kill(os.getpid(), signal.SIGTERM)  # as a scheduler pre-empting the job would
    trainer = _gan_trainer(seed=0)
    with pytest.raises(TrainingStopped, match="after step 3"):
        trainer.fit(10, callback=terminate_at_step_3, checkpoint_dir=tmp_path, checkpoint_every=100)
    assert load_latest(tmp_path)[0]["step"] == 3
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is given back
