"""BasicSR's MSRResNet files (e.g. MSRResNet_x4 of BasicSR's model zoo) -> the msrresnet config and
generator state dict. The file is {"params": sd} or {"params_ema": sd} (params_ema preferred, as BasicSR's
and Real-ESRGAN's inference do) or the bare sd; the keys are ours (conv_first, body.N.conv1/conv2,
upconv1, upconv2 (×4 only), conv_hr, conv_last), each checked; width, blocks and scale come from the shapes.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from torch import Tensor

from zoo.errors import WeightsFormatError
from zoo.readers import read_torch_weights

_KEY = re.compile(r"(conv_first|upconv1|upconv2|conv_hr|conv_last|body\.\d+\.conv[12])\.(weight|bias)")


def unwrap(raw) -> dict[str, Tensor]:
    if isinstance(raw, Mapping):
        for key in ("params_ema", "params"):
            if key in raw:
                raw = raw[key]
                break
    if not isinstance(raw, Mapping) or not all(isinstance(v, Tensor) for v in raw.values()):
        raise WeightsFormatError("expected a state dict of tensors (or BasicSR's params / params_ema wrapper)")
    return dict(raw)


def convert_state(raw) -> tuple[dict, dict[str, Tensor]]:
    state = unwrap(raw)
    for key in state:
        if not _KEY.fullmatch(key):
            raise WeightsFormatError(f"unexpected tensor {key!r}: not a BasicSR MSRResNet file")
    if "conv_first.weight" not in state or "upconv1.weight" not in state:
        raise WeightsFormatError("not a BasicSR MSRResNet file: no conv_first / upconv1")
    width = int(state["conv_first.weight"].shape[0])
    ratio = state["upconv1.weight"].shape[0] // width
    scale = 4 if "upconv2.weight" in state else {4: 2, 9: 3}.get(ratio)
    if scale is None:
        raise WeightsFormatError(f"upconv1 gives {ratio}× the width: expected 4 (×2, ×4) or 9 (×3)")
    blocks = len({k.split(".")[1] for k in state if k.startswith("body.")})
    return {"channels": int(state["conv_first.weight"].shape[1]), "width": width, "blocks": blocks,
            "scale": scale}, state


def convert(paths: Mapping[str, Path]) -> tuple[dict, dict[str, dict[str, Tensor]]]:
    if "checkpoint" not in paths:
        raise WeightsFormatError("the MSRResNet converter needs one file, checkpoint=FILE.pth")
    config, state = convert_state(read_torch_weights(paths["checkpoint"]))
    return config, {"generator": state}
