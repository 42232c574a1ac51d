"""The authors' 3D-GAN generators (3dgan-release, `models_cpu/<class>_G_cpu.t7` for car, chair, desk, gun
and sofa) as a `gan3d` generator.

Each file is a Lua Torch `nn.Sequential` (read by zoo.readers.read_t7, no code run) of
VolumetricFullConvolution → VolumetricBatchNormalization → ReLU blocks, a last VolumetricFullConvolution
and a Sigmoid (cudnn.* classes of the GPU files are read the same way). A VolumetricFullConvolution's
weight is (nInputPlane, nOutputPlane, kT, kH, kW), which is ConvTranspose3d's (in, out, kD, kH, kW)
layout; its stride (dT, dH, dW) and padding (padT, padH, padW) must be the architecture's (kernel 4;
stride 1, padding 0 for the first layer, stride 2, padding 1 after) or the file is refused. Convolution
biases are dropped: the release's main.lua zeroes them before sampling ("convolution bias is removed
during training"), and VoxelGenerator has none. Batch norm keeps weight, bias and running mean/variance
(an older nn's `running_std`, the inverse standard deviation, is turned back into a variance); the
generator runs in evaluation mode as main.lua's netG:evaluate(). z is drawn from U(0, 1) as the
release's `-sample` mode does (torch.rand).
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch

from zoo.errors import ZooError

CONV, BATCH_NORM = "VolumetricFullConvolution", "VolumetricBatchNormalization"
ACTIVATIONS = ("ReLU", "Sigmoid")
BN_EPS = 1e-5  # torch.nn.BatchNorm3d's, and nn.VolumetricBatchNormalization's default


class T7LayoutError(ZooError, ValueError):
    """The .t7 file is not a 3D-GAN generator laid out as the authors' release."""


def _kind(obj) -> str:
    return getattr(obj, "class_name", type(obj).__name__).split(".")[-1]


def sequential_modules(root, path: Path) -> list:
    """The modules of an nn.Sequential, in order (Lua tables are 1-based)."""
    if _kind(root) != "Sequential" or not isinstance(root.fields.get("modules"), dict):
        raise T7LayoutError(f"{path.name}: expected an nn.Sequential generator, got {_kind(root)}")
    modules = root.fields["modules"]
    return [modules[i] for i in range(1, len(modules) + 1)]


def _tensor(module, key: str, path: Path) -> torch.Tensor:
    value = module.fields.get(key)
    if value is None:
        raise T7LayoutError(f"{path.name}: {_kind(module)} has no {key!r}")
    return torch.from_numpy(value.astype("float32"))


def _check_conv(module, index: int, last_index: int, path: Path) -> None:
    f = module.fields
    stride, pad = (1, 0) if index == 0 else (2, 1)
    got = {"kernel": (f.get("kT"), f.get("kH"), f.get("kW")), "stride": (f.get("dT"), f.get("dH"), f.get("dW")),
           "padding": (f.get("padT", 0), f.get("padH", 0), f.get("padW", 0)),
           "adj": (f.get("adjT", 0), f.get("adjH", 0), f.get("adjW", 0))}
    want = {"kernel": (4, 4, 4), "stride": (stride,) * 3, "padding": (pad,) * 3, "adj": (0, 0, 0)}
    for key in want:
        if tuple(got[key]) != want[key]:
            raise T7LayoutError(f"{path.name}: convolution {index + 1} of {last_index + 1} has {key} "
                                f"{tuple(got[key])}, expected {want[key]}")


def _batch_norm_state(module, prefix: str, path: Path) -> dict[str, torch.Tensor]:
    eps = float(module.fields.get("eps", BN_EPS))
    if abs(eps - BN_EPS) > 1e-12:
        raise T7LayoutError(f"{path.name}: batch norm eps {eps:g}, expected {BN_EPS:g}")
    if module.fields.get("running_var") is not None:
        var = _tensor(module, "running_var", path)
    else:  # older nn kept the inverse standard deviation
        var = _tensor(module, "running_std", path).double().pow(-2).sub(eps).float()
    return {f"{prefix}.weight": _tensor(module, "weight", path), f"{prefix}.bias": _tensor(module, "bias", path),
            f"{prefix}.running_mean": _tensor(module, "running_mean", path), f"{prefix}.running_var": var,
            f"{prefix}.num_batches_tracked": torch.tensor(0)}


def convert(paths: Mapping[str, Path]) -> tuple[dict, dict[str, dict[str, torch.Tensor]]]:
    """A 3dgan-release generator file (key "checkpoint") → (gan3d config, {"generator": state_dict})."""
    from zoo.readers import read_t7

    if set(paths) != {"checkpoint"}:
        raise T7LayoutError(f"the 3dgan-t7 format reads one file (key 'checkpoint'), got {sorted(paths)}")
    path = Path(paths["checkpoint"])
    modules = sequential_modules(read_t7(path), path)
    kinds = [_kind(m) for m in modules]
    convs = [i for i, k in enumerate(kinds) if k == CONV]
    expected = []
    for _ in convs[:-1]:
        expected += [CONV, BATCH_NORM, "ReLU"]
    expected += [CONV, "Sigmoid"]
    if kinds != expected or len(convs) < 2:
        raise T7LayoutError(f"{path.name}: layers {kinds} are not 3D-GAN's (VolumetricFullConvolution, "
                            f"VolumetricBatchNormalization, ReLU)×L then VolumetricFullConvolution, Sigmoid")
    state: dict[str, torch.Tensor] = {}
    widths = []
    for n, i in enumerate(convs):
        conv = modules[i]
        _check_conv(conv, n, len(convs) - 1, path)
        weight = _tensor(conv, "weight", path)
        if weight.dim() != 5:
            raise T7LayoutError(f"{path.name}: convolution {n + 1} weight has shape {tuple(weight.shape)}, "
                                f"expected (in, out, 4, 4, 4)")
        state[f"net.{3 * n}.weight"] = weight
        widths.append(weight.shape[1])
        if n < len(convs) - 1:
            state.update(_batch_norm_state(modules[i + 1], f"net.{3 * n + 1}", path))
    g_width = widths[-2]
    if widths[-1] != 1 or widths[:-1] != [g_width * 2 ** (len(widths) - 2 - k) for k in range(len(widths) - 1)]:
        raise T7LayoutError(f"{path.name}: channel counts {widths} do not halve layer by layer down to 1")
    config = {"latent_dim": int(state["net.0.weight"].shape[0]), "resolution": 4 * 2 ** (len(convs) - 1),
              "g_width": int(g_width), "latent_prior": "uniform"}
    return config, {"generator": state}
