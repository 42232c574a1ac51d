"""NVlabs/SPADE generator checkpoints (`checkpoints/<name>_pretrained/latest_net_G.pth`, a plain
`torch.save(netG.state_dict())`) → genzoo's SPADEGenerator.

The authors' module names are this plugin's, so the state dict carries over key for key: spectral norm's
`weight_orig`, `weight_u`, `weight_v` (torch.nn.utils.spectral_norm's layout, which zoo.nn.spectral.sn
uses too) and the synchronized batch norms' `running_mean`, `running_var`, `num_batches_tracked` (their
SynchronizedBatchNorm2d keeps plain BatchNorm2d's buffers; in eval mode they act the same). What the
weights tell is read from them: label channels (semantic_nc), width (ngf), the SPADE hidden width, the
VAE option and z_dim, and "most" upsampling (an up_4 block). What they cannot tell — the resolution, the
aspect ratio, "normal" vs "more" upsampling, and whether the last label channel is an instance-boundary
map — comes from the registry entry's config (ADE20K: 151 = 150 classes + don't-care; COCO-Stuff:
184 = 182 + don't-care + instance edges; Cityscapes: 36 = 35 + instance edges, "more", aspect 2).
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROLE = "generator"


def _check_keys(ours: set[str], theirs: set[str], path: Path) -> None:
    missing, unexpected = sorted(ours - theirs), sorted(theirs - ours)
    if missing or unexpected:
        raise ValueError(f"{path}: not a SPADE generator of the layout read from it: missing {missing[:4]}, "
                         f"unexpected {unexpected[:4]} ({len(missing)} missing, {len(unexpected)} unexpected)")


def spade_config(state: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """The config the weights determine."""
    shared = state.get("head_0.norm_0.mlp_shared.0.weight")
    if shared is None:
        raise ValueError(f"{path}: no 'head_0.norm_0.mlp_shared.0.weight': not a NVlabs/SPADE generator state dict")
    if "head_0.norm_0.param_free_norm.running_mean" not in state:
        raise ValueError(f"{path}: its SPADE layers have no batch-norm statistics (a spade*instance* variant); "
                         "only the released batch-norm generators are supported")
    fc = state["fc.weight"]
    use_vae = fc.dim() == 2
    width = (fc.shape[0] if not use_vae else state["head_0.conv_0.weight_orig" if "head_0.conv_0.weight_orig" in state
                                                   else "head_0.conv_0.weight"].shape[0]) // 16
    config = {"num_classes": int(shared.shape[1]), "instance_edges": False, "spade_hidden": int(shared.shape[0]),
              "width": int(width), "use_vae": use_vae,
              "spectral_norm": "head_0.conv_0.weight_orig" in state}
    if use_vae:
        config["z_dim"] = int(fc.shape[1])
    if any(k.startswith("up_4.") for k in state):
        config["num_upsampling_layers"] = "most"
    return config


def convert(paths: Mapping[str, Path]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    import torch

    from zoo.readers import read_torch_weights

    path = Path(paths["checkpoint"])
    raw = read_torch_weights(path)
    if isinstance(raw, Mapping) and "state_dict" in raw and isinstance(raw["state_dict"], Mapping):
        raw = raw["state_dict"]
    if not isinstance(raw, Mapping):
        raise ValueError(f"{path}: expected a state dict, got {type(raw).__name__}")
    state = {k.removeprefix("module."): v for k, v in raw.items()}  # DataParallel
    config = spade_config(state, path)
    for key in [k for k in state if k.endswith("param_free_norm.running_mean")]:
        tracked = key.replace("running_mean", "num_batches_tracked")
        state.setdefault(tracked, torch.tensor(0, dtype=torch.long))  # older batch norms kept no count
    from zoo_plugins.spade.networks import SPADEGenerator

    # the key set does not depend on the resolution: build at the smallest size the layout allows
    probe = SPADEGenerator(**{**config, "resolution": 128 if config.get("num_upsampling_layers") == "most" else 64})
    _check_keys(set(probe.state_dict()), set(state), path)
    return config, {ROLE: {k: v.detach().clone().contiguous() for k, v in state.items()}}
