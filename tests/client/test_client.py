"""WanClient: retry policy, streaming upload, atomic download, polling, key secrecy.

First with `httpx.MockTransport` (exact call counts, backoff patched to ~0), then over real
HTTP against the simulator on 127.0.0.1 with injected faults (counts from `sim.stats`).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import logging
import time
from pathlib import Path

import httpx
import pytest

import wanvideo.client as client_mod
import wanvideo.transport as transport_mod
from tests.client.helpers import fast_settings
from tests.videos import make_video
from wanvideo.client import WanClient, poll_interval, request_may_have_reached_server
from wanvideo.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    DownloadError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TaskDeadlineError,
    UploadError,
)
from wanvideo.providers import get_profile
from wanvideo.schemas import CreateTaskBody, Task

API = "http://api.test"
FILES = "http://files.test"
CDN = "http://cdn.test"
SECRET = "sk-live-SECRET-0123456789abcdef"
KEY = "wan-0123456789abcdef0123456789abcdef"


def make_settings(tmp_path: Path, **extra: str):
    return fast_settings(
        tmp_path,
        **{**{"WAN_MAX_RETRIES": "3", "WAN_MAX_RETRY_AFTER": "10", "WAN_CONNECT_TIMEOUT": "2"}, **extra},
    )


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path)


@pytest.fixture
def profile():
    return get_profile("evolink").with_overrides(api_base_url=API, files_base_url=FILES)


@pytest.fixture
def sleeps(monkeypatch):
    """Patch the retry wait to ~0 and record what it was asked to wait."""
    waited: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr(transport_mod, "retry_sleep", fake_sleep)
    return waited


def body() -> CreateTaskBody:
    return CreateTaskBody(prompt="character1 dances", video_urls=["https://example.com/a.mp4"])


def task_json(task_id="task-1", status="pending", progress=0, **extra):
    return {"id": task_id, "status": status, "progress": progress, "object": "video.generation.task", **extra}


def error_json(status: int, message: str = "nope"):
    return {"error": {"code": "x", "message": message, "type": "t"}}


class Script:
    """A MockTransport handler answering from a list of responses/exceptions, recording requests."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.bodies: list[bytes] = []
        self.piece_sizes: list[list[int]] = []  # per request: the sizes the body arrived in

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(await request.aread())
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    @property
    def calls(self) -> int:
        return len(self.requests)

    def transport(self) -> httpx.AsyncBaseTransport:
        script, mock = self, httpx.MockTransport(self)

        class Recording(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                # Read the body as a server would, piece by piece, and note the piece sizes.
                pieces = [piece async for piece in request.stream]
                script.piece_sizes.append([len(p) for p in pieces])
                whole = httpx.Request(
                    request.method, request.url, headers=request.headers, content=b"".join(pieces)
                )
                return await mock.handle_async_request(whole)

        return Recording()


def ok_task(**kw):
    return httpx.Response(200, json=task_json(**kw))


# ------------------------------------------------------------------ create: the paid call


@pytest.mark.parametrize("status", [429, 503])
async def test_create_retried_with_same_key_on_429_503_honouring_retry_after(
    status, settings, profile, sleeps
):
    script = Script(httpx.Response(status, json=error_json(status), headers={"Retry-After": "7"}), ok_task())
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        task = await client.create_task(body(), KEY)
    assert task.id == "task-1"
    assert script.calls == 2
    assert {r.headers["Idempotency-Key"] for r in script.requests} == {KEY}
    assert script.bodies[0] == script.bodies[1]
    assert sleeps == [7.0]


async def test_create_retry_after_is_capped(settings, profile, sleeps):
    script = Script(httpx.Response(429, json=error_json(429), headers={"Retry-After": "3600"}), ok_task())
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        await client.create_task(body(), KEY)
    assert sleeps == [settings.max_retry_after] == [10.0]


async def test_create_retry_after_http_date(settings, profile, sleeps):
    from datetime import datetime, timedelta, timezone
    from email.utils import format_datetime

    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=5), usegmt=True)
    script = Script(httpx.Response(503, json=error_json(503), headers={"Retry-After": when}), ok_task())
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        await client.create_task(body(), KEY)
    assert len(sleeps) == 1 and 3.0 <= sleeps[0] <= 5.0


