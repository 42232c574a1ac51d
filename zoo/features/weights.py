"""Where the feature networks' weights come from, how they are pinned, and `load_feature_network`.

Files are fetched like official weight sets (zoo.hub.urls: atomic, resumable, into
<HF_HOME>/genzoo/official/files/) and read with torch.load(weights_only=True). Pins:
- torchvision's files (vgg16, vgg19, alexnet): torchvision publishes no full sha256; each filename
  carries the first 8 hex digits of the file's sha256, which is what torch.hub itself checks. We check
  the same prefix (sha256_prefix) and say so.
- LPIPS v0.1 linear layers: the full sha256 of lpips/weights/v0.1/{vgg,alex}.pth as published inside the
  lpips 0.1.4 wheel on PyPI (wheel sha256 fd537af5828b69d2e6ffc0a397bd506dbc28ca183543617690844c08e102ec5e).
An environment variable (GENZOO_VGG19_WEIGHTS=/path/to/file, ...) points at a copy of your own instead:
read just as safely, but not held to the pin.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from zoo.errors import ChecksumError, ShapeError, UnknownNameError, WeightsNotFoundError

TORCHVISION = "https://download.pytorch.org/models"
LPIPS_V01 = "https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1"


@dataclass(frozen=True)
class FeatureFile:
    base_url: str
    filename: str
    env: str
    sha256: str | None = None
    sha256_prefix: str = ""
    pinned_from: str = ""


_PREFIX_PIN = "torchvision's filename (the sha256 prefix torch.hub checks)"
_WHEEL_PIN = "the file in the lpips 0.1.4 wheel on PyPI"
FEATURE_FILES = {
    "vgg19": FeatureFile(TORCHVISION, "vgg19-dcbb9e9d.pth", "GENZOO_VGG19_WEIGHTS", None, "dcbb9e9d", _PREFIX_PIN),
    "vgg16": FeatureFile(TORCHVISION, "vgg16-397923af.pth", "GENZOO_VGG16_WEIGHTS", None, "397923af", _PREFIX_PIN),
    "alexnet": FeatureFile(TORCHVISION, "alexnet-owt-7be5be79.pth", "GENZOO_ALEXNET_WEIGHTS", None, "7be5be79",
                           _PREFIX_PIN),
    "lpips-vgg-lin": FeatureFile(LPIPS_V01, "vgg.pth", "GENZOO_LPIPS_VGG_WEIGHTS",
                                 "a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868", "", _WHEEL_PIN),
    "lpips-alex-lin": FeatureFile(LPIPS_V01, "alex.pth", "GENZOO_LPIPS_ALEX_WEIGHTS",
                                  "df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0", "", _WHEEL_PIN),
}
# network name -> (backbone, LPIPS linear layers or None)
NETWORKS = {"vgg19": ("vgg19", None), "vgg16": ("vgg16", None), "alexnet": ("alexnet", None),
            "lpips-vgg": ("vgg16", "lpips-vgg-lin"), "lpips-alex": ("alexnet", "lpips-alex-lin")}


def feature_file(key: str) -> Path:
    """A verified local copy of one feature-network file (downloaded once), or the file its env var names."""
    from zoo.hub.official import cache_root
    from zoo.hub.urls import download_url

    spec = FEATURE_FILES[key]
    override = os.environ.get(spec.env)
    if override:
        path = Path(override).expanduser()
        if not path.is_file():
            raise WeightsNotFoundError(f"{spec.env}={override}: no such file (it should be {spec.filename})")
        return path
    dest = cache_root() / "files" / hashlib.sha256(spec.base_url.encode()).hexdigest()[:16] / spec.filename
    try:
        digest = download_url(f"{spec.base_url}/{spec.filename}", dest, spec.sha256, what=f"{key} {spec.filename}")
    except WeightsNotFoundError as exc:
        raise WeightsNotFoundError(f"{exc}; or point {spec.env} at a copy: {spec.env}=/path/to/{spec.filename}") \
            from exc
    if not digest.startswith(spec.sha256_prefix):
        dest.unlink()
        raise ChecksumError(f"{key} {spec.filename}: sha256 {digest} does not start with {spec.sha256_prefix} "
                            f"(pinned by {spec.pinned_from}); the file was removed")
    return dest


def load_feature_network(name: str, device=None):
    """A frozen, eval-mode feature network: "vgg19", "vgg16", "alexnet", "lpips-vgg" or "lpips-alex"."""
    if name not in NETWORKS:
        raise UnknownNameError("feature network", name, NETWORKS)
    from zoo.features.backbones import AlexNetFeatures, VGGFeatures
    from zoo.features.lpips import LPIPS
    from zoo.readers import read_torch_weights

    backbone, lin = NETWORKS[name]
    trunk_path = feature_file(backbone)
    trunk = {k: v for k, v in read_torch_weights(trunk_path).items() if k.startswith("features.")}
    if lin is None:
        module, state = (AlexNetFeatures() if backbone == "alexnet" else VGGFeatures(backbone)), trunk
    else:
        module = LPIPS("vgg16" if backbone == "vgg16" else "alexnet")
        state = {**{f"backbone.{k}": v for k, v in trunk.items()}, **read_torch_weights(feature_file(lin))}
    try:
        module.load_state_dict(state)
    except RuntimeError as exc:
        raise ShapeError(f"{name}: the weights do not fit torchvision's / lpips' layout ({trunk_path}): "
                         f"{' '.join(str(exc).split())[:400]}") from None
    module.requires_grad_(False).eval()
    return module.to(device) if device is not None else module
