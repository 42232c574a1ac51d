"""One generic trainer driven by an Objective.

The trainer knows nothing of any paper: the objective names its update groups (which components'
parameters each loss updates, with which optimizer) and its phases (which groups one forward pass
updates, repeated how many times, every how many steps). Each group's loss is back-propagated into
that group's parameters only (`backward(inputs=...)`), so e.g. VAE-GAN's discriminator never
receives L_llike gradients, and all of a phase's gradients are taken before any of its optimizers
steps. Around that loop: EMA of a component's weights, lazy regularisation (a phase every N steps
with its loss scaled by N), mixed precision, gradient clipping, exact checkpoint/resume, DDP.
The parts live in zoo.training (one job each); this module puts them together, and
zoo.training.recipe runs it end to end on a registered dataset (`zoo train`).
"""
from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import torch
from torch import Tensor, nn

from zoo.interfaces import EMASpec, Objective, PhaseLosses
from zoo.training import distributed
from zoo.training.checkpoint import load_latest, save_checkpoint
from zoo.training.ema import EMA
from zoo.training.monitor import JsonlLog, RunClock, SampleGrid, progress_bar, tensorboard_writer
from zoo.training.precision import Precision
from zoo.training.rng import rng_state, set_rng_state
from zoo.training.stopping import StopOnSignal, TrainingStopped

log = logging.getLogger(__name__)
CHECKPOINT_FORMAT = 1


def _to_device(batch: Mapping[str, Tensor], device: torch.device) -> dict[str, Tensor]:
    return {k: v.to(device, non_blocking=True) if isinstance(v, Tensor) else v for k, v in batch.items()}