@pytest.mark.parametrize("exc_type", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
async def test_create_retried_when_request_provably_not_sent(exc_type, settings, profile, sleeps):
    script = Script(exc_type("refused"), ok_task())
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        await client.create_task(body(), KEY)
    assert script.calls == 2
    assert [r.headers["Idempotency-Key"] for r in script.requests] == [KEY, KEY]
    assert len(sleeps) == 1 and 0 < sleeps[0] <= settings.retry_base_delay


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (httpx.ReadTimeout("slow"), APITimeoutError),
        (httpx.WriteTimeout("slow"), APITimeoutError),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), APIConnectionError),
        (httpx.ReadError("reset"), APIConnectionError),
        (httpx.Response(500, json=error_json(500)), ServerError),
        (httpx.Response(502, json=error_json(502)), ServerError),
        (httpx.Response(200, text="<html>gateway hiccup</html>"), ServerError),
    ],
)
async def test_create_never_retried_when_it_may_have_reached_the_server(
    answer, error, settings, profile, sleeps
):
    script = Script(answer, ok_task())
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        with pytest.raises(error) as info:
            await client.create_task(body(), KEY)
    assert script.calls == 1
    assert sleeps == []
    assert request_may_have_reached_server(info.value)


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 413])
async def test_create_client_errors_not_retried(status, settings, profile, sleeps):
    script = Script(httpx.Response(status, json=error_json(status, "refused")), ok_task())
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        with pytest.raises(Exception) as info:
            await client.create_task(body(), KEY)
    assert info.value.status_code == status
    assert script.calls == 1 and sleeps == []
    assert not request_may_have_reached_server(info.value)


async def test_create_gives_up_after_max_retries(settings, profile, sleeps):
    script = Script(httpx.Response(503, json=error_json(503)))
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        with pytest.raises(ServerError):
            await client.create_task(body(), KEY)
    assert script.calls == settings.max_retries + 1 == 4
    assert len(sleeps) == 3
    assert sleeps == sorted(sleeps)  # exponential


async def test_create_sends_body_and_auth(settings, profile, sleeps):
    script = Script(ok_task(usage={"credits_reserved": 47.6}))
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        task = await client.create_task(body(), KEY)
    request = script.requests[0]
    assert request.method == "POST" and str(request.url) == API + "/v1/videos/generations"
    assert request.headers["Authorization"] == "Bearer " + SECRET
    assert json.loads(script.bodies[0])["model"] == "wan2.6-reference-video"
    assert str(task.credits_reserved) == "47.6"


async def test_demo_mode_sends_placeholder_key(settings, profile, sleeps):
    script = Script(ok_task())
    async with WanClient(profile, None, settings, transport=script.transport()) as client:
        await client.create_task(body(), KEY)
    assert script.requests[0].headers["Authorization"] == "Bearer demo"


# ------------------------------------------------------------------ reads


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("dropped"),
        httpx.Response(500, json=error_json(500)),
        httpx.Response(502, text="<html>bad gateway</html>"),
        httpx.Response(429, json=error_json(429)),
        httpx.Response(200, text="not json"),
    ],
)
async def test_get_task_retries_transient_failures(failure, settings, profile, sleeps):
    script = Script(failure, failure, ok_task(status="processing", progress=40))
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        task = await client.get_task("task-1")
    assert task.status == "processing" and task.progress == 40
    assert script.calls == 3 and len(sleeps) == 2
    assert str(script.requests[0].url) == API + "/v1/tasks/task-1"


async def test_get_task_retry_after_honoured(settings, profile, sleeps):
    script = Script(httpx.Response(429, json=error_json(429), headers={"Retry-After": "2"}), ok_task())
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        await client.get_task("task-1")
    assert sleeps == [2.0]


async def test_get_task_gives_up_with_clear_error(settings, profile, sleeps):
    script = Script(httpx.ReadTimeout("slow"))
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        with pytest.raises(APITimeoutError) as info:
            await client.get_task("task-1")
    assert script.calls == 4
    assert "did not answer in time" in str(info.value)


async def test_get_task_404_not_retried(settings, profile, sleeps):
    script = Script(httpx.Response(404, json=error_json(404, "Task not found or expired")))
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        with pytest.raises(NotFoundError, match="Task not found"):
            await client.get_task("task-1")
    assert script.calls == 1 and sleeps == []


def test_backoff_grows_and_is_capped(settings):
    delays = [transport_mod.backoff_delay(n, settings) for n in range(10)]
    assert all(0.75 * min(30, 2**n) <= d <= min(30, 2**n) for n, d in enumerate(delays))
    assert max(delays) <= settings.retry_max_delay


# ------------------------------------------------------------------ upload


def _parse_multipart(request: httpx.Request, raw: bytes):
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    return list(message.iter_parts())


