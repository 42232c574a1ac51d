"""One generic trainer driven by an Objective.

The trainer knows nothing of any paper: the objective names its update groups (which components'
parameters each loss updates, with which optimizer) and its phases (which groups one forward pass
updates, repeated how many times). Each group's loss is back-propagated into that group's parameters
only (`backward(inputs=...)`), so e.g. VAE-GAN's discriminator never receives L_llike gradients,
and all of a phase's gradients are taken before any of its optimizers steps.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import torch
from torch import Tensor, nn

from zoo.interfaces import Objective, PhaseLosses


def _to_device(batch: Mapping[str, Tensor], device: torch.device) -> dict[str, Tensor]:
    return {k: v.to(device, non_blocking=True) if isinstance(v, Tensor) else v for k, v in batch.items()}


class Trainer:
    def __init__(self, models: Mapping[str, nn.Module], objective: Objective, batches: Iterator[Mapping[str, Tensor]],
                 device: str | torch.device = "cpu") -> None:
        self.device = torch.device(device)
        self.models = {role: m.to(self.device).train() for role, m in models.items()}
        self.objective, self.batches = objective, batches
        self.groups = {g.name: g for g in objective.update_groups()}
        self.params: dict[str, list[nn.Parameter]] = {}
        for name, group in self.groups.items():
            missing = [r for r in group.roles if r not in self.models]
            if missing:
                raise ValueError(f"update group {name!r} needs components {missing}; have {sorted(self.models)}")
            self.params[name] = [p for r in group.roles for p in self.models[r].parameters() if p.requires_grad]
        self.optimizers = {name: g.optimizer.build(self.params[name]) for name, g in self.groups.items()}
        self.step = 0

    def train_step(self) -> dict[str, float]:
        """One step of the objective's schedule; returns the logged scalars (last repeat of each phase)."""
        logs: dict[str, float] = {}
        for phase in self.objective.schedule(self.step):
            for _ in range(phase.repeats):
                batch = _to_device(next(self.batches), self.device)
                out = self.objective.losses(phase.name, batch, self.models)
                self._apply(phase.groups, out)
                logs.update({k: float(v) for k, v in out.logs.items()})
        self.step += 1
        return logs

    def _apply(self, groups: tuple[str, ...], out: PhaseLosses) -> None:
        missing = [g for g in groups if g not in out.updates]
        if missing:
            raise ValueError(f"the objective returned no loss for update group(s) {missing}")
        for g in groups:
            for p in self.params[g]:
                p.grad = None
        for i, g in enumerate(groups):
            loss = out.updates[g]
            if not torch.isfinite(loss):
                raise FloatingPointError(f"step {self.step}: the {g!r} loss is {loss.item()}")
            loss.backward(inputs=self.params[g], retain_graph=i < len(groups) - 1)
        for g in groups:
            self.optimizers[g].step()

    def fit(self, steps: int, *, log_file: Path | None = None, log_every: int = 50,
            callback: Callable[[int, dict[str, float]], Any] | None = None, progress: bool = True) -> dict[str, float]:
        """Run `steps` steps with a progress bar and a JSON-lines log; returns the last logs."""
        from tqdm import tqdm

        logs: dict[str, float] = {}
        started = time.perf_counter()
        log = open(log_file, "a") if log_file else None
        try:
            bar = tqdm(range(steps), disable=not progress, desc="train", dynamic_ncols=True)
            for _ in bar:
                logs = self.train_step()
                if self.step % log_every == 0 or self.step == steps:
                    bar.set_postfix({k: f"{v:.3f}" for k, v in logs.items()})
                    if log:
                        record = {"step": self.step, "time": round(time.perf_counter() - started, 3), **logs}
                        log.write(json.dumps(record) + "\n")
                        log.flush()
                if callback:
                    callback(self.step, logs)
        finally:
            if log:
                log.close()
        return logs


def train_architecture(architecture: str, *, dataset: str = "digits", steps: int, out: str | Path,
                       config: Mapping[str, Any] | None = None, batch_size: int = 64, seed: int = 0,
                       device: str = "cpu", log_every: int = 50, progress: bool = True,
                       recipe: str = "") -> Path:
    """Train `architecture` on a registered dataset and save the Hub layout to `out`."""
    from zoo import api, build, registry
    from zoo.hub import save_pretrained
    from zoo.records import import_object

    torch.manual_seed(seed)
    model = api.create(architecture, config=config)
    cat = registry.catalog()
    data_cls = import_object(cat.get("dataset", dataset).builder)
    data = data_cls(resolution=model.config["resolution"], split="train")
    from zoo.data.batches import TensorBatches

    batches = TensorBatches(data.tensors(), batch_size=batch_size, seed=seed)
    objective = build.build_objective(model.architecture, model.config, cat)
    trainer = Trainer(dict(model.components), objective, batches, device=device)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    logs = trainer.fit(steps, log_file=out / "log.jsonl", log_every=log_every, progress=progress)
    seconds = time.perf_counter() - started
    model.eval().cpu()
    card = {"dataset": dataset, "recipe": recipe, "name": f"{architecture} trained on {dataset}",
            "training": {"steps": steps, "batch size": batch_size, "seed": seed, "device": device,
                         "wall-clock seconds": round(seconds, 1),
                         "final losses": {k: round(v, 4) for k, v in logs.items()}}}
    save_pretrained(model, out, card=card)
    return out
