"""Model names that point outside the registry: `hf-hub:org/repo[@revision]`, and the checks that keep
every name the Hub client turns into a cache path (repo id, revision, file name) inside the cache.

Each check runs before any I/O. The rules are the Hub's own (huggingface_hub's validate_repo_id) and
git's for ref names, made strict where a name becomes a path: no `..`, no leading `/`, no backslash,
no control characters.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from zoo.errors import UnsafeNameError

_REPO_PART = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_COMMIT = re.compile(r"[0-9a-f]{40}")
# characters git forbids in a ref name, and the ones that mean something in a path or a URL
_BAD_REF_CHARS = set(" ~^:?*[\\%#") | {chr(c) for c in range(32)} | {"\x7f"}


@dataclass(frozen=True)
class HubRef:
    repo_id: str
    revision: str | None = None


def check_repo_id(repo_id: str, *, what: str = "repo id") -> str:
    """`org/name`: ASCII letters, digits, `-_.`, no `--` or `..`, not ending `.git`, at most 96 chars."""
    problem = None
    if not isinstance(repo_id, str) or repo_id.count("/") != 1:
        problem = "must look like 'org/name'"
    elif len(repo_id) > 96:
        problem = "is longer than 96 characters"
    elif not all(_REPO_PART.fullmatch(part) for part in repo_id.split("/")):
        problem = "may hold only letters, digits, '-', '_' and '.', and may not start or end with '-' or '.'"
    elif "--" in repo_id or ".." in repo_id or repo_id.endswith(".git"):
        problem = "may not contain '--' or '..' nor end with '.git'"
    if problem:
        raise UnsafeNameError(f"{what} {repo_id!r} {problem}")
    return repo_id


def check_revision(revision: str) -> str:
    """A branch or tag name by git's rules, or a 40-hex commit sha."""
    if not isinstance(revision, str) or not revision:
        raise UnsafeNameError(f"revision {revision!r} is empty")
    if _COMMIT.fullmatch(revision):
        return revision
    problem = None
    if len(revision) > 255:
        problem = "is longer than 255 characters"
    elif _BAD_REF_CHARS & set(revision) or not revision.isascii():
        problem = "contains a character a git ref name may not hold (space, control, ~^:?*[\\%# or non-ASCII)"
    elif ".." in revision or "@{" in revision or revision == "@":
        problem = "contains '..' or '@{'"
    elif revision.startswith("/") or revision.endswith("/") or "//" in revision:
        problem = "starts or ends with '/' or holds an empty part"
    elif any(part.startswith(".") or part.endswith(".lock") for part in revision.split("/")) \
            or revision.endswith("."):
        problem = "has a part that starts with '.' or ends with '.lock' or '.'"
    if problem:
        raise UnsafeNameError(f"revision {revision!r} {problem}")
    return revision


def check_filename(filename: str, *, what: str = "file name") -> str:
    """A relative POSIX path inside a repo: no `..` or `.` parts, no leading `/`, no backslash."""
    problem = None
    if not isinstance(filename, str) or not filename:
        problem = "must be a non-empty string"
    elif len(filename) > 1024:
        problem = "is longer than 1024 characters"
    elif any(ord(ch) < 32 or ch == "\x7f" for ch in filename) or "\\" in filename:
        problem = "contains a control character or a backslash"
    elif filename.startswith("/") or re.match(r"[A-Za-z]:", filename):
        problem = "must be relative to the repository"
    elif any(part in ("", ".", "..") for part in filename.split("/")):
        problem = "may not hold '..', '.' or empty parts"
    if problem:
        raise UnsafeNameError(f"{what} {filename!r} {problem}")
    return filename


def parse_hf_hub(name: str) -> HubRef:
    """`hf-hub:org/repo[@revision]`, checked."""
    ref = name[len("hf-hub:"):]
    repo_id, at, revision = ref.partition("@")
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise UnsafeNameError(f"{name!r}: expected 'hf-hub:org/repo' or 'hf-hub:org/repo@revision'")
    check_repo_id(repo_id, what=f"{name!r}: repo id")
    if at:
        try:
            check_revision(revision)
        except UnsafeNameError as exc:
            raise UnsafeNameError(f"{name!r}: {exc}") from None
    return HubRef(repo_id, revision or None)
