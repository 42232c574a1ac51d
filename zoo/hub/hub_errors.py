"""The Hub client's failures as one-line ZooErrors, short network timeouts, a check of the server's
answer before the client writes anything, and the cache-confinement check after it has.

A hostile or broken server can name cache paths through its headers (the ETag becomes blobs/<etag>,
X-Repo-Commit becomes snapshots/<commit>/): both are checked here before the real download starts.
"""
from __future__ import annotations

import errno
import logging
import os
import re
from pathlib import Path

from zoo.errors import CacheError, HubUnavailableError, WeightsNotFoundError, ZooError
from zoo.hub.checksums import cache_root, discard_from_cache, is_inside

log = logging.getLogger(__name__)

# seconds; the client's own defaults (10 s, then a retry at 60 s with five back-offs) kept a command
# waiting minutes on a stalled server. A user's HF_HUB_ETAG_TIMEOUT / HF_HUB_DOWNLOAD_TIMEOUT wins.
SHORT_TIMEOUTS = {"HF_HUB_ETAG_TIMEOUT": 5, "HF_HUB_DOWNLOAD_TIMEOUT": 10}
_SAFE_ETAG = re.compile(r"[A-Za-z0-9_.+=-]{1,128}")
_COMMIT = re.compile(r"[0-9a-f]{40}")
OFFLINE_HINT = "set HF_HUB_OFFLINE=1 to use only the local cache"


class NetworkDown(Exception):
    """The server could not be reached (refused, timed out, reset, DNS): the cache may stand in."""


NETWORK_DOWN = (NetworkDown,)


