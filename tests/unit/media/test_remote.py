"""Probing links against a real HTTP server on 127.0.0.1 serving the test videos."""

from __future__ import annotations

import asyncio
import concurrent.futures
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.unit.fileserver import ServerState, serve
from tests.unit.media.conftest import truncated_faststart
from tests.videos import box_offset, declare_samples
from wanvideo import netguard
from wanvideo.media import probe_file, probe_local, probe_url, remote


@pytest.fixture(scope="module")
def server(files: dict[str, Path]) -> Iterator[tuple[str, ServerState]]:
    state = ServerState()
    with serve(state) as base:
        yield base, state


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
    state.raw = {}
    state.drips = {}
    state.dripped = {}
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


def pretend_public(monkeypatch, *addresses: str) -> None:
    """Let the given loopback addresses pass the public-address rule (tests only have
    loopback servers); every other address keeps the real rule."""
    real = netguard.address_internal_reason
    monkeypatch.setattr(
        netguard, "address_internal_reason", lambda ip: None if str(ip) in addresses else real(ip)
    )


async def test_every_redirect_hop_is_checked(web, monkeypatch) -> None:
    base, state = web
    port = urlsplit(base).port
    state.redirects["/share/abc"] = f"http://inside.test:{port}/good.mp4"
    pretend_public(monkeypatch, "127.0.0.1")
    answers = {"public.test": ["127.0.0.1"], "inside.test": ["127.0.0.2"]}
    r = await probe_url(f"http://public.test:{port}/share/abc", resolver=lambda host, _: answers[host])
    assert r.problems == (
        "could not use abc: the link does not lead to a public server; paste a public http(s) link",
    )
    assert [h.path for h in state.log] == ["/share/abc"]


async def test_a_name_that_resolves_inside_is_refused_unseen(web) -> None:
    base, state = web
    port = urlsplit(base).port
    r = await probe_url(f"http://intranet.test:{port}/good.mp4", resolver=lambda host, _: ["127.0.0.1"])
    # The same sentence as for a name that does not resolve: nothing about the inside.
    unresolvable = await probe_url(f"http://nowhere.test:{port}/good.mp4", resolver=lambda host, _: [])
    assert (
        r.problems
        == unresolvable.problems
        == ("could not use good.mp4: the link does not lead to a public server; paste a public http(s) link",)
    )
    assert (r.size_bytes, r.container) == (None, None)
    assert state.log == []


@pytest.mark.parametrize("host", ["2130706433", "127.1", "0x7f.1", "0177.0.0.1", "[::ffff:127.0.0.1]"])
async def test_numeric_forms_of_loopback_are_refused(web, host: str) -> None:
    base, state = web
    port = urlsplit(base).port
    r = await probe_url(f"http://{host}:{port}/good.mp4")
    assert r.problems == (
        f"good.mp4 points to a loopback address ({host.strip('[]')}); only public links can be used",
    )
    assert state.log == []


async def test_rebinding_never_reaches_the_second_answer(files, monkeypatch) -> None:
    """DNS rebinding: the name resolves to a "public" address for the check and to
    127.0.0.1 afterwards. Every request (big.mp4 needs several Range reads) must go to
    the checked address, and the resolver is asked once."""
    outside = ServerState(files={"/big.mp4": files["big.mp4"]})
    inside = ServerState(files={"/big.mp4": files["big.mp4"]})
    with serve(outside, host="127.0.0.2") as outside_base:
        port = urlsplit(outside_base).port
        with serve(inside, host="127.0.0.1", port=port):
            pretend_public(monkeypatch, "127.0.0.2")
            calls: list[str] = []

            def rebinding(host: str, port: int) -> list[str]:
                calls.append(host)
                return ["127.0.0.2"] if len(calls) == 1 else ["127.0.0.1"]

            r = await probe_url(f"http://rebind.test:{port}/big.mp4", resolver=rebinding)
    assert r.ok and r.duration == pytest.approx(3.0, abs=0.05)
    assert len(outside.log) >= 2  # the header first, then the moov box at the end
    assert {h.host for h in outside.log} == {f"rebind.test:{port}"}  # the name, not the address
    assert inside.log == []
    assert calls == ["rebind.test"]


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
        f"could not fetch loop (more than {netguard.MAX_REDIRECTS} redirects); check the link and try again",
    )
    assert len(state.log) == netguard.MAX_REDIRECTS + 1


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


# --------------------------------------------------------------------------- deadlines


class _NoDefaultExecutor(concurrent.futures.ThreadPoolExecutor):
    """Installed as the loop's default executor: records any use of it."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.used: list[object] = []

    def submit(self, fn, /, *args, **kwargs):
        self.used.append(fn)
        return super().submit(fn, *args, **kwargs)


async def test_a_dripping_server_is_cut_off_at_the_deadline(web, files: dict[str, Path]) -> None:
    """One header line per 0.25 s for a minute: the probe ends at its deadline, and a local
    probe started meanwhile is served. Nothing touches asyncio's default thread pool."""
    base, state = web
    state.drips["/drip.mp4"] = (240, 0.25)
    spy = _NoDefaultExecutor()
    asyncio.get_running_loop().set_default_executor(spy)
    timeout = 2.0
    started = time.monotonic()
    remote_probes = [
        asyncio.ensure_future(probe_url(f"{base}/drip.mp4", allow_private=True, timeout=timeout))
        for _ in range(3)
    ]
    await asyncio.sleep(0.5)
    assert not any(p.done() for p in remote_probes)
    local = await probe_local(files["good.mp4"])
    assert local.ok
    assert not any(p.done() for p in remote_probes)  # the local probe did not wait for them
    results = await asyncio.gather(*remote_probes)
    elapsed = time.monotonic() - started
    for r in results:
        assert r.problems == (
            "could not fetch drip.mp4 (no answer within 2 s); check the link and try again",
        )
    assert elapsed < timeout + 1
    assert spy.used == []
    deadline = time.monotonic() + 5  # the server notices the hang-up at its next line
    while len(state.dripped) < 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert 0 < state.dripped["/drip.mp4"] < 240


async def test_names_are_resolved_off_the_default_pool(web) -> None:
    """The system resolver runs in netguard's own executor, never the loop's default one."""
    base, _ = web
    port = urlsplit(base).port
    spy = _NoDefaultExecutor()
    asyncio.get_running_loop().set_default_executor(spy)
    r = await probe_url(f"http://localhost:{port}/good.mp4", allow_private=True)
    assert r.ok
    assert spy.used == []


async def test_a_crafted_remote_file_is_refused_from_its_headers(web, files, tmp_path: Path) -> None:
    base, state = web
    state.files["/crafted.mp4"] = declare_samples(files["good.mp4"], tmp_path / "crafted.mp4", 60_000_000)
    r = await probe_url(f"{base}/crafted.mp4", allow_private=True)
    assert r.implausible is not None and r.implausible.what == "samples"
    assert r.problems[0].startswith("crafted.mp4 declares 60,000,")


def test_remote_slots_are_shared_by_every_event_loop() -> None:
    """Two loops in two threads share one slot: the second waits until the first is done."""
    slots = remote._Slots(1)
    order: list[str] = []
    first_in = threading.Event()

    async def hold() -> None:
        async with slots:
            order.append("first in")
            first_in.set()
            await asyncio.sleep(0.2)
            order.append("first out")

    async def wait() -> None:
        first_in.wait(5)
        async with slots:
            order.append("second in")

    threads = [threading.Thread(target=asyncio.run, args=(job(),)) for job in (hold, wait)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert order == ["first in", "first out", "second in"]
    assert slots.free == 1
