"""Sharding and gathering under torchrun: each process takes a shard, the results are gathered.

Works with any torch.distributed backend (gloo on CPU, NCCL on GPUs); outside a process group every
function is the single-process identity, so the same code runs with and without torchrun.
"""
from __future__ import annotations

import os

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor

from zoo.metrics.frechet import FeatureStats


def rank_and_world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def init_from_env() -> bool:
    """Join the process group torchrun describes (WORLD_SIZE > 1); False when not under torchrun."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or not dist.is_available():
        return False
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() and dist.is_nccl_available() else "gloo"
        dist.init_process_group(backend=backend)
    return True


def shard(n: int, rank: int | None = None, world: int | None = None) -> range:
    """The contiguous indices of `range(n)` that process `rank` of `world` handles (sizes differ by ≤ 1)."""
    if rank is None or world is None:
        rank, world = rank_and_world()
    return range(rank * n // world, (rank + 1) * n // world)


def _comm_device() -> torch.device:
    return torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")


def all_true(flag: bool) -> bool:
    """True only if `flag` is True in every process (so all take the same branch, e.g. a cache hit)."""
    _, world = rank_and_world()
    if world == 1:
        return flag
    t = torch.tensor([1 if flag else 0], dtype=torch.long, device=_comm_device())
    dist.all_reduce(t, op=dist.ReduceOp.MIN)
    return bool(t.item())


def gather_rows(t: Tensor) -> Tensor:
    """Concatenate every process's (n_r, ...) tensor in rank order (all_gather, padded to equal size)."""
    _, world = rank_and_world()
    if world == 1:
        return t
    device = _comm_device()
    sizes = [torch.zeros(1, dtype=torch.long, device=device) for _ in range(world)]
    dist.all_gather(sizes, torch.tensor([len(t)], dtype=torch.long, device=device))
    sizes = [int(s) for s in sizes]
    padded = torch.zeros((max(sizes), *t.shape[1:]), dtype=t.dtype, device=device)
    padded[:len(t)] = t.to(device)
    parts = [torch.empty_like(padded) for _ in range(world)]
    dist.all_gather(parts, padded)
    return torch.cat([p[:s] for p, s in zip(parts, sizes)]).to(t.device)


def gather_stats(stats: FeatureStats) -> FeatureStats:
    """Merge every process's statistics (all_reduce of counts and sums, then the centred scatter)."""
    _, world = rank_and_world()
    if world == 1:
        return stats
    device = _comm_device()
    # pass 1: global count and mean; pass 2: scatter about the global mean (exact, no cancellation)
    n = torch.tensor([float(stats.n)], dtype=torch.float64, device=device)
    total = torch.from_numpy(stats._mean * stats.n).to(device)
    dist.all_reduce(n)
    dist.all_reduce(total)
    n_all = int(n.item())
    mean = total.cpu().numpy() / n_all
    delta = stats._mean - mean
    scatter = torch.from_numpy(stats._scatter + stats.n * np.outer(delta, delta)).to(device)
    dist.all_reduce(scatter)
    merged = FeatureStats(stats.dim)
    merged.n, merged._mean, merged._scatter = n_all, mean, scatter.cpu().numpy()
    return merged