def _one_line(text: object, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[:limit - 3] + "..."


def use_short_timeouts() -> None:
    """Give the client short timeouts unless the user set their own (read now, not at import)."""
    from huggingface_hub import constants

    for var, default in SHORT_TIMEOUTS.items():
        try:
            value = float(os.environ[var])
        except (KeyError, ValueError):
            value = default
        setattr(constants, var, value)
    try:  # the client retries a failed metadata request with a fixed 60 s timeout
        from huggingface_hub import file_download

        if hasattr(file_download, "_ETAG_RETRY_TIMEOUT"):
            file_download._ETAG_RETRY_TIMEOUT = constants.HF_HUB_ETAG_TIMEOUT
    except ImportError:  # pragma: no cover - a client without that module
        pass


def _is_network_failure(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    if module.split(".")[0].startswith(("httpx", "httpcore", "h11", "requests", "urllib3")):
        return True
    return isinstance(exc, (ConnectionError, TimeoutError))


def check_server_answer(repo_id: str, filename: str, revision: str | None, endpoint: str | None) -> None:
    """Ask the server for the file's metadata and refuse an answer that would name a path outside the
    cache (an ETag or commit that is not a plain name). Raises NetworkDown if it cannot be reached."""
    from huggingface_hub import constants, get_hf_file_metadata, hf_hub_url

    url = hf_hub_url(repo_id, filename, revision=revision, endpoint=endpoint)
    try:
        meta = get_hf_file_metadata(url, timeout=constants.HF_HUB_ETAG_TIMEOUT, endpoint=endpoint)
    except Exception as exc:
        if _is_network_failure(exc):
            raise NetworkDown(f"{type(exc).__name__}: {_one_line(exc)}") from exc
        raise
    what = f"{repo_id}@{revision or 'main'} {filename}"
    if not (meta.commit_hash and _COMMIT.fullmatch(meta.commit_hash)):
        raise HubUnavailableError(f"{what}: the server sent the commit {_one_line(meta.commit_hash, 80)!r}, "
                                  f"which is not a 40-hex sha; refused (check HF_ENDPOINT)")
    if not (meta.etag and _SAFE_ETAG.fullmatch(meta.etag) and meta.etag not in (".", "..")):
        raise HubUnavailableError(f"{what}: the server sent the ETag {_one_line(meta.etag, 80)!r}, which is not "
                                  f"a plain name and would place a file outside the cache; refused "
                                  f"(check HF_ENDPOINT)")


def confined(path: Path, what: str) -> Path:
    """`path` if it and the blob it links to lie inside the cache; otherwise remove what lies inside
    and refuse."""
    root = cache_root()
    if is_inside(Path(path).parent, root) and is_inside(path, root):
        return Path(path)
    discard_from_cache(Path(path))
    raise CacheError(f"{what}: the cached file {path} resolves to {os.path.realpath(path)}, outside the cache "
                     f"{root}; refused (remove that entry from the cache)")


def remove_partial_downloads(repo_id: str) -> None:
    """Remove the client's `*.incomplete` files of a repo after a failed download: a later run must not
    resume from bytes a full disk or a dropped connection left half-written."""
    root = cache_root()
    blobs = root / ("models--" + repo_id.replace("/", "--")) / "blobs"
    if not is_inside(blobs, root):
        return
    for partial in blobs.glob("*.incomplete"):
        if partial.is_file() and not partial.is_symlink() and is_inside(partial, root):
            partial.unlink(missing_ok=True)


def corrupt_cache_offline(what: str) -> CacheError:
    return CacheError(f"{what}: the cached copy is corrupt (it was removed) and HF_HUB_OFFLINE=1 forbids "
                      f"downloading it again; unset HF_HUB_OFFLINE and run again, or delete "
                      f"{cache_root()} to start the cache afresh")


def as_zoo_error(exc: BaseException, what: str) -> ZooError:
    """One line a user can act on for a failure of the Hub client."""
    if isinstance(exc, ZooError):
        return exc
    from huggingface_hub import constants, errors

    endpoint = os.environ.get("HF_ENDPOINT") or constants.ENDPOINT
    cause = exc.__cause__ if isinstance(exc, NetworkDown) and exc.__cause__ is not None else exc
    detail = _one_line(f"{type(cause).__name__}: {cause}", 200)
    if isinstance(exc, (errors.OfflineModeIsEnabled, errors.LocalEntryNotFoundError)):
        reason = "HF_HUB_OFFLINE=1 (offline)" if constants.HF_HUB_OFFLINE else "the Hub was not asked"
        return HubUnavailableError(f"{what} is not in the local cache and {reason}: could not get it; "
                                   f"unset HF_HUB_OFFLINE and run once with the network")
    if isinstance(exc, errors.RepositoryNotFoundError):
        return WeightsNotFoundError(f"{what}: no such repository on {endpoint} (or it is private or gated: "
                                    f"log in with `hf auth login`)")
    if isinstance(exc, errors.RevisionNotFoundError):
        return WeightsNotFoundError(f"{what}: the repository has no such revision on {endpoint}")
    if isinstance(exc, errors.EntryNotFoundError):
        return WeightsNotFoundError(f"{what}: the repository has no such file on {endpoint}")
    if isinstance(exc, errors.HfHubHTTPError):
        status = getattr(getattr(exc, "response", None), "status_code", "?")
        return HubUnavailableError(f"{what}: the Hub at {endpoint} answered HTTP {status} ({detail}); "
                                   f"try again later, or {OFFLINE_HINT}")
    if isinstance(exc, NetworkDown) or _is_network_failure(exc):
        return HubUnavailableError(f"{what}: could not reach the Hub at {endpoint} ({detail}); check the "
                                   f"network or HF_ENDPOINT, or {OFFLINE_HINT}")
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return HubUnavailableError(f"{what}: the disk holding the cache {cache_root()} is full "
                                       f"({detail}); free some space and run again")
        return HubUnavailableError(f"{what}: could not write or read the cache {cache_root()} ({detail})")
    if isinstance(exc, ValueError):
        return CacheError(f"{what}: the Hub client refused ({detail}); if the cache is corrupt, unset "
                          f"HF_HUB_OFFLINE and run again, or delete {cache_root()}")
    return HubUnavailableError(f"{what}: the Hub client failed ({detail})")
