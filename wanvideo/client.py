"""The async HTTP client for one provider and one key.

    async with WanClient(profile, api_key, settings) as client:
        url = await client.upload_file("clip.mp4", on_progress=print)   # stream multipart
        task = await client.create_task(body, idempotency_key="wan-...")  # the PAID call
        async for task in client.watch_task(task.id, initial=task):      # adaptive polling
            print(task.status, task.progress, task.queue_position)
        path = await client.download(task.video_url, Path("data/videos/x.mp4"))
        result = await client.cancel_task(task.id)   # CancelResult: cancelled / too late / ...

The provider's dialect is spoken by an adapter chosen by the profile (`profile.adapter`:
`wanvideo/adapters/<key>.py`): it turns `upload_file`, `create_task`,
`get_task` and `cancel_task` into its own requests and its answers into `Task`. This module
keeps what every provider shares: the transport, retries, error mapping, key secrecy,
polling and the download.

Retry policy (one function, `_retry_delay`, decides):

- reads (task polls, uploads, downloads): timeouts, connection errors, 429 and 5xx are
  retried up to `settings.max_retries` times with exponential backoff + jitter
  (`backoff_delay`), or after `Retry-After` when the server sends one (capped at
  `settings.max_retry_after`).
- create (paid): never a blind retry. Retried only on the adapter's `create_retry_statuses`
  (with an idempotency key: 429/503, always with the same `Idempotency-Key`; without one
  (`profile.idempotent_create`): 429 only, a refusal that created nothing) or when the request provably
  never left this machine (connect error/timeout, pool timeout). A read timeout or a dropped
  connection after sending is NOT retried: the task may exist;
  `request_may_have_reached_server(exc)` tells the caller so.

Every error response is turned into an exception in `status_error` (via
`errors.error_for_status`); every httpx transport error in `_transport_error`. The key is
only ever put in the Authorization header of requests to the provider's own hosts (never
to a result CDN, an upload host named by the provider, or a URL on another host), and it is
scrubbed from any message the server echoes back.

Waiting between retries goes through `retry_sleep`, the one function tests patch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
import os
import random
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr, ValidationError

from . import media
from .adapters.base import CancelOutcome, CancelResult
from .disk import MB, disk_low_message, short_of_space
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    DownloadError,
    ServerError,
    TaskDeadlineError,
    UploadError,
    WanError,
    error_for_status,
    retry_hint,
)
from .fsutil import fsync_dir
from .messages import Message
from .providers import GenerationTime, ProviderProfile
from .schemas import CreateTaskBody, Task
from .settings import Settings
from .task_status import PROVIDER_PENDING

__all__ = [
    "CHUNK_SIZE",
    "DEMO_KEY",
    "CancelOutcome",
    "CancelResult",
    "TaskDeadlineError",
    "WanClient",
    "backoff_delay",
    "estimate_remaining",
    "expected_generation_time",
    "poll_interval",
    "request_may_have_reached_server",
    "retry_sleep",
]

log = logging.getLogger("wanvideo.client")

CHUNK_SIZE = 1024 * 1024  # upload/download chunk: 1 MiB
DEMO_KEY = "demo"  # sent when no key is configured (demo mode); the simulator accepts any key
POLL_FRACTION = 0.5  # wait about this fraction of the remaining estimate between polls
# Without progress or an estimate (a queue provider), once the task may be done: a poll every
# 4 s keeps completion-to-saved under the 5 s target (about 1 s is left for the final read,
# the download, its check and the poster).
NEAR_INTERVAL = 4.0
LATE_FACTOR = 2.0  # past this many typical runs a task is stuck, not nearly done: back off
MIN_OBSERVED = 3  # completed runs needed before they replace the profile's prior
EARLIEST_MARGIN = 0.8  # the learned earliest end: this share of the quickest recent run
VERIFY_SECONDS = 30.0  # reading a downloaded result's headers in the media sandbox
# The API's common paths (the reference contract's; other providers' are in their adapters).
CREATE_PATH = "/v1/videos/generations"
TASK_PATH = "/v1/tasks/{task_id}"
UPLOAD_PATH = "/api/v1/files/upload/stream"

# Transport errors raised before a single byte of the request was sent.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

ProgressCallback = Callable[[int, int], None]  # (bytes done, bytes total)
T = TypeVar("T")


async def retry_sleep(seconds: float) -> None:
    """The only place the client waits before a retry (tests patch it to record and skip)."""
    await asyncio.sleep(seconds)


def backoff_delay(attempt: int, settings: Settings) -> float:
    """Exponential backoff with jitter for retry number `attempt` (0-based)."""
    delay = min(settings.retry_max_delay, settings.retry_base_delay * (2**attempt))
    return delay * (1 - 0.25 * random.random())


def request_may_have_reached_server(exc: BaseException) -> bool:
    """For a failed create: could the provider have created (and later bill) the task?

    False only when the request provably never left (connect errors) or was clearly
    refused (4xx, 503). A read timeout, a dropped connection, a 500/502/504 or an
    unreadable success answer is unknown.
    """
    if isinstance(exc, APIConnectionError):
        return not isinstance(exc.__cause__, _NOT_SENT)
    if isinstance(exc, APIStatusError):
        if exc.status_code < 400:  # accepted, but the answer was unreadable: it likely exists
            return True
        return exc.status_code >= 500 and exc.status_code != 503
    return False


def estimate_remaining(task: Task, elapsed: float) -> float | None:
    """Seconds the task still needs, from its progress (once it moves) or its estimate."""
    if task.is_final:
        return 0.0
    if 5 <= task.progress < 100 and elapsed > 0:
        return elapsed * (100 - task.progress) / task.progress
    estimated = task.task_info.estimated_time if task.task_info else None
    if estimated:
        return max(0.0, estimated - elapsed)
    return None


def expected_generation_time(runs: Sequence[float], prior: GenerationTime) -> GenerationTime:
    """The generation time to pace polls with, from the seconds recent completed tasks of one
    provider and model took: their quickest (less a margin) and median once there are
    MIN_OBSERVED, else the profile's prior. The runs count from the submit, so a queue wait is
    in them; the quickest run is the one that waited least, which keeps `earliest` safe."""
    seconds = sorted(s for s in runs if s > 0)
    if len(seconds) < MIN_OBSERVED:
        return prior
    return GenerationTime(earliest=EARLIEST_MARGIN * seconds[0], typical=statistics.median(seconds))


def poll_interval(
    task: Task,
    elapsed: float,
    settings: Settings,
    expected: GenerationTime | None = None,
    running: float | None = None,
) -> float:
    """How long to wait before the next poll: few requests early, quick near the end.

    With the task's progress or estimate, near its estimated end; without them and with the
    `expected` generation time, from the task's `running` seconds (since it left the
    provider's queue; default `elapsed`): one wait up to `expected.earliest`, then every
    NEAR_INTERVAL s, backing off once it runs LATE_FACTOR times longer than is typical."""
    remaining = estimate_remaining(task, elapsed)
    if remaining is None and expected is not None:
        return _unestimated_wait(elapsed if running is None else running, expected, settings)
    if remaining is None:
        wait = 0.25 * elapsed  # unknown: start quick, back off as the task drags on
    elif remaining > 0:
        wait = POLL_FRACTION * remaining
    else:
        estimated = task.task_info.estimated_time if task.task_info else None
        wait = 0.25 * (elapsed - estimated) if estimated else 0.0  # overdue: back off slowly
    return max(settings.poll_min_interval, min(settings.poll_max_interval, wait))


def _unestimated_wait(running: float, expected: GenerationTime, settings: Settings) -> float:
    near = min(settings.poll_max_interval, max(settings.poll_min_interval, NEAR_INTERVAL))
    late = LATE_FACTOR * expected.typical
    if running < expected.earliest:
        wait = expected.earliest - running  # it is not done before: no poll until then
    elif running < late:
        wait = near
    else:
        wait = 0.25 * (running - late)  # stuck: back off as it drags on
    return min(settings.poll_max_interval, max(near, wait))


async def _verify_video(path: Path) -> None:
    """Raise DownloadError unless `path` is a readable video with a duration. The result is
    read in the media sandbox like any other file from outside (a crafted answer costs a
    worker, never the app)."""
    try:
        duration = await media.default_sandbox().run(
            "wanvideo.media.local:video_duration", str(path), timeout=VERIFY_SECONDS
        )
    except media.SandboxError as exc:
        raise DownloadError(Message("download.unreadable", reason=exc.reason.value)) from None
    if not duration or duration <= 0:
        raise DownloadError(Message("download.not_playable"))


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return (parts.scheme, (parts.hostname or "").lower(), parts.port)


def _quote_filename(name: str) -> str:
    """A multipart filename: no quotes or line breaks (UTF-8 as browsers send it)."""
    return name.replace("\\", "\\\\").replace('"', "%22").replace("\r", "").replace("\n", "")


class _MultipartFile:
    """A `multipart/form-data` body with text `fields` first and one file field last,
    streamed in 1 MiB chunks (OSS, behind a provider's temporary upload, reads only the fields
    before the file).

    Its length is known up front (so the request carries a Content-Length), and at most one
    chunk of the file is in memory at a time.
    """

    def __init__(
        self,
        path: Path,
        field: str = "file",
        on_progress: ProgressCallback | None = None,
        *,
        fields: Sequence[tuple[str, str]] = (),
        filename: str | None = None,
    ):
        self.path = path
        self.size = path.stat().st_size
        self.boundary = uuid.uuid4().hex
        name = filename or path.name
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        text = "".join(
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{_quote_filename(key)}"\r\n\r\n{value}\r\n'
            for key, value in fields
        )
        self.head = (
            text + f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{field}"; filename="{_quote_filename(name)}"\r\n'
            f"Content-Type: {mime}\r\n\r\n"
        ).encode()
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.on_progress = on_progress

    @property
    def content_length(self) -> int:
        return len(self.head) + self.size + len(self.tail)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.head
        async for chunk in _file_chunks(self.path, self.size, self.on_progress):
            yield chunk
        yield self.tail


class _RawFile:
    """A file as a raw request body (a PUT to a presigned upload URL), streamed in
    1 MiB chunks with a known length."""

    def __init__(self, path: Path, on_progress: ProgressCallback | None = None) -> None:
        self.path = path
        self.size = path.stat().st_size
        self.on_progress = on_progress

    @property
    def content_length(self) -> int:
        return self.size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in _file_chunks(self.path, self.size, self.on_progress):
            yield chunk


async def _file_chunks(path: Path, size: int, on_progress: ProgressCallback | None) -> AsyncIterator[bytes]:
    """The file's bytes in CHUNK_SIZE pieces, read ahead in a thread; refuses a file that
    changes size while it is sent."""
    sent = 0
    if on_progress:
        on_progress(0, size)
    with path.open("rb") as file:
        # Read ahead: the next chunk is read in a thread while this one is sent.
        ahead = asyncio.ensure_future(asyncio.to_thread(file.read, CHUNK_SIZE))
        try:
            while True:
                chunk = await ahead
                if not chunk:
                    break
                ahead = asyncio.ensure_future(asyncio.to_thread(file.read, CHUNK_SIZE))
                sent += len(chunk)
                if sent > size:
                    raise UploadError(Message("upload.grew", name=path.name))
                yield chunk
                if on_progress:
                    on_progress(sent, size)
        finally:
            if not ahead.done():
                # Let the thread finish its read before the file is closed.
                with contextlib.suppress(Exception):
                    await asyncio.shield(ahead)
    if sent != size:
        raise UploadError(Message("upload.shrank", name=path.name))


class WanClient:
    """Async client for one provider profile and one API key. Use as an async context manager.

    The provider's dialect is `self.adapter` (chosen by `profile.adapter`). Adapters use the
    small surface below (`http`, `auth_headers`, `send`, `send_raw`, `read_json`, `task_from`,
    `status_error`, `with_retries`, `scrub`, `is_key_host`) and never hold the key."""

    def __init__(
        self,
        profile: ProviderProfile,
        api_key: str | SecretStr | None,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        from .adapters import adapter_for

        if isinstance(api_key, SecretStr):
            api_key = api_key.get_secret_value()
        self._key = SecretStr(api_key or DEMO_KEY)
        self.profile = profile
        self.settings = settings
        timeout = httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.read_timeout,
            pool=settings.connect_timeout,
        )
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            follow_redirects=True,
            headers={"User-Agent": "wan-reference-video-studio/0.1"},
        )
        self._key_hosts = {_origin(profile.api_base_url), _origin(profile.files_base_url)}
        self.adapter = adapter_for(self)

    def __repr__(self) -> str:
        return f"WanClient(provider={self.profile.name!r}, api_base_url={self.profile.api_base_url!r})"

    async def __aenter__(self) -> WanClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ----------------------------------------------------------------- public API

    async def upload_file(
        self, path: str | os.PathLike[str], on_progress: ProgressCallback | None = None
    ) -> str:
        """Stream-upload a local file the way the provider takes it; returns the URL to put in
        the create (a temporary public URL, a CDN URL, or ``oss://...`` bound to the profile's
        model: `profile.upload_url_schemes`)."""
        path = Path(path)
        try:
            return await self.adapter.upload(path, on_progress)
        except OSError as exc:
            what = Message("transport.uploading", name=path.name)
            raise UploadError(
                Message("upload.unreadable", what=what, reason=str(exc.strerror or exc))
            ) from None

    async def create_task(self, body: CreateTaskBody, idempotency_key: str) -> Task:
        """Create a generation task: the PAID call. Retried only safely (see the module
        docstring); the key is sent where the provider honours it."""
        return await self.adapter.create(body, idempotency_key)

    async def get_task(self, task_id: str) -> Task:
        """Read a task once (retried like every read)."""
        return await self.adapter.get_task(task_id)

    async def cancel_task(self, task_id: str) -> CancelResult:
        """Cancel a task where the provider can (`profile.cancel`: while pending, or while queued).
        Returns what happened as a value; raises `WanError` only when the provider could not
        be asked (then nothing is known)."""
        return await self.adapter.cancel(task_id)

    def sent_prompt(self, body: CreateTaskBody) -> str:
        """The prompt as the provider receives it (`profile.reference_word`: character1 -> @Video1)."""
        return self.profile.prompt_as_sent(body.prompt, len(body.video_urls))

    async def watch_task(
        self,
        task_id: str,
        started_at: float | None = None,
        *,
        initial: Task | None = None,
        wake: asyncio.Event | None = None,
        callback_expected: bool = False,
    ) -> AsyncIterator[Task]:
        """Yield task snapshots until the task reaches a final status.

        `started_at` is the submit time (`time.time()`), used for the elapsed time and the
        adaptive interval; the overall deadline `settings.poll_deadline` counts from this
        call, so a task resumed after a restart gets a full watch. `initial`, e.g. the create
        response, is yielded first and saves one poll. Transient read errors that outlive the
        retries are tolerated until the deadline; other errors (401, 404, ...) are raised.
        At the deadline `TaskDeadlineError` is raised: the task may still finish.
        Setting `wake` (a callback arrived) cuts the current wait short: the next poll is now.
        With `callback_expected` (the provider calls the app's wake-up when the task ends)
        polling is only the fallback: at most every `settings.poll_max_interval` seconds.
        """
        started_at = time.time() if started_at is None else started_at
        settings = self.settings
        deadline = time.monotonic() + settings.poll_deadline
        # Until seen otherwise it runs since the submit; once seen waiting in the provider's
        # queue (its IN_QUEUE or PENDING), no sooner than that sighting.
        running_since = started_at
        task = initial
        if task is not None:
            if task.status in PROVIDER_PENDING:
                running_since = max(running_since, time.time())
            yield task
            if task.is_final:
                return
        first = True
        while True:
            now = time.time()
            elapsed = max(0.0, now - started_at)
            if not first or task is not None:
                if time.monotonic() >= deadline:
                    raise self._deadline_error(task_id, task)
                wait = (
                    poll_interval(
                        task,
                        elapsed,
                        settings,
                        self.profile.generation_time,
                        running=max(0.0, now - running_since),
                    )
                    if task
                    else settings.poll_min_interval
                )
                if callback_expected:
                    wait = max(wait, settings.poll_max_interval)
                await _wait(min(wait, max(0.0, deadline - time.monotonic())), wake)
            first = False
            try:
                task = await self.get_task(task_id)
            except (APIConnectionError, APIStatusError) as exc:
                transient = isinstance(exc, APIConnectionError) or (
                    isinstance(exc, APIStatusError) and exc.retryable
                )
                if not transient:
                    raise
                log.warning("polling task %s failed, will poll again: %s", task_id, exc.message)
                if time.monotonic() >= deadline:
                    raise self._deadline_error(task_id, task) from exc
                continue
            if task.status in PROVIDER_PENDING:
                running_since = time.time()
            yield task
            if task.is_final:
                return

    async def download(
        self, url: str, dest: str | os.PathLike[str], on_progress: ProgressCallback | None = None
    ) -> Path:
        """Download a result to `dest` atomically; the file is checked to be a playable video.

        The body goes to `.<dest name>.part` in dest's folder, is fsynced and verified with
        PyAV, then renamed over `dest`: nothing that looks complete is ever left behind.
        - Resumable: a transfer that breaks keeps its `.part`; the next attempt (a retry here,
          or a later call for the same `dest`) asks for the rest with `Range` and appends when
          the server answers 206 from that offset (a 200 starts over).
        - Bounded: at most `settings.max_result_bytes`, checked against Content-Length first
          and against the bytes received as they arrive.
        - Never decompressed: it asks for `identity` and stores the raw bytes; a body the
          server compresses anyway is refused (a small gzip body could expand without limit).
        A `.part` is removed when the result is refused (not a video, too large, compressed)
        or the download is cancelled.
        """
        dest = Path(dest)
        part = dest.with_name(f".{dest.name}.part")
        what = Message("transport.downloading")
        cap = self.settings.max_result_bytes

        async def attempt() -> Path:
            dest.parent.mkdir(parents=True, exist_ok=True)
            have = part.stat().st_size if part.exists() else 0
            headers = {**self.auth_headers(url), "Accept-Encoding": "identity"}
            if have:
                headers["Range"] = f"bytes={have}-"
            request = self._http.build_request("GET", url, headers=headers)
            try:
                response = await self._http.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise self._transport_error(exc, what, request) from exc
            try:
                if response.status_code == 416 and have:
                    part.unlink(missing_ok=True)  # our piece is not a prefix of theirs: start over
                    raise APIConnectionError(Message("download.partial_mismatch", what=what))
                if response.status_code >= 400:
                    await response.aread()
                    raise self.status_error(response)
                encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
                if encoding not in ("", "identity"):
                    raise DownloadError(Message("download.compressed", what=what, encoding=encoding))
                resumed = have > 0 and response.status_code == 206 and _range_start(response) == have
                offset = have if resumed else 0
                length = _int_or_none(response.headers.get("Content-Length"))
                total = offset + length if length is not None else None
                if total is not None and total > cap:
                    raise DownloadError(_too_large(what, total, cap))
                received = offset
                floor = self.settings.min_free_disk_mb * MB
                free = short_of_space(part.parent, floor, (total - offset) if total is not None else 0)
                if free is not None:  # transient: the .part stays; the watch tries again later
                    raise APIConnectionError(disk_low_message(free, floor, "download.disk_low", what=what))
                if on_progress:
                    on_progress(received, total or 0)
                with part.open("ab" if resumed else "wb") as file:
                    try:
                        # As the data arrives (no re-chunking: progress stays live). Nothing is
                        # decoded: any Content-Encoding but identity was refused above.
                        async for chunk in response.aiter_bytes():
                            received += len(chunk)
                            if received > cap:
                                raise DownloadError(_too_large(what, received, cap))
                            file.write(chunk)
                            if on_progress:
                                on_progress(received, total or 0)
                    except httpx.HTTPError as exc:
                        raise self._transport_error(exc, what, request) from exc
                    finally:
                        file.flush()
                        await asyncio.to_thread(os.fsync, file.fileno())
            finally:
                await response.aclose()
            if total is not None and received != total:
                raise APIConnectionError(
                    Message("download.incomplete", what=what, received=received, total=total)
                )
            await _verify_video(part)
            os.replace(part, dest)
            fsync_dir(dest.parent)
            log.debug("downloaded %d bytes to %s", received, dest)
            return dest

        try:
            return await self.with_retries(attempt, what=what, paid=False)
        except DownloadError:
            part.unlink(missing_ok=True)  # refused for good: nothing to resume from
            raise
        except OSError as exc:
            part.unlink(missing_ok=True)
            raise DownloadError(
                Message("download.write_failed", what=what, reason=str(exc.strerror or exc))
            ) from None
        except asyncio.CancelledError:
            part.unlink(missing_ok=True)  # stopped: leave nothing behind
            raise

    # ----------------------------------------------------------------- the adapters' surface

    @property
    def http(self) -> httpx.AsyncClient:
        return self._http

    def is_key_host(self, url: str) -> bool:
        """Is `url` on one of the provider's own hosts (the only ones that see the key)?"""
        return _origin(url) in self._key_hosts

    def auth_headers(self, url: str) -> dict[str, str]:
        """The key, for the provider's own hosts only (a result CDN never sees it), in the
        adapter's scheme (`Bearer`, or e.g. `Key`)."""
        if self.is_key_host(url):
            return {"Authorization": f"{self.adapter.auth_scheme} {self._key.get_secret_value()}"}
        return {}

    def scrub(self, text: str) -> str:
        """`text` without the key. A Message stays a Message (its parameters are scrubbed: the
        catalogue's own words never hold a key), so it still shows in the visitor's language."""
        key = self._key.get_secret_value()
        if not key or key == DEMO_KEY or len(key) < 4:
            return text
        if isinstance(text, Message):
            params = {k: self.scrub(v) if isinstance(v, str) else v for k, v in text.params.items()}
            return Message(text.id, **params)
        return text.replace(key, "***")

    def _deadline_error(self, task_id: str, task: Task | None) -> TaskDeadlineError:
        minutes = f"{self.settings.poll_deadline / 60:g}"
        message = (
            Message("transport.deadline", task_id=task_id, minutes=minutes, status=task.status)
            if task
            else Message("transport.deadline_unread", task_id=task_id, minutes=minutes)
        )
        return TaskDeadlineError(
            message,
            task_id=task_id,
            last=task,
        )

    async def with_retries(self, attempt: Callable[[], Awaitable[T]], *, what: str, paid: bool) -> T:
        tries = 0
        while True:
            try:
                return await attempt()
            except WanError as exc:
                delay = self._retry_delay(exc, tries, paid)
                if delay is None or tries >= self.settings.max_retries:
                    raise
                tries += 1
                log.info(
                    "%s failed (%s); retry %d of %d in %.1f s",
                    what,
                    type(exc).__name__,
                    tries,
                    self.settings.max_retries,
                    delay,
                )
                await retry_sleep(delay)

    def _retry_delay(self, exc: WanError, tries: int, paid: bool) -> float | None:
        """Seconds to wait before retrying after `exc`, or None when it must not be retried."""
        if isinstance(exc, APIStatusError):
            if paid and exc.status_code not in self.adapter.create_retry_statuses:
                return None
            if not paid and not (exc.retryable or exc.status_code == 429 or exc.status_code >= 500):
                return None
            if exc.retry_after is not None:
                return min(exc.retry_after, self.settings.max_retry_after)
            return backoff_delay(tries, self.settings)
        if isinstance(exc, APIConnectionError):
            if paid and not isinstance(exc.__cause__, _NOT_SENT):
                return None
            return backoff_delay(tries, self.settings)
        return None

    async def send_raw(self, request: httpx.Request, what: str) -> httpx.Response:
        """Send a non-streamed request; map transport errors (any status is returned)."""
        try:
            response = await self._http.send(request)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, what, request) from exc
        log.debug("%s %s -> %d", request.method, request.url, response.status_code)
        return response

    async def send(self, request: httpx.Request, what: str) -> httpx.Response:
        """Send a non-streamed request; map transport errors and error statuses."""
        response = await self.send_raw(request, what)
        if response.status_code >= 400:
            raise self.status_error(response)
        return response

    async def send_json(self, request: httpx.Request, what: str) -> Any:
        return self.read_json(await self.send(request, what), what)

    def read_json(self, response: httpx.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ServerError(
                Message("transport.not_json", what=what), status_code=response.status_code
            ) from None

    def task_from(self, data: Any, what: str, status_code: int = 200) -> Task:
        """A `Task` from a task object (the API's common shape, or one an adapter normalised)."""
        if isinstance(data, dict) and "id" not in data and isinstance(data.get("data"), dict):
            data = data["data"]
        try:
            return Task.model_validate(data)
        except ValidationError:
            raise ServerError(
                Message("transport.unexpected_task", what=what), status_code=status_code
            ) from None

    def task_from_response(self, response: httpx.Response, what: str) -> Task:
        return self.task_from(self.read_json(response, what), what, response.status_code)

    def status_error(self, response: httpx.Response) -> APIStatusError:
        """The one place an error response becomes an exception."""
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text[:500]
        error = error_for_status(response.status_code, body, response.headers.get("Retry-After"))
        if isinstance(body, dict) and "error" not in body and body.get("msg"):
            error.message = str(body["msg"])  # the files host: {"success": false, "msg": ...}
        hint = retry_hint(response.headers)  # the provider says whether a retry can help
        if hint is not None:
            error.retryable = hint
        error.message = self.scrub(error.message)
        if error.suggestion:
            error.suggestion = self.scrub(error.suggestion)
        error.args = (error.message,)
        log.debug("HTTP %d from %s: %s", response.status_code, response.request.url, error.message)
        return error

    def _transport_error(self, exc: httpx.HTTPError, what: str, request: httpx.Request) -> APIConnectionError:
        """The one place an httpx transport error becomes an exception."""
        host, kind = request.url.host, type(exc).__name__
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(Message("transport.timeout", what=what, host=host, kind=kind))
        return APIConnectionError(Message("transport.connection_failed", what=what, host=host, kind=kind))


async def _wait(seconds: float, wake: asyncio.Event | None) -> None:
    """Sleep `seconds`, or until `wake` is set (then it is cleared: one wake, one poll)."""
    if wake is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(wake.wait(), seconds)
    wake.clear()


def _range_start(response: httpx.Response) -> int | None:
    """The first byte of a 206 answer (`Content-Range: bytes 1000-4999/5000`)."""
    value = response.headers.get("Content-Range", "")
    unit, _, rest = value.partition(" ")
    if unit.strip().lower() != "bytes":
        return None
    return _int_or_none(rest.partition("-")[0].strip())


def _too_large(what: str, size: int, cap: int) -> Message:
    return Message("download.too_large", what=what, max=cap // 1_000_000)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
