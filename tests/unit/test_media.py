"""Reference probing on real files (made with tests/videos.py) and a real local HTTP server."""

from __future__ import annotations

import random
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

import av
import pytest

from tests.videos import make_audio_only, make_image, make_video
from wanvideo import media
from wanvideo.media import ProbeResult, check_reference, probe_file, probe_url, sniff_container
from wanvideo.providers import MAX_REFERENCE_BYTES

# --------------------------------------------------------------------------- files


def _pad(src: Path, dst: Path, total: int) -> Path:
    """`src` grown to `total` bytes by a `free` box just before its `moov` box (at the end,
    as PyAV writes it), so a reader must skip the padding. Sparse on disk; a valid MP4:
    the sample offsets point into `mdat`, which does not move."""
    data = src.read_bytes()
    moov = _box_offset(data, b"moov")
    pad = total - len(data)
    with open(dst, "wb") as fh:
        fh.write(data[:moov])
        fh.write(pad.to_bytes(4, "big") + b"free")
        fh.seek(pad - 8, 1)
        fh.write(data[moov:])
    assert dst.stat().st_size == total
    return dst


def _box_offset(data: bytes, kind: bytes) -> int:
    """Offset of the first top-level ISO box of type `kind`."""
    pos = 0
    while pos + 8 <= len(data):
        if data[pos + 4 : pos + 8] == kind:
            return pos
        pos += int.from_bytes(data[pos : pos + 4], "big")
    raise AssertionError(f"no {kind!r} box")


def _faststart(src: Path, dst: Path) -> Path:
    """Remux `src` with the `moov` box first, as web-optimised MP4s are."""
    with (
        av.open(str(src)) as inp,
        av.open(str(dst), "w", format="mp4", options={"movflags": "faststart"}) as out,
    ):
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        for packet in inp.demux():
            if packet.dts is None:
                continue
            packet.stream = streams[packet.stream.index]
            out.mux(packet)
    return dst


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("media")
    good = make_video(d / "good.mp4", 3)
    out = {
        "good.mp4": good,
        "good.mov": make_video(d / "good.mov", 3, container="mov"),
        "silent.mp4": make_video(d / "silent.mp4", 3, audio=False),
        "short.mp4": make_video(d / "short.mp4", 1),
        "long.mp4": make_video(d / "long.mp4", 31, fps=2, audio=False),  # 31 s of sound is slow to make
        "voice.mp4": make_audio_only(d / "voice.mp4", 3),
        "photo.mp4": make_image(d / "photo.png"),
        "clip.webm": make_video(d / "clip.webm", 3, container="webm"),
    }
    out["fast.mp4"] = _faststart(good, d / "fast.mp4")
    shutil.copy(out["clip.webm"], d / "renamed.mp4")
    out["renamed.mp4"] = d / "renamed.mp4"
    shutil.copy(out["good.mov"], d / "movie.mp4")  # a MOV named .mp4
    out["movie.mp4"] = d / "movie.mp4"
    out["big.mp4"] = _pad(good, d / "big.mp4", 40_000_000)
    (d / "page.html").write_text("<!DOCTYPE html><html><body>Sign in to see this video</body></html>")
    out["page.html"] = d / "page.html"
    return out


# --------------------------------------------------------------------------- local files


def test_good_mp4(files: dict[str, Path]) -> None:
    path = files["good.mp4"]
    r = probe_file(str(path))
    assert r.problems == ()
    assert r.warnings == ()
    assert r.ok
    assert r.name == "good.mp4"
    assert r.source == str(path)
    assert r.size_bytes == path.stat().st_size
    assert r.container == "mp4"
    assert r.duration == pytest.approx(3.0, abs=0.05)
    assert (r.video_codec, r.width, r.height, r.fps) == ("h264", 160, 120, 10.0)
    assert r.has_audio is True
    assert r.audio_codec == "aac"
    assert r.headers_read is True


