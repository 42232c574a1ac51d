"""A loopback HTTP server speaking the Hugging Face Hub's file-download protocol, for tests.

It answers what `huggingface_hub.hf_hub_download` asks: HEAD and GET on
`/{org}/{repo}/resolve/{revision}/{path}`, with the headers the client reads (X-Repo-Commit, ETag,
X-Linked-Etag and X-Linked-Size for LFS files, Content-Length) and the Hub's error codes
(X-Error-Code: RepoNotFound / RevisionNotFound / EntryNotFound). Files named *.safetensors are served as
LFS files, whose ETag is their sha256; others as git blobs, whose ETag is the git blob sha1.
Only 127.0.0.1 is bound; the server stops when the test's context manager exits.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import unquote

from loopback import LoopbackServer


@dataclass
class FakeRepo:
    files: dict[str, bytes]
    commit: str = "0123456789abcdef0123456789abcdef01234567"
    revisions: dict[str, str] = field(default_factory=lambda: {"main": "0123456789abcdef0123456789abcdef01234567"})

    @classmethod
    def from_folder(cls, folder: Path, **kwargs) -> "FakeRepo":
        files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        return cls(files=files, **kwargs)


def _etag(name: str, content: bytes) -> tuple[str, bool]:
    if name.endswith(".safetensors"):
        return hashlib.sha256(content).hexdigest(), True
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest(), False


class HubServer(LoopbackServer):
    def __init__(self, repos: dict[str, FakeRepo]) -> None:
        self.repos = repos
        self.requests: list[tuple[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_HEAD(self):
                self._answer(send_body=False)

            def do_GET(self):
                self._answer(send_body=True)

            def _answer(self, send_body: bool):
                server.requests.append((self.command, self.path))
                parts = unquote(self.path.split("?")[0]).strip("/").split("/")
                if len(parts) < 5 or parts[2] != "resolve":
                    return self._error(404, "EntryNotFound", "not a resolve URL")
                repo_id, revision, filename = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
                repo = server.repos.get(repo_id)
                if repo is None:
                    return self._error(404, "RepoNotFound", f"repository {repo_id} not found")
                commit = repo.revisions.get(revision, revision if revision == repo.commit else None)
                if commit is None:
                    return self._error(404, "RevisionNotFound", f"revision {revision} not found", commit=None)
                if filename not in repo.files:
                    return self._error(404, "EntryNotFound", f"{filename} not found", commit=commit)
                content = repo.files[filename]
                etag, lfs = _etag(filename, content)
                self.send_response(200)
                self.send_header("X-Repo-Commit", commit)
                self.send_header("ETag", f'"{etag}"')
                if lfs:
                    self.send_header("X-Linked-Etag", f'"{etag}"')
                    self.send_header("X-Linked-Size", str(len(content)))
                self.send_header("Content-Length", str(len(content)))
                self.send_header("Content-Type", "application/octet-stream")
                self.end_headers()
                if send_body:
                    self.wfile.write(content)

            def _error(self, status: int, code: str, message: str, commit: str | None = None):
                body = ('{"error": "%s"}' % message).encode()
                self.send_response(status)
                self.send_header("X-Error-Code", code)
                self.send_header("X-Error-Message", message)
                if commit:
                    self.send_header("X-Repo-Commit", commit)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

        self.serve(Handler)

