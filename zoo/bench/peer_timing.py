"""Ours against a peer implementation of the same network, in one process: the alternating timing
and the JSON report that benchmarks/peers.py and plugin peer benches (zoo_plugins.biggan.peer_bench)
share."""
from __future__ import annotations

import datetime
import json
from typing import Any, Callable

from zoo.bench.timing import WallTimer, run_timed, summarize

TIMING = "ABAB: ours and {peer} alternate in rounds of warm-up + timed calls; samples/s = batch * calls / total time"


def time_against_peer(run_ours: Callable[[], Any], run_peer: Callable[[], Any], batch_size: int, *,
                      warmup: int, iters: int, rounds: int) -> dict[str, float]:
    """Time both alternately (ABAB..., so a shared CPU's drift hits both alike); their throughputs,
    median latencies and the ratio ours / peer. Call it under the inference mode the caller wants."""
    times: dict[str, list[float]] = {"ours": [], "peer": []}
    for _ in range(rounds):
        for label, fn in (("ours", run_ours), ("peer", run_peer)):
            times[label] += run_timed(fn, warmup=warmup, iters=iters, timer=WallTimer())
    ours, peer = summarize(times["ours"], batch_size), summarize(times["peer"], batch_size)
    return {"ours_samples_per_s": ours["samples_per_s"], "peer_samples_per_s": peer["samples_per_s"],
            "ours_latency_median_ms": ours["latency_median_ms"],
            "peer_latency_median_ms": peer["latency_median_ms"],
            "ratio_ours_over_peer": ours["samples_per_s"] / peer["samples_per_s"]}


def write_peer_report(path: str, command: str, peer: str, results: list[dict]) -> None:
    """The results as a `genzoo.peers/1` JSON document with the machine's environment."""
    from zoo.bench.devices import environment

    doc = {"schema": "genzoo.peers/1",
           "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "command": command, "timing": TIMING.format(peer=peer), "environment": environment("cpu"),
           "results": results}
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
