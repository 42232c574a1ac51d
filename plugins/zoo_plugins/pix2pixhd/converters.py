"""NVIDIA/pix2pixHD generator checkpoints (`checkpoints/label2city_1024p/latest_net_G.pth`, a plain
`torch.save(netG.state_dict())` of a GlobalGenerator or a LocalEnhancer) → genzoo's Pix2PixHDGenerator.

Module names are the authors' (`model.N...`, `model1_1.N...`, `model1_2.N...`), so keys carry over as they
are. The weights give the input channels, ngf, the number of downsamplings, residual blocks and local
enhancers; the resolution, the aspect ratio and whether the last input channel is an instance-boundary
map come from the registry entry (label2city: 35 classes + instance edges = 36 channels, 1024×2048,
`--netG local --ngf 32`).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROLE = "generator"


def pix2pixhd_config(state: Mapping[str, Any], path: Path) -> dict[str, Any]:
    if "model.1.weight" not in state:
        raise ValueError(f"{path}: no 'model.1.weight': not a NVIDIA/pix2pixHD generator state dict")
    locals_ = sorted({int(m.group(1)) for k in state if (m := re.match(r"model(\d+)_1\.", k))})
    if locals_ != list(range(1, len(locals_) + 1)):
        raise ValueError(f"{path}: local enhancers numbered {locals_}, expected 1..{len(locals_)}")
    blocks = sorted({int(m.group(1)) for k in state if (m := re.match(r"model\.(\d+)\.conv_block\.", k))})
    if not blocks:
        raise ValueError(f"{path}: its global generator has no residual blocks (model.N.conv_block.*)")
    downs = [i for i in range(4, blocks[0]) if f"model.{i}.weight" in state]
    front = state["model1_1.1.weight"] if locals_ else state["model.1.weight"]
    config = {"num_classes": int(front.shape[1]), "instance_edges": False, "ngf": int(front.shape[0]),
              "n_downsampling": len(downs), "n_blocks": len(blocks), "local_enhancers": len(locals_)}
    if locals_:
        config["ngf"] = int(front.shape[0]) // 2 ** (len(locals_) - 1)
        config["local_blocks"] = len({int(m.group(1)) for k in state
                                      if (m := re.match(r"model1_2\.(\d+)\.conv_block\.", k))})
    return config


def convert(paths: Mapping[str, Path]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    from zoo.readers import read_torch_weights

    path = Path(paths["checkpoint"])
    raw = read_torch_weights(path)
    if not isinstance(raw, Mapping):
        raise ValueError(f"{path}: expected a state dict, got {type(raw).__name__}")
    state = {k.removeprefix("module."): v for k, v in raw.items()}
    config = pix2pixhd_config(state, path)
    from zoo_plugins.pix2pixhd.networks import Pix2PixHDGenerator

    probe = Pix2PixHDGenerator(**{**config, "resolution": 2 ** (config["n_downsampling"] + config["local_enhancers"])})
    ours, theirs = set(probe.state_dict()), set(state)
    if ours != theirs:
        raise ValueError(f"{path}: not a pix2pixHD generator of the layout read from it: missing "
                         f"{sorted(ours - theirs)[:4]}, unexpected {sorted(theirs - ours)[:4]}")
    return config, {ROLE: {k: v.detach().clone().contiguous() for k, v in state.items()}}
