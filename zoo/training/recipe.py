"""`zoo train` end to end: build an architecture, its objective and its dataset, run the Trainer, and
save the result in the Hub layout with a model card that records the recipe."""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any, Callable, Mapping

import torch

from zoo.training import distributed
from zoo.training.trainer import Trainer

log = logging.getLogger(__name__)


def train_architecture(architecture: str, *, dataset: str = "digits", steps: int, out: str | Path,
                       config: Mapping[str, Any] | None = None, batch_size: int = 64, seed: int = 0,
                       device: str = "cpu", log_every: int = 50, progress: bool | None = None,
                       recipe: str = "", precision: str = "fp32", ema: float | None = None,
                       clip_grad_norm: float | None = None, resume: bool = False, checkpoint_every: int = 0,
                       sample_every: int = 0, tensorboard: bool = False, data_root: str | None = None,
                       evaluate: Callable[[Any], Mapping[str, float]] | None = None,
                       init: str | None = None) -> Path:
    """Train `architecture` on a registered dataset for `steps` steps in all and save the Hub layout to
    `out` (config.json, one safetensors per component, `ema` included, a model card with the recipe).

    `data_root` is the folder of a dataset that reads files (`folder`: your own images or voxels).
    `out` also receives log.jsonl, samples/ and, with `checkpoint_every`, checkpoints/ (which
    `resume=True` continues from). Under torchrun every rank runs this; rank 0 writes. `evaluate`
    measures the trained model (e.g. the digits judge's scores) for the model card. `init` names a
    weight set (anything `zoo.load` takes) whose matching components the run starts from.
    """
    from zoo import api, build, registry
    from zoo.data import build_dataset
    from zoo.data.batches import TensorBatches
    from zoo.hub import save_pretrained

    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    ctx, dev = distributed.init_from_env(device)
    out = Path(out)
    checkpoints = out / "checkpoints"
    if not resume and (checkpoints / "last.pt").exists():
        raise FileExistsError(f"{out} holds a checkpoint of an earlier run: pass --resume to continue it, "
                              f"or choose another --out")
    torch.manual_seed(seed)
    model = api.create(architecture, config=config)
    cat = registry.catalog()
    data = build_dataset(dataset, {"resolution": model.config.get("resolution"), "split": "train"},
                         **({"root": data_root} if data_root is not None else {}))
    batches = TensorBatches(data.tensors(), batch_size=batch_size, seed=seed)
    objective = build.build_objective(model.architecture, model.config, cat)
    init_report = []
    if init:  # before the trainer, so that DDP broadcasts and the EMA copies the loaded weights
        from zoo.training.warm_start import init_from

        init_report = init_from(model.components, init, getattr(objective, "partial_init", ()))
        if ctx.is_main:
            for line in init_report:
                print(f"init: {line}", file=sys.stderr)
    if ctx.enabled:  # ranks draw different noise from here on (the weights are broadcast by DDP)
        torch.manual_seed(seed + ctx.rank)
    trainer = Trainer(dict(model.components), objective, batches, device=dev, precision=precision, ema=ema,
                      clip_grad_norm=clip_grad_norm, dist=ctx)
    if resume and not trainer.resume(checkpoints) and ctx.is_main:
        log.warning("no checkpoint in %s; starting from scratch", checkpoints)
    if ctx.is_main:
        out.mkdir(parents=True, exist_ok=True)
    started, first_step = time.perf_counter(), trainer.step
    logs = {}
    if trainer.step < steps:
        logs = trainer.fit(steps - trainer.step, log_file=out / "log.jsonl", log_every=log_every,
                           progress=progress, checkpoint_dir=checkpoints if checkpoint_every else None,
                           checkpoint_every=checkpoint_every, sample_dir=out / "samples",
                           sample_every=sample_every, tensorboard_dir=out / "tensorboard" if tensorboard else None)
    seconds = time.perf_counter() - started
    if ctx.is_main:
        model.eval().cpu()
        if trainer.ema is not None:
            model.components["ema"] = trainer.ema.module.cpu()
        metrics = dict(evaluate(model)) if evaluate else {}
        card = {"dataset": dataset, "recipe": recipe, "name": f"{architecture} trained on {dataset}",
                "metrics": metrics,
                "training": {"data": f"{dataset}, train split, {batches.n} examples"
                                     + (f", {model.config['resolution']} px" if "resolution" in model.config else ""),
                             "steps": steps, "batch size": batch_size, "seed": seed, "device": str(dev),
                             "processes": ctx.world_size, "precision": precision,
                             "ema decay": trainer.ema.decay if trainer.ema else None,
                             "resumed from step": first_step or None,
                             "initialised from": init or None,
                             "initialisation": "; ".join(init_report) or None,
                             "wall-clock seconds": round(seconds, 1),
                             "final losses": {k: round(v, 4) for k, v in logs.items()}}}
        card["training"] = {k: v for k, v in card["training"].items() if v is not None}
        save_pretrained(model, out, card=card)
    distributed.barrier(ctx)
    return out
