"""The authors' ESRGAN / Real-ESRGAN files -> our esrgan config and generator state dict.

The layouts (all plain torch state dicts, read with weights_only=True through zoo.readers):

- BasicSR / Real-ESRGAN (ESRGAN_SRx4_DF2KOST_official, RealESRGAN_x4plus / x2plus / x4plus_anime_6B):
  a dict {"params": sd} or {"params_ema": sd} (Real-ESRGAN's loader prefers params_ema) or the bare sd;
  keys conv_first, body.N.rdbK.convJ, conv_body, conv_up1, conv_up2, conv_hr, conv_last (our names).
  ×2plus: conv_first takes 4·3 channels (pixel-unshuffle by 2); ×1: 16·3 (by 4).
- ESRGAN's repository (RRDB_ESRGAN_x4.pth, RRDB_PSNR_x4.pth as now published): conv_first,
  RRDB_trunk.N.RDBK.convJ, trunk_conv, upconv1, upconv2, HRconv, conv_last.
- The same two files in their first release (the older `model.N.sub` layout, a torch Sequential):
  model.0 (conv_first), model.1.sub.N.RDBK.convJ.0 (block N), model.1.sub.NB (trunk conv), then an
  upsampling (nearest + conv + LeakyReLU) per ×2 whose convs sit at model.3 and model.6, and model.8
  (HR conv), model.10 (last conv).
- SRVGGNetCompact (realesr-general-x4v3, realesr-animevideov3): body.N (convolutions at even N, PReLU
  weights at odd N).

Every key is renamed by a rule or refused; the config (nf, nb, gc, scale) is read from the shapes.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path

from torch import Tensor

from zoo.errors import WeightsFormatError
from zoo.readers import read_torch_weights

WRAPPERS = ("params_ema", "params")  # Real-ESRGAN's inference takes params_ema where both exist
_ORIGINAL = [
    (r"RRDB_trunk\.(\d+)\.RDB(\d)\.(conv\d)\.(weight|bias)", "body.{0}.rdb{1}.{2}.{3}"),
    (r"trunk_conv\.(weight|bias)", "conv_body.{0}"),
    (r"upconv([12])\.(weight|bias)", "conv_up{0}.{1}"),
    (r"HRconv\.(weight|bias)", "conv_hr.{0}"),
    (r"(conv_first|conv_last)\.(weight|bias)", "{0}.{1}"),
]
_BASICSR = [
    (r"body\.(\d+)\.rdb(\d)\.(conv\d)\.(weight|bias)", "body.{0}.rdb{1}.{2}.{3}"),
    (r"(conv_first|conv_body|conv_up1|conv_up2|conv_hr|conv_last)\.(weight|bias)", "{0}.{1}"),
]
# model.N of the older layout (×4: two upsamplings) -> our names
_OLD_TOP = {"0": "conv_first", "3": "conv_up1", "6": "conv_up2", "8": "conv_hr", "10": "conv_last"}


def unwrap(raw) -> dict[str, Tensor]:
    """The state dict inside a BasicSR wrapper (params_ema first), or `raw` itself."""
    if not isinstance(raw, Mapping):
        raise WeightsFormatError(f"expected a state dict of tensors, got {type(raw).__name__}")
    for key in WRAPPERS:
        if key in raw:
            raw = raw[key]
            break
    if not isinstance(raw, Mapping) or not all(isinstance(v, Tensor) for v in raw.values()):
        raise WeightsFormatError("expected a state dict of tensors (or BasicSR's params / params_ema wrapper)")
    return dict(raw)


def layout(state: Mapping[str, Tensor]) -> str:
    """basicsr | original | old | srvgg, from the keys."""
    if "conv_first.weight" in state and "body.0.rdb1.conv1.weight" in state:
        return "basicsr"
    if "conv_first.weight" in state and "RRDB_trunk.0.RDB1.conv1.weight" in state:
        return "original"
    if "model.0.weight" in state and "model.1.sub.0.RDB1.conv1.0.weight" in state:
        return "old"
    if "body.0.weight" in state and all(k.startswith("body.") for k in state):
        return "srvgg"
    raise WeightsFormatError("not an ESRGAN / Real-ESRGAN file: no conv_first + body.0.rdb1 (BasicSR), "
                             "conv_first + RRDB_trunk (ESRGAN), model.1.sub (older ESRGAN) or body.N (SRVGGNetCompact) keys")


def _by_rules(key: str, rules, what: str) -> str:
    for pattern, template in rules:
        match = re.fullmatch(pattern, key)
        if match:
            return template.format(*match.groups())
    raise WeightsFormatError(f"unexpected tensor {key!r} in a {what} file")


def _old_name(key: str) -> str:
    match = re.fullmatch(r"model\.1\.sub\.(\d+)\.RDB(\d)\.(conv\d)\.0\.(weight|bias)", key)
    if match:
        return "body.{0}.rdb{1}.{2}.{3}".format(*match.groups())
    match = re.fullmatch(r"model\.1\.sub\.(\d+)\.(weight|bias)", key)
    if match:  # the trunk conv closes the block list; which index that is is checked in rrdb_config
        return f"conv_body.{match.group(2)}#{match.group(1)}"
    match = re.fullmatch(r"model\.(\d+)\.(weight|bias)", key)
    if match and match.group(1) in _OLD_TOP:
        return f"{_OLD_TOP[match.group(1)]}.{match.group(2)}"
    raise WeightsFormatError(f"unexpected tensor {key!r} in an older-layout (model.N.sub) ESRGAN file; only ×4 "
                             "files (model.3 / model.6 upsampling convs) exist in that layout")


def renamed(state: Mapping[str, Tensor], kind: str) -> dict[str, Tensor]:
    if kind == "basicsr":
        return {_by_rules(k, _BASICSR, "BasicSR RRDBNet"): v for k, v in state.items()}
    if kind == "original":
        return {_by_rules(k, _ORIGINAL, "ESRGAN RRDBNet"): v for k, v in state.items()}
    out = {}
    blocks = 1 + max(int(m.group(1)) for k in state if (m := re.match(r"model\.1\.sub\.(\d+)\.RDB", k)))
    for key, value in state.items():
        name = _old_name(key)
        if "#" in name:
            name, index = name.split("#")
            if int(index) != blocks:
                raise WeightsFormatError(f"{key}: expected the trunk conv at model.1.sub.{blocks}")
        out[name] = value
    return out


def rrdb_config(state: Mapping[str, Tensor]) -> dict:
    first, last = state["conv_first.weight"], state["conv_last.weight"]
    channels = last.shape[0]
    fold = math.isqrt(first.shape[1] // channels)
    scales = {1: 4, 2: 2, 4: 1}
    if fold * fold * channels != first.shape[1] or fold not in scales:
        raise WeightsFormatError(f"conv_first takes {first.shape[1]} channels for {channels}-channel images: "
                                 "expected 1, 4 or 16 times as many (×4, ×2, ×1)")
    blocks = {int(k.split(".")[1]) for k in state if k.startswith("body.")}
    return {"network": "rrdb", "channels": int(channels), "nf": int(first.shape[0]), "nb": len(blocks),
            "gc": int(state["body.0.rdb1.conv1.weight"].shape[0]), "scale": scales[fold]}


def srvgg_config(state: Mapping[str, Tensor]) -> dict:
    convs = sorted(int(k.split(".")[1]) for k in state if k.endswith(".weight") and state[k].ndim == 4)
    if convs != list(range(0, 2 * len(convs), 2)):
        raise WeightsFormatError("SRVGGNetCompact: expected convolutions at body.0, body.2, body.4, ...")
    if "body.1.weight" not in state:
        raise WeightsFormatError("SRVGGNetCompact: only the PReLU variant is supported (no body.1.weight)")
    first, last = state["body.0.weight"], state[f"body.{convs[-1]}.weight"]
    channels = first.shape[1]
    scale = math.isqrt(last.shape[0] // channels)
    if scale * scale * channels != last.shape[0]:
        raise WeightsFormatError(f"SRVGGNetCompact: the last conv gives {last.shape[0]} channels, not "
                                 f"{channels}·scale²")
    return {"network": "srvgg", "channels": int(channels), "nf": int(first.shape[0]),
            "num_conv": len(convs) - 2, "scale": int(scale), "act": "prelu"}


def convert_state(raw) -> tuple[dict, dict[str, Tensor]]:
    """(our config, our generator state dict) of any of the layouts above."""
    state = unwrap(raw)
    kind = layout(state)
    if kind == "srvgg":
        return srvgg_config(state), state
    ours = renamed(state, kind)
    return rrdb_config(ours), ours


def convert(paths: Mapping[str, Path]) -> tuple[dict, dict[str, dict[str, Tensor]]]:
    """The registered converter: paths["checkpoint"] (the .pth)."""
    if "checkpoint" not in paths:
        raise WeightsFormatError("the ESRGAN converter needs one file, checkpoint=FILE.pth")
    config, state = convert_state(read_torch_weights(paths["checkpoint"]))
    return config, {"generator": state}
