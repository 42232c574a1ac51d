"""Data-parallel training across processes and machines with torch.distributed (DDP), as started by
`torchrun --nproc_per_node N [--nnodes M ...] -m zoo.cli train ...`.

- every trainable component is wrapped in its own DistributedDataParallel, which averages its
  gradients across ranks during backward (so a per-rank batch of B/N gives the gradient of a batch
  of B for mean-reduced losses);
- every rank draws the same global batch stream (same seed) and keeps its own slice of each batch,
  like DistributedSampler, so the ranks see disjoint data and a run's data does not depend on N;
- only rank 0 writes checkpoints, logs, samples and the final weights.
Batch-norm statistics stay per rank unless `sync_batchnorm` converts them (SyncBatchNorm).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel


@dataclass(frozen=True)
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


SINGLE = DistContext()


def init_from_env(device: str | torch.device = "cpu") -> tuple[DistContext, torch.device]:
    """Join the process group torchrun describes (WORLD_SIZE, RANK, LOCAL_RANK); single process otherwise.

    On CUDA each process takes the GPU of its LOCAL_RANK and NCCL; on CPU, gloo.
    """
    device = torch.device(device)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return SINGLE, device
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return DistContext(rank, world, local_rank), device


def shutdown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


class ShardedBatches:
    """This rank's slice of every global batch of `batches` (which every rank iterates identically)."""

    def __init__(self, batches: Iterator[Mapping[str, Tensor]], ctx: DistContext) -> None:
        self.batches, self.ctx = batches, ctx

    def __iter__(self):
        return self

    def __next__(self) -> dict[str, Any]:
        batch = next(self.batches)
        out = {}
        for key, value in batch.items():
            if isinstance(value, Tensor):
                n = value.shape[0]
                if n % self.ctx.world_size:
                    raise ValueError(f"the global batch ({n}) must divide evenly among "
                                     f"{self.ctx.world_size} processes")
                per = n // self.ctx.world_size
                value = value[self.ctx.rank * per:(self.ctx.rank + 1) * per]
            out[key] = value
        return out

    def state_dict(self) -> dict:
        return self.batches.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.batches.load_state_dict(state)


class DDPComponent(DistributedDataParallel):
    """DDP that still looks like the component: attributes (specs, `sample_latent`) come from the module,
    and methods that produce activations (`features`, and any the component lists in
    `ddp_forward_methods`) run through DDP's forward so their gradients are averaged too."""

    ROUTED = ("features",)

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            module = super().__getattr__("module")
            attr = getattr(module, name)
            if name in self.ROUTED or name in getattr(module, "ddp_forward_methods", ()):
                return lambda *args, **kwargs: self._through_ddp(name, *args, **kwargs)
            return attr

    def _through_ddp(self, name: str, *args, **kwargs):
        module = self.module
        module.forward = getattr(module, name)  # an instance attribute shadows the class's forward
        try:
            return self(*args, **kwargs)
        finally:
            del module.forward


def wrap(module: nn.Module, ctx: DistContext, device: torch.device, *, find_unused_parameters: bool = False,
         sync_batchnorm: bool = False) -> nn.Module:
    if sync_batchnorm:
        module = nn.SyncBatchNorm.convert_sync_batchnorm(module)
    ids = [device.index] if device.type == "cuda" else None
    return DDPComponent(module, device_ids=ids, find_unused_parameters=find_unused_parameters)


def all_gather(obj: Any, ctx: DistContext) -> list[Any]:
    """Every rank's `obj`, in rank order (a list of one in a single process)."""
    if not ctx.enabled:
        return [obj]
    out: list[Any] = [None] * ctx.world_size
    dist.all_gather_object(out, obj)
    return out


def mean_over_ranks(values: Mapping[str, float], ctx: DistContext) -> dict[str, float]:
    """Average logged scalars over ranks (all ranks must log the same keys)."""
    if not ctx.enabled or not values:
        return dict(values)
    keys = sorted(values)
    t = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64)
    if dist.get_backend() == "nccl":
        t = t.cuda()
    dist.all_reduce(t)
    return {k: float(v) / ctx.world_size for k, v in zip(keys, t.tolist())}


def barrier(ctx: DistContext) -> None:
    if ctx.enabled:
        dist.barrier()


def any_rank(flag: bool, ctx: DistContext) -> bool:
    """True on every rank when `flag` is true on any rank (so all ranks stop at the same step)."""
    if not ctx.enabled:
        return flag
    t = torch.tensor([1.0 if flag else 0.0])
    if dist.get_backend() == "nccl":
        t = t.cuda()
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def any_rank_each(flags: list[bool], ctx: DistContext) -> list[bool]:
    """Element-wise: True where any rank's flag is true (e.g. which parameters some rank's loss reached)."""
    if not ctx.enabled or not flags:
        return list(flags)
    t = torch.tensor([1.0 if f else 0.0 for f in flags])
    if dist.get_backend() == "nccl":
        t = t.cuda()
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return [bool(v) for v in t.tolist()]
