"""Guarded downloads (`netguard.fetch_to_file`) against real servers on loopback addresses."""

from __future__ import annotations

import gzip
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.unit.fileserver import ServerState, serve
from wanvideo import netguard
from wanvideo.netguard import FetchError, FetchFailure, fetch_to_file

BODY = bytes(range(256)) * 400  # 100 KiB


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, ServerState]]:
    (tmp_path / "clip.bin").write_bytes(BODY)
    state = ServerState(files={"/clip.bin": tmp_path / "clip.bin"}, ranges=False)
    with serve(state) as base:
        yield base, state


def pretend_public(monkeypatch, *addresses: str) -> None:
    """Let the given loopback addresses pass the public-address rule; others keep the real rule."""
    real = netguard.address_internal_reason
    monkeypatch.setattr(
        netguard, "address_internal_reason", lambda ip: None if str(ip) in addresses else real(ip)
    )


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


async def test_download_is_written_whole(site, tmp_path: Path) -> None:
    base, state = site
    dest = tmp_path / "out" / "clip.mp4"
    dest.parent.mkdir()
    result = await fetch_to_file(
        f"{base}/clip.bin", dest, max_bytes=len(BODY), timeout=10, allow_private=True
    )
    assert (result.path, result.size, result.final_url) == (dest, len(BODY), f"{base}/clip.bin")
    assert dest.read_bytes() == BODY
    assert leftovers(dest.parent) == []
    assert state.log[0].host == urlsplit(base).netloc


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "127.1", "0x7f.1", "0177.0.0.1", "localhost"])
async def test_internal_targets_are_refused_uncontacted(site, tmp_path: Path, host: str) -> None:
    base, state = site
    port = urlsplit(base).port
    with pytest.raises(FetchError) as caught:
        await fetch_to_file(f"http://{host}:{port}/clip.bin", tmp_path / "x", max_bytes=10**6, timeout=10)
    assert caught.value.reason is FetchFailure.REFUSED
    assert caught.value.status is None
    assert state.log == []
    assert not (tmp_path / "x").exists()


async def test_a_redirect_inside_is_refused(site, tmp_path: Path, monkeypatch) -> None:
    """The simulator's finding: a link that redirects to an internal address."""
    base, state = site
    port = urlsplit(base).port
    state.redirects["/share"] = f"http://metadata.test:{port}/clip.bin"
    pretend_public(monkeypatch, "127.0.0.1")
    answers = {"cdn.test": ["127.0.0.1"], "metadata.test": ["100.100.100.200"]}
    with pytest.raises(FetchError) as caught:
        await fetch_to_file(
            f"http://cdn.test:{port}/share",
            tmp_path / "x",
            max_bytes=10**6,
            timeout=10,
            resolver=lambda host, _: answers[host],
        )
    assert caught.value.reason is FetchFailure.REFUSED
    assert str(caught.value) == "the link does not lead to a public server"
    assert [h.path for h in state.log] == ["/share"]


async def test_rebinding_between_hops_never_reaches_the_second_answer(tmp_path: Path, monkeypatch) -> None:
    """The name answers a "public" address for the check, then 127.0.0.1: the redirect to
    the same name goes to the checked address, and the inside server sees nothing."""
    (tmp_path / "clip.bin").write_bytes(BODY)
    outside = ServerState(files={"/clip.bin": tmp_path / "clip.bin"}, redirects={"/a": "/clip.bin"})
    inside = ServerState(files={"/clip.bin": tmp_path / "clip.bin"})
    with serve(outside, host="127.0.0.2") as outside_base:
        port = urlsplit(outside_base).port
        with serve(inside, host="127.0.0.1", port=port):
            pretend_public(monkeypatch, "127.0.0.2")
            calls: list[str] = []

            async def rebinding(host: str, port: int) -> list[str]:
                calls.append(host)
                return ["127.0.0.2"] if len(calls) == 1 else ["127.0.0.1"]

            result = await fetch_to_file(
                f"http://rebind.test:{port}/a",
                tmp_path / "out",
                max_bytes=10**6,
                timeout=10,
                resolver=rebinding,
            )
    assert result.size == len(BODY)
    assert [h.path for h in outside.log] == ["/a", "/clip.bin"]
    assert inside.log == []
    assert calls == ["rebind.test"]


async def test_size_cap_by_declared_length(site, tmp_path: Path) -> None:
    base, _ = site
    with pytest.raises(FetchError) as caught:
        await fetch_to_file(
            f"{base}/clip.bin", tmp_path / "x", max_bytes=1000, timeout=10, allow_private=True
        )
    assert caught.value.reason is FetchFailure.TOO_LARGE
    assert not (tmp_path / "x").exists() and leftovers(tmp_path) == []


async def test_size_cap_without_a_declared_length(site, tmp_path: Path) -> None:
    base, state = site
    state.raw["/endless"] = ({"Content-Type": "video/mp4", "Connection": "close"}, BODY)
    with pytest.raises(FetchError) as caught:
        await fetch_to_file(f"{base}/endless", tmp_path / "x", max_bytes=1000, timeout=10, allow_private=True)
    assert caught.value.reason is FetchFailure.TOO_LARGE
    assert not (tmp_path / "x").exists() and leftovers(tmp_path) == []


