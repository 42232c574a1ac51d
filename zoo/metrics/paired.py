"""Paired metrics (PSNR, SSIM) of an image-to-image model against a paired dataset.

A super-resolution model upscales each low-resolution image of `photos-sr`, an inpainting model fills the
holes of `photos-inpaint` / `digits-inpaint`, a translation model translates; each output is compared
with its target, and the metric is the mean over the images (as SR papers report it). Which task a
model does follows from its generator's condition kind; a model that generates from noise has no
pairs to compare and is refused with one line.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

from zoo.errors import ZooError

if TYPE_CHECKING:
    import torch

PAIRED_METRICS = ("psnr", "ssim")
# generator condition kind -> (task method, the dataset keys it takes, the key of the target)
PAIRED_TASKS = {
    "low_res_image": ("upscale", ("low_res",), "image"),
    "masked_image": ("inpaint", ("masked", "mask"), "image"),
    "image": ("translate", ("source",), "image"),
}


def paired_task(model) -> tuple[str, tuple[str, ...], str]:
    """(task method, input keys, target key) of an image-to-image model; a ZooError for any other."""
    kind = model.sampler.condition.kind
    if kind not in PAIRED_TASKS:
        raise ZooError(f"psnr and ssim compare an image-to-image model's outputs with targets; {model.name} "
                       f"generates from {'noise' if kind == 'none' else 'a ' + kind + ' condition'} "
                       "(use fid, is, kid or pr for it)")
    task, inputs, target = PAIRED_TASKS[kind]
    if not hasattr(model, task):
        raise ZooError(f"{model.name} takes a {kind} condition but has no {task!r} task")
    return task, inputs, target


def evaluate_paired(model, metrics: Sequence[str], pairs: Mapping[str, "torch.Tensor"], *, n: int | None = None,
                    batch_size: int = 16, crop_border: int = 0) -> dict[str, dict[str, Any]]:
    """{metric: {metric: mean, "images": count}} of `model`'s outputs on `pairs` (a dataset's tensors)."""
    import torch

    from zoo.metrics import psnr_ssim

    task, inputs, target = paired_task(model)
    missing = [k for k in (*inputs, target) if k not in pairs]
    if missing:
        raise ZooError(f"{model.name} ({task}) needs pairs with {', '.join((*inputs, target))}; "
                       f"the reference data has {', '.join(sorted(pairs))}")
    total = len(pairs[target]) if n is None else min(n, len(pairs[target]))
    if total < 1:
        raise ZooError("no image pairs to compare")
    run = getattr(model, task)
    value_range = tuple(model.sampler.output.value_range)
    scores: dict[str, list] = {m: [] for m in metrics}
    for start in range(0, total, batch_size):
        stop = min(start + batch_size, total)
        args = [pairs[k][start:stop] for k in inputs]
        if task == "upscale":  # the data's [-1, 1] low-res images into the generator's input range
            from zoo.images import to_range
            from zoo.tasks.checks import input_range

            args = [to_range(a, (-1.0, 1.0), input_range(model.sampler)) for a in args]
        out = run(*args).cpu().float()
        ref = pairs[target][start:stop].float()
        for m in metrics:
            fn = psnr_ssim.psnr if m == "psnr" else psnr_ssim.ssim
            # the dataset's targets are in [-1, 1]; the model's outputs in its own range
            out_unit = (out - value_range[0]) / (value_range[1] - value_range[0]) * 2 - 1
            scores[m].append(fn(out_unit, ref, crop_border=crop_border))
    return {m: {m: round(psnr_ssim.mean_finite(torch.cat(v)), 6), "images": total} for m, v in scores.items()}
