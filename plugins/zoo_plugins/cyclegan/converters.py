"""The authors' released CycleGAN generators (junyanz/pytorch-CycleGAN-and-pix2pix `resnet_9blocks`,
e.g. horse2zebra.pth) into ResNetGenerator.

The file is a torch-saved state dict of one nn.Sequential `model`: [pad 0, conv 1, norm 2, ReLU 3,
conv 4, norm 5, ReLU 6, conv 7, norm 8, ReLU 9, n ResnetBlocks (10 .. 9+n, each `conv_block` = [pad,
conv 1, norm 2, ReLU, (dropout), pad, conv 5|6, norm 6|7]), convT 10+n, norm 11+n, ReLU, convT 13+n,
norm 14+n, ReLU, pad, conv 17+n, tanh]. ResidualBlock keeps `conv_block`'s indices as `body`.

Checkpoints written by the 2018 code carry instance-norm running statistics that the current code does
not track; like the authors' loader (BaseModel.__patch_instance_norm_state_dict) they are dropped.
Each released file is one direction's generator: it becomes the model's `generator` (direction ab).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

STATISTICS = ("running_mean", "running_var", "num_batches_tracked")


class ResNetLayoutError(ValueError):
    """A state dict that is not the authors' ResNet generator."""


def resnet_state_dict(state: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(ResNetGenerator config, state dict) from the official Sequential state dict."""
    state = {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}
    if "model.1.weight" not in state:
        raise ResNetLayoutError("not a CycleGAN ResNet generator state dict: no 'model.1.weight' (the first convolution)")
    blocks = sorted({int(m.group(1)) for k in state if (m := re.match(r"model\.(\d+)\.conv_block\.", k))})
    n = len(blocks)
    if blocks != list(range(10, 10 + n)):
        raise ResNetLayoutError(f"residual blocks expected at model.10 .. model.{9 + n}, found at {blocks}")
    batch = "model.2.weight" in state
    dropout = n > 0 and f"model.10.conv_block.6.weight" in state and state["model.10.conv_block.6.weight"].dim() == 4
    positions = {1: "stem.1.", 2: "stem.2.", 4: "down.0.0.", 5: "down.0.1.", 7: "down.1.0.", 8: "down.1.1.",
                 10 + n: "up.0.0.", 11 + n: "up.0.1.", 13 + n: "up.1.0.", 14 + n: "up.1.1.", 17 + n: "head.1."}
    out: dict[str, Any] = {}
    for key, value in state.items():
        m = re.match(r"model\.(\d+)\.(.*)$", key)
        if not m:
            raise ResNetLayoutError(f"unexpected key {key!r} in the ResNet generator state dict")
        index, rest = int(m.group(1)), m.group(2)
        if not batch and rest.rsplit(".", 1)[-1] in STATISTICS:  # instance norm's old statistics: dropped
            continue
        if index in positions:
            out[positions[index] + rest] = value
        elif 10 <= index < 10 + n and rest.startswith("conv_block."):
            out[f"blocks.{index - 10}.body." + rest[len("conv_block."):]] = value
        else:
            raise ResNetLayoutError(f"unexpected key {key!r} in the ResNet generator state dict")
    first = state["model.1.weight"]
    last = state[f"model.{17 + n}.weight"]
    config = {"resolution": 256, "in_channels": int(first.shape[1]), "out_channels": int(last.shape[0]),
              "width": int(first.shape[0]), "num_blocks": n, "norm": "batch" if batch else "instance",
              "dropout": 0.5 if dropout else 0.0}
    return config, out


def convert(paths: Mapping[str, Path]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """An official CycleGAN generator file (key "checkpoint") -> (cyclegan config, {"generator": state_dict})."""
    from zoo.readers import read_torch_weights

    path = paths["checkpoint"]
    state = read_torch_weights(path)
    if not isinstance(state, Mapping):
        raise ResNetLayoutError(f"{path}: expected a state dict, got {type(state).__name__}")
    config, generator = resnet_state_dict(state)
    return config, {"generator": generator}
