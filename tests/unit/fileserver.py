"""A real HTTP file server for tests, on a loopback address: Range requests, redirects,
forced statuses, fixed raw answers and a server that drips its headers. Every request is
logged (path, Range, Host) so tests can assert what reached it."""

from __future__ import annotations

import re
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit


@dataclass
class Hit:
    path: str
    range: str | None
    host: str | None = None
    status: int = 0
    sent: int = 0


@dataclass
class ServerState:
    files: dict[str, Path] = field(default_factory=dict)
    log: list[Hit] = field(default_factory=list)
    ranges: bool = True  # False: ignore Range, always 200 with the whole file
    redirects: dict[str, str] = field(default_factory=dict)
    slow_seconds: float = 1.0
    statuses: dict[str, int] = field(default_factory=dict)  # path -> forced error status
    # path -> (headers, body): a fixed answer, e.g. a gzip body or one without a length
    raw: dict[str, tuple[dict[str, str], bytes]] = field(default_factory=dict)
    # path -> (header lines, seconds between them): a server that drips its answer
    drips: dict[str, tuple[int, float]] = field(default_factory=dict)
    dripped: dict[str, int] = field(default_factory=dict)  # path -> lines sent before the hang-up
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sent(self, path: str) -> int:
        return sum(h.sent for h in self.log if h.path == path)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: ServerState

    def log_message(self, *args) -> None:  # quiet
        pass

    def _head(self, status: int, headers: dict[str, str], hit: Hit) -> None:
        hit.status = status
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()

    def _drip(self, path: str, lines: int, interval: float) -> None:
        """A status line, then one header line every `interval` seconds: never an end."""
        sent = 0
        try:
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self.wfile.flush()
            for i in range(lines):
                time.sleep(interval)
                self.wfile.write(f"X-Drip-{i}: {'x' * 20}\r\n".encode())
                self.wfile.flush()
                sent += 1
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.state.dripped[path] = sent
        self.close_connection = True

    def do_GET(self) -> None:
        state = self.state
        path = urlsplit(self.path).path
        hit = Hit(path, self.headers.get("Range"), self.headers.get("Host"))
        with state.lock:
            state.log.append(hit)
        if path in state.drips:
            self._drip(path, *state.drips[path])
            return
        if path in state.raw:
            headers, body = state.raw[path]
            self._head(200, headers, hit)
            self.wfile.write(body)
            hit.sent += len(body)
            if "Content-Length" not in headers:
                self.close_connection = True
            return
        if path in state.redirects:
            self._head(302, {"Location": state.redirects[path], "Content-Length": "0"}, hit)
            return
        if path == "/slow.mp4":
            time.sleep(state.slow_seconds)
        file = state.files.get(path)
        if file is None or path in state.statuses:
            body = b"no video here"
            status = state.statuses.get(path, 404)
            self._head(status, {"Content-Length": str(len(body)), "Content-Type": "text/plain"}, hit)
            self.wfile.write(body)
            return
        size = file.stat().st_size
        start, end, status = 0, size - 1, 200
        headers = {"Accept-Ranges": "bytes"} if state.ranges else {}
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", hit.range or "")
        if state.ranges and match:
            if match.group(1):
                start = int(match.group(1))
                end = min(int(match.group(2) or size - 1), size - 1)
            else:
                start = max(0, size - int(match.group(2)))
            if start >= size:
                self._head(416, {"Content-Range": f"bytes */{size}", "Content-Length": "0"}, hit)
                return
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        headers["Content-Length"] = str(end - start + 1)
        headers["Content-Type"] = "text/html" if file.suffix == ".html" else "video/mp4"
        self._head(status, headers, hit)
        try:
            with open(file, "rb") as fh:
                fh.seek(start)
                left = end - start + 1
                while left > 0:
                    chunk = fh.read(min(left, 64 * 1024))
                    self.wfile.write(chunk)
                    hit.sent += len(chunk)
                    left -= len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass


@contextmanager
def serve(
    state: ServerState, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None
) -> Iterator[str]:
    """Serve `state` on host:port (0: any free port), over TLS with `tls`; yields the base URL."""
    handler = type("Handler", (_Handler,), {"state": state})
    httpd = ThreadingHTTPServer((host, port), handler)
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://{host}:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
