"""The benchmark harness behind `zoo bench`: throughput, latency, memory and FLOP utilisation per row.

A row is one model × task × batch size × dtype on one device. For each row the harness builds the
model afresh, makes the inputs once, counts the FLOPs of one eager call (zoo.bench.flops), then runs
`warmup` untimed and `iters` timed calls (zoo.bench.timing) while a probe records peak memory
(zoo.bench.memory), and divides the FLOP rate by the device's peak for that dtype (zoo.bench.devices).

It never quietly changes what it measures: an out-of-memory at a batch size becomes a row with
status "oom" and the error, never a retry at a smaller batch; a flag the device or task cannot honour
becomes a row with status "unsupported". `isolate=True` runs each model in a fresh subprocess
(`python -m zoo.bench`), so one model's allocator state, RSS and autotuning do not colour the next.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import gc
import json
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from zoo.bench.workloads import TASKS, UnsupportedError, build_workload, supported_tasks
from zoo.bench.flops import FLOPS_CONVENTION

SCHEMA = "genzoo.bench/1"


@dataclass(frozen=True)
class BenchSettings:
    tasks: tuple[str, ...] = ("generate",)
    batch_sizes: tuple[int, ...] = (1, 16, 64)
    dtypes: tuple[str, ...] = ("fp32",)
    device: str = "cpu"
    warmup: int = 3
    iters: int = 10
    compile_mode: str | None = None  # None: eager; "default", "reduce-overhead", "max-autotune", ...
    channels_last: bool = False
    cuda_graphs: bool = False
    cudnn_benchmark: bool = True  # CUDA only: let warm-up autotune convolution algorithms
    quick: bool = False  # build architectures with their tiny test_config
    config: Mapping[str, Any] = field(default_factory=dict)  # overrides for architectures
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [t for t in self.tasks if t not in TASKS]
        if unknown:
            raise ValueError(f"unknown task(s) {unknown}; expected some of {', '.join(TASKS)}")
        if not self.batch_sizes or min(self.batch_sizes) < 1:
            raise ValueError(f"batch sizes must be positive integers, got {self.batch_sizes}")
        if self.iters < 1 or self.warmup < 0:
            raise ValueError(f"need iters >= 1 and warmup >= 0, got iters={self.iters}, warmup={self.warmup}")
        from zoo.bench.devices import DTYPES

        bad = [d for d in self.dtypes if d not in DTYPES]
        if bad:
            raise ValueError(f"unknown dtype(s) {bad}; expected some of {', '.join(DTYPES)}")


@dataclass
class ModelSpec:
    """A model to benchmark: its name, how to build it afresh, and what it can do."""

    name: str
    architecture: str
    config: str  # "default", "test" (quick mode), "custom" or "weights" (a pretrained set)
    tasks: tuple[str, ...]
    build: Callable[[], Any]


def resolve_models(names: Iterable[str], *, quick: bool = False,
                   config: Mapping[str, Any] | None = None) -> list[ModelSpec]:
    """Architectures (names or glob patterns; all when empty) or pretrained weight sets, as ModelSpecs.

    Architectures are built untrained with their default config (or test_config with `quick`);
    `arch.tag`, `hf-hub:` and `local-dir:` names load weights. Timing does not depend on weights.
    """
    import fnmatch

    from zoo import api, registry
    from zoo.errors import UnknownNameError

    cat = registry.catalog()
    archs = cat.names("architecture")
    specs: list[ModelSpec] = []
    for name in list(names) or ["*"]:
        if "." in name or ":" in name:
            arch_name = cat.weight_set(name).architecture if ":" not in name else None
            arch = cat.architecture(arch_name) if arch_name else None
            specs.append(ModelSpec(name, arch_name or name, "weights",
                                   tuple(supported_tasks(arch)) if arch else TASKS,
                                   build=lambda n=name: api.load(n)))
            continue
        matched = [a for a in archs if fnmatch.fnmatchcase(a, name)]
        if not matched:
            raise UnknownNameError("architecture", name, archs)
        for arch_name in matched:
            arch = cat.architecture(arch_name)
            overrides = {**(dict(arch.test_config) if quick else {}), **dict(config or {})}
            label = "custom" if config else ("test" if quick else "default")
            specs.append(ModelSpec(arch_name, arch_name, label, tuple(supported_tasks(arch)),
                                   build=lambda a=arch_name, o=overrides: api.create(a, config=o)))
    seen, unique = set(), []
    for s in specs:
        if s.name not in seen:
            seen.add(s.name)
            unique.append(s)
    return unique


def default_timer(device: str):
    from zoo.bench.timing import CudaEventTimer, WallTimer

    return CudaEventTimer(device) if device.startswith("cuda") else WallTimer()


def _settle(device: str) -> Callable[[], Any] | None:
    if device.startswith("cuda"):
        import torch

        return lambda: torch.cuda.synchronize(device)
    return None


def _is_oom(exc: BaseException) -> bool:
    import torch

    return isinstance(exc, (torch.OutOfMemoryError, MemoryError)) or "out of memory" in str(exc).lower()


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:400]


def numeric_settings() -> dict[str, Any]:
    import torch

    return {"tf32_matmul": bool(torch.backends.cuda.matmul.allow_tf32),
            "tf32_cudnn": bool(torch.backends.cudnn.allow_tf32),
            "float32_matmul_precision": torch.get_float32_matmul_precision(),
            "cudnn_benchmark": bool(torch.backends.cudnn.benchmark)}


def bench_row(spec: ModelSpec, task: str, batch_size: int, dtype: str, settings: BenchSettings,
              *, timer_factory: Callable[[str], Any] = default_timer, device_name: str = "") -> dict[str, Any]:
    """Measure one row; failures (OOM, unsupported, errors) become rows with a status and the error."""
    import torch

    from zoo.bench.devices import peak_flops
    from zoo.bench.flops import count_flops
    from zoo.bench.memory import MemoryProbe
    from zoo.bench.timing import run_timed, summarize

    row: dict[str, Any] = {
        "model": spec.name, "architecture": spec.architecture, "config": spec.config, "task": task,
        "batch_size": batch_size, "dtype": dtype, "device": settings.device, "device_name": device_name,
        "compile": settings.compile_mode or "", "channels_last": settings.channels_last,
        "cuda_graphs": settings.cuda_graphs, "warmup": settings.warmup, "iters": settings.iters,
        "status": "ok", "error": "", **numeric_settings(),
        "torch": torch.__version__, "cuda": torch.version.cuda or "",
    }
    workload = run = None
    try:
        workload = build_workload(spec.build(), task, batch_size, dtype=dtype, device=settings.device,
                                  channels_last=settings.channels_last, cuda_graphs=settings.cuda_graphs,
                                  seed=settings.seed)
        row.update(params=workload.params, precision=workload.precision)
        probe = MemoryProbe(settings.device)
        probe.begin()
        flops = count_flops(workload.eager)  # eager and uncompiled: compiled kernels escape the counter
        run = workload.runner(settings.compile_mode)
        seconds = run_timed(run, warmup=settings.warmup, iters=settings.iters,
                            timer=timer_factory(settings.device), settle=_settle(settings.device))
        row.update(probe.end())
        stats = summarize(seconds, batch_size)
        row.update(stats)
        per_sample = flops / batch_size
        achieved = per_sample * stats["samples_per_s"]
        peak, source = peak_flops(settings.device, dtype)
        row.update(flops_per_sample=per_sample, achieved_flops_per_s=achieved, peak_flops_per_s=peak,
                   peak_source=source, mfu=achieved / peak if peak else None)
    except UnsupportedError as exc:
        row.update(status="unsupported", error=str(exc))
    except Exception as exc:  # noqa: BLE001 - every failure is reported in its row, never hidden
        row.update(status="oom" if _is_oom(exc) else "error", error=_short(exc))
    finally:
        del workload, run
        gc.collect()
        if settings.device.startswith("cuda") and torch.cuda.is_available():
            torch.cuda.empty_cache()
    return row


def _warm_process() -> None:
    """Import and run the FLOP counter once, so its lazy imports do not count as the first row's memory."""
    import torch

    from zoo.bench.flops import count_flops

    count_flops(lambda: torch.mm(torch.ones(2, 2), torch.ones(2, 2)))


