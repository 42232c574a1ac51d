"""`zoo train` end to end: build an architecture, its objective and its dataset, run the Trainer, and
save the result in the Hub layout with a model card that records the recipe.

What a newcomer meets is handled here: the architecture's channels and resolution are fitted to the
dataset when the user has not set them (zoo.data.shapes); --out is checked before anything is built
or written (zoo.training.run_folder); checkpoints are written by default; a start that fails before
its first step leaves no file behind.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Mapping

import torch

from zoo.training import distributed
from zoo.training.checkpoint import check_finite, load_latest, remove_stale_temp_files
from zoo.training.run_folder import CHECKPOINTS, LOG, NewEntries, check_out_folder, clear_earlier_run
from zoo.training.trainer import Trainer

log = logging.getLogger(__name__)
# checkpoints every this many steps (and at the end) unless told otherwise: a few seconds' writing
# per thousand steps for the models here, and at most that many steps lost to a crash
DEFAULT_CHECKPOINT_EVERY = 1000


# config keys that also choose the data: the sample shape, and the text encoder and held-out caption
# combinations of text-to-image models (zoo.data.captions); a dataset takes those it accepts
DATA_OPTIONS = ("resolution", "channels", "text_encoder", "combinations")


def train_architecture(architecture: str, *, dataset: str = "digits", steps: int, out: str | Path,
                       config: Mapping[str, Any] | None = None, batch_size: int = 64, seed: int = 0,
                       device: str = "cpu", log_every: int = 50, progress: bool | None = None,
                       recipe: str = "", precision: str = "fp32", ema: float | None = None,
                       clip_grad_norm: float | None = None, resume: bool = False, overwrite: bool = False,
                       checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY, sample_every: int = 0,
                       tensorboard: bool = False, data_root: str | None = None,
                       evaluate: Callable[[Any], Mapping[str, float]] | None = None,
                       notify: Callable[[str], None] | None = None, init: str | None = None,
                       data_size: int | None = None) -> Path:
    """Train `architecture` on a registered dataset for `steps` steps in all and save the Hub layout to
    `out` (config.json, one safetensors per component, `ema` included, a model card with the recipe).

    `data_root` is the folder of a dataset that reads files (`folder`: your own images or voxels).
    `data_size` is how many training items a dataset that draws them (crops, procedural sets) draws;
    default: the dataset's own number; a dataset of fixed size refuses it.
    `out` also receives log.jsonl, samples/ and checkpoints/ (every `checkpoint_every` steps, 0: only
    at the end). An `out` holding another run is refused unless `resume` (continue from its newest
    intact checkpoint; an error if it has none) or `overwrite` (replace it). `channels`/`resolution`
    not in `config` are taken from the dataset where the architecture's defaults do not fit it, and
    `notify` (default: the log) is told so. Under torchrun every rank runs this; rank 0 writes.
    `evaluate` measures the trained model (e.g. the digits judge's scores) for the model card. `init`
    names a weight set (anything `zoo.load` takes) whose matching components the run starts from.
    """
    from zoo import api, build, registry
    from zoo.data import build_dataset
    from zoo.data.batches import TensorBatches
    from zoo.data.shapes import dataset_sample_shape, fit_config
    from zoo.hub import save_pretrained

    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    if data_size is not None and data_size < 1:
        raise ValueError(f"the data size must be >= 1, got {data_size}")
    if checkpoint_every < 0:
        raise ValueError(f"checkpoint_every must be >= 0 (0: only at the end), got {checkpoint_every}")
    notify = notify or log.info
    out = Path(out)
    checkpoints = out / CHECKPOINTS
    earlier = check_out_folder(out, resume=resume, overwrite=overwrite)  # before building anything
    ctx, dev = distributed.init_from_env(device)
    cat = registry.catalog()
    arch = cat.architecture(architecture)
    user = dict(config or {})
    shape = dataset_sample_shape(dataset)
    fitted = fit_config(dataset, shape, arch.default_config, user) if shape is not None else {}
    if fitted and ctx.is_main:
        notify(f"{architecture} on {dataset}: "
               + ", ".join(f"{k}={v} (not {arch.default_config[k]})" for k, v in fitted.items())
               + " to fit the dataset; recorded in config.json (choose with --config)")
    torch.manual_seed(seed)
    model = api.create(architecture, config={**user, **fitted})
    data_options = {k: model.config[k] for k in DATA_OPTIONS if k in model.config}
    data = build_dataset(dataset, {**data_options, "split": "train"},
                         **({"root": data_root} if data_root is not None else {}),
                         **({"size": data_size} if data_size is not None else {}))
    batches = TensorBatches(data.tensors(), batch_size=batch_size, seed=seed)
    objective = build.build_objective(model.architecture, model.config, cat)
    init_report = []
    if init:  # before the trainer, so that DDP broadcasts and the EMA copies the loaded weights
        from zoo.training.warm_start import init_from

        init_report = init_from(model.components, init, getattr(objective, "partial_init", ()))
        if ctx.is_main:
            for line in init_report:
                notify(f"init: {line}")
    if ctx.enabled:  # ranks draw different noise from here on (the weights are broadcast by DDP)
        torch.manual_seed(seed + ctx.rank)
    trainer = Trainer(dict(model.components), objective, batches, device=dev, precision=precision, ema=ema,
                      clip_grad_norm=clip_grad_norm, dist=ctx)
    if resume:
        skipped: list[str] = []
        state, path = load_latest(checkpoints, skipped)  # checked above that there is a checkpoint
        trainer.load_state_dict(state)
        if skipped and ctx.is_main:
            notify(f"not resuming from {'; '.join(skipped)}; resuming from {path} (step {trainer.step}) instead")
    # nothing was written before this line: a failed start takes away what it adds from here on
    added = NewEntries(out)
    if ctx.is_main:
        if earlier and overwrite:
            clear_earlier_run(out)
            notify(f"--overwrite: replacing the run in {out}")
        out.mkdir(parents=True, exist_ok=True)
        if checkpoints.is_dir():
            remove_stale_temp_files(checkpoints)
    first_step = trainer.step
    logs = {}
    try:
        if trainer.step < steps:
            logs = trainer.fit(steps - trainer.step, log_file=out / LOG, log_every=log_every,
                               progress=progress, checkpoint_dir=checkpoints, checkpoint_every=checkpoint_every,
                               sample_dir=out / "samples", sample_every=sample_every,
                               tensorboard_dir=out / "tensorboard" if tensorboard else None)
    except BaseException:
        if trainer.step == first_step and ctx.is_main:  # failed before its first step: leave no trace
            added.remove()
        raise
    if ctx.is_main:
        model.eval().cpu()
        if trainer.ema is not None:
            model.components["ema"] = trainer.ema.module.cpu()
        check_finite({r: m.state_dict() for r, m in model.components.items()},
                     f"not saving the trained model to {out}")
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
                             # all segments of a resumed run: the checkpoint carries the earlier ones
                             "wall-clock seconds": round(trainer.clock.seconds(), 1),
                             "final losses": {k: round(v, 4) for k, v in logs.items()}}}
        card["training"] = {k: v for k, v in card["training"].items() if v is not None}
        save_pretrained(model, out, card=card)
    distributed.barrier(ctx)
    return out
