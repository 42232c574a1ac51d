"""Weights of the networks that metrics use (not generative weight sets), pinned by sha256.

registry.yaml lists generative weight sets (`arch.tag`, loadable with zoo.load, hosted as Hub repos).
A metric network is none of those: it is not a registered architecture, it is never generated from,
and its canonical file is published outside the Hub. So it has its own small table here, one validated
`ExtractorWeights` record per file: the exact file name the field uses, its sha256, where it is
published, and where it came from. `resolve_weights` finds the file (an explicit path, an environment
variable, the genzoo cache, torch's hub cache where pytorch-fid and torch-fidelity put it) or downloads
it, and refuses any file whose sha256 differs. Loading uses `torch.load(weights_only=True)`: no pickled
code runs.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from zoo.errors import ChecksumError, WeightsNotFoundError


@dataclass(frozen=True)
class ExtractorWeights:
    name: str
    filename: str
    sha256: str
    url: str
    size: int  # bytes
    origin: str
    license: str = ""
    env_var: str = ""  # an environment variable that may point at a local copy

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[0-9a-f]{64}", self.sha256):
            raise ValueError(f"extractor weights {self.name!r}: sha256 must be 64 lowercase hex digits")
        if "/" in self.filename or not self.filename:
            raise ValueError(f"extractor weights {self.name!r}: filename must be a bare file name")
        if not self.url.startswith("https://"):
            raise ValueError(f"extractor weights {self.name!r}: url must be https")
        if self.size <= 0:
            raise ValueError(f"extractor weights {self.name!r}: size must be positive")


EXTRACTOR_WEIGHTS = {
    "inception-fid": ExtractorWeights(
        name="inception-fid",
        filename="pt_inception-2015-12-05-6726825d.pth",
        sha256="6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2",
        url="https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
            "pt_inception-2015-12-05-6726825d.pth",
        size=95_628_359,
        origin="TensorFlow's inception-2015-12-05.tgz graph (the FID/IS reference network) converted to a "
               "PyTorch state dict by pytorch-fid (566 tensors); torch-fidelity publishes the same file as "
               "weights-inception-2015-12-05-6726825d.pth",
        license="Apache-2.0",
        env_var="GENZOO_INCEPTION_WEIGHTS",
    ),
}


def candidate_paths(entry: ExtractorWeights) -> list[Path]:
    """Where a copy may already be, in the order they are tried."""
    paths = []
    if entry.env_var and os.environ.get(entry.env_var):
        paths.append(Path(os.environ[entry.env_var]).expanduser())
    from zoo.metrics.cache import cache_dir

    paths.append(cache_dir() / "weights" / entry.filename)
    torch_home = Path(os.environ.get("TORCH_HOME") or Path(os.environ.get("XDG_CACHE_HOME") or
                                                           Path.home() / ".cache") / "torch")
    paths.append(torch_home.expanduser() / "hub" / "checkpoints" / entry.filename)
    return paths


def resolve_weights(name: str, path: str | os.PathLike | None = None, *, download: bool = True) -> Path:
    """A verified local copy of the weights `name`: `path`, a known location, or a fresh download."""
    from zoo.hub import verify

    if name not in EXTRACTOR_WEIGHTS:
        raise WeightsNotFoundError(f"no extractor weights named {name!r}; known: {sorted(EXTRACTOR_WEIGHTS)}")
    entry = EXTRACTOR_WEIGHTS[name]
    if path is not None:
        return verify(Path(path), entry.sha256, what=f"{name} weights {path}", cached=False)
    for candidate in candidate_paths(entry):
        if candidate.is_file():
            return verify(candidate, entry.sha256, what=f"{name} weights {candidate}", cached=False)
    offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0") or os.environ.get("GENZOO_OFFLINE")
    where = ", ".join(str(p) for p in candidate_paths(entry))
    if not download or offline:
        raise WeightsNotFoundError(f"{entry.filename} (sha256 {entry.sha256[:12]}…) not found in {where}; "
                                   f"download it from {entry.url} into one of those places")
    return _download(entry)


def _download(entry: ExtractorWeights) -> Path:
    import torch.hub

    from zoo.hub import sha256_of
    from zoo.metrics.cache import cache_dir

    target = cache_dir() / "weights" / entry.filename
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".partial")
    try:
        torch.hub.download_url_to_file(entry.url, str(tmp), progress=True)
    except Exception as exc:
        raise WeightsNotFoundError(f"could not download {entry.url} ({exc}); put {entry.filename} in "
                                   f"{target} or set {entry.env_var}") from exc
    actual = sha256_of(tmp)
    if actual != entry.sha256:
        tmp.unlink()
        raise ChecksumError(f"{entry.url}: sha256 {actual} differs from the pinned {entry.sha256}; removed")
    os.replace(tmp, target)
    return target


def load_state_dict(name: str, path: str | os.PathLike | None = None, *, download: bool = True) -> dict:
    """The verified state dict of `name` (tensors only; no pickled code is run)."""
    import torch

    return torch.load(resolve_weights(name, path, download=download), map_location="cpu", weights_only=True)
