"""What one benchmark row runs: a task of a model at a batch size, dtype and device, as a callable.

Inputs are made once, outside the timed region, on the device (pure model throughput: no host-to-
device copies, no sampling). The tasks:

- generate: the sampling generator's forward on a latent from its prior (and random class labels or
  random condition tensors of the declared shape), in inference mode;
- encode: the encoder's forward on random images of its input shape;
- reconstruct: encode, then decode the code (the posterior mean) with the generator;
- train-step: one `zoo.training.trainer.Trainer.train_step()` of the architecture's own objective on a random
  batch of the right shape ({"image"} in [-1, 1], plus the label keys of a conditional generator: random_labels), so it
  includes every phase of the schedule (e.g. k discriminator updates then one generator update).

Precision: for inference tasks the weights and inputs are cast to the dtype; train-step keeps fp32
weights and uses the trainer's mixed precision (autocast; a gradient scaler for fp16, CUDA only).
"""
from __future__ import annotations

import contextlib
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

TASKS = ("generate", "encode", "reconstruct", "train-step")
# an upscaler's spec leaves its image size free ("H", "W"): generate rows feed it 128×128 inputs (a ×4
# model then gives 512×512), train-step rows the config's training crop (`resolution`)
FREE_INPUT_SIZE = 128


def concrete(shape, size: int) -> tuple[int, ...]:
    """A spec shape with its free sizes ("H", "W") set to `size`."""
    return tuple(d if isinstance(d, int) else size for d in shape)


class UnsupportedError(Exception):
    """The row cannot be measured as asked (the task, a flag or the device does not allow it)."""


@dataclass
class Workload:
    eager: Callable[[], Any]  # one call of the task, never compiled or captured (FLOPs are counted on it)
    params: int  # parameters of the components the task runs
    precision: str  # "weights" (cast) or "autocast"
    modules: list = field(default_factory=list)  # what --compile compiles (in place)
    cuda_graphs: bool = False

    def runner(self, compile_mode: str | None = None) -> Callable[[], Any]:
        """The callable to time: the modules compiled in place and/or the call captured in a CUDA graph.

        Call it only after counting FLOPs on `eager`: compiled kernels bypass the FLOP counter.
        """
        if compile_mode:
            for m in self.modules:
                m.compile(mode=None if compile_mode == "default" else compile_mode)
        return _graph_capture(self.eager) if self.cuda_graphs else self.eager


def supported_tasks(arch) -> list[str]:
    """The benchmark tasks an architecture record allows."""
    tasks = []
    if "generator" in arch.components:
        tasks.append("generate")
    if "encoder" in arch.components:
        tasks.append("encode")
        if "generator" in arch.components and "reconstruct" in arch.tasks:
            tasks.append("reconstruct")
    if arch.objective:
        tasks.append("train-step")
    return tasks


def unsupported_reason(arch, task: str) -> str:
    """Why `arch` has no `task` row (for the line `zoo bench` prints instead of leaving it out silently)."""
    if task in ("encode", "reconstruct") and "encoder" not in arch.components:
        return "no encoder"
    if task == "reconstruct" and "reconstruct" not in arch.tasks:
        return "its tasks do not include reconstruct"
    if task == "generate" and "generator" not in arch.components:
        return "no generator"
    if task == "train-step" and not arch.objective:
        return "no objective to train with"
    return f"{task} is not a benchmark task of it"


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def random_labels(spec, n: int, device, generator) -> dict:
    """The label keys a data batch carries for a conditional generator, as zoo.data's datasets name them:
    "label" (class indices) for a class condition; for an attributes condition, "attributes" (and
    "label" when the condition vector starts with a one-hot class, as IcGAN's [class, attributes]);
    "label_map" and its one-hot "segmentation" for a label map (`layouts`); the condition's own name
    for other vectors ("text_embedding")."""
    import torch

    if spec.kind == "class":
        return {"label": torch.randint(spec.num_classes, (n,), generator=generator).to(device)}
    if spec.kind == "segmentation":  # a label map, as "label_map" indices and as its one-hot "segmentation"
        channels, *size = concrete(spec.shape, FREE_INPUT_SIZE)
        label_map = torch.randint(channels, (n, *size), generator=generator)
        one_hot = torch.nn.functional.one_hot(label_map, channels).movedim(-1, 1).float()
        return {"label_map": label_map.to(device), "segmentation": one_hot.to(device)}
    if spec.kind not in ("attributes", "image", "none") and spec.shape:  # e.g. "text_embedding": a vector
        return {spec.kind: torch.randn((n, *concrete(spec.shape, FREE_INPUT_SIZE)), generator=generator).to(device)}
    if spec.kind != "attributes":
        return {}
    classes = spec.num_classes or 0
    out = {"attributes": torch.randn((n, spec.shape[0] - classes), generator=generator).to(device)}
    if classes:
        out["label"] = torch.randint(classes, (n,), generator=generator).to(device)
    return out


def random_condition(spec, n: int, device, dtype, generator):
    import torch

    if spec.kind == "none":
        return None
    if spec.kind == "class":
        return torch.randint(spec.num_classes, (n,), generator=generator).to(device)
    return torch.randn((n, *concrete(spec.shape or (), FREE_INPUT_SIZE)), generator=generator).to(device=device,
                                                                                                   dtype=dtype)


def random_images(spec, n: int, device, dtype, generator, channels_last: bool = False, free_size: int = 64):
    import torch

    low, high = spec.value_range
    x = torch.rand((n, *concrete(spec.shape, free_size)), generator=generator) * (high - low) + low
    x = x.to(device=device, dtype=dtype)
    return x.contiguous(memory_format=torch.channels_last) if channels_last and x.dim() == 4 else x


