"""The authors' StackGAN-Pytorch Stage-II generator (`netG_epoch_90.pth` for COCO; github.com/hanzhanggit/
StackGAN-Pytorch, code/model.py) as a `stackgan` generator.

The file is `torch.save(STAGE2_G.state_dict())`, read with weights_only=True (zoo.readers). STAGE2_G holds
the Stage-I generator as its `STAGE1_G` attribute, so Stage-I's weights are the `STAGE1_G.*` keys nested
in it; they become `stage1.*`, every other key `stage2.*` (the module names are the authors'). A
"module." prefix (nn.DataParallel) is dropped. The shape is read from the weights: text and condition
sizes from the CA layers, z from Stage-I's FC, widths, the encoder's stride-2 convolutions, residual
blocks and up-blocks by counting; COCO's file gives 100-d z, 128-d condition, 1,024-d text, 64 -> 256 px.
Their CA draws its noise inside the network; here it is the latent's ε₁, ε₂ ([z, ε₁, ε₂]), all N(0, I)
as theirs. The generator wants Reed's 1,024-d char-CNN-RNN embeddings: pass them as `c`.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path

import torch

from zoo.errors import ZooError


class StackGANLayoutError(ZooError, ValueError):
    """The file is not a StackGAN-Pytorch Stage-II generator state dict."""


def rename(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The authors' key names -> ours: STAGE1_G.* -> stage1.*, the rest -> stage2.*."""
    out = {}
    for key, value in state.items():
        key = key[len("module."):] if key.startswith("module.") else key
        out[f"stage1.{key[len('STAGE1_G.'):]}" if key.startswith("STAGE1_G.") else f"stage2.{key}"] = value
    return out


def _count(state: Mapping[str, torch.Tensor], pattern: str) -> int:
    return len({m.group(1) for k in state if (m := re.fullmatch(pattern, k))})


def infer_config(state: Mapping[str, torch.Tensor], name: str = "checkpoint") -> dict:
    """The stackgan config the renamed weights describe."""
    need = ["stage1.ca_net.fc.weight", "stage1.fc.0.weight", "stage2.encoder.0.weight", "stage2.img.0.weight",
            "stage2.ca_net.fc.weight"]
    missing = [k for k in need if k not in state]
    if missing:
        raise StackGANLayoutError(f"{name}: not a StackGAN-Pytorch Stage-II generator (STAGE2_G with STAGE1_G): "
                                  f"no {', '.join(missing)} (after renaming STAGE1_G.* -> stage1.*)")
    text_dim = state["stage1.ca_net.fc.weight"].shape[1]
    condition_dim = state["stage1.ca_net.fc.weight"].shape[0] // 2
    fc = state["stage1.fc.0.weight"]
    stage1_ups = _count(state, r"stage1\.upsample(\d+)\.1\.weight")
    down = sum(1 for k, v in state.items() if re.fullmatch(r"stage2\.encoder\.\d+\.weight", k) and v.dim() == 4
               and v.shape[-1] == 4)
    up = _count(state, r"stage2\.upsample(\d+)\.1\.weight")
    stage1_resolution = 4 * 2 ** stage1_ups
    return {"latent_dim": fc.shape[1] - condition_dim, "text_dim": text_dim, "condition_dim": condition_dim,
            "g_width": fc.shape[0] // 16 // 8, "g2_width": state["stage2.encoder.0.weight"].shape[0],
            "stage1_resolution": stage1_resolution, "resolution": stage1_resolution * 2 ** (up - down),
            "channels": state["stage2.img.0.weight"].shape[0], "down": down,
            "residual_blocks": _count(state, r"stage2\.residual\.(\d+)\.block\.0\.weight"),
            "d_width": 64, "text_encoder": "char-cnn-rnn", "ca_relu": True,  # their CA_NET's ReLU
            "text_scale": 1.0}  # their embeddings go into CA_NET as they are


def convert(paths: Mapping[str, Path]) -> tuple[dict, dict[str, dict[str, torch.Tensor]]]:
    """A StackGAN-Pytorch netG_epoch_*.pth (key "checkpoint") -> (stackgan config, {"generator": state})."""
    from zoo.readers import read_torch_weights

    if set(paths) != {"checkpoint"}:
        raise StackGANLayoutError(f"the stackgan-pytorch format reads one file (key 'checkpoint'), got {sorted(paths)}")
    path = Path(paths["checkpoint"])
    raw = read_torch_weights(path, extra=("collections.OrderedDict",))
    if not isinstance(raw, Mapping) or not all(isinstance(v, torch.Tensor) for v in raw.values()):
        raise StackGANLayoutError(f"{path.name}: expected a state dict of tensors (torch.save(netG.state_dict()))")
    state = rename(raw)
    config = infer_config(state, path.name)
    if not math.log2(config["resolution"]).is_integer():
        raise StackGANLayoutError(f"{path.name}: inferred resolution {config['resolution']} is not a power of two")
    return config, {"generator": state}
