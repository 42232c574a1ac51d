"""GAN-INT-CLS's Lua Torch generators (`*_net_G.t7` of github.com/reedscot/icml2016, main_cls_int.lua's
netG) as a `ganintcls` generator with `residual=True`.

The file is read by zoo.readers.read_t7 (no code run). Its modules are walked in order: the text
compression's Linear (fcG, then LeakyReLU 0.2), then the SpatialFullConvolution /
SpatialConvolution / SpatialBatchNormalization layers, which must pair one to one with the generator's
own convolution and batch-norm layers in module order (the residual blocks' ConcatTable/CAddTable hold
theirs). A SpatialFullConvolution's weight (nInputPlane, nOutputPlane, kH, kW) is ConvTranspose2d's
layout and a SpatialConvolution's (nOutputPlane, nInputPlane, kH, kW) Conv2d's (a flat 2-D weight is
reshaped); biases are kept (Reed's training zeroes them before each step, but the file holds what the
last Adam step left). Batch norm keeps weight, bias and running mean/variance (an older nn's
`running_std`, the inverse standard deviation, turns back into a variance). z is N(0, I), Reed's
noise=normal. The generator wants Reed's 1,024-d char-CNN-RNN embeddings (convert_text) as `c`.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from zoo.errors import ZooError

PARAMETRIC = ("SpatialFullConvolution", "SpatialConvolution", "SpatialBatchNormalization", "Linear")


class GanIntClsLayoutError(ZooError, ValueError):
    """The .t7 file is not a GAN-INT-CLS generator laid out as Reed's main_cls_int.lua."""


def _kind(obj) -> str:
    return getattr(obj, "class_name", type(obj).__name__).split(".")[-1]


def _walk(obj, out: list) -> list:
    out.append(obj)
    modules = obj.fields.get("modules") if hasattr(obj, "fields") else None
    if isinstance(modules, dict):
        for key in sorted(k for k in modules if isinstance(k, (int, float))):
            _walk(modules[key], out)
    return out


def _tensor(module, key: str, name: str) -> torch.Tensor:
    value = module.fields.get(key)
    if value is None:
        raise GanIntClsLayoutError(f"{name}: {_kind(module)} has no {key!r}")
    return torch.from_numpy(value.astype("float32"))


def _bn_state(module, prefix: str, name: str) -> dict[str, torch.Tensor]:
    eps = float(module.fields.get("eps", 1e-5))
    if module.fields.get("running_var") is not None:
        var = _tensor(module, "running_var", name)
    else:  # older nn kept the inverse standard deviation
        var = _tensor(module, "running_std", name).double().pow(-2).sub(eps).float()
    return {f"{prefix}.weight": _tensor(module, "weight", name), f"{prefix}.bias": _tensor(module, "bias", name),
            f"{prefix}.running_mean": _tensor(module, "running_mean", name), f"{prefix}.running_var": var,
            f"{prefix}.num_batches_tracked": torch.tensor(0)}


def infer_config(layers: list, name: str) -> dict:
    fc = layers[0]
    full = [m for m in layers if _kind(m) == "SpatialFullConvolution"]
    if _kind(fc) != "Linear" or len(full) < 3:
        raise GanIntClsLayoutError(f"{name}: expected fcG's Linear then SpatialFullConvolutions, got "
                                   f"{[_kind(m) for m in layers][:6]} ...")
    text_features, text_dim = _tensor(fc, "weight", name).shape
    first = _tensor(full[0], "weight", name)
    return {"text_dim": int(text_dim), "text_features": int(text_features),
            "latent_dim": int(first.shape[0]) - int(text_features),
            "g_width": int(_tensor(full[-2], "weight", name).shape[1]),
            "channels": int(_tensor(full[-1], "weight", name).shape[1]), "resolution": 4 * 2 ** (len(full) - 1),
            "residual": True, "text_encoder": "char-cnn-rnn"}


def convert(paths: Mapping[str, Path]) -> tuple[dict, dict[str, dict[str, torch.Tensor]]]:
    """A GAN-INT-CLS net_G .t7 (key "checkpoint") -> (ganintcls config, {"generator": state_dict})."""
    from zoo.readers import read_t7
    from zoo_plugins.ganintcls.networks import GanIntClsGenerator

    if set(paths) != {"checkpoint"}:
        raise GanIntClsLayoutError(f"the ganintcls-t7 format reads one file (key 'checkpoint'), got {sorted(paths)}")
    path = Path(paths["checkpoint"])
    layers = [m for m in _walk(read_t7(path), []) if _kind(m) in PARAMETRIC]
    config = infer_config(layers, path.name)
    if not math.log2(config["resolution"]).is_integer() or config["g_width"] % 4:
        raise GanIntClsLayoutError(f"{path.name}: inferred {config} is not a GAN-INT-CLS generator")
    ours = GanIntClsGenerator(**config)
    targets = [(n, m) for n, m in ours.named_modules()
               if isinstance(m, (nn.ConvTranspose2d, nn.Conv2d, nn.BatchNorm2d, nn.Linear))]
    if len(targets) != len(layers):
        raise GanIntClsLayoutError(f"{path.name}: {len(layers)} parametric layers, a {config['resolution']} px "
                                   f"residual GAN-INT-CLS generator has {len(targets)}")
    state: dict[str, torch.Tensor] = {}
    for (prefix, target), layer in zip(targets, layers):
        kind = _kind(layer)
        want = {nn.ConvTranspose2d: "SpatialFullConvolution", nn.Conv2d: "SpatialConvolution",
                nn.BatchNorm2d: "SpatialBatchNormalization", nn.Linear: "Linear"}[type(target)]
        if kind != want:
            raise GanIntClsLayoutError(f"{path.name}: layer {prefix} should be a {want}, the file has a {kind}")
        if kind == "SpatialBatchNormalization":
            state.update(_bn_state(layer, prefix, path.name))
            continue
        weight = _tensor(layer, "weight", path.name)
        if weight.numel() != target.weight.numel():
            raise GanIntClsLayoutError(f"{path.name}: {prefix} weight has {tuple(weight.shape)}, "
                                       f"expected {tuple(target.weight.shape)}")
        state[f"{prefix}.weight"] = weight.reshape(target.weight.shape)
        state[f"{prefix}.bias"] = _tensor(layer, "bias", path.name)
    return config, {"generator": state}