async def test_no_transparent_decompression(site, tmp_path: Path) -> None:
    base, state = site
    packed = gzip.compress(b"\0" * 1_000_000)  # 1 MB of zeros in about 1 KB
    state.raw["/bomb"] = ({"Content-Encoding": "gzip", "Content-Length": str(len(packed))}, packed)
    result = await fetch_to_file(
        f"{base}/bomb", tmp_path / "x", max_bytes=10_000, timeout=10, allow_private=True
    )
    assert result.size == len(packed)
    assert (tmp_path / "x").read_bytes() == packed


async def test_error_status_of_a_public_server(site, tmp_path: Path) -> None:
    base, _ = site
    with pytest.raises(FetchError) as caught:
        await fetch_to_file(f"{base}/missing", tmp_path / "x", max_bytes=10, timeout=10, allow_private=True)
    assert (caught.value.reason, caught.value.status) == (FetchFailure.HTTP_STATUS, 404)


async def test_too_many_redirects(site, tmp_path: Path) -> None:
    base, state = site
    state.redirects["/loop"] = "/loop"
    with pytest.raises(FetchError) as caught:
        await fetch_to_file(f"{base}/loop", tmp_path / "x", max_bytes=10, timeout=10, allow_private=True)
    assert caught.value.reason is FetchFailure.TOO_MANY_REDIRECTS
    assert len(state.log) == netguard.MAX_REDIRECTS + 1


async def test_redirect_to_another_scheme(site, tmp_path: Path) -> None:
    base, state = site
    state.redirects["/ftp"] = "ftp://example.com/clip.mp4"
    with pytest.raises(FetchError) as caught:
        await fetch_to_file(f"{base}/ftp", tmp_path / "x", max_bytes=10, timeout=10, allow_private=True)
    assert caught.value.reason is FetchFailure.NOT_HTTP


async def test_hard_deadline_against_a_dripping_server(site, tmp_path: Path) -> None:
    base, state = site
    state.drips["/drip"] = (120, 0.25)
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        await fetch_to_file(f"{base}/drip", tmp_path / "x", max_bytes=10**6, timeout=1.5, allow_private=True)
    assert caught.value.reason is FetchFailure.TIMEOUT
    assert time.monotonic() - started < 1.5 + 1
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def tls_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, ssl.SSLContext]]:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate for "media.test"."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command makes the test certificate")
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=media.test",
            "-addext",
            "subjectAltName=DNS:media.test",
            "-keyout",
            str(d / "key.pem"),
            "-out",
            str(d / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    (d / "clip.bin").write_bytes(BODY)
    state = ServerState(files={"/clip.bin": d / "clip.bin"}, ranges=False)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(d / "cert.pem", d / "key.pem")
    with serve(state, tls=server_ctx) as base:
        client_ctx = ssl.create_default_context(cafile=str(d / "cert.pem"))
        yield urlsplit(base).port, client_ctx


async def test_tls_checks_the_name_while_connecting_to_the_checked_address(tls_site) -> None:
    port, trust = tls_site
    async with netguard.GuardedClient(
        allow_private=True, resolver=lambda host, _: ["127.0.0.1"], verify=trust
    ) as client:
        _, response = await client.get(f"https://media.test:{port}/clip.bin")
        assert response.status_code == 200
        assert await netguard.read_body(response, len(BODY)) == BODY


async def test_tls_refuses_a_certificate_for_another_name(tls_site) -> None:
    port, trust = tls_site
    async with netguard.GuardedClient(
        allow_private=True, resolver=lambda host, _: ["127.0.0.1"], verify=trust
    ) as client:
        with pytest.raises(FetchError) as caught:
            await client.get(f"https://other.test:{port}/clip.bin")
    assert caught.value.reason is FetchFailure.UNREACHABLE


# ------------------------------------------------------------------ callbacks (guarded POST)


@pytest.fixture
def post_site() -> Iterator[tuple[str, list[tuple[str, str, bytes]]]]:
    """A loopback server that records POSTs; /moved answers a redirect to /elsewhere."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: list[tuple[str, str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append((self.path, self.headers.get("Host", ""), body))
            self.send_response(302 if self.path == "/moved" else 204)
            if self.path == "/moved":
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


async def test_a_callback_to_an_internal_address_is_never_sent(post_site) -> None:
    base, received = post_site
    port = urlsplit(base).port
    for host in ("127.0.0.1", "2130706433", "0x7f.1"):
        with pytest.raises(FetchError) as caught:
            await netguard.post_json(f"http://{host}:{port}/done", b"{}", timeout=5)
        assert caught.value.reason is FetchFailure.REFUSED
    assert received == []


async def test_a_callback_goes_to_the_checked_address_and_follows_no_redirect(post_site) -> None:
    base, received = post_site
    port = urlsplit(base).port
    answers = {"hooks.test": ["127.0.0.1"]}
    status = await netguard.post_json(
        f"http://hooks.test:{port}/moved",
        b'{"ok": true}',
        timeout=5,
        allow_private=True,
        resolver=lambda host, _port: answers[host],
    )
    assert status == 302  # an answer, not followed
    assert received == [("/moved", f"hooks.test:{port}", b'{"ok": true}')]
