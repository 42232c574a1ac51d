"""The converter of NVIDIA's StyleGAN (v1) TensorFlow pickles (NVlabs/stylegan: karras2019stylegan-ffhq-1024x1024.pkl
and the CelebA-HQ, LSUN bedroom / car / cat ones) into this plugin's layout, reading the file only through
zoo.readers (nothing from it is imported or run; TensorFlow is not needed).

A pickle is (G, D, Gs) of dnnlib.tflib.network.Network: Gs (G_style) holds `lod` and `dlatent_avg` and two
components, `mapping` (G_mapping: Dense{i}/weight [in, out], Dense{i}/bias) and `synthesis` (G_synthesis:
4x4/Const/const [1, C, 4, 4], per layer `<scope>/weight` [kh, kw, in, out], `<scope>/Noise/weight` [C],
`<scope>/bias`, `<scope>/StyleMod/weight` [w_dim, 2C] and bias, `noise{i}` [1, 1, r, r], ToRGB_lod{k});
D (D_basic) is ProGAN's with FromRGB_lod{k}, {r}x{r}/Conv0, Conv1_down, 4x4/Conv, Dense0, Dense1.

Weights are N(0, 1) values scaled at run time by gain / sqrt(fan_in) (times the mapping's lrmul); ours carry
the same constants, so a raw value maps to our stored value through the effective weight divided by our
gain. A fused up-sampling convolution (fused_scale True, or 'auto' and an output of 128 px or more) runs
the variable as a transposed convolution: the same as a nearest 2x up-sampling followed by the spatially
flipped kernel, which is what we store. The fused down-sampling of D is exactly conv, then 2x2 box filter.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from zoo.errors import ZooError
from zoo.nn.effective_weights import stored_state
from zoo.readers import read_nvlabs_pickle, tf_variables
from zoo_plugins.stylegan.networks import StyleGANDiscriminator, StyleGANGenerator


class UnsupportedCheckpointError(ZooError):
    """A checkpoint in a supported format whose network this plugin does not build."""


# the official functions' defaults (G_style, G_mapping, G_synthesis, D_basic), for keys a pickle leaves out
_G_DEFAULTS = {"truncation_psi": 0.7, "truncation_cutoff": 8, "truncation_psi_val": None,
               "truncation_cutoff_val": None, "dlatent_avg_beta": 0.995, "style_mixing_prob": 0.9,
               "latent_size": 512, "label_size": 0, "dlatent_size": 512, "dlatent_broadcast": None,
               "mapping_layers": 8, "mapping_fmaps": 512, "mapping_lrmul": 0.01, "mapping_nonlinearity": "lrelu",
               "use_wscale": True, "normalize_latents": True, "dtype": "float32", "num_channels": 3,
               "resolution": 1024, "fmap_base": 8192, "fmap_decay": 1.0, "fmap_max": 512, "use_styles": True,
               "const_input_layer": True, "use_noise": True, "randomize_noise": True, "nonlinearity": "lrelu",
               "use_pixel_norm": False, "use_instance_norm": True, "fused_scale": "auto", "blur_filter": [1, 2, 1],
               "structure": "auto"}
_D_DEFAULTS = {"num_channels": 1, "resolution": 32, "label_size": 0, "fmap_base": 8192, "fmap_decay": 1.0,
               "fmap_max": 512, "nonlinearity": "lrelu", "use_wscale": True, "mbstd_group_size": 4,
               "mbstd_num_features": 1, "dtype": "float32", "fused_scale": "auto", "blur_filter": [1, 2, 1],
               "structure": "auto"}
# what this plugin builds: key -> the only value accepted
_G_FIXED = {"label_size": 0, "mapping_nonlinearity": "lrelu", "dtype": "float32", "fmap_decay": 1.0,
            "use_styles": True, "const_input_layer": True, "use_noise": True, "nonlinearity": "lrelu",
            "use_pixel_norm": False, "use_instance_norm": True}
_D_FIXED = {"label_size": 0, "fmap_decay": 1.0, "nonlinearity": "lrelu", "dtype": "float32"}


def _state(net, path: str, what: str) -> dict:
    state = getattr(net, "state", None)
    if not isinstance(state, dict) or "variables" not in state:
        raise UnsupportedCheckpointError(f"{path}: {what} is not a TensorFlow-era Network")
    return state


def _kwargs(net, defaults: dict, fixed: dict, path: str, what: str) -> dict:
    """The network's static kwargs over the defaults, its components' (which built their layers) last; each
    network's own checked for unknown keys and values this plugin does not build."""
    kw = dict(defaults)
    for n in [net, *(_state(net, path, what).get("components") or {}).values()]:
        own = dict(_state(n, path, what).get("static_kwargs") or {})
        unknown = sorted(set(own) - set(defaults))
        if unknown:
            raise UnsupportedCheckpointError(f"{path}: unknown {what} argument {unknown[0]!r}")
        for key, ok in fixed.items():
            if key in own and own[key] != ok:
                raise UnsupportedCheckpointError(f"{path}: {what} has {key}={own[key]!r}; this plugin builds "
                                                 f"{key}={ok!r} only")
        kw.update(own)
    blur = kw["blur_filter"]
    if blur not in (None, [1, 2, 1], (1, 2, 1)):
        raise UnsupportedCheckpointError(f"{path}: blur filter {blur!r}; [1, 2, 1] or none only")
    return kw