class Trainer:
    """Runs an objective's schedule on `models` (components by role) with mini-batches from `batches`.

    `batches` yields global batches; in a torchrun job (`dist` from zoo.training.distributed) each
    rank keeps its slice. `ema` overrides the objective's EMASpec (a decay or an EMASpec);
    `clip_grad_norm` applies to every group that does not set its own.
    """

    def __init__(self, models: Mapping[str, nn.Module], objective: Objective, batches: Iterator[Mapping[str, Tensor]],
                 device: str | torch.device = "cpu", *, precision: str = "fp32",
                 ema: float | EMASpec | None = None, clip_grad_norm: float | None = None,
                 dist: distributed.DistContext | None = None, find_unused_parameters: bool = False,
                 sync_batchnorm: bool = False) -> None:
        self.device = torch.device(device)
        self.dist = dist or distributed.SINGLE
        self.models = {role: m.to(self.device).train() for role, m in models.items()}
        self.objective = objective
        self.batches = distributed.ShardedBatches(batches, self.dist) if self.dist.enabled else batches
        self.groups = {g.name: g for g in objective.update_groups()}
        self.params: dict[str, list[nn.Parameter]] = {}
        for name, group in self.groups.items():
            missing = [r for r in group.roles if r not in self.models]
            if missing:
                raise ValueError(f"update group {name!r} needs components {missing}; have {sorted(self.models)}")
            self.params[name] = [p for r in group.roles for p in self.models[r].parameters() if p.requires_grad]
            if not self.params[name]:
                raise ValueError(f"update group {name!r} has no trainable parameters (roles {group.roles})")
        self.wrapped = self._wrap_for_ddp(find_unused_parameters, sync_batchnorm) if self.dist.enabled else {}
        self.optimizers = {name: g.optimizer.build(self.params[name]) for name, g in self.groups.items()}
        self.precision = Precision(precision, self.device)
        self.scalers = {name: self.precision.make_scaler() for name in self.groups}
        self.clip = {name: g.clip_grad_norm if g.clip_grad_norm is not None else clip_grad_norm
                     for name, g in self.groups.items()}
        spec = EMASpec(decay=ema) if isinstance(ema, (int, float)) and not isinstance(ema, bool) else ema
        spec = spec or getattr(objective, "ema", None)
        self.ema_role = spec.role if spec else None
        if spec and spec.role not in self.models:
            raise ValueError(f"EMA of {spec.role!r} asked for, but the components are {sorted(self.models)}")
        self.ema = EMA(self.models[spec.role], spec.decay, spec.start_step) if spec else None
        self.step = 0
        self.clock = RunClock()  # seconds in fit, continued across resumes via the checkpoint

    def _wrap_for_ddp(self, find_unused: bool, sync_bn: bool) -> dict[str, nn.Module]:
        trained = {r for g in self.groups.values() for r in g.roles}
        wrapped = {}
        for role in sorted(trained):
            wrapped[role] = distributed.wrap(self.models[role], self.dist, self.device,
                                             find_unused_parameters=find_unused, sync_batchnorm=sync_bn)
            self.models[role] = wrapped[role].module  # SyncBatchNorm conversion may replace layers
        for name, group in self.groups.items():  # re-collect: the same Parameters, in case of conversion
            self.params[name] = [p for r in group.roles for p in self.models[r].parameters() if p.requires_grad]
        return wrapped

    def _phase_models(self, groups: tuple[str, ...]) -> Mapping[str, nn.Module]:
        """DDP wrappers for the components the phase updates, bare modules for the others (their
        parameters get no gradient in this phase, so DDP must not wait for one)."""
        if not self.wrapped:
            return self.models
        updated = {r for g in groups for r in self.groups[g].roles}
        return {r: self.wrapped[r] if r in updated else m for r, m in self.models.items()}

    # -- one step ---------------------------------------------------------------------------------
    def train_step(self) -> dict[str, float]:
        """One step of the objective's schedule; returns the logged scalars (last repeat of each phase)."""
        logs: dict[str, float] = {}
        begin = getattr(self.objective, "begin_step", None)
        if begin is not None:
            begin(self.step, self.models)
        batch = None
        for phase in self.objective.schedule(self.step):
            interval = getattr(phase, "interval", 1)
            if interval < 1:
                raise ValueError(f"phase {phase.name!r}: interval must be >= 1, got {interval}")
            if self.step % interval:
                continue
            models = self._phase_models(phase.groups)
            for _ in range(phase.repeats):
                if batch is None or getattr(phase, "new_batch", True):
                    batch = _to_device(next(self.batches), self.device)
                with self.precision.autocast():
                    out = self.objective.losses(phase.name, batch, models)
                logs.update(self._apply(phase.groups, out, scale=interval))
                logs.update({k: float(v) for k, v in out.logs.items()})
        self.step += 1
        if self.ema is not None:
            self.ema.update(self.models[self.ema_role], self.step)
        return logs

    def _apply(self, groups: tuple[str, ...], out: PhaseLosses, scale: int = 1) -> dict[str, float]:
        missing = [g for g in groups if g not in out.updates]
        if missing:
            raise ValueError(f"the objective returned no loss for update group(s) {missing}")
        for g in groups:
            for p in self.params[g]:
                p.grad = None
        for i, g in enumerate(groups):
            loss = out.updates[g].float()
            if not torch.isfinite(loss):
                raise FloatingPointError(f"step {self.step}: the {g!r} loss is {loss.item()}")
            if scale != 1:  # lazy regularisation: a penalty taken every `scale` steps counts `scale` times
                loss = loss * scale
            if self.wrapped:  # DDP waits for a gradient of every parameter, even one the loss misses
                loss = loss + 0.0 * sum(p.reshape(-1)[0].float() for p in self.params[g])
            scaler = self.scalers[g]
            (scaler.scale(loss) if scaler else loss).backward(inputs=self.params[g],
                                                              retain_graph=i < len(groups) - 1)
        norms = {}
        for g in groups:
            # Every parameter of the group steps, with a zero gradient where its loss does not reach it
            # (R1 never reaches D's last bias; progressive growing skips layers), in one process as
            # under DDP (which needs the zero-weighted term above to deliver those zeros).
            for p in self.params[g]:
                if p.grad is None:
                    p.grad = torch.zeros_like(p)
            optimizer, scaler = self.optimizers[g], self.scalers[g]
            if self.clip[g] is not None:
                if scaler:
                    scaler.unscale_(optimizer)
                norm = torch.nn.utils.clip_grad_norm_(self.params[g], self.clip[g])
                norms[f"{g}_grad_norm"] = float(norm)  # before clipping
            if scaler:
                scaler.step(optimizer)
                scaler.update()
            else:
                optimizer.step()
        return norms

    # -- checkpoints -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything a resumed run needs to continue exactly. Collective in a distributed run
        (every rank's RNG state is gathered), so every rank must call it."""
        batches = getattr(self.batches, "state_dict", None)
        objective = getattr(self.objective, "state_dict", None)
        return {
            "format": CHECKPOINT_FORMAT,
            "step": self.step,
            "world_size": self.dist.world_size,
            "models": {r: m.state_dict() for r, m in self.models.items()},
            "optimizers": {g: o.state_dict() for g, o in self.optimizers.items()},
            "scalers": {g: s.state_dict() for g, s in self.scalers.items() if s is not None},
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "objective": objective() if objective else {},
            "batches": batches() if batches else None,
            "rng": distributed.all_gather(rng_state(self.device), self.dist),
            "elapsed_seconds": self.clock.seconds(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        if state.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"checkpoint format {state.get('format')!r}; this trainer reads {CHECKPOINT_FORMAT}")
        if set(state["models"]) != set(self.models) or set(state["optimizers"]) != set(self.optimizers):
            raise ValueError(f"the checkpoint is of another model: components {sorted(state['models'])} and "
                             f"update groups {sorted(state['optimizers'])}, expected {sorted(self.models)} "
                             f"and {sorted(self.optimizers)}")
        for role, module in self.models.items():
            module.load_state_dict(state["models"][role])
        for g, optimizer in self.optimizers.items():
            optimizer.load_state_dict(state["optimizers"][g])
        for g, scaler in self.scalers.items():
            if scaler is not None and g in state["scalers"]:
                scaler.load_state_dict(state["scalers"][g])
        if self.ema is not None:
            if state.get("ema") is None:
                log.warning("the checkpoint has no EMA; starting the average from the current weights")
                self.ema.module.load_state_dict(self.models[self.ema_role].state_dict())
            else:
                self.ema.load_state_dict(state["ema"])
        if hasattr(self.objective, "load_state_dict"):
            self.objective.load_state_dict(state.get("objective") or {})
        if state.get("batches") is not None and hasattr(self.batches, "load_state_dict"):
            self.batches.load_state_dict(state["batches"])
        rngs = state["rng"]
        if len(rngs) == self.dist.world_size:
            set_rng_state(rngs[self.dist.rank], self.device)
        else:  # a different number of processes: the exact random stream cannot be continued
            log.warning("resuming on %d processes a run saved on %d: random streams restart",
                        self.dist.world_size, len(rngs))
            set_rng_state(rngs[0], self.device)
            torch.manual_seed(int(torch.randint(2**31, ())) + self.dist.rank)
        self.step = int(state["step"])
        self.clock.continue_from(state.get("elapsed_seconds", 0.0))

    def save_checkpoint(self, folder: str | Path) -> None:
        state = self.state_dict()  # collective
        if self.dist.is_main:
            save_checkpoint(state, folder)
        distributed.barrier(self.dist)

    def resume(self, folder: str | Path) -> bool:
        """Load the newest intact checkpoint in `folder`; False when there is none."""
        found = load_latest(folder)
        if found is None:
            return False
        state, path = found
        self.load_state_dict(state)
        log.info("resumed from %s at step %d", path, self.step)
        return True

    # -- the loop --------------------------------------------------------------------------------
    def fit(self, steps: int, *, log_file: Path | None = None, log_every: int = 50,
            callback: Callable[[int, dict[str, float]], Any] | None = None, progress: bool | None = None,
            checkpoint_dir: Path | None = None, checkpoint_every: int = 0,
            sample_dir: Path | None = None, sample_every: int = 0,
            tensorboard_dir: Path | None = None) -> dict[str, float]:
        """Run `steps` more steps; returns the last logs (averaged over ranks at logging steps).

        Every `log_every` steps: the progress bar's losses, a JSON line in `log_file`, TensorBoard
        scalars. Every `checkpoint_every` steps (and at the end) a checkpoint in `checkpoint_dir`;
        every `sample_every` steps (and at the end) a sample grid in `sample_dir`. Only rank 0 writes.
        With a `checkpoint_dir`, SIGTERM ends the run cleanly after the current step: a checkpoint is
        written and TrainingStopped raised.
        """
        if steps < 0 or log_every < 1 or checkpoint_every < 0 or sample_every < 0:
            raise ValueError(f"fit needs steps >= 0, log_every >= 1 and non-negative intervals; got steps={steps}, "
                             f"log_every={log_every}, checkpoint_every={checkpoint_every}, sample_every={sample_every}")
        main = self.dist.is_main
        end = self.step + steps
        board = tensorboard_writer(tensorboard_dir) if tensorboard_dir and main else None
        jsonl = JsonlLog(log_file, resume_step=self.step or None, clock=self.clock) if log_file and main else None
        grid = SampleGrid()
        bar = progress_bar(end, self.step, progress if main else False)
        logs: dict[str, float] = {}
        stopper = StopOnSignal(enabled=bool(checkpoint_dir))
        try:
            stopper.__enter__()
            self.clock.start()
            while self.step < end:
                logs = self.train_step()
                last = self.step == end
                if self.step % log_every == 0 or last:
                    logs = distributed.mean_over_ranks(logs, self.dist)
                    bar.set_postfix({k: f"{v:.3f}" for k, v in logs.items()}, refresh=False)
                    if jsonl:
                        jsonl.write(self.step, logs)
                    if board:
                        for k, v in logs.items():
                            board.add_scalar(k, v, self.step)
                bar.update(1)
                if callback:
                    callback(self.step, logs)
                # every rank stops at the same step, whichever of them got the signal
                stopping = stopper.enabled and not last and distributed.any_rank(stopper.signum is not None,
                                                                                 self.dist)
                if checkpoint_dir and ((checkpoint_every and self.step % checkpoint_every == 0) or last or stopping):
                    self.save_checkpoint(checkpoint_dir)
                if sample_dir and main and ((sample_every and self.step % sample_every == 0) or last):
                    sampler = self.sampler()
                    if sampler is not None:
                        grid(sampler, Path(sample_dir) / f"step-{self.step:07d}.png")
                if stopping:
                    raise TrainingStopped(self.step, stopper.signum or signal.SIGTERM)
        finally:
            stopper.__exit__(None, None, None)
            self.clock.stop()
            bar.close()
            if jsonl:
                jsonl.close()
            if board:
                board.close()
        return logs

    def sampler(self) -> nn.Module | None:
        """The module to draw samples from: the EMA copy if there is one, else the generator."""
        if self.ema is not None:
            return self.ema.module
        return self.models.get("generator")
