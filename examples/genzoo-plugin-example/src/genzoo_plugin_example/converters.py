"""Reads the checkpoint a plain PyTorch training script would write: one state dict whose keys carry
"G." and "D." prefixes, plus the hyper-parameters under "config". Loaded with weights_only=True, so no
pickled code runs.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

PREFIXES = {"G.": "generator", "D.": "discriminator"}


def read_reference_checkpoint(path: str | Path) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise ValueError(f"{path}: expected a dict with 'state_dict' (and optionally 'config')")
    states: dict[str, dict[str, Any]] = {role: {} for role in PREFIXES.values()}
    for key, value in checkpoint["state_dict"].items():
        prefix = key[:2]
        if prefix not in PREFIXES:
            raise ValueError(f"{path}: key {key!r} has neither a 'G.' nor a 'D.' prefix")
        states[PREFIXES[prefix]][key[2:]] = value
    return states, dict(checkpoint.get("config", {}))
