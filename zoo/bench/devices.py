"""What a benchmark ran on: the device, the software, the numeric settings, and the device's peak FLOP/s.

GPU peaks are dense (no structured sparsity) tensor-core numbers from the vendors' datasheets, per
dtype; "fp32" is the plain FP32 rate and "tf32" the tensor-core rate PyTorch uses for float32 matmuls
when TF32 is allowed. A CPU has no datasheet here: its peak is measured as the best square matmul
rate in that dtype on this process's threads (an achievable peak, so MFU on CPU reads as "fraction
of what a large matmul reaches", not of the silicon's theoretical rate); where the CPU multiplies a
low-precision dtype slower than fp32 (no native bf16/fp16 units), the fp32 rate is used instead.
"""
from __future__ import annotations

import os
import platform
import re
import time
from functools import lru_cache
from typing import Any

TERA = 1e12

# (pattern matched against torch.cuda.get_device_name(), label, {dtype: dense peak TFLOP/s}).
# Order matters: the first matching pattern wins (PCIe/NVL variants before the SXM default).
GPU_PEAKS: tuple[tuple[str, str, dict[str, float]], ...] = (
    (r"H200", "H200", {"fp32": 67.0, "tf32": 494.7, "bf16": 989.4, "fp16": 989.4}),
    (r"H100.*PCIe", "H100 PCIe", {"fp32": 51.2, "tf32": 378.0, "bf16": 756.0, "fp16": 756.0}),
    (r"H100.*NVL", "H100 NVL", {"fp32": 60.0, "tf32": 417.5, "bf16": 835.5, "fp16": 835.5}),
    (r"H100|H800", "H100 SXM", {"fp32": 67.0, "tf32": 494.7, "bf16": 989.4, "fp16": 989.4}),
    (r"GH200", "GH200", {"fp32": 67.0, "tf32": 494.7, "bf16": 989.4, "fp16": 989.4}),
    (r"B200", "B200", {"fp32": 75.0, "tf32": 1100.0, "bf16": 2250.0, "fp16": 2250.0}),
    (r"A100|A800", "A100", {"fp32": 19.5, "tf32": 156.0, "bf16": 312.0, "fp16": 312.0}),
    (r"L40S", "L40S", {"fp32": 91.6, "tf32": 183.0, "bf16": 362.1, "fp16": 362.1}),
    (r"L4\b", "L4", {"fp32": 30.3, "tf32": 60.0, "bf16": 121.0, "fp16": 121.0}),
    (r"A10\b", "A10", {"fp32": 31.2, "tf32": 62.5, "bf16": 125.0, "fp16": 125.0}),
    # GeForce cards: tensor-core rates with FP32 accumulation (what PyTorch's matmuls use).
    (r"RTX 4090", "RTX 4090", {"fp32": 82.6, "tf32": 82.6, "bf16": 165.2, "fp16": 165.2}),
    (r"RTX 3090", "RTX 3090", {"fp32": 35.6, "tf32": 35.6, "bf16": 71.0, "fp16": 71.0}),
    (r"V100", "V100", {"fp32": 15.7, "tf32": 15.7, "fp16": 125.0}),
    (r"T4\b", "T4", {"fp32": 8.1, "tf32": 8.1, "fp16": 65.0}),
)

DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def torch_dtype(name: str):
    import torch

    if name not in DTYPES:
        raise ValueError(f"unknown dtype {name!r}; expected one of {', '.join(DTYPES)}")
    return getattr(torch, DTYPES[name])


def gpu_peak(device_name: str, dtype: str, tf32: bool = False) -> tuple[float | None, str]:
    """(peak FLOP/s, where it came from) for a GPU name and dtype; (None, reason) when unknown."""
    kind = "tf32" if dtype == "fp32" and tf32 else dtype
    for pattern, label, peaks in GPU_PEAKS:
        if re.search(pattern, device_name):
            if kind not in peaks:
                return None, f"{label} has no {kind} tensor-core peak in the table"
            return peaks[kind] * TERA, f"datasheet {label} dense {kind}"
    return None, f"no peak in the table for {device_name!r}"


