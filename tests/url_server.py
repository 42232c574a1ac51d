"""A loopback HTTP server for official files at an authors' address: GET with Range support (206), a
switch that cuts the next transfer short (to test resuming) and one that serves altered bytes (to test
the sha256 check). Every request is recorded with its Range header."""
from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote

from loopback import LoopbackServer


class FileServer(LoopbackServer):
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = dict(files)
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        self.cut_next_after: int | None = None  # send only this many bytes of the next body, then hang up
        self.tamper = False  # flip one byte of every body
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                path = unquote(self.path.split("?")[0])
                server.requests.append((path, self.headers.get("Range")))
                body = server.files.get(path)
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if server.tamper:
                    body = bytes([body[0] ^ 0xFF]) + body[1:]
                start, status = 0, 200
                spec = self.headers.get("Range")
                if spec and spec.startswith("bytes=") and spec.endswith("-"):
                    start, status = int(spec[6:-1]), 206
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                part = body[start:]
                self.send_response(status)
                self.send_header("Content-Length", str(len(part)))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                self.send_header("Connection", "close")
                self.end_headers()
                if server.cut_next_after is not None:
                    part, server.cut_next_after = part[:server.cut_next_after], None
                self.wfile.write(part)
                self.close_connection = True

        self.serve(Handler)

