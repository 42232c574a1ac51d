"""Reads the checkpoint a plain PyTorch training script would write: one state dict whose keys carry
"G." and "D." prefixes, plus the hyper-parameters under "config". Read through zoo.readers (torch.load with
weights_only=True), so no pickled code runs.

The converter contract (zoo.records.Converter): `convert(paths) -> (config, {role: state_dict})`, with
`paths` keyed like the source's files; a one-file format is given its file under "checkpoint".
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

PREFIXES = {"G.": "generator", "D.": "discriminator"}


def read_reference_checkpoint(paths: Mapping[str, Path]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    from zoo.readers import read_torch_weights

    path = paths["checkpoint"]
    checkpoint = read_torch_weights(path)
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise ValueError(f"{path}: expected a dict with 'state_dict' (and optionally 'config')")
    states: dict[str, dict[str, Any]] = {role: {} for role in PREFIXES.values()}
    for key, value in checkpoint["state_dict"].items():
        prefix = key[:2]
        if prefix not in PREFIXES:
            raise ValueError(f"{path}: key {key!r} has neither a 'G.' nor a 'D.' prefix")
        states[PREFIXES[prefix]][key[2:]] = value
    return dict(checkpoint.get("config", {})), states
