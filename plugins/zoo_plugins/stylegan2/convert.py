"""Converters of the official StyleGAN2 checkpoints into this plugin's layout, reading files only through
zoo.readers (nothing from a file is imported or run):

- `stylegan2-ada-pytorch`: NVlabs' network pickles (network-snapshot-*.pkl and the released ffhq.pkl,
  metfaces.pkl, afhq*.pkl, brecahad.pkl): G_ema (and D) from the inert placeholders of the restricted
  unpickler, the configuration from the pickled constructor arguments (`_init_kwargs`);
- `stylegan2-rosinality`: rosinality/stylegan2-pytorch's `.pt` checkpoints ({g_ema, d, latent_avg?, args}),
  through torch.load(weights_only=True); the configuration from the tensors' shapes.

Both networks compute what ours computes (the same FIR filter, paddings, weight flips and gains), so the
weights map name by name; rosinality's per-layer weight scale 1/sqrt(fan_in) is what our demodulation
cancels and our toRGB styles carry.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path

import torch

from zoo.errors import ZooError
from zoo.readers import module_state_dict, read_nvlabs_pickle, read_torch_weights


class UnsupportedCheckpointError(ZooError):
    """A checkpoint in a supported format whose network this plugin does not build (yet)."""


def _tensor(value) -> torch.Tensor:
    return value if isinstance(value, torch.Tensor) else torch.as_tensor(value)


def _kwargs(obj, path: str) -> dict:
    state = getattr(obj, "state", None)
    if not isinstance(state, dict) or not isinstance(state.get("_init_kwargs"), Mapping):
        raise UnsupportedCheckpointError(f"{path}: not a stylegan2-ada-pytorch network (no constructor arguments)")
    return dict(state["_init_kwargs"])


# -- stylegan2-ada-pytorch -------------------------------------------------------------------------
def _sg2ada_config(g_kwargs: dict, d_kwargs: dict | None, path: str) -> dict:
    if g_kwargs.get("c_dim", 0):
        raise UnsupportedCheckpointError(f"{path}: a class-conditional generator (c_dim={g_kwargs['c_dim']}); "
                                         "this plugin builds unconditional StyleGAN2 only")
    mapping, synthesis = dict(g_kwargs.get("mapping_kwargs", {})), dict(g_kwargs.get("synthesis_kwargs", {}))
    if synthesis.get("architecture", "skip") != "skip":
        raise UnsupportedCheckpointError(f"{path}: generator architecture {synthesis['architecture']!r}; "
                                         "only config F's 'skip' generator is built here")
    config = {"z_dim": int(g_kwargs["z_dim"]), "w_dim": int(g_kwargs["w_dim"]),
              "resolution": int(g_kwargs["img_resolution"]), "channels": int(g_kwargs["img_channels"]),
              "mapping_layers": int(mapping.get("num_layers", 8)),
              "mapping_lr_multiplier": float(mapping.get("lr_multiplier", 0.01)),
              "w_avg_beta": float(mapping.get("w_avg_beta", 0.995)),
              "channel_base": int(synthesis.get("channel_base", 32768)),
              "channel_max": int(synthesis.get("channel_max", 512)),
              "conv_clamp": synthesis.get("conv_clamp")}
    if d_kwargs is not None:
        if d_kwargs.get("architecture", "resnet") != "resnet":
            raise UnsupportedCheckpointError(f"{path}: discriminator architecture {d_kwargs['architecture']!r}; "
                                             "only config F's 'resnet' discriminator is built here")
        epilogue = dict(d_kwargs.get("epilogue_kwargs", {}))
        for key in ("channel_base", "channel_max", "conv_clamp"):
            theirs = d_kwargs.get(key, {"channel_base": 32768, "channel_max": 512, "conv_clamp": None}[key])
            if theirs != config[key]:
                raise UnsupportedCheckpointError(f"{path}: G and D differ in {key} ({config[key]} vs {theirs})")
        config["mbstd_group_size"] = epilogue.get("mbstd_group_size", 4)
        config["mbstd_num_channels"] = int(epilogue.get("mbstd_num_channels", 1))
    return config


_SG2ADA_LAYER = {"noise_strength": "noise.strength", "noise_const": "noise.noise_const"}


def sg2ada_generator_state(weights: Mapping[str, torch.Tensor], resolution: int) -> dict[str, torch.Tensor]:
    index = {2 ** (i + 2): i for i in range(int(math.log2(resolution)) - 1)}  # 4 px -> block 0
    state = {}
    for name, value in weights.items():
        if name.endswith("resample_filter"):
            continue  # always [1, 3, 3, 1]; ours is a non-persistent buffer
        if m := re.fullmatch(r"mapping\.fc(\d+)\.(weight|bias)", name):
            state[f"mapping.layers.{m[1]}.{m[2]}"] = value
        elif name == "mapping.w_avg":
            state["w_avg.w_avg"] = value
        elif m := re.fullmatch(r"synthesis\.b(\d+)\.(.+)", name):
            block, rest = index[int(m[1])], m[2]
            layer, _, leaf = rest.partition(".")
            leaf = _SG2ADA_LAYER.get(leaf, leaf)
            state[f"synthesis.blocks.{block}.{layer}" + (f".{leaf}" if leaf else "")] = value
        else:
            raise UnsupportedCheckpointError(f"unexpected generator tensor {name!r}")
    return {k: _tensor(v).float().clone() for k, v in state.items()}


def sg2ada_discriminator_state(weights: Mapping[str, torch.Tensor], resolution: int) -> dict[str, torch.Tensor]:
    index = {resolution // 2 ** i: i for i in range(int(math.log2(resolution)) - 2)}  # top resolution -> block 0
    state = {}
    for name, value in weights.items():
        if name.endswith("resample_filter"):
            continue
        if m := re.fullmatch(r"b4\.(conv|fc|out)\.(weight|bias)", name):
            state[f"{m[1]}.{m[2]}"] = value
        elif m := re.fullmatch(r"b(\d+)\.(fromrgb|conv0|conv1|skip)\.(weight|bias)", name):
            state[f"blocks.{index[int(m[1])]}.{m[2]}.{m[3]}"] = value
        else:
            raise UnsupportedCheckpointError(f"unexpected discriminator tensor {name!r}")
    return {k: _tensor(v).float().clone() for k, v in state.items()}


def convert_sg2ada(paths: Mapping[str, Path]) -> tuple[dict, dict[str, dict]]:
    path = paths["checkpoint"]
    snapshot = read_nvlabs_pickle(path)
    if not isinstance(snapshot, Mapping) or "G_ema" not in snapshot:
        raise UnsupportedCheckpointError(f"{path}: not a stylegan2-ada-pytorch snapshot (no 'G_ema')")
    g_ema, d = snapshot["G_ema"], snapshot.get("D")
    config = _sg2ada_config(_kwargs(g_ema, str(path)), _kwargs(d, str(path)) if d is not None else None, str(path))
    states = {"generator": sg2ada_generator_state(module_state_dict(g_ema), config["resolution"])}
    if d is not None:
        states["discriminator"] = sg2ada_discriminator_state(module_state_dict(d), config["resolution"])
    return config, states


# -- rosinality ---------------------------------------------------------------------------------------
def _channel_rule(channels: dict[int, int], path: str) -> tuple[int, int]:
    """(channel_base, channel_max) with min(base // res, max) == channels[res] at every resolution."""
    top = channels[4]
    below = [c * r for r, c in channels.items() if c < top]
    base = max(below) if below else top * max(channels)
    if any(min(base // r, top) != c for r, c in channels.items()):
        raise UnsupportedCheckpointError(f"{path}: channels {channels} follow no min(base / res, max) rule")
    return base, top


def rosinality_generator(g: Mapping[str, torch.Tensor], path: str) -> tuple[dict, dict[str, torch.Tensor]]:
    n_mlp = sum(1 for k in g if re.fullmatch(r"style\.\d+\.weight", k))
    w_dim, z_dim = g["style.1.weight"].shape
    n_convs = sum(1 for k in g if re.fullmatch(r"convs\.\d+\.conv\.weight", k))
    resolution = 2 ** (n_convs // 2 + 2)
    channels = {4: g["conv1.conv.weight"].shape[1]}
    for i in range(n_convs // 2):
        channels[2 ** (i + 3)] = g[f"convs.{2 * i}.conv.weight"].shape[1]
    base, top = _channel_rule(channels, path)
    config = {"z_dim": int(z_dim), "w_dim": int(w_dim), "resolution": resolution,
              "channels": int(g["to_rgb1.conv.weight"].shape[1]), "mapping_layers": n_mlp,
              "channel_base": base, "channel_max": top, "conv_clamp": None}

    def styled(src: str, dst: str, noise: int | None) -> dict:
        out = {f"{dst}.weight": g[f"{src}.conv.weight"][0], f"{dst}.affine.weight": g[f"{src}.conv.modulation.weight"],
               f"{dst}.affine.bias": g[f"{src}.conv.modulation.bias"]}
        if noise is None:  # toRGB: bias of shape (1, C, 1, 1)
            out[f"{dst}.bias"] = g[f"{src}.bias"].flatten()
        else:
            out[f"{dst}.bias"] = g[f"{src}.activate.bias"]
            out[f"{dst}.noise.strength"] = g[f"{src}.noise.weight"].reshape(())
            out[f"{dst}.noise.noise_const"] = g[f"noises.noise_{noise}"][0, 0]
        return out

    state = {f"mapping.layers.{j - 1}.{p}": g[f"style.{j}.{p}"] for j in range(1, n_mlp + 1) for p in ("weight", "bias")}
    state["synthesis.blocks.0.const"] = g["input.input"][0]
    state.update(styled("conv1", "synthesis.blocks.0.conv1", 0))
    state.update(styled("to_rgb1", "synthesis.blocks.0.torgb", None))
    for i in range(n_convs // 2):
        state.update(styled(f"convs.{2 * i}", f"synthesis.blocks.{i + 1}.conv0", 2 * i + 1))
        state.update(styled(f"convs.{2 * i + 1}", f"synthesis.blocks.{i + 1}.conv1", 2 * i + 2))
        state.update(styled(f"to_rgbs.{i}", f"synthesis.blocks.{i + 1}.torgb", None))
    return config, {k: _tensor(v).float().clone() for k, v in state.items()}


def _estimated_w_avg(config: dict, state: dict, samples: int = 10_000) -> torch.Tensor:
    """rosinality's training checkpoints keep no w average (its generate.py maps 4,096 latents at run
    time); the mean w of 10,000 latents from a fixed seed stands in."""
    from zoo_plugins.stylegan2.networks import MappingNetwork

    mapping = MappingNetwork(config["z_dim"], config["w_dim"], config["mapping_layers"])
    mapping.load_state_dict({k.removeprefix("mapping."): v for k, v in state.items() if k.startswith("mapping.")})
    with torch.no_grad():
        z = torch.randn(samples, config["z_dim"], generator=torch.Generator().manual_seed(0))
        return mapping(z).mean(0)


def convert_rosinality(paths: Mapping[str, Path]) -> tuple[dict, dict[str, dict]]:
    path = paths["checkpoint"]
    ckpt = read_torch_weights(path, extra=("argparse.Namespace",))
    if not isinstance(ckpt, Mapping) or "g_ema" not in ckpt:
        raise UnsupportedCheckpointError(f"{path}: not a rosinality/stylegan2-pytorch checkpoint (no 'g_ema')")
    config, state = rosinality_generator(ckpt["g_ema"], str(path))
    if ckpt.get("latent_avg") is not None:
        state["w_avg.w_avg"] = _tensor(ckpt["latent_avg"]).float().reshape(-1).clone()
    else:
        state["w_avg.w_avg"] = _estimated_w_avg(config, state)
    return config, {"generator": state}


# -- the TensorFlow-era StyleGAN2 pickles (NVlabs/stylegan2, config F) ---------------------------------
_TF_G_KWARGS = {"latent_size", "label_size", "dlatent_size", "resolution", "num_channels", "mapping_layers",
                "label_fmaps", "mapping_fmaps", "mapping_nonlinearity", "mapping_lrmul", "w_avg_beta", "fmap_base",
                "fmap_max", "num_fp16_res", "conv_clamp", "architecture", "resample_kernel", "use_noise",
                "nonlinearity", "truncation_psi", "truncation_cutoff", "style_mixing_prob", "structure"}


def _tf_params(network, prefix: str = "") -> dict:
    """Every variable of a pickled TensorFlow-era Network and its components, named component/variable."""
    state = getattr(network, "state", None)
    if not isinstance(state, dict) or "variables" not in state:
        raise UnsupportedCheckpointError(f"{network!r} is not a TensorFlow-era Network")
    params = {prefix + str(name): value for name, value in state["variables"]}
    for name, comp in (state.get("components") or {}).items():
        params.update(_tf_params(comp, f"{prefix}{name}/"))
    return params


def _t(value, *, conv: bool = False, dense: bool = False, flip: bool = False) -> torch.Tensor:
    """A TF variable in torch's layout: convolutions [kh, kw, in, out] -> [out, in, kh, kw] (spatially flipped
    for the transposed up-sampling convolutions), dense [in, out] -> [out, in]."""
    import numpy as np

    a = np.asarray(value, dtype=np.float32)
    if flip:
        a = a[::-1, ::-1]
    if conv:
        a = a.transpose(3, 2, 0, 1)
    if dense:
        a = a.T
    return torch.from_numpy(np.ascontiguousarray(a))


def _tf_config(kwargs: dict, path: str) -> dict:
    unknown = sorted(set(kwargs) - _TF_G_KWARGS)
    if unknown:
        raise UnsupportedCheckpointError(f"{path}: unknown TensorFlow generator argument {unknown[0]!r}")
    if kwargs.get("label_size", 0):
        raise UnsupportedCheckpointError(f"{path}: a class-conditional generator; only unconditional StyleGAN2 is built here")
    if kwargs.get("architecture", "skip") != "skip" or kwargs.get("structure") not in (None, "auto", "fixed"):
        raise UnsupportedCheckpointError(f"{path}: only config F's skip generator is built here")
    return {"z_dim": int(kwargs.get("latent_size", 512)), "w_dim": int(kwargs.get("dlatent_size", 512)),
            "resolution": int(kwargs.get("resolution", 1024)), "channels": int(kwargs.get("num_channels", 3)),
            "mapping_layers": int(kwargs.get("mapping_layers", 8)),
            "mapping_lr_multiplier": float(kwargs.get("mapping_lrmul", 0.01)),
            "w_avg_beta": float(kwargs.get("w_avg_beta", 0.995) or 1.0),
            "channel_base": int(kwargs.get("fmap_base", 16384)) * 2, "channel_max": int(kwargs.get("fmap_max", 512)),
            "conv_clamp": kwargs.get("conv_clamp")}


def convert_tf_generator(gs, path: str) -> tuple[dict, dict[str, torch.Tensor]]:
    config = _tf_config(dict(gs.state.get("static_kwargs") or {}), path)
    p = _tf_params(gs)
    if any(k.startswith("synthesis/") and "ToRGB_lod" in k for k in p):
        raise UnsupportedCheckpointError(f"{path}: a progressive ('orig') generator; only config F is built here")
    state = {"w_avg.w_avg": _t(p["dlatent_avg"])}
    for i in range(config["mapping_layers"]):
        state[f"mapping.layers.{i}.weight"] = _t(p[f"mapping/Dense{i}/weight"], dense=True)
        state[f"mapping.layers.{i}.bias"] = _t(p[f"mapping/Dense{i}/bias"])

    def styled(dst: str, src: str, noise: int | None, flip: bool = False) -> None:
        state[f"{dst}.weight"] = _t(p[f"{src}/weight"], conv=True, flip=flip)
        state[f"{dst}.bias"] = _t(p[f"{src}/bias"])
        state[f"{dst}.affine.weight"] = _t(p[f"{src}/mod_weight"], dense=True)
        state[f"{dst}.affine.bias"] = _t(p[f"{src}/mod_bias"]) + 1  # TF adds the 1 at run time
        if noise is not None:
            state[f"{dst}.noise.strength"] = _t(p[f"{src}/noise_strength"]).reshape(())
            state[f"{dst}.noise.noise_const"] = _t(p[f"synthesis/noise{noise}"])[0, 0]

    state["synthesis.blocks.0.const"] = _t(p["synthesis/4x4/Const/const"])[0]
    styled("synthesis.blocks.0.conv1", "synthesis/4x4/Conv", 0)
    styled("synthesis.blocks.0.torgb", "synthesis/4x4/ToRGB", None)
    for k in range(1, int(math.log2(config["resolution"])) - 1):
        r = 2 ** (k + 2)
        styled(f"synthesis.blocks.{k}.conv0", f"synthesis/{r}x{r}/Conv0_up", 2 * k - 1, flip=True)
        styled(f"synthesis.blocks.{k}.conv1", f"synthesis/{r}x{r}/Conv1", 2 * k)
        styled(f"synthesis.blocks.{k}.torgb", f"synthesis/{r}x{r}/ToRGB", None)
    return config, state


def convert_tf_discriminator(d, resolution: int) -> tuple[dict, dict[str, torch.Tensor]]:
    kwargs = dict(d.state.get("static_kwargs") or {})
    p = _tf_params(d)
    state = {"conv.weight": _t(p["4x4/Conv/weight"], conv=True), "conv.bias": _t(p["4x4/Conv/bias"]),
             "fc.weight": _t(p["4x4/Dense0/weight"], dense=True), "fc.bias": _t(p["4x4/Dense0/bias"]),
             "out.weight": _t(p["Output/weight"], dense=True), "out.bias": _t(p["Output/bias"])}
    for k in range(int(math.log2(resolution)) - 2):
        r = resolution // 2 ** k
        if k == 0:
            state["blocks.0.fromrgb.weight"] = _t(p[f"{r}x{r}/FromRGB/weight"], conv=True)
            state["blocks.0.fromrgb.bias"] = _t(p[f"{r}x{r}/FromRGB/bias"])
        for ours, theirs in (("conv0", "Conv0"), ("conv1", "Conv1_down")):
            state[f"blocks.{k}.{ours}.weight"] = _t(p[f"{r}x{r}/{theirs}/weight"], conv=True)
            state[f"blocks.{k}.{ours}.bias"] = _t(p[f"{r}x{r}/{theirs}/bias"])
        state[f"blocks.{k}.skip.weight"] = _t(p[f"{r}x{r}/Skip/weight"], conv=True)
    # stylegan2-ada-pytorch's legacy.py reads an absent mbstd_group_size as None (the whole batch)
    config = {"mbstd_group_size": kwargs.get("mbstd_group_size"),
              "mbstd_num_channels": int(kwargs.get("mbstd_num_features", 1))}
    return config, state


def convert_tf(paths: Mapping[str, Path]) -> tuple[dict, dict[str, dict]]:
    path = paths["checkpoint"]
    nets = read_nvlabs_pickle(path)
    if not (isinstance(nets, tuple) and len(nets) == 3):
        raise UnsupportedCheckpointError(f"{path}: not a TensorFlow-era StyleGAN2 pickle (G, D, Gs)")
    _, d, gs = nets
    config, g_state = convert_tf_generator(gs, str(path))
    d_config, d_state = convert_tf_discriminator(d, config["resolution"])
    return {**config, **d_config}, {"generator": g_state, "discriminator": d_state}
