"""The authors' released pix2pix generators (junyanz/pytorch-CycleGAN-and-pix2pix: `unet_256`, e.g.
facades_label2photo.pth) into UNetGenerator.

The file is a torch-saved state dict of the nested U-Net: the outermost block's Sequential is
`model.model` = [down conv 0, inner block 1, ReLU 2, up conv 3, tanh 4]; a middle block's
`...1.model` (under the outermost) or `...3.model` (under a middle one) is [LeakyReLU 0, down conv 1,
down norm 2, inner block 3, ReLU 4, up conv 5, up norm 6, dropout 7]; the innermost block is [LeakyReLU
0, down conv 1, ReLU 2, up conv 3, up norm 4]. Level k (0 = outermost) maps onto `down.k` / `up.k`.

Checkpoints written by the 2018 code (InstanceNorm2d with track_running_stats=True) carry running
statistics for instance norms that the current code does not track; like the authors' loader
(BaseModel.__patch_instance_norm_state_dict) they are dropped: instance norm uses each image's own.

The converted config reproduces the authors' test.py, which leaves the networks in train mode: dropout
on and batch norm with the test image's own statistics (`test_dropout=True`, `test_statistics="sample"`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

STATISTICS = ("running_mean", "running_var", "num_batches_tracked")


class UNetLayoutError(ValueError):
    """A state dict that is not the authors' nested U-Net."""


def _level_prefixes(state: Mapping[str, Any]) -> list[str]:
    prefixes = ["model.model."]
    prefix = "model.model.1.model."
    while any(k.startswith(prefix) for k in state):
        prefixes.append(prefix)
        prefix = prefix + "3.model."
    return prefixes


def unet_state_dict(state: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(UNetGenerator config, state dict) from the official nested state dict."""
    state = {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}  # DataParallel
    if "model.model.0.weight" not in state:
        raise UNetLayoutError("not a pix2pix U-Net state dict: no 'model.model.0.weight' (the outermost down convolution)")
    levels = _level_prefixes(state)
    n = len(levels)
    if n < 5:
        raise UNetLayoutError(f"a U-Net has at least 5 levels; this state dict has {n}")
    batch = levels[1] + "2.weight" in state
    norm = "batch" if batch else "instance"
    out: dict[str, Any] = {}
    used: set[str] = set()

    def take(source: str, target: str) -> None:
        for key, value in state.items():
            if key.startswith(source) and key[len(source):].count(".") == 0:
                name = key[len(source):]
                if not batch and name in STATISTICS:  # instance norm's old running statistics: dropped
                    used.add(key)
                    continue
                out[target + name] = value
                used.add(key)

    take(levels[0] + "0.", "down.0.")
    take(levels[0] + "3.", "up.0.1.")
    for k in range(1, n):
        p = levels[k]
        take(p + "1.", f"down.{k}.0.")
        if k < n - 1:
            take(p + "2.", f"down.{k}.1.")
            take(p + "5.", f"up.{k}.1.")
            take(p + "6.", f"up.{k}.2.")
        else:
            take(p + "3.", f"up.{k}.1.")
            take(p + "4.", f"up.{k}.2.")
    if not batch:  # stray statistics of the instance norms at positions this walk does not name
        used |= {k for k in state if k.rsplit(".", 1)[-1] in STATISTICS}
    left = sorted(set(state) - used)
    if left:
        raise UNetLayoutError(f"unexpected keys in the U-Net state dict: {', '.join(left[:5])}")
    first = state["model.model.0.weight"]
    config = {"resolution": 2 ** n, "in_channels": int(first.shape[1]), "out_channels": int(state["model.model.3.weight"].shape[1]),
              "width": int(first.shape[0]), "num_downs": n, "norm": norm, "dropout": 0.5, "test_dropout": True,
              "test_statistics": "sample"}
    return config, out


def convert(paths: Mapping[str, Path]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """An official pix2pix generator file (key "checkpoint") -> (pix2pix config, {"generator": state_dict})."""
    from zoo.readers import read_torch_weights

    path = paths["checkpoint"]
    state = read_torch_weights(path)
    if not isinstance(state, Mapping):
        raise UNetLayoutError(f"{path}: expected a state dict, got {type(state).__name__}")
    config, generator = unet_state_dict(state)
    return config, {"generator": generator}
