"""Converters of the official Progressive GAN checkpoints into this plugin's layout, reading files only
through zoo.readers (nothing from a file is imported or run):

- `progan-tf`: tkarras/progressive_growing_of_gans TensorFlow pickles (G, D, Gs) of `tfutil.Network`s
  (karras2018iclr-celebahq-1024x1024.pkl and the LSUN ones): Gs and D from their variables
  ([kh, kw, in, out] convolutions, [in, out] dense layers; the fused up-sampling `Conv0_up` kernels are
  [kh, kw, out, in] of a transposed convolution, i.e. our 3x3 kernel flipped), the configuration from
  their static_kwargs with G_paper's / D_paper's defaults, the growing state from their `lod` variable;
- `pgan-pytorch-gan-zoo`: facebookresearch/pytorch_GAN_zoo PGAN `.pth` files ({config, netG, netD, avgG})
  through torch.load(weights_only=True), the saved config object read as plain attributes. Its
  equalized layers scale the output, bias included, by sqrt(2 / fan_in): the scale is folded into the
  weights and biases; its alpha (the weight of the old, up-sampled output) is our lod's fraction.

The weights are stored as `effective weight / our He constant`, so any gain the authors used maps exactly.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from zoo.errors import ZooError
from zoo.nn.effective_weights import stored_state
from zoo.readers import read_nvlabs_pickle, read_torch_weights, tf_variables
from zoo_plugins.progan.networks import ProGANDiscriminator, ProGANGenerator


class UnsupportedCheckpointError(ZooError):
    """A checkpoint in a supported format whose network this plugin does not build."""


# -- the TensorFlow pickles ---------------------------------------------------------------------------
_G_DEFAULTS = {"num_channels": 1, "resolution": 32, "label_size": 0, "fmap_base": 8192, "fmap_decay": 1.0,
               "fmap_max": 512, "latent_size": None, "normalize_latents": True, "use_wscale": True,
               "use_pixelnorm": True, "pixelnorm_epsilon": 1e-8, "use_leakyrelu": True, "dtype": "float32",
               "fused_scale": True, "structure": None}
_D_DEFAULTS = {"num_channels": 1, "resolution": 32, "label_size": 0, "fmap_base": 8192, "fmap_decay": 1.0,
               "fmap_max": 512, "use_wscale": True, "mbstd_group_size": 4, "dtype": "float32", "fused_scale": True,
               "structure": None}


def _static(net, defaults: dict, path: str) -> dict:
    state = getattr(net, "state", None)
    if not isinstance(state, dict) or "variables" not in state:
        raise UnsupportedCheckpointError(f"{path}: not a TensorFlow-era Network")
    kwargs = dict(state.get("static_kwargs") or {})
    unknown = sorted(set(kwargs) - set(defaults))
    if unknown:
        raise UnsupportedCheckpointError(f"{path}: unknown network argument {unknown[0]!r}")
    kw = {**defaults, **kwargs}
    for key, ok in (("label_size", 0), ("fmap_decay", 1.0), ("dtype", "float32")):
        if kw[key] != ok:
            raise UnsupportedCheckpointError(f"{path}: {key}={kw[key]!r}; this plugin builds {key}={ok!r} only")
    return kw


def _tf_conv(w: np.ndarray, *, transposed: bool = False) -> np.ndarray:
    """[kh, kw, in, out] -> [out, in, kh, kw]; a transposed convolution's [kh, kw, out, in] kernel is the
    spatially flipped kernel of the equivalent correlation."""
    w = np.asarray(w, dtype=np.float32)
    if transposed:
        return np.ascontiguousarray(w[::-1, ::-1].transpose(2, 3, 0, 1))
    return np.ascontiguousarray(w.transpose(3, 2, 0, 1))


def _scale(w: np.ndarray, gain: float, fan_in: int, use_wscale: bool) -> np.ndarray:
    """The run-time weight of get_weight(): N(0, 1) values times gain / sqrt(fan_in) under use_wscale."""
    return w * np.float32(gain / math.sqrt(fan_in)) if use_wscale else w


def tf_generator(gs, path: str) -> tuple[dict, dict[str, torch.Tensor]]:
    kw = _static(gs, _G_DEFAULTS, path)
    if not kw["use_leakyrelu"] or kw["pixelnorm_epsilon"] != 1e-8:
        raise UnsupportedCheckpointError(f"{path}: ReLU or a pixel-norm epsilon other than 1e-8 is not built here")
    v = tf_variables(gs)
    res_log2 = int(math.log2(kw["resolution"]))
    base, top = int(kw["fmap_base"]), int(kw["fmap_max"])
    nf = {r: min(int(base / 2.0 ** (r - 1)), top) for r in range(1, res_log2 + 1)}  # by log2 resolution
    config = {"z_dim": int(kw["latent_size"] or min(base, top)), "resolution": int(kw["resolution"]),
              "channels": int(kw["num_channels"]), "channel_base": 2 * base, "channel_max": top, "channel_list": None,
              "normalize_latents": bool(kw["normalize_latents"]), "pixelnorm": bool(kw["use_pixelnorm"])}
    ws, s2 = bool(kw["use_wscale"]), math.sqrt(2)
    eff = {"dense.weight": _scale(v["4x4/Dense/weight"], s2 / 4, config["z_dim"], ws).T,
           "dense_bias": np.broadcast_to(np.asarray(v["4x4/Dense/bias"]).reshape(-1, 1, 1), (nf[2], 4, 4)),
           "conv.conv.weight": _tf_conv(_scale(v["4x4/Conv/weight"], s2, 9 * nf[2], ws)),
           "conv.conv.bias": v["4x4/Conv/bias"], "lod": np.float32(v.get("lod", 0.0))}
    for i, res in enumerate(range(3, res_log2 + 1)):
        r = 2 ** res
        fused = f"{r}x{r}/Conv0_up/weight" in v
        name = f"{r}x{r}/Conv0_up" if fused else f"{r}x{r}/Conv0"
        eff[f"blocks.{i}.conv0.conv.weight"] = _tf_conv(_scale(v[f"{name}/weight"], s2, 9 * nf[res - 1], ws),
                                                        transposed=fused)
        eff[f"blocks.{i}.conv0.conv.bias"] = v[f"{name}/bias"]
        eff[f"blocks.{i}.conv1.conv.weight"] = _tf_conv(_scale(v[f"{r}x{r}/Conv1/weight"], s2, 9 * nf[res], ws))
        eff[f"blocks.{i}.conv1.conv.bias"] = v[f"{r}x{r}/Conv1/bias"]
    for i, res in enumerate(range(2, res_log2 + 1)):
        name = f"ToRGB_lod{res_log2 - res}"
        eff[f"torgb.{i}.weight"] = _tf_conv(_scale(v[f"{name}/weight"], 1.0, nf[res], ws))
        eff[f"torgb.{i}.bias"] = v[f"{name}/bias"]
    model = ProGANGenerator(**{k: c for k, c in config.items()})
    return config, stored_state(eff, model, error=UnsupportedCheckpointError)


def tf_discriminator(d, config: dict, path: str) -> tuple[dict, dict[str, torch.Tensor]]:
    kw = _static(d, _D_DEFAULTS, path)
    if (kw["resolution"], kw["num_channels"], 2 * kw["fmap_base"], kw["fmap_max"]) != (
            config["resolution"], config["channels"], config["channel_base"], config["channel_max"]):
        raise UnsupportedCheckpointError(f"{path}: G and D differ in resolution, channels or feature maps")
    v = tf_variables(d)
    res_log2 = int(math.log2(kw["resolution"]))
    base, top = int(kw["fmap_base"]), int(kw["fmap_max"])
    nf = {r: min(int(base / 2.0 ** (r - 1)), top) for r in range(0, res_log2 + 1)}
    ws, s2, c = bool(kw["use_wscale"]), math.sqrt(2), config["channels"]
    d_config = {"mbstd_group_size": int(kw["mbstd_group_size"]), "mbstd_variant": "official",
                "fused_scale": f"{2 ** res_log2}x{2 ** res_log2}/Conv1_down/weight" in v}
    eff = {"lod": np.float32(v.get("lod", 0.0)),
           "conv.conv.weight": _tf_conv(_scale(v["4x4/Conv/weight"], s2, 9 * (nf[2] + (d_config["mbstd_group_size"] > 1)), ws)),
           "conv.conv.bias": v["4x4/Conv/bias"],
           "dense0.weight": _scale(v["4x4/Dense0/weight"], s2, 16 * nf[2], ws).T, "dense0.bias": v["4x4/Dense0/bias"],
           "dense1.weight": _scale(v["4x4/Dense1/weight"], 1.0, nf[1], ws).T, "dense1.bias": v["4x4/Dense1/bias"]}
    for i, res in enumerate(range(2, res_log2 + 1)):
        name = f"FromRGB_lod{res_log2 - res}"
        eff[f"fromrgb.{i}.conv.weight"] = _tf_conv(_scale(v[f"{name}/weight"], s2, c, ws))
        eff[f"fromrgb.{i}.conv.bias"] = v[f"{name}/bias"]
    for i, res in enumerate(range(3, res_log2 + 1)):
        r = 2 ** res
        eff[f"blocks.{i}.conv0.conv.weight"] = _tf_conv(_scale(v[f"{r}x{r}/Conv0/weight"], s2, 9 * nf[res], ws))
        eff[f"blocks.{i}.conv0.conv.bias"] = v[f"{r}x{r}/Conv0/bias"]
        name = f"{r}x{r}/Conv1_down" if f"{r}x{r}/Conv1_down/weight" in v else f"{r}x{r}/Conv1"
        eff[f"blocks.{i}.conv1.conv.weight"] = _tf_conv(_scale(v[f"{name}/weight"], s2, 9 * nf[res], ws))
        eff[f"blocks.{i}.conv1.conv.bias"] = v[f"{name}/bias"]
    model = ProGANDiscriminator(config["resolution"], c, config["channel_base"], config["channel_max"], None,
                                **d_config)
    return d_config, stored_state(eff, model, error=UnsupportedCheckpointError)


def convert_tf(paths: Mapping[str, Path]) -> tuple[dict, dict[str, dict]]:
    path = paths["checkpoint"]
    nets = read_nvlabs_pickle(path)
    if not (isinstance(nets, tuple) and len(nets) == 3):
        raise UnsupportedCheckpointError(f"{path}: not a Progressive GAN TensorFlow pickle (G, D, Gs)")
    _, d, gs = nets
    config, g_state = tf_generator(gs, str(path))
    d_config, d_state = tf_discriminator(d, config, str(path))
    return {**config, **d_config}, {"generator": g_state, "discriminator": d_state}


# -- pytorch_GAN_zoo ----------------------------------------------------------------------------------
def _gan_zoo_layer(state: Mapping[str, torch.Tensor], src: str, dst: str, equalized: bool) -> dict:
    """Their ConstrainedLayer: module(x) * sqrt(2 / fan_in), the bias scaled too."""
    w = state[f"{src}.module.weight"].float()
    scale = math.sqrt(2.0 / w[0].numel()) if equalized else 1.0
    return {f"{dst}.weight": w * scale, f"{dst}.bias": state[f"{src}.module.bias"].float() * scale}


def gan_zoo_config(cfg, path: str) -> dict:
    get = vars(cfg) if not isinstance(cfg, Mapping) else cfg
    loss = get.get("lossCriterion", "WGANGP")
    if loss not in ("WGANGP", "Logistic"):  # MSE and DCGAN end the generator with tanh
        raise UnsupportedCheckpointError(f"{path}: loss {loss!r} (a tanh output); WGANGP or Logistic models only")
    if get.get("categoryVectorDim", 0) or get.get("attribKeysOrder"):
        raise UnsupportedCheckpointError(f"{path}: a conditional (AC-GAN) model; only unconditional ones are built")
    if get.get("leakyReluLeak", 0.2) != 0.2:
        raise UnsupportedCheckpointError(f"{path}: leaky ReLU slope {get['leakyReluLeak']}; 0.2 only")
    depths = [int(get["depthScale0"]), *[int(d) for d in get.get("depthOtherScales", [])]]
    return {"z_dim": int(get["latentVectorDim"]), "resolution": 4 * 2 ** (len(depths) - 1),
            "channels": int(get.get("dimOutput", 3)), "channel_list": depths,
            "normalize_latents": bool(get.get("perChannelNormalization", True)),
            "pixelnorm": bool(get.get("perChannelNormalization", True)),
            "mbstd_group_size": 4 if get.get("miniBatchStdDev", False) else 0, "mbstd_variant": "pytorch_gan_zoo",
            "fused_scale": False,  # their D pools after each activation
            "alpha": float(get.get("alpha", 0.0)), "equalized": bool(get.get("equalizedlR", True))}


def gan_zoo_generator(g: Mapping[str, torch.Tensor], cfg: dict) -> dict[str, torch.Tensor]:
    eq, levels = cfg["equalized"], len(cfg["channel_list"]) - 1
    dense = _gan_zoo_layer(g, "formatLayer", "dense", eq)
    eff = {"dense.weight": dense["dense.weight"], "dense_bias": dense["dense.bias"],
           **_gan_zoo_layer(g, "groupScale0.0", "conv.conv", eq), "lod": torch.tensor(cfg["alpha"])}
    for i in range(levels):
        eff.update(_gan_zoo_layer(g, f"scaleLayers.{i}.0", f"blocks.{i}.conv0.conv", eq))
        eff.update(_gan_zoo_layer(g, f"scaleLayers.{i}.1", f"blocks.{i}.conv1.conv", eq))
    for i in range(levels + 1):
        eff.update(_gan_zoo_layer(g, f"toRGBLayers.{i}", f"torgb.{i}", eq))
    model = ProGANGenerator(cfg["z_dim"], cfg["resolution"], cfg["channels"], channel_list=cfg["channel_list"],
                            normalize_latents=cfg["normalize_latents"], pixelnorm=cfg["pixelnorm"])
    return stored_state({k: v.detach().numpy() for k, v in eff.items()}, model, error=UnsupportedCheckpointError)


def gan_zoo_discriminator(d: Mapping[str, torch.Tensor], cfg: dict) -> dict[str, torch.Tensor]:
    eq, levels = cfg["equalized"], len(cfg["channel_list"]) - 1
    if d["decisionLayer.module.weight"].shape[0] != 1:
        raise UnsupportedCheckpointError("a discriminator with more than one output (AC-GAN); not built here")
    eff = {**_gan_zoo_layer(d, "groupScaleZero.0", "conv.conv", eq), **_gan_zoo_layer(d, "groupScaleZero.1", "dense0", eq),
           **_gan_zoo_layer(d, "decisionLayer", "dense1", eq), "lod": torch.tensor(cfg["alpha"])}
    for i in range(levels + 1):
        eff.update(_gan_zoo_layer(d, f"fromRGBLayers.{i}", f"fromrgb.{i}.conv", eq))
    for i in range(levels):
        eff.update(_gan_zoo_layer(d, f"scaleLayers.{i}.0", f"blocks.{i}.conv0.conv", eq))
        eff.update(_gan_zoo_layer(d, f"scaleLayers.{i}.1", f"blocks.{i}.conv1.conv", eq))
    model = ProGANDiscriminator(cfg["resolution"], cfg["channels"], channel_list=cfg["channel_list"],
                                mbstd_group_size=cfg["mbstd_group_size"], mbstd_variant=cfg["mbstd_variant"],
                                fused_scale=False)
    return stored_state({k: v.detach().numpy() for k, v in eff.items()}, model, error=UnsupportedCheckpointError)


def convert_gan_zoo(paths: Mapping[str, Path]) -> tuple[dict, dict[str, dict]]:
    path = paths["checkpoint"]
    ckpt = read_torch_weights(path, extra=("models.utils.config.BaseConfig",))
    if not isinstance(ckpt, Mapping) or "netG" not in ckpt or "config" not in ckpt:
        raise UnsupportedCheckpointError(f"{path}: not a pytorch_GAN_zoo checkpoint (no 'netG' and 'config')")
    cfg = gan_zoo_config(ckpt["config"], str(path))
    states = {"generator": gan_zoo_generator(ckpt.get("avgG") or ckpt["netG"], cfg)}
    if "netD" in ckpt:
        states["discriminator"] = gan_zoo_discriminator(ckpt["netD"], cfg)
    config = {k: v for k, v in cfg.items() if k not in ("alpha", "equalized")}
    return config, states