def test_good_mov_by_ftyp_brand(files: dict[str, Path]) -> None:
    assert files["good.mov"].read_bytes()[4:12] == b"ftypqt  "
    r = probe_file(files["good.mov"])
    assert r.problems == ()
    assert r.container == "mov"
    assert r.duration == pytest.approx(3.0, abs=0.05)
    assert (r.video_codec, r.width, r.height, r.fps, r.has_audio) == ("h264", 160, 120, 10.0, True)


def test_container_comes_from_content_not_name(files: dict[str, Path]) -> None:
    r = probe_file(files["movie.mp4"])
    assert r.container == "mov"
    assert r.ok


def test_display_name_is_used_in_messages(files: dict[str, Path]) -> None:
    r = probe_file(files["short.mp4"], name="My clip.mp4")
    assert r.name == "My clip.mp4"
    assert r.problems[0].startswith("My clip.mp4 lasts 1.0 s")


@dataclass
class Broken:
    id: str
    make: object  # callable(dir, files) -> Path
    problem: str


def _truncated(d: Path, files: dict[str, Path]) -> Path:
    data = files["good.mp4"].read_bytes()
    (d / "cut.mp4").write_bytes(data[: len(data) // 2])
    return d / "cut.mp4"


def _truncated_faststart(d: Path, files: dict[str, Path]) -> Path:
    data = files["fast.mp4"].read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # the header survives the cut
    (d / "cutfast.mp4").write_bytes(data[: len(data) // 2])
    return d / "cutfast.mp4"


def _write(name: str, content: bytes):
    def make(d: Path, files: dict[str, Path]) -> Path:
        (d / name).write_bytes(content)
        return d / name

    return make


def _copy(key: str):
    return lambda d, files: files[key]


BROKEN = [
    Broken("empty", _write("empty.mp4", b""), "empty.mp4 is empty (0 bytes); choose the video file again"),
    Broken(
        "truncated",
        _truncated,
        "cut.mp4 is damaged or incomplete (its MP4 structure cannot be read); export or download it again",
    ),
    Broken(
        "truncated-faststart",
        _truncated_faststart,
        "cutfast.mp4 is damaged or incomplete (its MP4 structure cannot be read); export or download it again",
    ),
    Broken(
        "random",
        _write("noise.mp4", random.Random(7).randbytes(20_000)),
        "noise.mp4 is not a video file that can be read; upload an MP4 or MOV file",
    ),
    Broken(
        "text",
        _write("notes.mp4", b"just some notes\n" * 50),
        "notes.mp4 is a text file, not a video; upload an MP4 or MOV file",
    ),
    Broken(
        "audio-only",
        _copy("voice.mp4"),
        "voice.mp4 has no video track (audio only); upload a video with a picture",
    ),
    Broken("image", _copy("photo.mp4"), "photo.png is a PNG image, not a video; upload an MP4 or MOV file"),
    Broken("webm-renamed", _copy("renamed.mp4"), "renamed.mp4 is a WebM video; upload an MP4 or MOV file"),
    Broken(
        "html",
        _copy("page.html"),
        "page.html is a web page, not a video; upload the video itself (MP4 or MOV)",
    ),
]


@pytest.mark.parametrize("case", BROKEN, ids=[c.id for c in BROKEN])
def test_broken_files_give_one_clear_problem(case: Broken, files: dict[str, Path], tmp_path: Path) -> None:
    path = case.make(tmp_path, files)
    r = probe_file(path)
    assert r.problems == (case.problem,)
    assert not r.ok


def test_truncated_faststart_still_parses_without_the_box_check(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """Guards the test above: PyAV alone accepts a cut fast-start file."""
    path = _truncated_faststart(tmp_path, files)
    with av.open(str(path)) as c:
        assert c.duration / av.time_base == pytest.approx(3.0, abs=0.05)
    with open(path, "rb") as fh:
        assert media.iso_missing_bytes(fh, path.stat().st_size) > 0
    with open(files["fast.mp4"], "rb") as fh:
        assert media.iso_missing_bytes(fh, files["fast.mp4"].stat().st_size) == 0


def test_too_short(files: dict[str, Path]) -> None:
    r = probe_file(files["short.mp4"])
    assert r.duration == pytest.approx(1.0, abs=0.05)
    assert r.problems == ("short.mp4 lasts 1.0 s; references must be 2 to 30 s long: use a longer clip",)


def test_too_long(files: dict[str, Path]) -> None:
    r = probe_file(files["long.mp4"])
    assert r.duration == pytest.approx(31.0, abs=0.05)
    assert r.problems == (
        "long.mp4 lasts 31.0 s; references must be 2 to 30 s long: trim it to 30 s or less",
    )


def test_over_100_mb_is_refused_unopened(tmp_path: Path, files: dict[str, Path], monkeypatch) -> None:
    path = tmp_path / "huge.mp4"
    shutil.copy(files["good.mp4"], path)
    with open(path, "r+b") as fh:
        fh.truncate(MAX_REFERENCE_BYTES + 1)  # sparse: instant
    opened: list[object] = []
    monkeypatch.setattr(media.av, "open", lambda *a, **k: opened.append(a))
    r = probe_file(path)
    assert r.problems == ("huge.mp4 is 100.1 MB; references must be at most 100 MB: trim or compress it",)
    assert r.size_bytes == MAX_REFERENCE_BYTES + 1
    assert opened == []


def test_exactly_100_mb_is_not_refused_for_size(tmp_path: Path, files: dict[str, Path]) -> None:
    path = _pad(files["good.mp4"], tmp_path / "full.mp4", MAX_REFERENCE_BYTES)
    r = probe_file(path)
    assert r.problems == ()
    assert r.size_bytes == MAX_REFERENCE_BYTES


def test_no_audio_is_a_warning(files: dict[str, Path]) -> None:
    r = probe_file(files["silent.mp4"])
    assert r.ok
    assert r.has_audio is False
    assert r.warnings == ("silent.mp4 has no audio track: the voice cannot be copied",)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert probe_file(tmp_path / "gone.mp4").problems == ("gone.mp4 was not found; upload it again",)
    assert probe_file(tmp_path).problems == (f"{tmp_path.name} is not a file; choose a video file",)


def test_unexpected_errors_become_problems(files: dict[str, Path], monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(media.av, "open", boom)
    r = probe_file(files["good.mp4"])
    assert r.problems == (
        "good.mp4 is damaged or incomplete (its MP4 structure cannot be read); export or download it again",
    )


# --------------------------------------------------------------------------- pure parts


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00", "mov"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "mp4"),
        (b"\x00\x00\x00\x20ftypmp42\x00\x00\x00\x00", "mp4"),
        (b"\x00\x00\x00\x20ftyp3gp4\x00\x00\x00\x00", "3gp"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "m4a"),
        (b"\x00\x00\x00\x20ftypheic\x00\x00\x00\x00", "heif"),
        (b"\x00\x00\x00\x08wide\x00\x01\x00\x00mdat", "mov"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm\x42\x87", "webm"),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "mkv"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "avi"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "wav"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"GIF89a\x01\x00", "gif"),
        (b"ID3\x04\x00\x00", "mp3"),
        (b"  <!DOCTYPE html><html>", "html"),
        (b'{"error": "not found"}', "text"),
        (b"", None),
        (random.Random(3).randbytes(512), None),
    ],
)
def test_sniff_container(head: bytes, expected: str | None) -> None:
    assert sniff_container(head) == expected


def _facts(**kw) -> ProbeResult:
    base = dict(
        name="c.mp4",
        source="c.mp4",
        size_bytes=1000,
        container="mp4",
        duration=5.0,
        video_codec="h264",
        width=640,
        height=360,
        fps=30.0,
        has_audio=True,
        headers_read=True,
    )
    return ProbeResult(**{**base, **kw})


@pytest.mark.parametrize("duration", [2.0, 30.0, 10.5])
def test_limits_are_inclusive(duration: float) -> None:
    assert check_reference(_facts(duration=duration)) == ((), ())


def test_other_container_names_its_format() -> None:
    problems, _ = check_reference(_facts(container="dv"))
    assert problems == ("c.mp4 is in the DV format; upload an MP4 or MOV file",)


def test_limit_edges_show_enough_digits() -> None:
    problems, _ = check_reference(_facts(duration=30.04))
    assert problems[0].startswith("c.mp4 lasts 30.04 s;")
    problems, _ = check_reference(_facts(duration=1.97))
    assert problems[0].startswith("c.mp4 lasts 1.97 s;")


def test_codec_warnings() -> None:
    _, warnings = check_reference(_facts(video_codec="hevc"))
    assert warnings == (
        "c.mp4 uses HEVC (H.265) video: only some browsers (Safari, recent Chrome and Edge) can "
        "preview it; convert to H.264 for a preview",
    )
    _, warnings = check_reference(_facts(video_codec="prores"))
    assert warnings == (
        "c.mp4 uses ProRes video: browsers may not preview it; convert to H.264 for a preview",
    )
    assert check_reference(_facts(video_codec="vp9")) == ((), ())


def test_unknown_duration_is_a_warning_not_a_problem() -> None:
    problems, warnings = check_reference(_facts(duration=None))
    assert problems == ()
    assert warnings == ("could not read how long c.mp4 lasts; the cost is shown as a range",)


def test_size_just_over_the_limit_never_reads_as_the_limit() -> None:
    problems, _ = check_reference(_facts(size_bytes=MAX_REFERENCE_BYTES + 1))
    assert "100.1 MB" in problems[0]
    assert check_reference(_facts(size_bytes=MAX_REFERENCE_BYTES)) == ((), ())


# --------------------------------------------------------------------------- remote


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
    moov_at = 40_000_000 - (len(data) - _box_offset(data, b"moov"))
    assert any(h.range and int(h.range[6:].split("-")[0]) >= moov_at - media.RANGE_BLOCK for h in state.log)
    sent = state.sent("/big.mp4")
    print(f"big.mp4: {sent} of 40000000 bytes in {len(state.log)} requests")
    assert 0 < sent <= 4 * media.RANGE_BLOCK  # a few blocks of a 40 MB file
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

    monkeypatch.setattr(media, "resolved_internal_reason", fake_reason)
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
        f"could not fetch loop (more than {media.MAX_REDIRECTS} redirects); check the link and try again",
    )
    assert len(state.log) == media.MAX_REDIRECTS + 1


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
    started = time.monotonic()
    r = await probe_url(f"{base}/slow.mp4", allow_private=True, timeout=0.3)
    assert time.monotonic() - started < 0.9
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
    assert state.sent("/huge.mp4") <= media.RANGE_BLOCK


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
    monkeypatch.setattr(media, "REMOTE_READ_BUDGET", 1024 * 1024)
    r = await probe_url(f"{base}/big.mp4", allow_private=True)
    assert r.problems == ()
    assert (r.container, r.size_bytes, r.duration, r.headers_read) == ("mp4", 40_000_000, None, False)
    assert r.warnings == (
        "could not read how long big.mp4 lasts without downloading all of it; the cost is shown as a range",
    )
    assert [h.status for h in state.log] == [200]


async def test_remote_truncated_faststart(web, files: dict[str, Path], tmp_path: Path) -> None:
    base, state = web
    state.files["/cutfast.mp4"] = _truncated_faststart(tmp_path, files)
    r = await probe_url(f"{base}/cutfast.mp4", allow_private=True)
    assert r.problems == (
        "cutfast.mp4 is damaged or incomplete (its MP4 structure cannot be read); export or download it again",
    )
