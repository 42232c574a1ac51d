"""Data-parallel training with torchrun: 2 CPU processes (gloo) give the same result as one process
with the same global batch. The toy GAN has no batch norm, so the two runs compute the same
function (with batch norm each rank would normalise its own half-batch unless converted to
SyncBatchNorm); its noise comes with the data, so both runs draw the same numbers."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from zoo.training.checkpoint import load_latest
from zoo.training.distributed import DistContext, ShardedBatches

HERE = Path(__file__).parent
STEPS, GLOBAL_BATCH = 10, 32


def test_each_rank_gets_its_slice_of_the_global_batch():
    def stream():
        while True:
            yield {"x": torch.arange(8), "tag": "same"}
    halves = [next(ShardedBatches(stream(), DistContext(rank, 2))) for rank in (0, 1)]
    assert torch.equal(torch.cat([h["x"] for h in halves]), torch.arange(8))
    assert halves[1]["tag"] == "same"

    def odd():
        while True:
            yield {"x": torch.arange(7)}
    with pytest.raises(ValueError, match="divide evenly among 2"):
        next(ShardedBatches(odd(), DistContext(0, 2)))


def test_two_gloo_processes_match_one_process(tmp_path):
    sys.path.insert(0, str(HERE))
    import train_ddp_worker

    single, double = tmp_path / "single", tmp_path / "double"
    single.mkdir(), double.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
    env.update(OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         str(HERE / "train_ddp_worker.py"), str(double), str(STEPS), str(GLOBAL_BATCH)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    train_ddp_worker.main(str(single), STEPS, GLOBAL_BATCH)  # meanwhile, the same run in this process
    output, _ = proc.communicate(timeout=240)
    assert proc.returncode == 0, output[-3000:]

    a, b = torch.load(single / "weights.pt"), torch.load(double / "weights.pt")
    assert a.keys() == b.keys() and any(k.startswith("ema.") for k in a)
    for key in a:
        torch.testing.assert_close(b[key], a[key], rtol=1e-5, atol=1e-6, msg=key)
    losses_a = json.loads((single / "losses.json").read_text())
    losses_b = json.loads((double / "losses.json").read_text())  # averaged over the two ranks
    assert len(losses_b) == STEPS
    for la, lb in zip(losses_a, losses_b):
        assert la.keys() == lb.keys()
        for k in la:
            assert lb[k] == pytest.approx(la[k], rel=1e-5, abs=1e-6)
    state, _ = load_latest(double / "checkpoints")  # rank 0 wrote it, with both ranks' RNG states
    assert state["step"] == STEPS and state["world_size"] == 2 and len(state["rng"]) == 2
    assert not torch.equal(b["generator.net.0.weight"], b["ema.net.0.weight"])  # EMA is an average, not a copy