def plan(specs: list[ModelSpec], settings: BenchSettings) -> list[tuple[ModelSpec, str, int, str]]:
    """The rows to measure, in order; tasks a model does not support are left out."""
    return [(spec, task, bs, dt) for spec in specs for task in settings.tasks if task in spec.tasks
            for dt in settings.dtypes for bs in settings.batch_sizes]


def _prepare_device(settings: BenchSettings) -> str:
    import torch

    from zoo.bench.devices import check_device

    check_device(settings.device)
    if settings.device.startswith("cuda"):
        torch.backends.cudnn.benchmark = settings.cudnn_benchmark
        return torch.cuda.get_device_name(torch.device(settings.device))
    from zoo.bench.devices import cpu_name

    return cpu_name()


class _ProgressLines:
    """tqdm's iteration and `set_postfix_str`, printing one plain line per item: off a terminal a
    bar's carriage returns would fill a log file with redrawn bars."""

    def __init__(self, items, desc: str, stream) -> None:
        self.items, self.desc, self.stream = list(items), desc, stream
        self.n = 0

    def __iter__(self):
        for item in self.items:
            self.n += 1
            yield item

    def set_postfix_str(self, text: str) -> None:
        self.stream.write(f"{self.desc} {self.n}/{len(self.items)}: {text}\n")
        self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def _progress(items, desc: str, enabled: bool):
    """A tqdm bar on stderr when it is a terminal, one line per item when it is not, nothing if disabled."""
    from tqdm import tqdm

    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    if enabled and not tty:
        return _ProgressLines(items, desc, sys.stderr)
    return tqdm(items, desc=desc, disable=not enabled, file=sys.stderr, dynamic_ncols=True)


