"""Helpers for the hardening tests: a loopback server that answers like a hostile or broken Hub, a fake
Hugging Face cache, and a snapshot of a folder tree to prove that nothing outside the cache changed.

Only 127.0.0.1 is bound; every server stops when its context manager exits.
"""
from __future__ import annotations

import hashlib
import os
import socket
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Callable

from loopback import LoopbackServer

COMMIT = "0123456789abcdef0123456789abcdef01234567"

# (method, path) -> (status, headers, body); a body of None sends no body even for GET
Answer = Callable[[str, str], tuple[int, dict[str, str], bytes | None]]


class ScriptedServer(LoopbackServer):
    """Answers every request with what `answer` says, headers and all (a hostile Hub)."""

    def __init__(self, answer: Answer) -> None:
        self.requests: list[tuple[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_HEAD(self):
                self._reply(send_body=False)

            def do_GET(self):
                self._reply(send_body=True)

            def _reply(self, send_body: bool):
                server.requests.append((self.command, self.path))
                status, headers, body = answer(self.command, self.path)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body or b"")))
                self.send_header("Connection", "close")
                self.end_headers()
                if send_body and body:
                    try:
                        self.wfile.write(body)
                    except OSError:
                        pass
                self.close_connection = True

        self.serve(Handler)



class StalledServer:
    """Accepts connections and never answers: a Hub that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()
        return f"http://{host}:{port}"

    def __enter__(self) -> "StalledServer":
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()


def closed_port_url() -> str:
    """A loopback URL nobody listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def file_headers(content: bytes, *, lfs: bool, etag: str | None = None, commit: str = COMMIT) -> dict[str, str]:
    """The headers the Hub sends for a file, with the ETag the caller chooses (hostile or not)."""
    if etag is None:
        etag = hashlib.sha256(content).hexdigest() if lfs else \
            hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()
    headers = {"X-Repo-Commit": commit, "ETag": f'"{etag}"', "Content-Length": str(len(content)),
               "Content-Type": "application/octet-stream"}
    if lfs:
        headers.update({"X-Linked-Etag": f'"{etag}"', "X-Linked-Size": str(len(content))})
    return headers


def tree_state(root: Path, exclude: tuple[Path, ...] = ()) -> dict[str, tuple[str, str]]:
    """Every entry under `root` (not following links) with its kind and content digest or link target."""
    state = {}
    excluded = {os.path.abspath(p) for p in exclude}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if os.path.abspath(os.path.join(dirpath, d)) not in excluded]
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                state[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                state[rel] = ("dir", "")
            else:
                state[rel] = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
    return state
