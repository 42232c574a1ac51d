"""On-disk cache of real-dataset features, keyed by content hash.

Features of a reference set (digits, a folder of photographs) are the same every time a model is
evaluated against it, and extracting them is the slow part; they are cached under
`$GENZOO_CACHE_DIR/features/` (default `~/.cache/genzoo/features/`), one safetensors file per key. The key
hashes the images' bytes, the extractor's identity (name, weights, preprocessing options) and the count,
so a changed image, weight file or option gives a new key instead of a stale answer.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

import torch
from torch import Tensor

CACHE_ENV = "GENZOO_CACHE_DIR"


def cache_dir() -> Path:
    """The genzoo cache folder: $GENZOO_CACHE_DIR, else ~/.cache/genzoo."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "genzoo").expanduser()


def hash_tensor(digest, t: Tensor) -> None:
    """Feed a tensor's dtype, shape and bytes to a hashlib digest."""
    t = t.detach().cpu().contiguous()
    digest.update(f"{t.dtype}{tuple(t.shape)}".encode())
    digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")


def feature_key(content_hash: str, extractor_id: Mapping[str, Any]) -> str:
    """The cache key of one (image set, extractor configuration) pair."""
    blob = json.dumps({"content": content_hash, "extractor": dict(extractor_id)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _path(key: str) -> Path:
    return cache_dir() / "features" / f"{key}.safetensors"


def load_features(key: str) -> dict[str, Tensor] | None:
    """Cached tensors for `key`, or None when absent or unreadable (a damaged file is ignored)."""
    from safetensors.torch import load_file

    path = _path(key)
    if not path.is_file():
        return None
    try:
        return load_file(str(path))
    except Exception:  # a truncated or foreign file: recompute rather than fail
        return None


def save_features(key: str, tensors: Mapping[str, Tensor], metadata: Mapping[str, str] | None = None) -> Path:
    """Write atomically (temp file + rename), so a reader never sees half a file."""
    from safetensors.torch import save_file

    path = _path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".safetensors", dir=path.parent)
    os.close(fd)
    try:
        save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, tmp,
                  metadata={k: str(v) for k, v in (metadata or {}).items()})
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