async def test_upload_streams_multipart_with_content_length(tmp_path, settings, profile, sleeps, monkeypatch):
    monkeypatch.setattr(transport_mod, "CHUNK_SIZE", 1000)
    data = bytes(range(256)) * 40  # 10240 bytes: several 1000-byte chunks
    path = tmp_path / 'clip "one".mp4'
    path.write_bytes(data)
    script = Script(
        httpx.Response(200, json={"success": True, "data": {"file_url": "https://files.test/f/x.mp4"}})
    )
    progress = []
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        url = await client.upload_file(path, on_progress=lambda done, total: progress.append((done, total)))
    assert url == "https://files.test/f/x.mp4"
    request, raw = script.requests[0], script.bodies[0]
    assert str(request.url) == FILES + "/api/v1/files/upload/stream"
    assert request.headers["Content-Length"] == str(len(raw))
    assert "Transfer-Encoding" not in request.headers
    assert request.headers["Authorization"] == "Bearer " + SECRET
    # Streamed: the file arrives in pieces of at most one chunk, never as one big body.
    [sizes] = script.piece_sizes
    assert sum(sizes) == len(raw) and len(sizes) > 2
    assert max(sizes) <= 1000 + len(raw) - len(data)  # a chunk, or the multipart head/tail
    parts = _parse_multipart(request, raw)
    assert len(parts) == 1
    assert parts[0].get_param("name", header="content-disposition") == "file"
    assert parts[0].get_content_type() == "video/mp4"
    assert parts[0].get_payload(decode=True) == data
    # Live progress: from nothing to everything, never backwards, with steps in between.
    assert progress[0] == (0, len(data)) and progress[-1] == (len(data), len(data))
    done = [d for d, _ in progress]
    assert done == sorted(done) and any(0 < d < len(data) for d in done)


async def test_upload_success_false_is_upload_error(tmp_path, settings, profile, sleeps):
    path = tmp_path / "a.mp4"
    path.write_bytes(b"x" * 10)
    script = Script(httpx.Response(200, json={"success": False, "code": 400, "msg": "unsupported type"}))
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        with pytest.raises(UploadError, match="unsupported type"):
            await client.upload_file(path)
    assert script.calls == 1


async def test_upload_files_host_error_envelope(tmp_path, settings, profile, sleeps):
    path = tmp_path / "a.mp4"
    path.write_bytes(b"x" * 10)
    script = Script(httpx.Response(413, json={"success": False, "code": 413, "msg": "file too large"}))
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        with pytest.raises(Exception, match="file too large") as info:
            await client.upload_file(path)
    assert info.value.status_code == 413 and script.calls == 1


async def test_upload_retried_on_5xx_with_fresh_body(tmp_path, settings, profile, sleeps):
    path = tmp_path / "a.mp4"
    path.write_bytes(b"abc" * 1000)
    script = Script(
        httpx.Response(503, json={"success": False, "code": 503, "msg": "busy"}),
        httpx.Response(200, json={"success": True, "data": {"file_url": "https://f/x"}}),
    )
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        assert await client.upload_file(path) == "https://f/x"
    assert script.calls == 2
    payloads = [
        _parse_multipart(r, b)[0].get_payload(decode=True)
        for r, b in zip(script.requests, script.bodies, strict=True)
    ]
    assert payloads == [b"abc" * 1000] * 2


# ------------------------------------------------------------------ download


@pytest.fixture(scope="module")
def video_bytes(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("v") / "result.mp4", seconds=2, audio=False).read_bytes()


async def test_download_atomic_and_verified(tmp_path, settings, profile, sleeps, video_bytes):
    script = Script(httpx.Response(200, content=video_bytes))
    dest = tmp_path / "out" / "task-1.mp4"
    progress = []
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        path = await client.download(CDN + "/r.mp4", dest, on_progress=lambda d, t: progress.append((d, t)))
    assert path == dest and dest.read_bytes() == video_bytes
    assert list(dest.parent.iterdir()) == [dest]
    assert progress[-1] == (len(video_bytes), len(video_bytes))
    # the key is never sent to a host that is not the provider's
    assert "Authorization" not in script.requests[0].headers


async def test_download_under_the_free_disk_floor_writes_nothing_and_is_retried_later(
    tmp_path, profile, sleeps, video_bytes
):
    """Issue 15 item 3: no result is saved when the disk would fall under WAN_MIN_FREE_DISK_MB;
    a transient error (the watch tries the download again later), nothing written."""
    settings = make_settings(tmp_path, WAN_MIN_FREE_DISK_MB=str(10**12))  # more than any disk
    script = Script(httpx.Response(200, content=video_bytes))
    dest = tmp_path / "out" / "task-1.mp4"
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.download(CDN + "/r.mp4", dest)
    assert "WAN_MIN_FREE_DISK_MB" in str(info.value.message) and "tried again later" in str(
        info.value.message
    )
    assert list(dest.parent.iterdir()) == []


