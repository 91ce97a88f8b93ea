"""Probing links against a real HTTP server on 127.0.0.1 serving the test videos."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.unit.media.conftest import truncated_faststart
from tests.videos import box_offset
from wanvideo.media import probe_file, probe_url, remote


@dataclass
class Hit:
    path: str
    range: str | None
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

    def do_GET(self) -> None:
        state = self.state
        path = urlsplit(self.path).path
        hit = Hit(path, self.headers.get("Range"))
        with state.lock:
            state.log.append(hit)
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


@pytest.fixture(scope="module")
def server(files: dict[str, Path]) -> Iterator[tuple[str, ServerState]]:
    state = ServerState()
    handler = type("Handler", (_Handler,), {"state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def web(server, files: dict[str, Path], tmp_path: Path) -> Iterator[tuple[str, ServerState]]:
    """The server with a fresh log, serving every test file under /<name>."""
    base, state = server
    state.files = {f"/{name}": path for name, path in files.items()}
    state.files["/slow.mp4"] = files["good.mp4"]
    state.log.clear()
    state.ranges = True
    state.redirects = {}
    state.statuses = {}
    yield base, state


FIELDS = ("size_bytes", "container", "duration", "video_codec", "width", "height", "fps", "has_audio")


@pytest.mark.parametrize("name", ["good.mp4", "good.mov", "big.mp4"])
async def test_probe_url_matches_probe_file(web, files: dict[str, Path], name: str) -> None:
    base, state = web
    remote = await probe_url(f"{base}/{name}", allow_private=True)
    local = probe_file(files[name])
    assert remote.problems == ()
    assert remote.warnings == ()
    assert remote.name == name
    assert remote.source == f"{base}/{name}"
    assert remote.headers_read is True
    assert {f: getattr(remote, f) for f in FIELDS} == {f: getattr(local, f) for f in FIELDS}
    assert all(h.status == 206 for h in state.log)


async def test_large_file_is_probed_from_its_headers_only(web, files: dict[str, Path]) -> None:
    base, state = web
    r = await probe_url(f"{base}/big.mp4", allow_private=True)
    assert r.ok
    assert r.size_bytes == 40_000_000
    assert r.duration == pytest.approx(3.0, abs=0.05)
    data = files["good.mp4"].read_bytes()
    moov_at = 40_000_000 - (len(data) - box_offset(data, b"moov"))
    assert any(h.range and int(h.range[6:].split("-")[0]) >= moov_at - remote.RANGE_BLOCK for h in state.log)
    sent = state.sent("/big.mp4")
    print(f"big.mp4: {sent} of 40000000 bytes in {len(state.log)} requests")
    assert 0 < sent <= 4 * remote.RANGE_BLOCK  # a few blocks of a 40 MB file
    assert all(h.range and h.range.startswith("bytes=") for h in state.log)


async def test_internal_address_is_refused_before_any_request(web) -> None:
    base, state = web
    r = await probe_url(f"{base}/good.mp4")
    assert r.problems == ("good.mp4 points to a loopback address (127.0.0.1); only public links can be used",)
    assert state.log == []


async def test_every_redirect_hop_is_checked(web, monkeypatch) -> None:
    base, state = web
    port = urlsplit(base).port
    state.redirects["/share/abc"] = f"http://localhost:{port}/good.mp4"

    # Pretend 127.0.0.1 is public so the first hop passes; "localhost" stays internal.
    def fake_reason(host: str, port: int = 443) -> str | None:
        return None if host == "127.0.0.1" else "a loopback address"

    monkeypatch.setattr(remote, "resolved_internal_reason", fake_reason)
    r = await probe_url(f"{base}/share/abc")
    assert r.problems == ("abc redirects to a loopback address (localhost); only public links can be used",)
    assert [h.path for h in state.log] == ["/share/abc"]


async def test_redirects_are_followed(web) -> None:
    base, state = web
    state.redirects["/s/1"] = "/s/2"
    state.redirects["/s/2"] = f"{base}/good.mov"
    r = await probe_url(f"{base}/s/1", allow_private=True)
    assert r.ok
    assert r.container == "mov"
    assert [h.path for h in state.log][:3] == ["/s/1", "/s/2", "/good.mov"]


async def test_redirect_loop_stops(web) -> None:
    base, state = web
    state.redirects["/loop"] = "/loop"
    r = await probe_url(f"{base}/loop", allow_private=True)
    assert r.problems == (
        f"could not fetch loop (more than {remote.MAX_REDIRECTS} redirects); check the link and try again",
    )
    assert len(state.log) == remote.MAX_REDIRECTS + 1


async def test_not_found(web) -> None:
    base, _ = web
    r = await probe_url(f"{base}/missing/clip.mp4", allow_private=True)
    assert r.problems == ("could not fetch clip.mp4 (HTTP 404); check the link is public",)


async def test_server_error(web) -> None:
    base, state = web
    state.statuses["/good.mp4"] = 503
    r = await probe_url(f"{base}/good.mp4", allow_private=True)
    assert r.problems == ("could not fetch good.mp4 (HTTP 503); check the link and try again",)


async def test_remote_empty_file(web, tmp_path: Path) -> None:
    base, state = web
    (tmp_path / "empty.mp4").write_bytes(b"")
    state.files["/empty.mp4"] = tmp_path / "empty.mp4"
    r = await probe_url(f"{base}/empty.mp4", allow_private=True)
    assert [h.status for h in state.log] == [416]
    assert r.size_bytes == 0
    assert r.problems == ("empty.mp4 is empty (0 bytes); choose the video file again",)


async def test_timeout(web) -> None:
    base, state = web
    state.slow_seconds = 1.0
    r = await probe_url(f"{base}/slow.mp4", allow_private=True, timeout=0.3)
    assert r.problems == ("could not fetch slow.mp4 (no answer within 0.3 s); check the link and try again",)


async def test_unreachable_server() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nothing listens there
    r = await probe_url(f"http://127.0.0.1:{port}/clip.mp4", allow_private=True)
    assert r.problems == (
        "could not fetch clip.mp4 (the server could not be reached); check the link and try again",
    )


async def test_not_a_link() -> None:
    r = await probe_url("ftp://example.com/clip.mp4")
    assert r.problems == ("'ftp://example.com/clip.mp4' is not an http(s) link; paste a public http(s) URL",)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("renamed.mp4", "renamed.mp4 is a WebM video; upload an MP4 or MOV file"),
        ("photo.mp4", "photo.mp4 is a PNG image, not a video; upload an MP4 or MOV file"),
        ("voice.mp4", "voice.mp4 has no video track (audio only); upload a video with a picture"),
        (
            "page.html",
            "page.html is a web page, not a video; use a direct link to the video file (MP4 or MOV)",
        ),
    ],
)
async def test_remote_wrong_content(web, name: str, problem: str) -> None:
    base, _ = web
    r = await probe_url(f"{base}/{name}", allow_private=True)
    assert r.problems == (problem,)


async def test_remote_oversized_is_refused_from_the_first_block(web, tmp_path: Path, files) -> None:
    base, state = web
    huge = tmp_path / "huge.mp4"
    shutil.copy(files["good.mp4"], huge)
    with open(huge, "r+b") as fh:
        fh.truncate(150_000_000)
    state.files["/huge.mp4"] = huge
    r = await probe_url(f"{base}/huge.mp4", allow_private=True)
    assert r.problems == ("huge.mp4 is 150 MB; references must be at most 100 MB: trim or compress it",)
    assert r.size_bytes == 150_000_000
    assert state.sent("/huge.mp4") <= remote.RANGE_BLOCK


async def test_server_without_range_support(web) -> None:
    base, state = web
    state.ranges = False
    r = await probe_url(f"{base}/good.mp4", allow_private=True)
    assert r.ok
    assert (r.container, r.video_codec, r.has_audio) == ("mp4", "h264", True)
    assert r.duration == pytest.approx(3.0, abs=0.05)
    assert [h.status for h in state.log] == [200]


async def test_without_range_the_read_is_capped(web, monkeypatch) -> None:
    """big.mp4's moov box sits after 40 MB: past a 1 MiB budget, so its duration is unknown."""
    base, state = web
    state.ranges = False
    monkeypatch.setattr(remote, "REMOTE_READ_BUDGET", 1024 * 1024)
    r = await probe_url(f"{base}/big.mp4", allow_private=True)
    assert r.problems == ()
    assert (r.container, r.size_bytes, r.duration, r.headers_read) == ("mp4", 40_000_000, None, False)
    assert r.warnings == (
        "could not read how long big.mp4 lasts without downloading all of it; the cost is shown as a range",
    )
    assert [h.status for h in state.log] == [200]


async def test_remote_truncated_faststart(web, files: dict[str, Path], tmp_path: Path) -> None:
    base, state = web
    state.files["/cutfast.mp4"] = truncated_faststart(tmp_path, files)
    r = await probe_url(f"{base}/cutfast.mp4", allow_private=True)
    assert r.problems == (
        "cutfast.mp4 is damaged or incomplete (its MP4 structure cannot be read); export or download it again",
    )
