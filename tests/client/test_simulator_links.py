"""The simulator fetches visitors' links safely (issue 8, item 5), and renders two results at once.

In demo mode the simulator fetches the `video_urls` of a create (and `upload/url` links).
These tests run real servers on 127.0.0.1: a "public" one that serves an MP4 or redirects,
and an "internal" one that must never be reached unless the simulator was built with
``allow_private_urls=True``. They hold for any guarded fetcher behind `fetch.fetch_link`.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.videos import make_video
from wanvideo.simulator import Simulator, tasks_api
from wanvideo.simulator.fetch import LinkRefused, Why, fetch_link

KEY = "sk-test-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
MODEL = "wan2.6-reference-video"


# ---------------------------------------------------------------- little servers on 127.0.0.1


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drip: float = 0.0  # seconds between bytes of the body


@dataclass
class Site:
    """A threaded HTTP server answering from `routes`; `hits` and `hosts` record requests."""

    routes: dict[str, Answer | Callable[[], Answer]]
    hits: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def serve() -> Iterator[Callable[[dict], Site]]:
    servers: list[ThreadingHTTPServer] = []

    def start(routes: dict) -> Site:
        site = Site(routes)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                site.hits.append(self.path)
                site.hosts.append(self.headers.get("Host", ""))
                answer = site.routes.get(self.path, Answer(404, b"no"))
                answer = answer() if callable(answer) else answer
                self.send_response(answer.status)
                headers = {"Content-Length": str(len(answer.body)), **answer.headers}
                for name, value in headers.items():
                    if value:  # an empty value drops the header (no Content-Length: read to close)
                        self.send_header(name, value)
                self.end_headers()
                try:
                    if not answer.drip:
                        self.wfile.write(answer.body)
                        return
                    for byte in answer.body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(answer.drip)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        site.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return site

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def mp4(tmp_path_factory) -> bytes:
    return make_video(tmp_path_factory.mktemp("links") / "ref.mp4", seconds=3).read_bytes()


@pytest.fixture
def sites(serve, mp4) -> tuple[Site, Site]:
    """(public, internal): public serves /ok.mp4 and redirects /to-internal into internal."""
    internal = serve({"/secret.mp4": Answer(body=mp4, headers={"Content-Type": "video/mp4"})})
    public = serve(
        {
            "/ok.mp4": Answer(body=mp4, headers={"Content-Type": "video/mp4"}),
            "/to-internal": Answer(302, headers={"Location": internal.url("/secret.mp4")}),
            "/to-file": Answer(302, headers={"Location": "file:///etc/passwd"}),
        }
    )
    return public, internal


def create(sim: Simulator, urls: list[str]) -> httpx.Response:
    body = {"model": MODEL, "prompt": "character1 dances", "video_urls": urls, "duration": 2}
    return httpx.post(f"{sim.base_url}/v1/videos/generations", json=body, headers=AUTH, timeout=30)


def saved_files(sim: Simulator) -> list[Path]:
    return [p for p in sim.data_dir.rglob("*") if p.is_file() and p.name != "state.json"]


# ---------------------------------------------------------------- creates


def test_redirect_into_an_internal_address_is_refused_for_free(sites):
    public, internal = sites
    with Simulator(task_seconds=0.2, allow_private_urls=False) as sim:
        response = create(sim, [public.url("/to-internal")])
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert (error["code"], error["type"], error["param"]) == (
            "invalid_request",
            "invalid_request_error",
            "video_urls",
        )
        assert "Reference video 1" in error["message"]
        # Nothing about the inside: neither its address nor what it would have answered.
        assert str(internal.port) not in error["message"] and "secret" not in error["message"]
        assert internal.hits == []
        assert (sim.stats.tasks_created, sim.charged_credits(), saved_files(sim)) == (0, 0, [])


def test_the_same_redirect_is_followed_when_private_links_are_allowed(sites):
    """The control for the test above: the refusal comes from the address check."""
    public, internal = sites
    with Simulator(task_seconds=0.2, allow_private_urls=True) as sim:
        response = create(sim, [public.url("/to-internal")])
        assert response.status_code == 200, response.text
        assert internal.hits == ["/secret.mp4"]
        assert sim.stats.tasks_created == 1


def test_integer_dialect_refusal_envelope(sites):
    public, internal = sites
    with Simulator(task_seconds=0.2, dialect="integer") as sim:
        response = httpx.post(
            f"{sim.base_url}/v1/videos/generations",
            json={"model": MODEL, "prompt": "x", "video_urls": [public.url("/ok.mp4")], "duration": 5},
            headers=AUTH,
        )
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": 400,
        "message": response.json()["error"]["message"],
        "type": "invalid_request_error",
        "param": "video_urls",
    }
    assert public.hits == [] and internal.hits == []


def test_redirect_to_a_non_http_scheme_is_refused(sites):
    public, _ = sites
    with Simulator(task_seconds=0.2, allow_private_urls=True) as sim:
        response = create(sim, [public.url("/ok.mp4"), public.url("/to-file")])
        assert response.status_code == 400
        assert "Reference video 2" in response.json()["error"]["message"]
        assert "not an http(s) link" in response.json()["error"]["message"]
        assert sim.stats.tasks_created == 0 and saved_files(sim) == []


def test_upload_url_refuses_internal_links(sites):
    public, internal = sites
    with Simulator(task_seconds=0.2) as sim:
        for url in (internal.url("/secret.mp4"), public.url("/to-internal")):
            response = httpx.post(
                f"{sim.base_url}/api/v1/files/upload/url", json={"file_url": url}, headers=AUTH
            )
            assert response.status_code == 400
            assert (
                response.json()["success"] is False
                and "does not lead to a public server" in response.json()["msg"]
            )
        assert internal.hits == [] and public.hits == [] and sim.files == {}


# ---------------------------------------------------------------- the fetcher itself


async def test_fetch_connects_to_the_checked_address(serve, tmp_path):
    site = serve({"/a": Answer(body=b"hello")})
    calls: list[tuple[str, int]] = []

    def resolver(host: str, port: int) -> list[str]:
        calls.append((host, port))
        return ["127.0.0.1"]

    dest = tmp_path / "a"
    fetched = await fetch_link(
        f"http://site.test:{site.port}/a",
        dest,
        max_bytes=100,
        timeout=5,
        allow_private=True,
        resolver=resolver,
    )
    assert dest.read_bytes() == b"hello" and fetched.size == 5
    assert calls == [("site.test", site.port)]  # one lookup; the connection used its answer
    assert site.hosts == [f"site.test:{site.port}"]


async def test_fetch_refuses_a_name_that_also_resolves_inside(serve, tmp_path):
    site = serve({"/a": Answer(body=b"hello")})
    with pytest.raises(LinkRefused) as refused:
        await fetch_link(
            f"http://rebind.test:{site.port}/a",
            tmp_path / "a",
            max_bytes=100,
            timeout=5,
            resolver=lambda host, port: ["93.184.216.34", "127.0.0.1"],
        )
    assert refused.value.why is Why.INTERNAL and site.hits == []


@pytest.mark.parametrize("chunked", [False, True])
async def test_fetch_size_cap(serve, tmp_path, chunked):
    headers = {"Content-Length": ""} if chunked else {}
    site = serve({"/big": Answer(body=b"x" * 5000, headers=headers)})
    dest = tmp_path / "big"
    with pytest.raises(LinkRefused) as refused:
        await fetch_link(site.url("/big"), dest, max_bytes=1000, timeout=5, allow_private=True)
    assert refused.value.why is Why.TOO_LARGE
    assert list(tmp_path.iterdir()) == []


async def test_fetch_has_a_total_deadline(serve, tmp_path):
    """A server dripping a byte every 0.1 s never trips a read timeout, only the deadline."""
    site = serve({"/drip": Answer(body=b"x" * 200, drip=0.1)})
    with pytest.raises(LinkRefused) as refused:
        await fetch_link(site.url("/drip"), tmp_path / "d", max_bytes=1000, timeout=1.0, allow_private=True)
    assert refused.value.why is Why.TOO_SLOW
    assert list(tmp_path.iterdir()) == []


async def test_fetch_keeps_encoded_bytes_and_stops_redirect_loops(serve, tmp_path):
    packed = gzip.compress(b"a" * 1000)
    site = serve(
        {
            "/gz": Answer(body=packed, headers={"Content-Encoding": "gzip"}),
            "/loop": lambda: Answer(302, headers={"Location": "/loop"}),
        }
    )
    await fetch_link(site.url("/gz"), tmp_path / "gz", max_bytes=100, timeout=5, allow_private=True)
    assert (tmp_path / "gz").read_bytes() == packed  # no transparent decompression
    with pytest.raises(LinkRefused) as refused:
        await fetch_link(site.url("/loop"), tmp_path / "loop", max_bytes=100, timeout=5, allow_private=True)
    assert refused.value.why is Why.REDIRECTS


# ---------------------------------------------------------------- two renders at once


def test_two_results_render_at_once(monkeypatch, tmp_path, mp4):
    """Each fake render waits for the other: with one render worker they would both fail."""
    both = threading.Barrier(2, timeout=20)
    real = tasks_api.render_video

    def render_side_by_side(*args, **kwargs):
        both.wait()
        return real(*args, **kwargs)

    monkeypatch.setattr(tasks_api, "render_video", render_side_by_side)
    ref = tmp_path / "ref.mp4"
    ref.write_bytes(mp4)
    with Simulator(task_seconds=0) as sim, httpx.Client(base_url=sim.base_url, headers=AUTH) as client:
        with ref.open("rb") as fh:
            url = client.post("/api/v1/files/upload/stream", files={"file": ("r.mp4", fh)}).json()["data"][
                "file_url"
            ]
        ids = [create(sim, [url]).json()["id"] for _ in range(2)]
        records = [sim.wait_rendered(task_id, timeout=60) for task_id in ids]
    assert [r.render_error for r in records] == [None, None]
    assert [r.status for r in records] == ["completed", "completed"]
