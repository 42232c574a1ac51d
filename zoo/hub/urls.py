"""Downloading an official file from its authors' address: atomic, resumable, checked.

The bytes go to `<dest>.part`; an interrupted transfer is resumed with an HTTP Range request; the whole
file is hashed and compared with the pinned sha256 before it is renamed into place, so `dest` only ever
holds a complete, verified file. A mismatch removes the part file. HF_HUB_OFFLINE=1 forbids the
network here too.
"""
from __future__ import annotations

import http.client
import logging
import os
import urllib.error
import urllib.request
from pathlib import Path

from zoo.errors import ChecksumError, WeightsNotFoundError
from zoo.hub.checksums import sha256_of

log = logging.getLogger(__name__)
_CHUNK = 1 << 20
TIMEOUT_S = 60


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in ("1", "ON", "YES", "TRUE")


def download_url(url: str, dest: Path, sha256: str | None, *, what: str) -> str:
    """Make `dest` hold the file at `url`; returns its sha256 (checked against `sha256` when given)."""
    dest = Path(dest)
    if dest.is_file():
        actual = sha256_of(dest)
        if sha256 is None or actual == sha256:
            return actual
        log.warning("%s: the cached copy fails its sha256; downloading it again", what)
        dest.unlink()
    if offline():
        raise WeightsNotFoundError(f"{what}: {dest.name} is not in the cache and HF_HUB_OFFLINE is set; "
                                   f"unset it to download {url}, or put the file at {dest}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        _fetch_into(url, part)
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise WeightsNotFoundError(f"{what}: could not download {url} ({exc}); what arrived is kept in "
                                   f"{part} and the next try resumes from it") from exc
    actual = sha256_of(part)
    if sha256 is not None and actual != sha256:
        part.unlink()
        raise ChecksumError(f"{what}: sha256 mismatch (expected {sha256}, got {actual}); the download is "
                            f"corrupted or has been tampered with and was removed")
    os.replace(part, dest)
    return actual


def _fetch_into(url: str, part: Path) -> None:
    """Append the rest of `url` to `part`, asking for the bytes it lacks; start over if the server
    ignores the Range header."""
    if not url.lower().startswith(("http://", "https://")):
        raise urllib.error.URLError(f"not an http(s) address: {url}")
    have = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # nothing left to send: the part file is complete
            return
        raise
    with response:
        resumed = have and response.status == 206
        if have and not resumed:
            log.info("%s: the server does not resume; downloading from the start", url)
        with open(part, "ab" if resumed else "wb") as f:
            f.writelines(iter(lambda: response.read(_CHUNK), b""))
            expected = response.headers.get("Content-Length")
            if expected is not None and f.tell() - (have if resumed else 0) < int(expected):
                raise OSError(f"the transfer stopped after {f.tell()} bytes")