@lru_cache(maxsize=None)
def measured_cpu_peak(dtype: str = "fp32", size: int = 512, repeats: int = 20) -> float:
    """Best FLOP/s of a size×size matmul in `dtype` on this process's CPU threads (the best of
    `repeats`, so a busy machine's bursts of contention bias it less)."""
    import torch

    dt = torch_dtype(dtype)
    a = torch.randn(size, size).to(dt)
    b = torch.randn(size, size).to(dt)
    torch.mm(a, b)  # first call allocates and picks the kernel
    best, spent = float("inf"), 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        took = time.perf_counter() - start
        best, spent = min(best, took), spent + took
        if spent > 1.0:  # a slow dtype (no native units) needs no more evidence
            break
    return 2 * size ** 3 / best


def tf32_in_use() -> bool:
    """Whether float32 work may run on TF32 tensor cores: matmuls (allow_tf32, or a matmul precision below
    "highest") or cuDNN convolutions (cudnn.allow_tf32, PyTorch's default). A convolutional network's
    fp32 rows then run at the TF32 rate, and the plain FP32 peak would overstate their MFU ~7x (H100/H200)."""
    import torch

    return tf32_decision(bool(torch.backends.cuda.matmul.allow_tf32), torch.get_float32_matmul_precision(),
                         bool(torch.backends.cudnn.allow_tf32))


def tf32_decision(matmul_tf32: bool, matmul_precision: str, cudnn_tf32: bool) -> bool:
    return matmul_tf32 or matmul_precision != "highest" or cudnn_tf32


def peak_flops(device: str, dtype: str) -> tuple[float | None, str]:
    """The device's peak FLOP/s for `dtype` and where it came from."""
    import torch

    if device.startswith("cuda"):
        return gpu_peak(torch.cuda.get_device_name(torch.device(device)), dtype, tf32=tf32_in_use())
    threads = torch.get_num_threads()
    try:
        fp32 = measured_cpu_peak("fp32")
        own = measured_cpu_peak(dtype) if dtype != "fp32" else fp32
    except Exception as exc:  # e.g. a dtype this CPU build cannot multiply
        return None, f"could not measure a CPU {dtype} matmul: {exc}"
    if own >= fp32:
        return own, f"measured {dtype} 512x512 matmul, {threads} thread(s)"
    # No native low-precision units: kernels may compute in fp32, so fp32's rate is the reachable peak.
    return fp32, (f"measured fp32 512x512 matmul, {threads} thread(s) ({dtype} matmul is slower here: "
                  f"{own / 1e9:.1f} GFLOP/s)")


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(device: str) -> dict[str, Any]:
    """Everything that changes what a benchmark measures, recorded with every run."""
    import torch

    env: dict[str, Any] = {
        "device": device,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "float32_matmul_precision": torch.get_float32_matmul_precision(),
        "tf32_matmul": bool(torch.backends.cuda.matmul.allow_tf32),
        "tf32_cudnn": bool(torch.backends.cudnn.allow_tf32),
        "cudnn_benchmark": bool(torch.backends.cudnn.benchmark),
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
    }
    if device.startswith("cuda"):
        dev = torch.device(device)
        props = torch.cuda.get_device_properties(dev)
        env.update(device_name=torch.cuda.get_device_name(dev), gpu_memory_gib=round(props.total_memory / 2 ** 30, 1),
                   compute_capability=f"{props.major}.{props.minor}")
    else:
        env["device_name"] = env["cpu"]
    return env


def check_device(device: str) -> None:
    """A clear error for a device this torch cannot use."""
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU-only"
        raise ValueError(f"--device {device}: no CUDA device is available (torch {torch.__version__}, {build} build)")
    if not (device == "cpu" or device.startswith("cuda")):
        raise ValueError(f"--device must be cpu or cuda[:N], got {device!r}")