async def test_download_not_a_video_leaves_nothing(tmp_path, settings, profile, sleeps):
    script = Script(httpx.Response(200, content=b"<html>error page</html>"))
    dest = tmp_path / "out" / "task-1.mp4"
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        with pytest.raises(DownloadError):
            await client.download(CDN + "/r.mp4", dest)
    assert list(dest.parent.iterdir()) == []
    assert script.calls == 1


async def test_download_interrupted_then_retried(tmp_path, settings, profile, sleeps, video_bytes):
    class Broken(httpx.AsyncByteStream):
        async def __aiter__(self):
            yield video_bytes[:1000]
            raise httpx.ReadError("connection reset")

    script = Script(
        lambda request: httpx.Response(
            200, headers={"Content-Length": str(len(video_bytes))}, stream=Broken()
        ),
        httpx.Response(200, content=video_bytes),
    )
    dest = tmp_path / "out" / "task-1.mp4"
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        await client.download(CDN + "/r.mp4", dest)
    assert script.calls == 2 and len(sleeps) == 1
    assert list(dest.parent.iterdir()) == [dest] and dest.read_bytes() == video_bytes


async def test_download_interrupted_for_good_keeps_a_part_that_the_next_call_resumes(
    tmp_path, settings, profile, sleeps, video_bytes
):
    half = len(video_bytes) // 2

    class Broken(httpx.AsyncByteStream):
        async def __aiter__(self):
            yield video_bytes[:half]
            raise httpx.ReadError("connection reset")

    script = Script(lambda request: httpx.Response(200, stream=Broken()))
    dest = tmp_path / "out" / "task-1.mp4"
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        with pytest.raises(APIConnectionError):
            await client.download(CDN + "/r.mp4", dest)
    assert script.calls == 4
    # nothing that looks complete; only the hidden piece to resume from
    assert [p.name for p in dest.parent.iterdir()] == [".task-1.mp4.part"]

    def ranged(request: httpx.Request) -> httpx.Response:
        start = int(request.headers["Range"].removeprefix("bytes=").removesuffix("-"))
        rest = video_bytes[start:]
        return httpx.Response(
            206,
            headers={"Content-Range": f"bytes {start}-{len(video_bytes) - 1}/{len(video_bytes)}"},
            content=rest,
        )

    resume = Script(ranged)
    async with WanClient(profile, SECRET, settings, transport=resume.transport()) as client:
        await client.download(CDN + "/r.mp4", dest)
    assert resume.requests[0].headers["Range"] == f"bytes={half}-"
    assert dest.read_bytes() == video_bytes
    assert list(dest.parent.iterdir()) == [dest]


async def test_download_server_ignoring_range_starts_over(tmp_path, settings, profile, sleeps, video_bytes):
    dest = tmp_path / "out" / "task-1.mp4"
    dest.parent.mkdir(parents=True)
    (dest.parent / ".task-1.mp4.part").write_bytes(b"stale piece of something else")
    script = Script(httpx.Response(200, content=video_bytes))  # 200, not 206: the whole body
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        await client.download(CDN + "/r.mp4", dest)
    assert "Range" in script.requests[0].headers and dest.read_bytes() == video_bytes


async def test_download_is_capped_by_declared_and_by_received_size(tmp_path, profile, sleeps, video_bytes):
    settings = make_settings(tmp_path, WAN_MAX_RESULT_MB="1")
    big = 1_000_001
    dest = tmp_path / "out" / "task-1.mp4"
    declared = Script(httpx.Response(200, headers={"Content-Length": str(big)}, content=b"x" * big))

    class Endless(httpx.AsyncByteStream):  # no Content-Length: only the bytes received tell
        async def __aiter__(self):
            for _ in range(2000):
                yield b"x" * 1000

    undeclared = Script(lambda request: httpx.Response(200, stream=Endless()))
    for script in (declared, undeclared):
        async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
            with pytest.raises(DownloadError, match="WAN_MAX_RESULT_MB"):
                await client.download(CDN + "/r.mp4", dest)
        assert script.calls == 1  # refused for good, not retried
        assert list(dest.parent.iterdir()) == []


