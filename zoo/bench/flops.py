"""Counting floating-point operations with torch.utils.flop_counter.

Convention (the one FlopCounterMode uses, written into every benchmark file): one multiply-add is
2 FLOPs; only matrix multiplications, convolutions (forward and backward), batched matmuls and
attention kernels are counted. Bias additions, normalisation, activations, pooling and optimizer
updates are not. A transposed convolution counts 2·C_in·C_out·k_h·k_w per *input* pixel (the
scatter form), including the products that land in the cropped padding.
"""
from __future__ import annotations

from typing import Any, Callable

FLOPS_CONVENTION = (
    "torch.utils.flop_counter.FlopCounterMode: 1 multiply-add = 2 FLOPs; counts matmul/conv/bmm/attention "
    "(forward, and backward for train-step); bias, normalisation, activations and optimizer updates "
    "are not counted")


class _GlobalOnly:
    """Stands in for FlopCounterMode's module tracker: everything counts toward "Global" only. The real
    tracker registers hooks on module inputs that fail inside autograd.grad(create_graph=True), which
    gradient penalties (R1, path length, WGAN-GP) call during a train step."""

    parents = ("Global",)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


def count_flops(fn: Callable[[], Any]) -> int:
    """Total FLOPs of one call of `fn` (which runs once, really, under the counter)."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    counter.mod_tracker = _GlobalOnly()  # totals need no per-module breakdown (see _GlobalOnly)
    with counter:
        fn()
    return int(counter.get_total_flops())


def flops_by_module(fn: Callable[[], Any]) -> dict[str, int]:
    """FLOPs of one call of `fn` per module path (``"Global"`` is the total), for reports and debugging."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn()
    return {name: int(sum(ops.values())) for name, ops in counter.get_flop_counts().items()}
