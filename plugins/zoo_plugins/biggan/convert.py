"""pytorch-pretrained-biggan's BigGAN-deep files -> our config and generator state dict.

The port (huggingface/pytorch-pretrained-BigGAN, from DeepMind's TF Hub modules) ships per model a
`config.json` (output_dim, z_dim, channel_width, num_classes, layers [[upsample, in, out], ...] in units of
channel_width, attention_layer_position, eps, n_stats) and a `pytorch_model.bin` state dict:

    embeddings.weight                             class embedding, a linear map of the class vector
    generator.gen_z.{weight_orig,weight_u,weight_v,bias}     [z, embedding] -> 4x4x16ch, rows in TF's
                                                             (h, w, c) order
    generator.layers.N.bn_K.{running_means,running_vars}     per-truncation statistics (n_stats rows)
    generator.layers.N.bn_K.{scale,offset}.weight_{orig,u,v} conditional gain and bias
    generator.layers.N.conv_K.{weight_orig,weight_u,weight_v,bias}
    generator.layers.A.snconv1x1_{theta,phi,g,o_conv}.weight_{orig,u,v}, generator.layers.A.gamma
    generator.bn.{running_means,running_vars,weight,bias}, generator.conv_to_rgb.*

Its loader uses `strict=False`; ours maps every key by a rule, refuses a key no rule knows, and the model
then loads the result strictly. The projection's rows are permuted from (h, w, c) to our (c, h, w) view,
its u with them, which leaves σ = uᵀWv and so the spectrally normalised weight unchanged.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import Tensor

from zoo.errors import WeightsFormatError
from zoo.readers import read_torch_weights

CONFIG_KEYS = ("output_dim", "z_dim", "channel_width", "num_classes", "layers", "attention_layer_position",
               "eps", "n_stats")
_SN = r"(weight_orig|weight_u|weight_v)"
_ATTENTION = {"theta": "query", "phi": "key", "g": "value", "o_conv": "out"}
# (official pattern, our name as a template); group names fill the template
_RULES = [
    (rf"embeddings\.weight", "embedding.weight"),
    (rf"generator\.gen_z\.(?P<p>{_SN}|bias)", "project.{p}"),
    (rf"generator\.layers\.(?P<i>\d+)\.bn_(?P<k>\d)\.(?P<p>running_means|running_vars)", "blocks.{i}.norm_{k}.{p}"),
    (rf"generator\.layers\.(?P<i>\d+)\.bn_(?P<k>\d)\.scale\.(?P<p>{_SN})", "blocks.{i}.norm_{k}.gain.{p}"),
    (rf"generator\.layers\.(?P<i>\d+)\.bn_(?P<k>\d)\.offset\.(?P<p>{_SN})", "blocks.{i}.norm_{k}.bias.{p}"),
    (rf"generator\.layers\.(?P<i>\d+)\.conv_(?P<k>\d)\.(?P<p>{_SN}|bias)", "blocks.{i}.conv_{k}.{p}"),
    (rf"generator\.layers\.(?P<i>\d+)\.snconv1x1_(?P<a>theta|phi|g|o_conv)\.(?P<p>{_SN})", "blocks.{i}.{a}.{p}"),
    (rf"generator\.layers\.(?P<i>\d+)\.gamma", "blocks.{i}.gamma"),
    (rf"generator\.bn\.(?P<p>running_means|running_vars|weight|bias)", "out_norm.{p}"),
    (rf"generator\.conv_to_rgb\.(?P<p>{_SN}|bias)", "to_rgb.{p}"),
]


def read_config(path: str | Path) -> dict:
    """The port's config.json (plain JSON: nothing is executed) with the keys the model needs."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WeightsFormatError(f"{path}: not a readable pytorch-pretrained-biggan config.json ({exc})") from None
    missing = [k for k in CONFIG_KEYS if not isinstance(raw, dict) or k not in raw]
    if missing:
        raise WeightsFormatError(f"{path}: not a pytorch-pretrained-biggan config.json: no {', '.join(missing)}")
    return raw


def our_config(official: Mapping) -> dict:
    """The biggan architecture's config (deep=True) for the port's config."""
    ch = int(official["channel_width"])
    return {
        "deep": True, "latent_dim": int(official["z_dim"]), "embed_dim": int(official["z_dim"]),
        "num_classes": int(official["num_classes"]), "resolution": int(official["output_dim"]), "channels": 3,
        "g_width": ch, "g_blocks": [[int(bool(u)), int(a), int(b)] for u, a, b in official["layers"]],
        "attention_block": int(official["attention_layer_position"]), "bottleneck": 4,
        "norm_stats": "per_truncation", "n_stats": int(official["n_stats"]), "norm_eps": float(official["eps"]),
        "sn_eps": float(official["eps"]), "rgb_channels": ch, "truncation_mode": "scaled",
    }


def rename(key: str) -> str:
    """Our name of one official key; a key no rule knows is refused."""
    for pattern, template in _RULES:
        match = re.fullmatch(pattern, key)
        if match:
            groups = {k: _ATTENTION.get(v, v) if k == "a" else v for k, v in match.groupdict().items()}
            return template.format(**groups)
    raise WeightsFormatError(f"pytorch_model.bin: unexpected tensor {key!r}: not a BigGAN-deep generator of "
                             "pytorch-pretrained-biggan")


def tf_rows_to_ours(width: int) -> Tensor:
    """Row order taking the projection's (h, w, c) rows of a 4x4xwidth map to our (c, h, w) rows."""
    ours = torch.arange(16 * width)
    return (ours % 16) * width + ours // 16


def convert_state(official: Mapping[str, Tensor], config: Mapping) -> dict[str, Tensor]:
    """Our generator state dict from the port's, every key renamed; gamma (1,) -> (); projection rows."""
    if not isinstance(official, Mapping) or not all(isinstance(v, Tensor) for v in official.values()):
        raise WeightsFormatError("pytorch_model.bin: expected a state dict of tensors")
    width = config["g_width"] * config["g_blocks"][0][1]
    order = tf_rows_to_ours(width)
    state = {}
    for key, value in official.items():
        name = rename(key)
        if name.startswith("project.") and not name.endswith("weight_v"):
            if value.shape[0] != len(order):
                raise WeightsFormatError(f"pytorch_model.bin: {key} has {value.shape[0]} rows, expected "
                                         f"{len(order)} (4x4x{width}) for the config's layers and channel_width")
            value = value[order]
        if name.endswith(".gamma"):
            value = value.reshape(())
        state[name] = value
    return state


def convert(paths: Mapping[str, Path]) -> tuple[dict, dict[str, dict[str, Tensor]]]:
    """The registered converter: paths["checkpoint"] (pytorch_model.bin), paths["config"] (config.json)."""
    for key in ("checkpoint", "config"):
        if key not in paths:
            raise WeightsFormatError(f"pytorch-pretrained-biggan needs two files, checkpoint=pytorch_model.bin "
                                     f"and config=config.json; {key!r} is missing")
    config = our_config(read_config(paths["config"]))
    official = read_torch_weights(paths["checkpoint"])
    return config, {"generator": convert_state(official, config)}
