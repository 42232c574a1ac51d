"""Every registered architecture × each of its benchmark tasks, grouped by task (pytest-benchmark).

Quick mode builds test_config models at batch size 2; full mode the default configs at 1 and 64.
Each case also checks what it ran (output shape, finite losses), so a broken model fails here too.
`extra_info` carries the FLOPs per sample (zoo.bench.flops convention), batch size, dtype and device.
"""
from __future__ import annotations

import math



def cases():
    """(architecture, task) for every registered architecture and each task it supports."""
    from zoo import registry
    from zoo.bench.workloads import supported_tasks

    cat = registry.catalog()
    return [(name, task) for name in cat.names("architecture")
            for task in supported_tasks(cat.architecture(name))]


def test_benchmark(benchmark, mode, device, dtype, architecture, task, batch_size):
    import torch

    from zoo import api, registry
    from zoo.bench.workloads import build_workload
    from zoo.bench.flops import FLOPS_CONVENTION, count_flops

    arch = registry.catalog().architecture(architecture)
    model = api.create(architecture, config=dict(arch.test_config) if mode == "quick" else None)
    workload = build_workload(model, task, batch_size, dtype=dtype, device=device)
    flops = count_flops(workload.eager)
    benchmark.group = task
    benchmark.extra_info.update(
        architecture=architecture, task=task, config="test" if mode == "quick" else "default",
        batch_size=batch_size, dtype=dtype, device=device, params=workload.params,
        flops_per_sample=flops / batch_size, flops_convention=FLOPS_CONVENTION)

    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    def target():  # on CUDA the host clock must wait for the kernels
        out = workload.eager()
        sync()
        return out

    rounds, warmup = (1, 0) if mode == "quick" else (10, 3)
    out = benchmark.pedantic(target, rounds=rounds, warmup_rounds=warmup, iterations=1)

    if task == "train-step":
        assert out and all(math.isfinite(v) for v in out.values()), out
    elif task in ("generate", "reconstruct"):
        expected = (batch_size, *model.sampler.output.shape)  # a free size ("H", "W": upscalers) matches any
        assert len(out.shape) == len(expected) and torch.isfinite(out.float()).all()
        assert all(got == want for got, want in zip(out.shape, expected) if isinstance(want, int)), (out.shape, expected)
    assert flops > 0