def build_workload(model, task: str, batch_size: int, *, dtype: str = "fp32", device: str = "cpu",
                   channels_last: bool = False, cuda_graphs: bool = False, seed: int = 0) -> Workload:
    """Prepare `model` (moved, cast) and the inputs of one benchmark row; compile with Workload.runner."""
    import torch

    from zoo.bench.devices import torch_dtype

    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    if batch_size < 1:
        raise ValueError(f"batch size must be >= 1, got {batch_size}")
    if cuda_graphs and not device.startswith("cuda"):
        raise UnsupportedError(f"--cuda-graphs needs a CUDA device; this row runs on {device!r}")
    if cuda_graphs and task == "train-step":
        raise UnsupportedError("--cuda-graphs is not supported for train-step: the trainer's per-phase Python "
                               "control flow, logging and optimizer steps are not captured")
    dt = torch_dtype(dtype)
    gen = torch.Generator().manual_seed(seed)
    model = model.to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    if task == "train-step":
        return _train_step(model, batch_size, dt, device, channels_last, gen)

    model = model.eval().to(dt)
    comps = model.components
    needs = {"generate": ("generator",), "encode": ("encoder",), "reconstruct": ("encoder", "generator")}[task]
    missing = [r for r in needs if r not in comps]
    if missing:
        raise UnsupportedError(f"{model.name} has no {' or '.join(missing)}: task {task!r} does not apply")
    generator = model.sampler if "generator" in needs else None
    encoder = comps["encoder"] if "encoder" in needs else None
    if task == "generate":
        z = generator.sample_latent(batch_size, generator=gen, device="cpu")
        z = z.to(device=device, dtype=dt) if z is not None else None
        c = random_condition(generator.condition, batch_size, device, dt, gen)
        if z is None and c is None:
            raise UnsupportedError(f"{model.name}: the generator takes neither a latent nor a condition")

        def call():
            return generator(z, c)
        params = _count(generator)
    else:
        x = random_images(encoder.input, batch_size, device, dt, gen, channels_last)
        c = random_condition(encoder.condition, batch_size, device, dt, gen)
        if task == "encode":
            def call():
                return encoder(x, c)
            params = _count(encoder)
        else:
            from zoo.interfaces import Posterior

            def call():
                code = encoder(x, c)
                return generator(code.mean if isinstance(code, Posterior) else code, c)
            params = _count(encoder) + _count(generator)

    def eager():
        with torch.inference_mode():
            return call()

    return Workload(eager=eager, params=params, precision="weights",
                    modules=[m for m in (generator, encoder) if m is not None], cuda_graphs=cuda_graphs)


class RepeatedBatch:
    """The same batch on every call. `batch_size` can be set, as objectives that schedule the batch size need
    (ProGAN's and StyleGAN's per-resolution sizes), but is ignored: a train-step row times the size it names."""

    def __init__(self, batch, batch_size: int):
        self.batch, self.batch_size = batch, batch_size

    def __iter__(self):
        return self

    def __next__(self):
        return self.batch


def _train_step(model, batch_size, dt, device, channels_last, gen) -> Workload:
    import torch

    from zoo import build, registry
    from zoo.training.trainer import Trainer

    arch = model.architecture
    if not arch.objective:
        raise UnsupportedError(f"{arch.name} declares no objective: train-step does not apply")
    objective = build.build_objective(arch, model.config, registry.catalog())
    comps = model.components
    # real images have the encoder's input shape, else the discriminator's (an AAE's judges latents), else G's output
    # (a 3D-VAE-GAN's encoder reads an "image" view while its discriminator judges "voxels": one key per kind)
    specs = [getattr(comps[r], "input", None) for r in ("encoder", "discriminator") if r in comps]
    specs = [s for s in specs if s is not None and getattr(s, "kind", None) in ("image", "voxels")]
    if not specs:
        specs = [comps["generator"].output]
    batch = {}
    for spec in specs:
        batch.setdefault(spec.kind if spec.kind == "voxels" else "image",
                         random_images(spec, batch_size, device, torch.float32, gen, channels_last,
                                       free_size=int(model.config.get("resolution", 64))))
    g = comps["generator"] if "generator" in comps else None
    if g is not None:
        batch.update(random_labels(g.condition, batch_size, device, gen))
    batch = objective.example_batch(batch, gen) if hasattr(objective, "example_batch") else batch
    trained = {r: m for r, m in comps.items() if r != "ema"}
    precision = {torch.float32: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[dt]
    if "precision" in inspect.signature(Trainer).parameters:  # the trainer's own mixed precision
        try:
            trainer = Trainer(trained, objective, RepeatedBatch(batch, batch_size), device=device, precision=precision)
        except ValueError as exc:  # e.g. fp16 loss scaling on CPU
            raise UnsupportedError(f"train-step in {precision}: {exc}") from exc
        amp = contextlib.nullcontext()
    else:
        trainer = Trainer(trained, objective, RepeatedBatch(batch, batch_size), device=device)
        amp = torch.autocast(torch.device(device).type, dtype=dt) if precision != "fp32" else contextlib.nullcontext()
    roles = {r for grp in objective.update_groups() for r in grp.roles}
    params = sum(_count(trained[r]) for r in roles if r in trained)

    def eager():
        with amp:
            return trainer.train_step()

    return Workload(eager=eager, params=params, precision="autocast" if precision != "fp32" else "weights",
                    modules=list(trained.values()))


def _graph_capture(fn: Callable[[], Any]) -> Callable[[], Any]:
    """Capture `fn` into a CUDA graph (after warming it up on a side stream, as CUDA graphs require)."""
    import torch

    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        fn()
    return graph.replay
