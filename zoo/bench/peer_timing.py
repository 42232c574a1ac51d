"""Ours against a peer implementation of the same network, in one process: the alternating timing
and the JSON report that benchmarks/peers.py and plugin peer benches (zoo_plugins.biggan.peer_bench)
share."""
from __future__ import annotations

import datetime
import json
from typing import Any, Callable

from zoo.bench.timing import WallTimer, run_timed, summarize

TIMING = "ABAB: ours and {peer} alternate in rounds of warm-up + timed calls; samples/s = batch * calls / total time"


def device_timer(device: str = "cpu") -> WallTimer:
    """A host clock that waits for the device: CUDA kernels are asynchronous, so on a GPU the clock is read
    after torch.cuda.synchronize (else it would time the launches, not the work)."""
    if str(device).startswith("cuda"):
        import torch

        return WallTimer(sync=torch.cuda.synchronize)
    return WallTimer()


def time_against_peer(run_ours: Callable[[], Any], run_peer: Callable[[], Any], batch_size: int, *,
                      warmup: int, iters: int, rounds: int, device: str = "cpu") -> dict[str, float]:
    """Time both alternately (ABAB..., so a shared CPU's drift hits both alike); their throughputs,
    median latencies and the ratio ours / peer. Call it under the inference mode the caller wants."""
    times: dict[str, list[float]] = {"ours": [], "peer": []}
    for _ in range(rounds):
        for label, fn in (("ours", run_ours), ("peer", run_peer)):
            times[label] += run_timed(fn, warmup=warmup, iters=iters, timer=device_timer(device))
    ours, peer = summarize(times["ours"], batch_size), summarize(times["peer"], batch_size)
    return {"ours_samples_per_s": ours["samples_per_s"], "peer_samples_per_s": peer["samples_per_s"],
            "ours_latency_median_ms": ours["latency_median_ms"],
            "peer_latency_median_ms": peer["latency_median_ms"],
            "ratio_ours_over_peer": ours["samples_per_s"] / peer["samples_per_s"]}


def write_peer_report(path: str, command: str, peer: str, results: list[dict], device: str = "cpu") -> None:
    """The results as a `genzoo.peers/1` JSON document with the machine's environment (written whole each
    call, so a long bench can rewrite it after every row and an interrupted run keeps what it measured)."""
    from zoo.bench.devices import environment

    doc = {"schema": "genzoo.peers/1",
           "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "command": command, "timing": TIMING.format(peer=peer), "environment": environment(device),
           "results": results}
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