def _fused_up(kw: dict, out_resolution: int) -> bool:
    """upscale2d_conv2d's choice: fused_scale, or under 'auto' an output of at least 128 px."""
    fused = kw["fused_scale"]
    return out_resolution >= 128 if fused == "auto" else bool(fused)


def _conv(w, *, flip: bool = False) -> np.ndarray:
    """[kh, kw, in, out] -> [out, in, kh, kw] (spatially flipped for a transposed convolution's kernel)."""
    w = np.asarray(w, dtype=np.float32)
    if flip:
        w = w[::-1, ::-1]
    return np.ascontiguousarray(w.transpose(3, 2, 0, 1))


def _coef(shape, gain: float, use_wscale: bool, lrmul: float = 1.0) -> float:
    """get_weight()'s run-time coefficient of a raw variable."""
    he_std = gain / math.sqrt(float(np.prod(shape[:-1])))
    return he_std * lrmul if use_wscale else lrmul


def tf_generator(gs, path: str) -> tuple[dict, dict[str, torch.Tensor]]:
    kw = _kwargs(gs, _G_DEFAULTS, _G_FIXED, path, "G_style")
    comps = _state(gs, path, "Gs").get("components") or {}
    if "mapping" not in comps or "synthesis" not in comps:
        raise UnsupportedCheckpointError(f"{path}: Gs has no mapping and synthesis components (not G_style)")
    if kw["mapping_fmaps"] != kw["dlatent_size"]:
        raise UnsupportedCheckpointError(f"{path}: mapping_fmaps {kw['mapping_fmaps']} != dlatent_size; equal only")
    top, m, s = tf_variables(gs), tf_variables(comps["mapping"]), tf_variables(comps["synthesis"])
    res_log2, ws, s2 = int(math.log2(kw["resolution"])), bool(kw["use_wscale"]), math.sqrt(2)
    cutoff = kw["truncation_cutoff"]
    config = {"z_dim": int(kw["latent_size"]), "w_dim": int(kw["dlatent_size"]), "resolution": int(kw["resolution"]),
              "channels": int(kw["num_channels"]), "mapping_layers": int(kw["mapping_layers"]),
              "mapping_lr_multiplier": float(kw["mapping_lrmul"]), "channel_base": 2 * int(kw["fmap_base"]),
              "channel_max": int(kw["fmap_max"]), "w_avg_beta": float(kw["dlatent_avg_beta"] or 1.0),
              "truncation_cutoff": None if cutoff is None or cutoff <= 0 else int(cutoff),
              "blur": kw["blur_filter"] is not None}
    lrmul = config["mapping_lr_multiplier"]
    eff = {"w_avg.w_avg": top["dlatent_avg"], "synthesis.lod": np.float32(top.get("lod", 0.0))}
    for i in range(config["mapping_layers"]):
        w = np.asarray(m[f"Dense{i}/weight"], np.float32)
        eff[f"mapping.layers.{i}.weight"] = (w * _coef(w.shape, s2, ws, lrmul)).T
        eff[f"mapping.layers.{i}.bias"] = np.asarray(m[f"Dense{i}/bias"], np.float32) * lrmul

    def epilogue(dst: str, scope: str, layer: int) -> None:
        sw = np.asarray(s[f"{scope}/StyleMod/weight"], np.float32)
        eff[f"{dst}.noise.weight"] = s[f"{scope}/Noise/weight"]
        eff[f"{dst}.noise.noise_const"] = np.asarray(s[f"noise{layer}"])[0, 0]
        eff[f"{dst}.bias"] = s[f"{scope}/bias"]
        eff[f"{dst}.style.affine.weight"] = (sw * _coef(sw.shape, 1.0, ws)).T
        eff[f"{dst}.style.affine.bias"] = s[f"{scope}/StyleMod/bias"]

    def conv(dst: str, scope: str, gain: float, flip: bool = False) -> None:
        w = np.asarray(s[f"{scope}/weight"], np.float32)
        eff[dst] = _conv(w * _coef(w.shape, gain, ws), flip=flip)

    eff["synthesis.blocks.0.const"] = np.asarray(s["4x4/Const/const"])[0]
    epilogue("synthesis.blocks.0.epi0", "4x4/Const", 0)
    conv("synthesis.blocks.0.conv1.weight", "4x4/Conv", s2)
    epilogue("synthesis.blocks.0.epi1", "4x4/Conv", 1)
    for i, res in enumerate(range(3, res_log2 + 1), start=1):
        r = 2 ** res
        conv(f"synthesis.blocks.{i}.conv0.weight", f"{r}x{r}/Conv0_up", s2, flip=_fused_up(kw, r))
        epilogue(f"synthesis.blocks.{i}.epi0", f"{r}x{r}/Conv0_up", 2 * res - 4)
        conv(f"synthesis.blocks.{i}.conv1.weight", f"{r}x{r}/Conv1", s2)
        epilogue(f"synthesis.blocks.{i}.epi1", f"{r}x{r}/Conv1", 2 * res - 3)
    for i, res in enumerate(range(2, res_log2 + 1)):
        conv(f"synthesis.torgb.{i}.weight", f"ToRGB_lod{res_log2 - res}", 1.0)
        eff[f"synthesis.torgb.{i}.bias"] = s[f"ToRGB_lod{res_log2 - res}/bias"]
    return config, stored_state(eff, StyleGANGenerator(**config), error=UnsupportedCheckpointError, where=path)


