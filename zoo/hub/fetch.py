"""Finding a weight set's files: `local-dir:`, the Hugging Face cache / Hub (`hf_hub_download`, which
honours HF_HOME, HF_ENDPOINT and HF_HUB_OFFLINE), or a copy shipped inside a Python package. Every file
is checked against its sha256 before it is read.
"""
from __future__ import annotations

import logging
import os
from importlib import resources
from pathlib import Path

from zoo import records
from zoo.errors import ChecksumError, WeightsNotFoundError
from zoo.hub.checksums import verify
from zoo.hub.layout import CONFIG_NAME, read_config
from zoo.hub.names import HubRef

log = logging.getLogger(__name__)


def _hub_errors() -> tuple[type[BaseException], ...]:
    from huggingface_hub import errors

    return (errors.LocalEntryNotFoundError, errors.OfflineModeIsEnabled, errors.RepositoryNotFoundError,
            errors.RevisionNotFoundError, errors.EntryNotFoundError, errors.HfHubHTTPError, OSError)


def _download(repo_id: str, filename: str, revision: str | None, force: bool = False,
              local_only: bool = False) -> Path:
    from huggingface_hub import hf_hub_download

    # HF_ENDPOINT is read per call (huggingface_hub reads it once, at import)
    return Path(hf_hub_download(repo_id=repo_id, filename=filename, revision=revision,
                                endpoint=os.environ.get("HF_ENDPOINT") or None, force_download=force,
                                local_files_only=local_only))


def _cached_snapshot(ws: records.WeightSet) -> Path | None:
    """The weight set's folder in the Hugging Face cache if every file is there and verifies."""
    try:
        paths = {role: _download(ws.source.repo_id, wf.filename, ws.source.revision, local_only=True)
                 for role, wf in ws.source.files.items()}
        for role, wf in ws.source.files.items():
            verify(paths[role], wf.sha256, what=f"{ws.name} {wf.filename}", cached=True)
    except (ChecksumError, *_hub_errors()):
        return None
    return paths["config"].parent


def _download_verified(ws: records.WeightSet, wf: records.WeightFile) -> Path:
    """Download (or find in the cache) one file and check it; a bad cached copy is fetched once more."""
    what = f"{ws.name} {wf.filename}"
    path = _download(ws.source.repo_id, wf.filename, ws.source.revision)
    try:
        return verify(path, wf.sha256, what=what, cached=True)
    except ChecksumError:
        log.warning("%s: checksum mismatch in the cache; downloading it again", what)
    path = _download(ws.source.repo_id, wf.filename, ws.source.revision, force=True)
    return verify(path, wf.sha256, what=what, cached=True)


def fetch_weight_set(ws: records.WeightSet) -> Path:
    """A folder holding the weight set's verified files: the Hub cache, the shipped copy, or the Hub.

    A shipped copy holds the very bytes of the Hub repo (both are pinned by the same sha256s), so when
    the cache lacks the files it is used without going to the network at all.
    """
    files = ws.source.files
    if ws.shipped is not None:
        cached = _cached_snapshot(ws)
        if cached is not None:
            return cached
        try:
            return shipped_folder(ws)
        except WeightsNotFoundError as exc:  # an install without the shipped files: try the Hub
            log.info("%s", exc)
    try:
        paths = {role: _download_verified(ws, wf) for role, wf in files.items()}
    except _hub_errors() as exc:
        raise WeightsNotFoundError(
            f"{ws.name}: could not get {ws.source.repo_id} from the Hub or the local cache ({exc}); "
            f"check the network or HF_ENDPOINT, or download it once with HF_HUB_OFFLINE unset") from exc
    return paths["config"].parent  # the snapshot folder; components may sit in its subfolders


def shipped_folder(ws: records.WeightSet) -> Path:
    package, _, rel = ws.shipped.partition(":")
    folder = Path(str(resources.files(package) / rel))
    for role, wf in ws.source.files.items():
        path = folder / wf.filename
        if not path.is_file():
            raise WeightsNotFoundError(f"{ws.name}: the shipped copy in {package} lacks {wf.filename}")
        verify(path, wf.sha256, what=f"{ws.name} shipped {wf.filename}", cached=False)
    return folder


def fetch_hf_hub(ref: HubRef) -> Path:
    """Download a repo that no registry lists: config.json first, then the files it names.

    There is no registry checksum; content-addressed LFS blobs are checked against their own name.
    """
    config_path = _download(ref.repo_id, CONFIG_NAME, ref.revision)
    config = read_config(config_path.parent)
    for filename in config["components"].values():
        path = _download(ref.repo_id, filename, ref.revision)
        blob = Path(os.path.realpath(path)).name
        if len(blob) == 64 and all(ch in "0123456789abcdef" for ch in blob):  # LFS: named by sha256
            verify(path, blob, what=f"{ref.repo_id} {filename}", cached=True)
    return config_path.parent