async def test_download_asks_for_identity_and_never_unpacks(tmp_path, settings, profile, sleeps, video_bytes):
    import gzip

    bomb = gzip.compress(b"\0" * 5_000_000)  # small on the wire, large unpacked
    script = Script(httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=bomb))
    dest = tmp_path / "out" / "task-1.mp4"
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        with pytest.raises(DownloadError, match="compressed"):
            await client.download(CDN + "/r.mp4", dest)
    assert script.requests[0].headers["Accept-Encoding"] == "identity"
    assert script.calls == 1 and list(dest.parent.iterdir()) == []


async def test_download_expired_link_is_not_found(tmp_path, settings, profile, sleeps):
    script = Script(httpx.Response(404, json=error_json(404, "Resource not found")))
    dest = tmp_path / "out" / "task-1.mp4"
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        with pytest.raises(NotFoundError):
            await client.download(CDN + "/r.mp4", dest)
    assert script.calls == 1 and not dest.exists()


# ------------------------------------------------------------------ polling


async def test_watch_ends_on_final_status(settings, profile, sleeps):
    script = Script(
        ok_task(status="processing", progress=30),
        ok_task(status="processing", progress=70),
        ok_task(status="completed", progress=100, results=["https://cdn/x.mp4"]),
        ok_task(status="completed"),
    )
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        seen = [t.status for t in [t async for t in client.watch_task("task-1")]]
    assert seen == ["processing", "processing", "completed"]
    assert script.calls == 3


@pytest.mark.parametrize("status", ["failed", "CANCELLED", "expired", "weird-final"])
async def test_watch_ends_on_any_final_status(status, settings, profile, sleeps):
    script = Script(ok_task(status="processing"), ok_task(status=status), ok_task(status="processing"))
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        seen = [t async for t in client.watch_task("task-1")]
    assert len(seen) == 2 and seen[-1].is_final and script.calls == 2


async def test_watch_initial_snapshot_saves_a_poll(settings, profile, sleeps):
    script = Script(ok_task(status="completed", progress=100))
    initial = Task.model_validate(task_json(status="pending"))
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        seen = [t.status async for t in client.watch_task("task-1", initial=initial)]
    assert seen == ["pending", "completed"] and script.calls == 1


async def test_watch_tolerates_transient_errors(settings, profile, sleeps):
    script = Script(
        *([httpx.Response(503, json=error_json(503))] * 4),  # one get_task with all its retries
        ok_task(status="completed"),
    )
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        seen = [t.status async for t in client.watch_task("task-1")]
    assert seen == ["completed"] and script.calls == 5


async def test_watch_raises_non_transient_errors(settings, profile, sleeps):
    script = Script(httpx.Response(401, json=error_json(401, "Invalid token")))
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        with pytest.raises(AuthenticationError):
            [t async for t in client.watch_task("task-1")]
    assert script.calls == 1


async def test_watch_deadline(tmp_path, profile, sleeps):
    settings = make_settings(tmp_path, WAN_POLL_DEADLINE="0.3")
    script = Script(ok_task(status="processing", progress=10))
    started = time.monotonic()
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        with pytest.raises(TaskDeadlineError, match="may still finish") as info:
            [t async for t in client.watch_task("task-1")]
    assert info.value.task_id == "task-1" and info.value.last.status == "processing"
    assert time.monotonic() - started < 2
    assert 2 <= script.calls <= 40


async def test_watch_deadline_counts_from_the_watch_not_the_submit(settings, profile, sleeps):
    # a task resumed an hour after submit still gets a full watch (deadline 30 s here)
    script = Script(ok_task(status="processing", progress=50), ok_task(status="completed"))
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        seen = [t.status async for t in client.watch_task("task-1", started_at=time.time() - 3600)]
    assert seen == ["processing", "completed"] and script.calls == 2


def test_poll_interval_adapts(tmp_path):
    s = make_settings(tmp_path, WAN_POLL_MIN_INTERVAL="3", WAN_POLL_MAX_INTERVAL="15")

    def t(**kw):
        return Task.model_validate(task_json(**kw))

    long = t(status="processing", progress=1, task_info={"estimated_time": 300})
    assert poll_interval(long, 5, s) == 15  # far from the end: few requests
    near = t(status="processing", progress=1, task_info={"estimated_time": 120})
    assert poll_interval(near, 110, s) == 5  # half of the 10 s left
    assert poll_interval(near, 119, s) == 3  # clamped to the minimum near the end
    by_progress = t(status="processing", progress=90)
    assert poll_interval(by_progress, 90, s) == 5  # 10 s left by progress
    unknown = t(status="pending")
    assert poll_interval(unknown, 0, s) == 3 and poll_interval(unknown, 600, s) == 15
    overdue = t(status="processing", progress=2, task_info={"estimated_time": 60})
    assert poll_interval(overdue, 61, s) == 3 and poll_interval(overdue, 200, s) == 15


