"""Finding a weight set's files: `local-dir:`, the Hugging Face cache / Hub (`hf_hub_download`, which
honours HF_HOME, HF_ENDPOINT and HF_HUB_OFFLINE), or a copy shipped inside a Python package. Every file
is checked against its sha256 before it is read.

Everything the Hub client turns into a cache path is checked first (zoo.hub.names) and again after a
download (the file and its blob must lie inside the cache); every failure of the client becomes one
ZooError (zoo.hub.hub_errors).
"""
from __future__ import annotations

import logging
import os
from importlib import resources
from pathlib import Path

from zoo import records
from zoo.errors import ChecksumError, WeightsFormatError, WeightsNotFoundError, ZooError
from zoo.hub import hub_errors
from zoo.hub.checksums import verify
from zoo.hub.layout import CONFIG_NAME, read_config
from zoo.hub.names import HubRef, check_filename, check_repo_id, check_revision

log = logging.getLogger(__name__)


def download_hub_file(repo_id: str, filename: str, revision: str | None, force: bool = False,
                      local_only: bool = False) -> Path:
    """One file through the Hub client, its names checked before and its place checked after."""
    from huggingface_hub import constants, hf_hub_download

    check_repo_id(repo_id)
    check_filename(filename)
    if revision is not None:
        check_revision(revision)
    hub_errors.use_short_timeouts()
    what = f"{repo_id}@{revision or 'main'} {filename}"
    offline = local_only or constants.HF_HUB_OFFLINE
    # HF_ENDPOINT is read per call (huggingface_hub reads it once, at import)
    endpoint = os.environ.get("HF_ENDPOINT") or None
    if force and constants.HF_HUB_OFFLINE:
        raise hub_errors.corrupt_cache_offline(what)
    if not offline:
        try:
            hub_errors.check_server_answer(repo_id, filename, revision, endpoint)
        except hub_errors.NETWORK_DOWN as exc:
            # the network is down: the cache may still hold the file (what the client would do, minus
            # its minute of retries)
            try:
                path = Path(hf_hub_download(repo_id=repo_id, filename=filename, revision=revision,
                                            local_files_only=True))
            except Exception:
                raise hub_errors.as_zoo_error(exc, what) from None
            log.warning("%s: the Hub is unreachable (%s); using the cached copy", what, type(exc).__name__)
            return hub_errors.confined(path, what)
        except ZooError:
            raise
        except Exception as exc:
            raise hub_errors.as_zoo_error(exc, what) from None
    try:
        path = Path(hf_hub_download(repo_id=repo_id, filename=filename, revision=revision, endpoint=endpoint,
                                    force_download=force, local_files_only=offline,
                                    etag_timeout=constants.HF_HUB_ETAG_TIMEOUT))
    except Exception as exc:
        if not offline:
            hub_errors.remove_partial_downloads(repo_id)
        raise hub_errors.as_zoo_error(exc, what) from None
    return hub_errors.confined(path, what)


def _cached_snapshot(ws: records.WeightSet) -> Path | None:
    """The weight set's folder in the Hugging Face cache if every file is there and verifies."""
    try:
        paths = {role: download_hub_file(ws.source.repo_id, wf.filename, ws.source.revision, local_only=True)
                 for role, wf in ws.source.files.items()}
        for role, wf in ws.source.files.items():
            verify(paths[role], wf.sha256, what=f"{ws.name} {wf.filename}", cached=True)
    except ZooError:
        return None
    return paths["config"].parent


def _download_verified(ws: records.WeightSet, wf: records.WeightFile) -> Path:
    """Download (or find in the cache) one file and check it; a bad cached copy is fetched once more."""
    what = f"{ws.name} {wf.filename}"
    path = download_hub_file(ws.source.repo_id, wf.filename, ws.source.revision)
    try:
        return verify(path, wf.sha256, what=what, cached=True)
    except ChecksumError:
        log.warning("%s: checksum mismatch in the cache; downloading it again", what)
    path = download_hub_file(ws.source.repo_id, wf.filename, ws.source.revision, force=True)
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
    except hub_errors.HubUnavailableError as exc:
        raise hub_errors.HubUnavailableError(
            f"{ws.name}: could not get {ws.source.repo_id} from the Hub or the local cache: {exc}") from None
    return paths["config"].parent  # the snapshot folder; components may sit in its subfolders


def shipped_folder(ws: records.WeightSet) -> Path:
    package, _, rel = ws.shipped.partition(":")
    try:
        folder = Path(str(resources.files(package) / rel))
    except (ImportError, TypeError, ValueError) as exc:
        raise WeightsNotFoundError(f"{ws.name}: the shipped copy's package {package!r} is not importable "
                                   f"({type(exc).__name__}: {exc})") from None
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
    config_path = download_hub_file(ref.repo_id, CONFIG_NAME, ref.revision)
    try:
        components = read_config(config_path.parent)["components"]
    except ZooError:
        raise
    except Exception as exc:  # a hostile config.json: not UTF-8, nested past the parser's depth, not a mapping
        raise WeightsFormatError(f"hf-hub:{ref.repo_id}: unreadable config.json ({type(exc).__name__})") from None
    if not isinstance(components, dict):
        raise WeightsNotFoundError(f"{config_path}: 'components' must map roles to file names")
    for role, filename in components.items():
        check_filename(filename, what=f"hf-hub:{ref.repo_id} config.json: component {role!r}'s file")
        path = download_hub_file(ref.repo_id, filename, ref.revision)
        blob = Path(os.path.realpath(path)).name
        if len(blob) == 64 and all(ch in "0123456789abcdef" for ch in blob):  # LFS: named by sha256
            verify(path, blob, what=f"{ref.repo_id} {filename}", cached=True)
    return config_path.parent