def run_bench(specs: list[ModelSpec], settings: BenchSettings, *, progress: bool = True,
              timer_factory: Callable[[str], Any] = default_timer) -> list[dict[str, Any]]:
    """Measure every planned row in this process, with progress on stderr (a bar on a terminal)."""
    from zoo.bench.devices import peak_flops

    device_name = _prepare_device(settings)
    for dtype in settings.dtypes:  # measure CPU peaks before any row, so rows' memory readings exclude it
        peak_flops(settings.device, dtype)
    _warm_process()
    rows = []
    todo = plan(specs, settings)
    with _progress(todo, "bench", progress) as bar:
        for spec, task, bs, dt in bar:
            bar.set_postfix_str(f"{spec.name} {task} b={bs} {dt}")
            rows.append(bench_row(spec, task, bs, dt, settings, timer_factory=timer_factory,
                                  device_name=device_name))
    return rows


def run_isolated(specs: list[ModelSpec], settings: BenchSettings, *, progress: bool = True) -> list[dict[str, Any]]:
    """Each model in its own `python -m zoo.bench` subprocess; a crashed child gives error rows."""
    rows: list[dict[str, Any]] = []
    with _progress(specs, "bench (isolated)", progress) as bar:
        for spec in bar:
            bar.set_postfix_str(spec.name)
            request = {"name": spec.name, "settings": settings_to_json(settings)}
            proc = subprocess.run([sys.executable, "-m", "zoo.bench"], input=json.dumps(request),
                                  capture_output=True, text=True)
            try:
                if proc.returncode != 0:
                    raise ValueError(f"exit status {proc.returncode}")
                rows.extend(json.loads(proc.stdout.strip().splitlines()[-1]))
            except (ValueError, IndexError) as exc:
                tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
                for _, task, bs, dt in plan([spec], settings):
                    rows.append({"model": spec.name, "architecture": spec.architecture, "config": spec.config,
                                 "task": task, "batch_size": bs, "dtype": dt, "device": settings.device,
                                 "status": "error", "error": f"isolated run failed ({exc}): {tail}"[:400]})
    return rows


def settings_to_json(settings: BenchSettings) -> dict[str, Any]:
    data = dataclasses.asdict(settings)
    data["config"] = dict(settings.config)
    return data


def settings_from_json(data: Mapping[str, Any]) -> BenchSettings:
    data = dict(data)
    for key in ("tasks", "batch_sizes", "dtypes"):
        data[key] = tuple(data[key])
    return BenchSettings(**data)


def document(rows: list[dict[str, Any]], settings: BenchSettings, *, command: str = "") -> dict[str, Any]:
    """The JSON document of a run: schema, when, what ran it, the environment and the rows."""
    from zoo.bench.devices import environment

    return {
        "schema": SCHEMA,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "flops_convention": FLOPS_CONVENTION,
        "timing": ("throughput = batch_size * iters / total timed seconds; latency = per-batch time "
                   "(median, p95, min, max, spread = (max - min) / median); inputs prepared once on the "
                   "device outside the timed region; CUDA: events per call, read after a synchronize"),
        "memory": ("CUDA: peak allocated / reserved after reset_peak_memory_stats (weights included); "
                   "CPU: resident set growth over the row (weights excluded) and the process peak RSS"),
        "environment": environment(settings.device),
        "settings": settings_to_json(settings),
        "rows": rows,
    }


def _worker() -> int:
    """`python -m zoo.bench` (zoo/bench/__main__.py) reads {"name", "settings"} on stdin and prints the rows as one JSON line."""
    request = json.loads(sys.stdin.read())
    settings = settings_from_json(request["settings"])
    specs = resolve_models([request["name"]], quick=settings.quick, config=settings.config)
    rows = run_bench(specs, settings, progress=False)
    print(json.dumps(rows))
    return 0