@pytest.mark.parametrize(
    ("answers", "waits"),
    [
        # seen in the queue: the run counts from the last sighting, one long wait each
        (["queued", "queued", "in_progress", "completed"], [15, 15, 15]),
        # out of the queue by the 1st poll: quick polls once 30 s (the prior's earliest) have
        # passed since it was last seen queued (the create's answer), not since the submit
        (["queued", "in_progress", "in_progress", "in_progress", "completed"], [15, 15, 4, 4]),
        # running since the submit 100 s ago: past the earliest end, quick polls
        (["in_progress", "in_progress", "completed"], [4, 4]),
    ],
)
async def test_watch_paces_unestimated_tasks_from_leaving_the_queue(
    tmp_path, profile, monkeypatch, answers, waits
):
    """A task with no progress or estimate (DashScope, fal) submitted 100 s ago: a task still
    in the provider's queue has not started, so its polls stay few (on a fake clock)."""
    waited: list[float] = []

    class Clock:
        now = 1000.0

        def time(self) -> float:
            return self.now

        def monotonic(self) -> float:
            return self.now

    clock = Clock()

    async def fake_wait(seconds: float, wake: object) -> None:
        waited.append(seconds)
        clock.now += seconds

    monkeypatch.setattr(client_mod, "time", clock)
    monkeypatch.setattr(client_mod, "_wait", fake_wait)
    settings = make_settings(
        tmp_path, WAN_POLL_MIN_INTERVAL="3", WAN_POLL_MAX_INTERVAL="15", WAN_POLL_DEADLINE="1200"
    )
    initial, *polled = answers
    script = Script(*(ok_task(status=word) for word in polled))
    first = Task.model_validate(task_json(status=initial))
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        seen = [t.status async for t in client.watch_task("task-1", clock.now - 100, initial=first)]
    assert seen == answers
    assert waited == pytest.approx(waits)


# ------------------------------------------------------------------ the key stays secret


async def test_key_never_in_logs_errors_or_repr(tmp_path, settings, profile, sleeps, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "wanvideo", "wanvideo.client"):
        caplog.set_level(logging.DEBUG, logger=name)
    echo = f"Invalid API key: {SECRET}"
    path = tmp_path / "a.mp4"
    path.write_bytes(b"x" * 100)
    script = Script(
        httpx.Response(
            401, json={"error": {"code": "unauthorized", "message": echo, "fallback_suggestion": echo}}
        ),
        httpx.Response(429, json=error_json(429, echo)),
        httpx.Response(429, json=error_json(429, echo)),
        httpx.Response(429, json=error_json(429, echo)),
        httpx.Response(429, json=error_json(429, echo)),
        httpx.Response(400, json={"success": False, "msg": echo}),
        httpx.ConnectError(f"boom {SECRET}"),
    )
    errors: list[BaseException] = []
    async with WanClient(profile, SECRET, settings, transport=script.transport()) as client:
        assert SECRET not in repr(client)
        for call in (
            lambda: client.create_task(body(), KEY),
            lambda: client.get_task("task-1"),
            lambda: client.upload_file(path),
            lambda: client.get_task("task-2"),
        ):
            try:
                await call()
            except Exception as exc:
                errors.append(exc)
    assert [type(e) for e in errors] == [
        AuthenticationError,
        RateLimitError,
        BadRequestError,
        APIConnectionError,
    ]
    for exc in errors:
        assert SECRET not in str(exc) and SECRET not in repr(exc)
        assert SECRET not in getattr(exc, "suggestion", "")
    assert caplog.records, "expected DEBUG logs from httpx and the client"
    assert SECRET not in caplog.text
    assert all(SECRET not in str(r.args) for r in caplog.records)


# ================================================================== real HTTP: the simulator


@pytest.fixture
def sim():
    from wanvideo.simulator import Simulator

    with Simulator(task_seconds=0.3, api_keys={SECRET}) as simulator:
        yield simulator


@pytest.fixture
def sim_profile(sim):
    return get_profile("demo").with_overrides(api_base_url=sim.base_url, files_base_url=sim.base_url)


