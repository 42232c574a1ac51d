"""Peak memory of a benchmarked region.

CUDA: the allocator's peak statistics are reset at the start, then max allocated (tensors) and max
reserved (what the caching allocator holds from the driver) are read at the end.
CPU: the growth of the process's resident set size over the region, and the process-wide peak RSS.
The RSS growth is an end-minus-start reading, blind to a peak freed inside the region, and a process
that already touched memory may reuse it; `zoo bench --isolate` gives each model a fresh process.
"""
from __future__ import annotations

import os
import resource
import sys
from typing import Any

MIB = 2 ** 20


def current_rss_bytes() -> int | None:
    """Resident set size now (Linux /proc), or None where it cannot be read."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def peak_rss_bytes() -> int:
    """The process's peak resident set size so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class MemoryProbe:
    def __init__(self, device: str) -> None:
        self.device = device
        self.cuda = device.startswith("cuda")
        self._rss0: int | None = None

    def begin(self) -> None:
        if self.cuda:
            import torch

            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        else:
            self._rss0 = current_rss_bytes()

    def end(self) -> dict[str, Any]:
        if self.cuda:
            import torch

            torch.cuda.synchronize(self.device)
            return {"mem_peak_allocated_mib": torch.cuda.max_memory_allocated(self.device) / MIB,
                    "mem_peak_reserved_mib": torch.cuda.max_memory_reserved(self.device) / MIB}
        rss = current_rss_bytes()
        growth = (rss - self._rss0) / MIB if rss is not None and self._rss0 is not None else None
        return {"mem_rss_growth_mib": growth, "mem_peak_rss_mib": peak_rss_bytes() / MIB}
