"""The simulator calls the client back: EvoLink's `callback_url` and fal's `fal_webhook`.

A little receiver on 127.0.0.1 records every POST and answers from a script. The simulators
here are built with ``allow_private_urls=True`` so they may call it, except where the test is
that a simulator without it never does. DashScope has no per-request callback [A8].
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.videos import make_video
from wanvideo.simulator import Simulator

EVOLINK_KEY = "sk-test-0123456789"
FAL_KEY = "fal-key-0123456789"
MODEL = "wan2.6-reference-video"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict


@dataclass
class Receiver:
    """Records POSTs; answers each with the next status of `script` (then 200)."""

    script: list[int] = field(default_factory=list)
    posts: list[Received] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait(self, count: int, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.posts) < count:
            assert time.monotonic() < deadline, f"{len(self.posts)} callbacks, expected {count}"
            time.sleep(0.02)
        return list(self.posts)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    site = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with site.lock:
                status = site.script.pop(0) if site.script else 200
                site.posts.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw))
                )
            self.send_response(status)
            if status in (301, 302, 307, 308):
                self.send_header("Location", site.url("/moved"))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("cb") / "clip.mp4", seconds=3, fps=24)


def attempts(sim: Simulator, count: int, timeout: float = 30) -> list[int]:
    """The HTTP statuses of the simulator's callback attempts, once it has recorded `count`
    (it records an attempt when the answer is back, just after the receiver saw the POST)."""
    deadline = time.monotonic() + timeout
    while len(sim.stats.callbacks) < count:
        assert time.monotonic() < deadline, f"{len(sim.stats.callbacks)} attempts, expected {count}"
        time.sleep(0.02)
    return [status for _, _, status in sim.stats.callbacks]


def quick_retries(sim: Simulator, *delays: float) -> None:
    """Shorter waits between attempts than the documented ones (1, 2, 4 s ...)."""
    assert sim.notifier is not None
    sim.notifier.delivery = dataclasses.replace(sim.notifier.delivery, retry_delays=delays)


# ---------------------------------------------------------------- EvoLink callback_url


def evolink_create(sim: Simulator, clip: Path, callback: str) -> tuple[httpx.Response, Callable[[], dict]]:
    auth = {"Authorization": f"Bearer {EVOLINK_KEY}"}
    with httpx.Client(base_url=sim.base_url, headers=auth, timeout=15) as client, clip.open("rb") as fh:
        url = client.post("/api/v1/files/upload/stream", files={"file": (clip.name, fh, "video/mp4")}).json()[
            "data"
        ]["file_url"]
        created = client.post(
            "/v1/videos/generations",
            json={
                "model": MODEL,
                "prompt": "character1 waves",
                "video_urls": [url],
                "duration": 2,
                "callback_url": callback,
            },
        )

    def query() -> dict:
        with httpx.Client(base_url=sim.base_url, headers=auth, timeout=15) as client:
            return client.get(f"/v1/tasks/{created.json()['id']}").json()

    return created, query


def test_evolink_completion_posts_the_task_object(receiver, clip):
    with Simulator(task_seconds=0.4, allow_private_urls=True) as sim:
        created, query = evolink_create(sim, clip, receiver.url())
        assert created.status_code == 200, created.text
        task_id = created.json()["id"]
        [post] = receiver.wait(1)
        # "Callback response format is consistent with the task query API response" [spec].
        assert post.path == "/hook" and post.headers["content-type"] == "application/json"
        assert post.body["id"] == task_id and post.body["status"] == "completed"
        assert post.body["results"] == query()["results"]
        assert post.body["billing"]["charged_credits"] == post.body["usage"]["credits_reserved"]
        assert attempts(sim, 1) == [200]
        time.sleep(0.3)  # a delivered callback is sent once
        assert len(receiver.posts) == 1
        assert sim.stats.callbacks == [(task_id, receiver.url(), 200)]
        assert sim.tasks[task_id].notified


def test_evolink_failed_task_is_called_back_too(receiver, clip):
    with Simulator(task_seconds=0.4, allow_private_urls=True) as sim:
        sim.fail_next_task("content_policy_violation")
        created, _ = evolink_create(sim, clip, receiver.url())
        [post] = receiver.wait(1)
        assert post.body["id"] == created.json()["id"] and post.body["status"] == "failed"
        assert post.body["error"]["code"] == "content_policy_violation"


def test_evolink_retries_after_a_failed_delivery(receiver, clip):
    receiver.script = [500, 503]
    with Simulator(task_seconds=0.4, allow_private_urls=True) as sim:
        quick_retries(sim, 0.05, 0.05, 0.05)
        created, _ = evolink_create(sim, clip, receiver.url())
        posts = receiver.wait(3)
        assert [p.body["id"] for p in posts] == [created.json()["id"]] * 3
        assert attempts(sim, 3) == [500, 503, 200]


def test_evolink_gives_up_after_three_retries(receiver, clip):
    receiver.script = [500] * 10
    with Simulator(task_seconds=0.4, allow_private_urls=True) as sim:
        quick_retries(sim, 0.05, 0.05, 0.05)
        created, _ = evolink_create(sim, clip, receiver.url())
        receiver.wait(4)
        record = sim.tasks[created.json()["id"]]
        deadline = time.monotonic() + 10
        while not record.notified:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(0.3)
        # One try and 3 retries, then no more [spec: "Up to 3 retries after failure"].
        assert len(receiver.posts) == 4 and record.notify_attempts == 4


def test_a_redirect_is_not_followed(receiver, clip):
    receiver.script = [307]
    with Simulator(task_seconds=0.4, allow_private_urls=True) as sim:
        quick_retries(sim, 0.05, 0.05, 0.05)
        evolink_create(sim, clip, receiver.url())
        posts = receiver.wait(2)
        # The 307 counted as a failed delivery: retried at the same address, /moved never called.
        assert [p.path for p in posts] == ["/hook", "/hook"]
        assert attempts(sim, 2) == [307, 200]


def test_callbacks_to_internal_addresses_are_refused_without_allow_private(receiver, clip):
    with Simulator(task_seconds=0.4) as sim:
        auth = {"Authorization": f"Bearer {EVOLINK_KEY}"}
        with httpx.Client(base_url=sim.base_url, headers=auth, timeout=15) as client:
            answer = client.post(
                "/v1/videos/generations",
                json={
                    "model": MODEL,
                    "prompt": "character1",
                    "video_urls": ["https://a.test/v.mp4"],
                    "callback_url": receiver.url(),
                },
            )
        assert answer.status_code == 400 and answer.json()["error"]["param"] == "callback_url"
    # With allow_private_urls=True only loopback is let through: other internal ones stay refused.
    with Simulator(task_seconds=0.4, allow_private_urls=True) as sim:
        auth = {"Authorization": f"Bearer {EVOLINK_KEY}"}
        with httpx.Client(base_url=sim.base_url, headers=auth, timeout=15) as client:
            answer = client.post(
                "/v1/videos/generations",
                json={
                    "model": MODEL,
                    "prompt": "character1",
                    "video_urls": ["https://a.test/v.mp4"],
                    "callback_url": "http://192.168.1.5/hook",
                },
            )
        assert answer.status_code == 400 and answer.json()["error"]["param"] == "callback_url"
    assert receiver.posts == []


# ---------------------------------------------------------------- fal_webhook [F5]


def fal_client(sim: Simulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sim.base_url, headers={"Authorization": f"Key {FAL_KEY}"}, timeout=15)


async def fal_submit(client: httpx.AsyncClient, clip: Path, webhook: str, **extra) -> dict:
    urls = (
        await client.post(
            "/storage/upload/initiate", json={"content_type": "video/mp4", "file_name": "clip.mp4"}
        )
    ).json()
    await client.put(urls["upload_url"], content=clip.read_bytes())
    answer = await client.post(
        "/wan/v2.6/reference-to-video",
        params={"fal_webhook": webhook},
        json={"prompt": "@Video1 waves", "video_urls": [urls["file_url"]], "resolution": "720p", **extra},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_fal_webhook_on_completion(receiver, clip):
    with Simulator(task_seconds=0.4, dialect="fal", allow_private_urls=True) as sim:
        async with fal_client(sim) as client:
            submitted = await fal_submit(client, clip, receiver.url("/fal?job=1"))
            [post] = await asyncio.to_thread(receiver.wait, 1)
            request_id = submitted["request_id"]
            assert post.path == "/fal?job=1"
            assert post.body["request_id"] == post.body["gateway_request_id"] == request_id
            assert post.body["status"] == "OK" and "error" not in post.body
            result = await client.get(submitted["response_url"])
            assert post.body["payload"] == result.json()  # the model output, as the result GET gives it
            assert post.headers["x-fal-webhook-request-id"] == request_id
            assert post.headers["x-fal-webhook-user-id"] == Simulator.key_owner(FAL_KEY)
            assert abs(int(post.headers["x-fal-webhook-timestamp"]) - time.time()) < 300


async def test_fal_webhook_reports_errors_and_cancellations(receiver, clip):
    with Simulator(task_seconds=0.4, dialect="fal", allow_private_urls=True) as sim:
        async with fal_client(sim) as client:
            refused = await fal_submit(client, clip, receiver.url("/refused"), duration=5)
            [post] = await asyncio.to_thread(receiver.wait, 1)
            assert post.body["request_id"] == refused["request_id"] and post.body["status"] == "ERROR"
            assert post.body["payload"]["detail"][0]["type"] == "literal_error" and post.body["error"]

            sim.hold_queue()
            queued = await fal_submit(client, clip, receiver.url("/cancelled"))
            assert (await client.put(queued["cancel_url"])).status_code == 202
            posts = await asyncio.to_thread(receiver.wait, 2)
            cancelled = [p for p in posts if p.path == "/cancelled"][0]
            assert (
                cancelled.body["status"] == "ERROR"
                and cancelled.body["payload"]["error_type"] == "client_cancelled"
            )


async def test_fal_webhook_is_retried(receiver, clip):
    receiver.script = [502]
    with Simulator(task_seconds=0.4, dialect="fal", allow_private_urls=True) as sim:
        quick_retries(sim, 0.05)
        async with fal_client(sim) as client:
            submitted = await fal_submit(client, clip, receiver.url())
            posts = await asyncio.to_thread(receiver.wait, 2)
        assert [p.body["request_id"] for p in posts] == [submitted["request_id"]] * 2
        assert attempts(sim, 2) == [502, 200]


async def test_fal_webhook_to_an_internal_address_is_never_called(receiver, clip):
    """The queue takes the webhook, but a simulator without allow_private_urls never calls it."""
    with Simulator(task_seconds=0.4, dialect="fal") as sim:
        quick_retries(sim)  # no retries: one refused attempt is the whole story
        async with fal_client(sim) as client:
            submitted = await fal_submit(client, clip, receiver.url())
            deadline = time.monotonic() + 30
            while not sim.stats.callbacks:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
        assert sim.stats.callbacks == [(submitted["request_id"], receiver.url(), 0)]
    assert receiver.posts == []


def test_dashscope_has_no_callbacks():
    with Simulator(task_seconds=0.4, dialect="dashscope") as sim:
        assert sim.notifier is None