@pytest.fixture
def fast(tmp_path):
    """Short timeouts so the slow/stall faults trip them quickly."""
    return make_settings(tmp_path, WAN_READ_TIMEOUT="0.5", WAN_CONNECT_TIMEOUT="1")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("ref") / "ref.mp4", seconds=2.5, width=96, height=64)


async def _sim_task(client: WanClient, reference: Path, key: str = KEY) -> Task:
    url = await client.upload_file(reference)
    return await client.create_task(
        CreateTaskBody(prompt="character1 waves", video_urls=[url], duration=2, aspect_ratio="1:1"), key
    )


async def test_sim_round_trip(sim, sim_profile, fast, reference, tmp_path, sleeps):
    async with WanClient(sim_profile, SECRET, fast) as client:
        url = await client.upload_file(reference)
        stored = next(iter(sim.files.values()))
        assert stored.path.read_bytes() == reference.read_bytes()
        task = await client.create_task(
            CreateTaskBody(prompt="character1 waves", video_urls=[url], duration=2, aspect_ratio="1:1"), KEY
        )
        seen = [t async for t in client.watch_task(task.id, initial=task)]
        assert seen[-1].status == "completed" and seen[-1].video_url
        path = await client.download(seen[-1].video_url, tmp_path / "out" / "r.mp4")
    assert path.stat().st_size > 1000 and list(path.parent.iterdir()) == [path]
    assert (sim.stats.uploads, sim.stats.creates, sim.stats.tasks_created, sim.stats.downloads) == (
        1,
        1,
        1,
        1,
    )
    assert sim.stats.task_gets == len(seen) - 1
    assert sleeps == []


async def test_sim_create_rate_limited_retry_after(sim, sim_profile, fast, reference, sleeps):
    sim.faults.add("rate_limit", route="create", retry_after=2)
    async with WanClient(sim_profile, SECRET, fast) as client:
        task = await _sim_task(client, reference)
    assert sleeps == [2.0]
    assert sim.stats.routes["create"] == 2  # the 429, then the retry
    assert sim.stats.tasks_created == 1 and sim.tasks[task.id].idempotency_key == KEY


async def test_sim_create_503_retried_500_not(sim, sim_profile, fast, reference, sleeps):
    sim.faults.add("server_error", route="create", status=503)
    async with WanClient(sim_profile, SECRET, fast) as client:
        await _sim_task(client, reference)
        assert sim.stats.routes["create"] == 2 and sim.stats.tasks_created == 1
        sim.faults.add("server_error", route="create", status=500)
        with pytest.raises(ServerError) as info:
            await _sim_task(client, reference, key=KEY + "-2")
    assert info.value.status_code == 500 and request_may_have_reached_server(info.value)
    assert sim.stats.routes["create"] == 3 and sim.stats.tasks_created == 1


@pytest.mark.parametrize("kind", ["drop", "drop_after"])
async def test_sim_create_dropped_connection_not_retried(kind, sim, sim_profile, fast, reference, sleeps):
    sim.faults.add(kind, route="create")
    async with WanClient(sim_profile, SECRET, fast) as client:
        with pytest.raises(APIConnectionError) as info:
            await _sim_task(client, reference)
    assert request_may_have_reached_server(info.value)  # the client cannot tell drop from drop_after
    assert sim.stats.routes["create"] == 1 and sleeps == []
    assert sim.stats.tasks_created == (1 if kind == "drop_after" else 0)


async def test_sim_create_slow_answer_not_retried(sim, sim_profile, fast, reference, sleeps):
    sim.faults.add("slow", route="create", delay=1.0)
    async with WanClient(sim_profile, SECRET, fast) as client:
        with pytest.raises(APITimeoutError):
            await _sim_task(client, reference)
    assert sim.stats.routes["create"] == 1 and sleeps == []


async def test_sim_create_connection_refused_retried(sim_profile, fast, sleeps):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    profile = sim_profile.with_overrides(api_base_url=f"http://127.0.0.1:{port}")
    async with WanClient(profile, SECRET, fast) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.create_task(body(), KEY)
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert not request_may_have_reached_server(info.value)
    assert len(sleeps) == fast.max_retries  # every attempt was provably unsent


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("server_error", {"status": 502}),
        ("rate_limit", {"retry_after": 1}),
        ("drop", {}),
        ("slow", {"delay": 1.0}),
    ],
)
async def test_sim_task_reads_retried(kind, extra, sim, sim_profile, fast, reference, sleeps):
    async with WanClient(sim_profile, SECRET, fast) as client:
        task = await _sim_task(client, reference)
        sim.faults.add(kind, route="task", times=2, **extra)
        got = await client.get_task(task.id)
    assert got.id == task.id
    assert sim.stats.routes["task"] == 3 and sim.stats.task_gets >= 1
    assert len(sleeps) == 2
    if kind == "rate_limit":
        assert sleeps == [1.0, 1.0]


