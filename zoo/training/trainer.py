"""One generic trainer driven by an Objective.

The trainer knows nothing of any paper: the objective names its update groups (which components'
or sub-modules' parameters each loss updates, with which optimizer and lr schedule) and its phases
(which groups one forward pass updates, repeated how many times, every how many steps). Each group's
loss is back-propagated into that group's parameters only (`backward(inputs=...)`), so e.g. VAE-GAN's
discriminator never receives L_llike gradients, and all of a phase's gradients are taken before any of
its optimizers steps; a parameter that no loss reached is not stepped. Around that loop: EMAs of
components' weights, lazy regularisation (a phase every N steps with its loss scaled by N), gradient
accumulation over micro-batches, lr and batch-size schedules, optimizer resets, auxiliary frozen
networks, mixed precision, gradient clipping, exact checkpoint/resume, DDP.
The parts live in zoo.training (one job each); this module puts them together, and
zoo.training.recipe runs it end to end on a registered dataset (`zoo train`).
"""
from __future__ import annotations

import contextlib
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
from zoo.training.groups import UpdateGroupError, group_parameters, reached_parameters, split_batch
from zoo.training.monitor import JsonlLog, RunClock, SampleGrid, progress_bar, tensorboard_writer
from zoo.training.precision import Precision
from zoo.training.rng import rng_state, set_rng_state
from zoo.training.stopping import StopOnSignal, TrainingStopped

log = logging.getLogger(__name__)
CHECKPOINT_FORMAT = 1


def _to_device(batch: Mapping[str, Tensor], device: torch.device) -> dict[str, Tensor]:
    return {k: v.to(device, non_blocking=True) if isinstance(v, Tensor) else v for k, v in batch.items()}


def _ema_specs(ema: float | EMASpec | tuple[EMASpec, ...] | None, objective: Objective) -> tuple[EMASpec, ...]:
    """The EMAs to keep: the trainer's `ema` option (a decay, a spec or several) over the objective's."""
    spec = EMASpec(decay=ema) if isinstance(ema, (int, float)) and not isinstance(ema, bool) else ema
    spec = spec or getattr(objective, "ema", None)
    specs = tuple(spec) if isinstance(spec, (tuple, list)) else ((spec,) if spec else ())
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"several EMAs need distinct names, got {names}")
    return specs


