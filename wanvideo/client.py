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
`get_task` and `cancel_task` into its own requests and its answers into `Task`. The HTTP they
all speak through (send, retries, auth, key scrubbing, multipart bodies) is
`wanvideo/transport.py`; this module keeps polling and the download.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import statistics
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx
from pydantic import SecretStr

from .adapters import (
    CREATE_PATH,  # noqa: F401  (tests and tools name the reference contract's create path)
    adapter_class,
)
from .adapters.base import CancelOutcome, CancelResult
from .disk import MB, disk_low_message, short_of_space
from .errors import APIConnectionError, APIStatusError, DownloadError, TaskDeadlineError, UploadError
from .fsutil import fsync_dir
from .media.sandbox import SandboxError, default_sandbox
from .messages import Message
from .providers import GenerationTime, ProviderProfile
from .schemas import CreateTaskBody, Task
from .settings import Settings
from .task_status import PROVIDER_PENDING
from .timings import EARLIEST_MARGIN, LATE_FACTOR, MIN_OBSERVED, NEAR_INTERVAL, POLL_FRACTION, VERIFY_SECONDS
from .transport import (  # noqa: F401  (importable from here, as before)
    ProgressCallback,
    Transport,
    backoff_delay,
    request_may_have_reached_server,
)

__all__ = [
    "CREATE_PATH",
    "CancelOutcome",
    "CancelResult",
    "TaskDeadlineError",
    "WanClient",
    "backoff_delay",
    "estimate_remaining",
    "expected_generation_time",
    "poll_interval",
    "request_may_have_reached_server",
]

log = logging.getLogger("wanvideo.client")


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
        duration = await default_sandbox().run(
            "wanvideo.media.local:video_duration", str(path), timeout=VERIFY_SECONDS
        )
    except SandboxError as exc:
        raise DownloadError(Message("download.unreadable", reason=exc.reason.value)) from None
    if not duration or duration <= 0:
        raise DownloadError(Message("download.not_playable"))


class WanClient:
    """Async client for one provider profile and one API key. Use as an async context manager.

    The provider's dialect is `self.adapter` (chosen by `profile.adapter`); it speaks through
    `self.transport` (`wanvideo.transport.Transport`, which alone holds the key)."""

    def __init__(
        self,
        profile: ProviderProfile,
        api_key: str | SecretStr | None,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.profile = profile
        self.settings = settings
        adapter = adapter_class(profile.adapter)
        # The key lives in the transport, which sends it to the provider's own hosts only.
        self.transport = Transport(
            settings,
            api_key,
            key_urls=(profile.api_base_url, profile.files_base_url),
            auth_scheme=adapter.auth_scheme,
            create_retry_statuses=adapter.create_retry_statuses,
            transport=transport,
        )
        self.adapter = adapter(profile, self.transport)

    def __repr__(self) -> str:
        return f"WanClient(provider={self.profile.name!r}, api_base_url={self.profile.api_base_url!r})"

    async def __aenter__(self) -> WanClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.transport.aclose()

    # ----------------------------------------------------------------- public API

    async def upload_file(
        self, path: str | os.PathLike[str], on_progress: ProgressCallback | None = None
    ) -> str:
        """Stream-upload a local file the way the provider takes it; returns the URL to put in
        the create (a temporary public URL, a CDN URL, or ``oss://...`` bound to the profile's
        model)."""
        path = Path(path)
        try:
            return await self.adapter.upload(path, on_progress)
        except OSError as exc:
            what = Message("transport.uploading", name=path.name)
            raise UploadError(
                Message("upload.unreadable", what=what, reason=str(exc.strerror or exc))
            ) from None

    async def create_task(self, body: CreateTaskBody, idempotency_key: str) -> Task:
        """Create a generation task: the PAID call. Retried only safely (see
        `wanvideo.transport`); the idempotency key is sent where the provider honours it."""
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
        return self.profile.prompt_as_sent(body.prompt, len(body.video_urls), len(body.image_urls))

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
        net = self.transport

        async def attempt() -> Path:
            dest.parent.mkdir(parents=True, exist_ok=True)
            have = part.stat().st_size if part.exists() else 0
            headers = {**net.auth_headers(url), "Accept-Encoding": "identity"}
            if have:
                headers["Range"] = f"bytes={have}-"
            request = net.http.build_request("GET", url, headers=headers)
            try:
                response = await net.http.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise net.transport_error(exc, what, request) from exc
            try:
                if response.status_code == 416 and have:
                    part.unlink(missing_ok=True)  # our piece is not a prefix of theirs: start over
                    raise APIConnectionError(Message("download.partial_mismatch", what=what))
                if response.status_code >= 400:
                    await response.aread()
                    raise net.status_error(response)
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
                        raise net.transport_error(exc, what, request) from exc
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
            return await net.with_retries(attempt, what=what, paid=False)
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
