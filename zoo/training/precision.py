"""Mixed precision: autocast for the forward passes, and a gradient scaler for fp16.

bf16 has fp32's exponent range, so it needs no loss scaling (CPU and recent GPUs); fp16 does
(Micikevicius et al. 2018, "Mixed Precision Training", arXiv:1710.03740), and only runs on CUDA here.
"""
from __future__ import annotations

import contextlib

import torch

PRECISIONS = ("fp32", "bf16", "fp16")


class Precision:
    def __init__(self, name: str, device: torch.device) -> None:
        if name not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {name!r}")
        if name == "fp16" and device.type != "cuda":
            raise ValueError("fp16 mixed precision needs a CUDA device (loss scaling); use bf16 on CPU")
        if name == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
            raise ValueError("this GPU does not support bf16; use fp16")
        if name != "fp32" and device.type not in ("cuda", "cpu"):
            raise ValueError(f"mixed precision runs on cuda or cpu, not {device.type}")
        self.name, self.device = name, device
        self.dtype = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[name]

    def autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def make_scaler(self):
        """A GradScaler for fp16 (one per update group: each group's losses have their own scale)."""
        return torch.amp.GradScaler(self.device.type) if self.name == "fp16" else None