class Trainer:
    """Runs an objective's schedule on `models` (components by role) with mini-batches from `batches`.

    `batches` yields global batches; in a torchrun job (`dist` from zoo.training.distributed) each
    rank keeps its slice. `ema` overrides the objective's EMASpec(s) (a decay, an EMASpec or several);
    `clip_grad_norm` applies to every group that does not set its own; `micro_batches` overrides the
    objective's gradient accumulation.
    """

    def __init__(self, models: Mapping[str, nn.Module], objective: Objective, batches: Iterator[Mapping[str, Tensor]],
                 device: str | torch.device = "cpu", *, precision: str = "fp32",
                 ema: float | EMASpec | tuple[EMASpec, ...] | None = None, clip_grad_norm: float | None = None,
                 dist: distributed.DistContext | None = None, find_unused_parameters: bool = False,
                 sync_batchnorm: bool = False, micro_batches: int | None = None) -> None:
        self.device = torch.device(device)
        self.dist = dist or distributed.SINGLE
        self.models = {role: m.to(self.device).train() for role, m in models.items()}
        self.objective = objective
        # frozen helpers of the losses (VGG, a judge): on the device, never trained, wrapped or saved
        aux = getattr(objective, "auxiliary", None)
        self.auxiliary = {name: m.to(self.device).eval().requires_grad_(False)
                          for name, m in (aux() if aux else {}).items()}
        self.source = batches  # the stream itself, whose batch size a BatchSizes schedule sets
        self.batches = distributed.ShardedBatches(batches, self.dist) if self.dist.enabled else batches
        self.batch_sizes = getattr(objective, "batch_sizes", None)
        if self.batch_sizes is not None and not hasattr(batches, "batch_size"):
            raise ValueError("the objective schedules the batch size, but the batch stream has no settable "
                             "`batch_size` (use zoo.data.batches.TensorBatches)")
        self.micro_batches = int(micro_batches or getattr(objective, "micro_batches", 1) or 1)
        if self.micro_batches < 1:
            raise ValueError(f"micro_batches must be >= 1, got {self.micro_batches}")
        self.groups = {g.name: g for g in objective.update_groups()}
        self.params: dict[str, list[nn.Parameter]] = {}
        for name, group in self.groups.items():
            self.params[name] = group_parameters(self.models, group.roles, name)
            if not self.params[name]:
                raise UpdateGroupError(f"update group {name!r} has no trainable parameters (roles {group.roles})")
        self.wrapped = self._wrap_for_ddp(find_unused_parameters, sync_batchnorm) if self.dist.enabled else {}
        self.optimizers = {name: g.optimizer.build(self.params[name]) for name, g in self.groups.items()}
        self.precision = Precision(precision, self.device)
        self.scalers = {name: self.precision.make_scaler() for name in self.groups}
        self.clip = {name: g.clip_grad_norm if g.clip_grad_norm is not None else clip_grad_norm
                     for name, g in self.groups.items()}
        self.ema_specs = _ema_specs(ema, objective)
        for spec in self.ema_specs:
            if spec.role not in self.models:
                raise ValueError(f"EMA of {spec.role!r} asked for, but the components are {sorted(self.models)}")
        self.emas = {s.name: EMA(self.models[s.role], s.decay if s.kimg is None else None, s.start_step)
                     for s in self.ema_specs}
        first = self.ema_specs[0] if self.ema_specs else None
        self.ema = self.emas[first.name] if first else None  # the one used for sampling
        self.ema_role = first.role if first else None
        self.step = 0
        self.images_seen = 0  # examples of all steps so far (global), for StyleGAN's EMA ramp-up
        self.clock = RunClock()  # seconds in fit, continued across resumes via the checkpoint

    def _wrap_for_ddp(self, find_unused: bool, sync_bn: bool) -> dict[str, nn.Module]:
        partial = sorted({r for g in self.groups.values() for r in g.roles if "." in r})
        if partial:  # DDP waits for every parameter of a wrapped component; a sub-module group leaves some out
            raise UpdateGroupError(f"update groups over sub-modules ({', '.join(partial)}) are not supported "
                                   f"in a distributed run yet; train the whole component or use one process")
        trained = {r for g in self.groups.values() for r in g.roles}
        wrapped = {}
        for role in sorted(trained):
            wrapped[role] = distributed.wrap(self.models[role], self.dist, self.device,
                                             find_unused_parameters=find_unused, sync_batchnorm=sync_bn)
            self.models[role] = wrapped[role].module  # SyncBatchNorm conversion may replace layers
        for name, group in self.groups.items():  # re-collect: the same Parameters, in case of conversion
            self.params[name] = group_parameters(self.models, group.roles, name)
        return wrapped

    def _phase_models(self, groups: tuple[str, ...]) -> Mapping[str, nn.Module]:
        """DDP wrappers for the components the phase updates, bare modules for the others (their
        parameters get no gradient in this phase, so DDP must not wait for one)."""
        if not self.wrapped:
            return self.models
        updated = {r for g in groups for r in self.groups[g].roles}
        return {r: self.wrapped[r] if r in updated else m for r, m in self.models.items()}

    # -- one step ---------------------------------------------------------------------------------
    def _begin_step(self) -> None:
        """The step's declared rules: optimizer resets, learning rates, the batch size to draw."""
        for name, group in self.groups.items():
            optimizer = self.optimizers[name]
            if self.step in group.reset_optimizer_at:
                optimizer.state.clear()  # Adam's moments start afresh (ProGAN, at each new phase)
            factor = group.lr_schedule.multiplier(self.step)
            for param_group in optimizer.param_groups:  # the spec's lr, kept in the optimizer's own state
                param_group["lr"] = param_group.setdefault("base_lr", param_group["lr"]) * factor
        if self.batch_sizes is not None:
            self.source.batch_size = self.batch_sizes.at(self.step)

    def train_step(self) -> dict[str, float]:
        """One step of the objective's schedule; returns the logged scalars (last repeat of each phase)."""
        logs: dict[str, float] = {}
        begin = getattr(self.objective, "begin_step", None)
        if begin is not None:
            begin(self.step, self.models)
        self._begin_step()
        batch, batch_size = None, 0
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
                    batch_size = batch_size or self._global_size(batch)
                logs.update(self._run_phase(phase.name, phase.groups, batch, models, interval))
        for spec in self.ema_specs:
            decay = spec.decay_at(self.images_seen, batch_size)
            self.emas[spec.name].update(self.models[spec.role], self.step + 1, decay)
        self.step += 1
        self.images_seen += batch_size
        return logs

    def _global_size(self, batch: Mapping[str, Any]) -> int:
        sizes = [len(v) for v in batch.values() if isinstance(v, Tensor) and v.dim() > 0]
        return sizes[0] * self.dist.world_size if sizes else 0

    def _run_phase(self, name: str, groups: tuple[str, ...], batch: Mapping[str, Any],
                   models: Mapping[str, nn.Module], scale: int) -> dict[str, float]:
        """One phase: the losses of each micro-batch back-propagated (summed), then one step per group."""
        parts = split_batch(batch, self.micro_batches) if self.micro_batches > 1 else [(batch, 1.0)]
        for g in groups:
            for p in self.params[g]:
                p.grad = None
        reached: dict[str, set[int]] = {g: set() for g in groups}
        logs: dict[str, float] = {}
        for i, (micro, share) in enumerate(parts):
            with contextlib.ExitStack() as stack:
                if i < len(parts) - 1:  # DDP averages across ranks only on the last micro-batch
                    for r in {r for g in groups for r in self.groups[g].roles if r in self.wrapped}:
                        stack.enter_context(self.wrapped[r].no_sync())
                with self.precision.autocast():
                    out = self.objective.losses(name, micro, models)
                self._backward(groups, out, scale * share, reached)
            for k, v in out.logs.items():
                logs[k] = logs.get(k, 0.0) + float(v) * share if len(parts) > 1 else float(v)
        return {**self._step_groups(groups, reached), **logs}

    def _apply(self, groups: tuple[str, ...], out: PhaseLosses, scale: float = 1) -> dict[str, float]:
        """Back-propagate one forward pass's losses (×`scale`) and step its groups."""
        for g in groups:
            for p in self.params[g]:
                p.grad = None
        reached: dict[str, set[int]] = {g: set() for g in groups}
        self._backward(groups, out, scale, reached)
        return self._step_groups(groups, reached)

    def _backward(self, groups: tuple[str, ...], out: PhaseLosses, factor: float, reached: dict[str, set[int]]) -> None:
        missing = [g for g in groups if g not in out.updates]
        if missing:
            raise ValueError(f"the objective returned no loss for update group(s) {missing}")
        for i, g in enumerate(groups):
            loss = out.updates[g].float()
            if not torch.isfinite(loss):
                raise FloatingPointError(f"step {self.step}: the {g!r} loss is {loss.item()}")
            if factor != 1:  # lazy regularisation (×interval) and a micro-batch's share of the batch
                loss = loss * factor
            if self.wrapped:  # DDP waits for a gradient of every parameter, even one the loss misses,
                reached[g] |= reached_parameters(loss, self.params[g])  # so note first which it reaches
                loss = loss + 0.0 * sum(p.reshape(-1)[0].float() for p in self.params[g])
            scaler = self.scalers[g]
            (scaler.scale(loss) if scaler else loss).backward(inputs=self.params[g],
                                                              retain_graph=i < len(groups) - 1)

    def _step_groups(self, groups: tuple[str, ...], reached: dict[str, set[int]]) -> dict[str, float]:
        if self.wrapped:  # a parameter reached on any rank steps on all of them
            flags = distributed.any_rank_each([id(p) in reached[g] for g in groups for p in self.params[g]],
                                              self.dist)
            it = iter(flags)
            for g in groups:
                for p in self.params[g]:
                    if not next(it):
                        p.grad = None
        norms = {}
        for g in groups:
            # A parameter without a gradient (no loss of this phase reached it: R1 misses D's last bias,
            # a frozen or faded-out layer) is left out of the step: its value and optimizer state stay.
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
            "emas": {name: e.state_dict() for name, e in self.emas.items()},
            "images_seen": self.images_seen,
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
        saved_emas = dict(state.get("emas") or {})
        if not saved_emas and state.get("ema") is not None and self.ema is not None:  # an older checkpoint
            saved_emas[self.ema_specs[0].name] = state["ema"]
        for spec in self.ema_specs:
            if spec.name in saved_emas:
                self.emas[spec.name].load_state_dict(saved_emas[spec.name])
            else:
                log.warning("the checkpoint has no EMA %r; starting the average from the current weights", spec.name)
                self.emas[spec.name].module.load_state_dict(self.models[spec.role].state_dict())
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
        self.images_seen = int(state.get("images_seen", 0))
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