async def test_sim_failed_task_with_code(sim, sim_profile, fast, reference, sleeps):
    sim.fail_next_task("content_policy_violation")
    async with WanClient(sim_profile, SECRET, fast) as client:
        task = await _sim_task(client, reference)
        seen = [t async for t in client.watch_task(task.id, initial=task)]
    assert seen[-1].status == "failed" and seen[-1].error.code == "content_policy_violation"
    assert seen[-1].credits_charged == 0
    assert sim.charged_credits() == 0


async def test_sim_expired_task_is_not_found(sim, sim_profile, fast, reference, sleeps):
    async with WanClient(sim_profile, SECRET, fast) as client:
        task = await _sim_task(client, reference)
        sim.expire_task(task.id)
        with pytest.raises(NotFoundError):
            [t async for t in client.watch_task(task.id)]
    assert sim.stats.routes["task"] == 1


async def _completed(client: WanClient, sim, reference: Path) -> Task:
    created = await _sim_task(client, reference)
    seen = [t async for t in client.watch_task(created.id, initial=created)]
    assert seen[-1].status == "completed"
    return seen[-1]


async def test_sim_download_expired_link(sim, sim_profile, fast, reference, tmp_path, sleeps):
    async with WanClient(sim_profile, SECRET, fast) as client:
        task = await _completed(client, sim, reference)
        sim.faults.add("expired", route="download", match="/results/")
        dest = tmp_path / "out" / "r.mp4"
        with pytest.raises(NotFoundError):
            await client.download(task.video_url, dest)
    assert sim.stats.routes["download"] == 1
    assert list(dest.parent.iterdir()) == []


@pytest.mark.parametrize("kind", ["truncate", "stall"])
async def test_sim_download_interrupted_then_retried(
    kind, sim, sim_profile, fast, reference, tmp_path, sleeps
):
    async with WanClient(sim_profile, SECRET, fast) as client:
        task = await _completed(client, sim, reference)
        sim.faults.add(kind, route="download", delay=1.0)
        dest = tmp_path / "out" / "r.mp4"
        await client.download(task.video_url, dest)
    assert sim.stats.routes["download"] == 2 and len(sleeps) == 1
    assert list(dest.parent.iterdir()) == [dest]
    assert dest.read_bytes() == sim.tasks[task.id].render_path.read_bytes()


async def test_sim_download_interrupted_for_good_is_resumed_later(
    sim, sim_profile, fast, reference, tmp_path, sleeps
):
    async with WanClient(sim_profile, SECRET, fast) as client:
        task = await _completed(client, sim, reference)
        sim.faults.add("truncate", route="download", times=None)
        dest = tmp_path / "out" / "r.mp4"
        with pytest.raises(APIConnectionError):
            await client.download(task.video_url, dest)
        assert sim.stats.routes["download"] == fast.max_retries + 1
        [part] = dest.parent.iterdir()  # no file that looks complete, only the piece to resume
        assert part.name == ".r.mp4.part" and part.stat().st_size > 0
        sim.faults.clear()
        await client.download(task.video_url, dest)
    assert list(dest.parent.iterdir()) == [dest]
    assert dest.read_bytes() == sim.tasks[task.id].render_path.read_bytes()


async def test_sim_upload_fault_retried(sim, sim_profile, fast, reference, sleeps):
    sim.faults.add("server_error", route="upload", status=503)
    async with WanClient(sim_profile, SECRET, fast) as client:
        await client.upload_file(reference)
    assert sim.stats.routes["upload"] == 2 and sim.stats.uploads == 1


async def test_sim_key_never_in_logs_or_errors(sim, sim_profile, fast, reference, tmp_path, sleeps, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "wanvideo", "uvicorn"):
        caplog.set_level(logging.DEBUG, logger=name)
    sim.faults.add("rate_limit", route="task", retry_after=1)
    async with WanClient(sim_profile, SECRET, fast) as client:
        task = await _completed(client, sim, reference)
        await client.download(task.video_url, tmp_path / "r.mp4")
    wrong = "sk-wrong-" + SECRET[::-1]
    async with WanClient(sim_profile, wrong, fast) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.get_task(task.id)
    assert caplog.records
    for secret in (SECRET, wrong):
        assert secret not in caplog.text
        assert secret not in str(info.value) and secret not in repr(info.value)
