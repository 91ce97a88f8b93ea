"""After the create: watching the task at the provider and saving its video (events for
the consumer; the download resumes with Range and is checked in the media sandbox)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from ..client import WanClient, estimate_remaining
from ..errors import (
    TASK_ERROR_SUGGESTIONS,
    DownloadError,
    NotFoundError,
    TaskDeadlineError,
    WanError,
)
from ..events import (
    Completed,
    Downloading,
    Event,
    Failed,
    FailureReason,
    Progress,
)
from ..messages import Message
from ..pricing import Estimate, charge_for
from ..schemas import (
    Task,
)
from ..settings import Settings
from ..task_status import PROVIDER_GONE

PROGRESS_EVERY = 0.2  # seconds between Uploading/Downloading events (the latest value wins)
T = TypeVar("T")


async def follow_task(
    client: WanClient,
    task_id: str,
    submitted_at: float,
    settings: Settings,
    dest_dir: Path | None,
    priced: Estimate | None,
    initial: Task | None,
    wake: asyncio.Event | None = None,
    callback_expected: bool = False,
) -> AsyncIterator[Event]:
    """Progress until final, then download: the part shared by run and resume. With
    `callback_expected` (the app's wake-up was sent) polling is only the fallback."""
    task = initial
    try:
        async with contextlib.aclosing(
            client.watch_task(
                task_id,
                started_at=submitted_at,
                initial=initial,
                wake=wake,
                callback_expected=callback_expected,
            )
        ) as snapshots:
            async for task in snapshots:
                elapsed = max(0.0, time.time() - submitted_at)
                yield Progress(
                    task_id=task_id,
                    status=task.status,
                    percent=task.progress,
                    elapsed=elapsed,
                    eta=_eta(task, elapsed),
                    queue_position=task.queue_position,
                )
    except TaskDeadlineError as exc:
        yield Failed(
            message=exc.message,
            suggestion=exc.suggestion,
            task_id=task_id,
            task_continues=True,
            reason=FailureReason.DEADLINE,
        )
        return
    except WanError as exc:
        gone = isinstance(exc, NotFoundError)  # the provider forgot the task (older than 24 h)
        yield Failed(
            message=Message("job.watch_failed", task_id=task_id, detail=exc.message),
            suggestion=exc.suggestion,
            task_id=task_id,
            code=getattr(exc, "code", None),
            task_continues=not gone,
            reason=FailureReason.EXPIRED if gone else FailureReason.CONNECTION,
        )
        return

    if task is None:  # cannot happen: watch_task yields or raises
        yield Failed(
            message=Message("job.task_unreadable", task_id=task_id),
            task_id=task_id,
            task_continues=True,
            reason=FailureReason.CONNECTION,
        )
        return
    if not task.succeeded:
        yield _task_failed(task)
        return
    async with contextlib.aclosing(_download(client, task, settings, dest_dir, priced)) as events:
        async for event in events:
            yield event


async def _download(
    client: WanClient, task: Task, settings: Settings, dest_dir: Path | None, priced: Estimate | None
) -> AsyncIterator[Event]:
    url = task.video_url
    charged = task.credits_charged
    billed = task.billed_seconds
    if not url:
        yield Failed(
            message=Message("job.no_video_link", task_id=task.id),
            suggestion=Message("job.look_in_dashboard"),
            task_id=task.id,
            charged=True,
            reason=FailureReason.DOWNLOAD_FAILED,
        )
        return
    dest = Path(dest_dir or settings.videos_dir) / _file_name(task.id)

    def downloading(done: int, total: int) -> Downloading:
        return Downloading(task_id=task.id, bytes_received=done, bytes_total=total or None, result_url=url)

    refreshed = False
    while True:
        try:
            path = None
            yield Downloading(task_id=task.id, bytes_received=0, bytes_total=None, result_url=url)
            async with contextlib.aclosing(
                with_progress(
                    lambda report, url=url: client.download(url, dest, on_progress=report), downloading
                )
            ) as items:
                async for item in items:
                    if isinstance(item, Downloading):
                        yield item
                    else:
                        path = item.value
            break
        except WanError as exc:
            # An expired or broken link: read the task once more, a fresh link may be there.
            if not refreshed and isinstance(exc, NotFoundError | DownloadError):
                refreshed = True
                with contextlib.suppress(WanError):
                    fresh = await client.get_task(task.id)
                    charged = fresh.credits_charged or charged
                    billed = fresh.billed_seconds or billed
                    if fresh.video_url and fresh.video_url != url:
                        url = fresh.video_url
                        continue
            # The link answered 404 even after reading the task again: it is gone for good
            # (links live 24 h). Anything else may work later: the watcher retries.
            gone = isinstance(exc, NotFoundError)
            yield Failed(
                message=Message("job.not_saved", task_id=task.id, detail=exc.message),
                suggestion=exc.suggestion,
                task_id=task.id,
                code=getattr(exc, "code", None),
                charged=True,
                reason=FailureReason.EXPIRED if gone else FailureReason.DOWNLOAD_FAILED,
                result_url=url,
            )
            return
    if charged is None and billed is not None and priced is not None:
        charged = charge_for(billed, priced)  # the provider's seconds at the estimate's rate
    yield Completed(
        task_id=task.id,
        video_path=Path(path),
        credits_charged=charged,
        estimate=priced,
        billed_seconds=billed,
        seed=task.seed,
    )


class WorkResult:
    """The value of the work `with_progress` ran, after its progress events."""

    def __init__(self, value: Any) -> None:
        self.value = value


async def with_progress(
    work: Callable[[Callable[[int, int], None]], Awaitable[T]],
    make_event: Callable[[int, int], Event],
) -> AsyncIterator[Event | WorkResult]:
    """Run `work(report)` and yield its progress as events (at most every PROGRESS_EVERY s,
    latest value wins), then a `WorkResult`. Its errors propagate; closing the iterator cancels it."""
    latest: list[tuple[int, int]] = []

    def report(done: int, total: int) -> None:
        latest[:] = [(done, total)]

    runner = asyncio.ensure_future(work(report))
    try:
        while not runner.done():
            await asyncio.wait({runner}, timeout=PROGRESS_EVERY)
            if latest and not runner.done():
                yield make_event(*latest.pop())
        yield WorkResult(runner.result())
    finally:
        if not runner.done():
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await runner


def _eta(task: Task, elapsed: float) -> float | None:
    if task.is_final:
        return 0.0
    return estimate_remaining(task, elapsed)


def _file_name(task_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", task_id)[:120].lstrip(".") + ".mp4"


def _task_failed(task: Task) -> Failed:
    code = task.error.code if task.error else None
    detail = task.error.message if task.error and task.error.message else None
    if detail:
        message = Message("job.task_ended_detail", task_id=task.id, status=task.status, detail=detail)
    else:
        message = Message("job.task_ended", task_id=task.id, status=task.status)
    suggestion = TASK_ERROR_SUGGESTIONS.get(str(code), "") if code is not None else ""
    if not suggestion:
        suggestion = Message("job.task_failed_hint")
    # A queue provider's UNKNOWN and a gateway's "expired" mean the provider forgot the task (24 h).
    reason = FailureReason.EXPIRED if task.status in PROVIDER_GONE else FailureReason.PROVIDER_FAILED
    if task.status in ("cancelled", "canceled"):
        reason = FailureReason.CANCELLED  # cancelled at the provider before it ran
    return Failed(
        message=message,
        suggestion=suggestion,
        task_id=task.id,
        code=code,
        charged=False,
        reason=reason,
    )