def tf_discriminator(d, config: dict, path: str) -> tuple[dict, dict[str, torch.Tensor]]:
    kw = _kwargs(d, _D_DEFAULTS, _D_FIXED, path, "D_basic")
    if (kw["resolution"], kw["num_channels"], 2 * kw["fmap_base"], kw["fmap_max"]) != (
            config["resolution"], config["channels"], config["channel_base"], config["channel_max"]):
        raise UnsupportedCheckpointError(f"{path}: G and D differ in resolution, channels or feature maps")
    if (kw["blur_filter"] is not None) != config["blur"]:
        raise UnsupportedCheckpointError(f"{path}: G and D differ in their blur filter")
    v = tf_variables(d)
    res_log2, ws, s2 = int(math.log2(kw["resolution"])), bool(kw["use_wscale"]), math.sqrt(2)
    group = int(kw["mbstd_group_size"])
    d_config = {"mbstd_group_size": group, "mbstd_num_channels": int(kw["mbstd_num_features"])}
    eff = {"lod": np.float32(v.get("lod", 0.0))}

    def layer(dst: str, scope: str, gain: float, dense: bool = False) -> None:
        w = np.asarray(v[f"{scope}/weight"], np.float32)
        w = w * _coef(w.shape, gain, ws)
        eff[f"{dst}.weight"] = w.T if dense else _conv(w)
        eff[f"{dst}.bias"] = v[f"{scope}/bias"]

    for i, res in enumerate(range(2, res_log2 + 1)):
        layer(f"fromrgb.{i}", f"FromRGB_lod{res_log2 - res}", s2)
    for i, res in enumerate(range(3, res_log2 + 1)):
        r = 2 ** res
        layer(f"blocks.{i}.conv0", f"{r}x{r}/Conv0", s2)
        layer(f"blocks.{i}.conv1", f"{r}x{r}/Conv1_down", s2)
    layer("conv", "4x4/Conv", s2)
    layer("dense0", "4x4/Dense0", s2, dense=True)
    layer("dense1", "4x4/Dense1", 1.0, dense=True)
    model = StyleGANDiscriminator(config["resolution"], config["channels"], config["channel_base"],
                                  config["channel_max"], blur=config["blur"], **d_config)
    return d_config, stored_state(eff, model, error=UnsupportedCheckpointError, where=path)


def convert_tf(paths: Mapping[str, Path]) -> tuple[dict, dict[str, dict]]:
    path = paths["checkpoint"]
    nets = read_nvlabs_pickle(path)
    if not (isinstance(nets, tuple) and len(nets) == 3):
        raise UnsupportedCheckpointError(f"{path}: not a StyleGAN TensorFlow pickle (G, D, Gs)")
    _, d, gs = nets
    config, g_state = tf_generator(gs, str(path))
    d_config, d_state = tf_discriminator(d, config, str(path))
    return {**config, **d_config}, {"generator": g_state, "discriminator": d_state}
