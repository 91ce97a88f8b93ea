"""The job runner: one job per task on the manager's loop (a new generation, or watching an
already-submitted task), the retry loop around it (download again, watch again), its wake-up,
its poster, and what a job's end lets go (lease, key, profile)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any

import httpx

from ..client import CancelResult, WanClient
from ..events import Completed, Event, Failed, FailureReason, Probed
from ..job import SharedUploads, resume_generation, run_generation
from ..job.uploads import UploadCache
from ..links import LinkBook
from ..media.poster import make_poster, poster_path
from ..messages import Message
from ..providers import ProviderProfile
from ..schemas import GenerationRequest
from ..settings import Settings
from ..store import TaskRecord, TaskStoreBase
from ..task_status import COMPLETED, DOWNLOADING, EXPIRED, FAILED, NEEDS_KEY
from .following import Following
from .keys import Key, KeyCustody
from .leases import LeaseKeeper
from .profiles import Profiles
from .recorder import EventRecorder, Outcome, estimate_of
from .retry import RetrySchedule
from .triage import task_age

log = logging.getLogger("wanvideo.watcher")


class JobRunner:
    """Record id -> its running job. `_jobs` and `_wakers` belong to the loop thread;
    `_accepted` (submitted here, job not started yet) is read from any thread."""

    def __init__(
        self,
        settings: Settings,
        store: TaskStoreBase,
        transport: httpx.AsyncBaseTransport | None,
        *,
        recorder: EventRecorder,
        following: Following,
        leases: LeaseKeeper,
        keys: KeyCustody,
        profiles: Profiles,
        schedule: RetrySchedule,
        links: LinkBook,
        incoming_dir: Path,
        max_task_age: float,
    ) -> None:
        self.settings = settings
        self.store = store
        self.transport = transport
        self.recorder = recorder
        self.following = following
        self.leases = leases
        self.keys = keys
        self.profiles = profiles
        self.schedule = schedule
        self.links = links
        self.incoming_dir = incoming_dir
        self.max_task_age = max_task_age
        self.uploads = UploadCache(store)  # a file still valid at the provider is not sent again
        self._lock = threading.Lock()
        self._jobs: dict[str, asyncio.Task[None]] = {}  # record id -> job (loop thread only)
        self._accepted: set[str] = set()  # submitted here, job not started yet (any thread)
        # record id -> cuts its poll or retry wait short (a callback, "try the download now")
        self._wakers: dict[str, asyncio.Event] = {}

    # bookkeeping -------------------------------------------------------------------
    @property
    def jobs(self) -> list[str]:
        return list(self._jobs)

    def is_watching(self, record_id: str) -> bool:
        return record_id in self._jobs

    def accept(self, record_id: str) -> None:
        """Mark a task taken by this process before its job starts (no sweep triages it)."""
        with self._lock:
            self._accepted.add(record_id)

    def unaccept(self, record_id: str) -> None:
        with self._lock:
            self._accepted.discard(record_id)

    def busy(self) -> set[str]:
        with self._lock:
            return set(self._jobs) | self._accepted

    def stop_job(self, record_id: str) -> None:
        """Cancel a job here (its lease was lost to another worker)."""
        job = self._jobs.pop(record_id, None)
        if job is not None:
            job.cancel()

    async def shutdown(self) -> None:
        jobs = list(self._jobs.items())
        for _, job in jobs:
            job.cancel()
        for _, job in jobs:
            with contextlib.suppress(BaseException):
                await job
        for record_id, _ in jobs:
            self.leases.release(record_id)
        self._jobs.clear()

    def let_go(self, record_id: str) -> None:
        self.leases.release(record_id)
        self.keys.forget(record_id)
        self.profiles.forget(record_id)

    def spawn(self, record_id: str, coro: Coroutine[Any, Any, None]) -> None:
        with self._lock:
            self._accepted.discard(record_id)
            if record_id in self._jobs:
                coro.close()
                return
            self._jobs[record_id] = asyncio.ensure_future(self._guarded(record_id, coro))

    async def _guarded(self, record_id: str, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("watching %s failed unexpectedly; it will be picked up again", record_id)
        finally:
            with self._lock:
                if self._jobs.get(record_id) is asyncio.current_task():
                    del self._jobs[record_id]
                    self._wakers.pop(record_id, None)
            self.recorder.forget(record_id)
            record = self.store.get(record_id)
            if record is not None and (record.is_final or record.status == NEEDS_KEY):
                self.let_go(record_id)

    # jobs --------------------------------------------------------------------------
    async def run_new(
        self,
        record: TaskRecord,
        request: GenerationRequest,
        key: Key,
        probed: Probed | None,
        uploads: SharedUploads | None = None,
    ) -> None:
        """A new generation; `uploads`: shared by the generations of its batch (one upload each)."""
        events = run_generation(
            request,
            profile=self.profiles.paced(self.profiles.for_record(record), request.model),
            settings=self.settings,
            api_key=key,
            idempotency_key=record.idempotency_key,
            dest_dir=self.incoming_dir,
            transport=self.transport,
            probed=probed,
            links=self.links.for_record(record.id),
            wake=self._waker(record.id),
            uploads=self.uploads,
            shared=uploads,
        )
        outcome = await self._consume(record.id, events)
        if outcome is not Outcome.DONE:
            await self.watch_existing(record.id, key, first_outcome=outcome)

    async def watch_existing(self, record_id: str, key: Key, first_outcome: Outcome | None = None) -> None:
        """Resume an already-submitted task until its video is saved or it ends for good.
        `key` is the one the task was started with (bound at submit or resume)."""
        download_failures = 0
        rewatches = 0
        outcome = first_outcome
        while True:
            record = self.store.get(record_id)
            if record is None or record.is_final or record.task_id is None:
                return
            if outcome is Outcome.RETRY_DOWNLOAD:
                delay = self.schedule.download_delay(download_failures, task_age(record, time.time()))
                if delay is None:
                    self.following.publish(record_id, self.recorder.give_up_download(record))
                    return
                download_failures += 1
                message = Message("rec.save_retry", delay=f"{delay:g}")
                self.following.publish(record_id, self.recorder.retrying(record, DOWNLOADING, message))
                await self._pause(record_id, delay)
            elif outcome is Outcome.REWATCH:
                if task_age(record, time.time()) > self.max_task_age:
                    event = Failed(
                        message=Message("rec.unreachable_expired"),
                        task_id=record.task_id,
                        reason=FailureReason.EXPIRED,
                    )
                    self.recorder.settle(record_id, EXPIRED, event.message, reason=event.reason)
                    self.following.publish(record_id, event)
                    return
                delay = self.schedule.rewatch_delay_for(rewatches)
                rewatches += 1
                message = Message("rec.lost_contact", delay=f"{delay:g}")
                self.following.publish(record_id, self.recorder.retrying(record, record.status, message))
                await self._pause(record_id, delay)
            record = self.store.get(record_id)
            if record is None or record.is_final or record.task_id is None:
                return
            if record.has_video:
                self.recorder.update(record_id, status=COMPLETED, progress=100.0, finished_at=time.time())
                return
            events = resume_generation(
                record.task_id,
                profile=self.profiles.paced(self.profiles.for_record(record), record.model),
                settings=self.settings,
                api_key=key,
                started_at=record.submitted_at,
                dest_dir=self.incoming_dir,
                estimate=estimate_of(record),
                transport=self.transport,
                wake=self._waker(record_id),
                # Our wake-up was sent with the create (its token exists only then).
                callback_expected=self.links.enabled and self.links.has_wake(record_id),
            )
            outcome = await self._consume(record_id, events)
            if outcome is Outcome.DONE:
                return

    async def retry_download(self, record_id: str, key: Key) -> bool:
        """On the loop: wake a waiting watch, or start a new one once the last has ended."""
        job = self._jobs.get(record_id)
        if job is not None:
            record = self.store.get(record_id)
            if record is not None and not record.is_final:
                self.wake(record_id)  # waiting for its next try: try now (or a try is under way)
                return True
            with contextlib.suppress(BaseException):  # it has just ended: let it finish
                await asyncio.wait_for(asyncio.shield(job), 10)
        if not self.leases.claim(record_id, take_from_dead=True):
            return False  # another live worker is on it
        self.recorder.update(
            record_id, status=DOWNLOADING, finished_at=None, message=Message("rec.retry_download")
        )
        self.spawn(record_id, self.watch_existing(record_id, key, first_outcome=None))
        return True

    async def cancel(self, record: TaskRecord, key: Key, profile: ProviderProfile) -> CancelResult:
        """On the loop: ask the provider; when it cancelled, stop the watch and settle the record."""
        assert record.task_id is not None
        async with WanClient(profile, key, self.settings, transport=self.transport) as client:
            result = await client.cancel_task(record.task_id)
        log.info("cancel of %s at %s: %s", record.id, profile.name, result.outcome.value)
        if not result.cancelled:
            return result
        job = self._jobs.get(record.id)
        if job is not None and job is not asyncio.current_task():
            job.cancel()
            with contextlib.suppress(BaseException):
                await job
        event = Failed(
            message=Message("rec.cancelled", provider=profile.label),
            suggestion=Message("rec.generate_again"),
            task_id=record.task_id,
            code="cancelled",
            charged=False,
            reason=FailureReason.CANCELLED,
        )
        step = self.recorder.record(record.id, event)
        if step.publish is not None:
            self.following.publish(record.id, step.publish)
        self.let_go(record.id)
        return result

    # wake-ups ----------------------------------------------------------------------
    def _waker(self, record_id: str) -> asyncio.Event:
        """The record's wake-up, for as long as its job runs (loop thread only)."""
        return self._wakers.setdefault(record_id, asyncio.Event())

    async def _pause(self, record_id: str, delay: float) -> None:
        """Wait `delay` seconds, or less when woken (`retry_download`, a provider's callback)."""
        waker = self._waker(record_id)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(waker.wait(), delay)
        waker.clear()

    def wake(self, record_id: str) -> bool:
        waker = self._wakers.get(record_id)
        if waker is None:
            return False
        waker.set()
        return True

    # one run -----------------------------------------------------------------------
    async def _save_poster(self, record_id: str, video: Path) -> None:
        """The history card's poster, taken (in the media sandbox) from the downloaded video
        before it is recorded as saved, so the card that says Done has its picture."""
        record = self.store.get(record_id)
        if record is None:
            return
        if self.recorder.storage is not None:
            dest = poster_path(video)  # beside the download; uploaded with it
        else:
            dest = poster_path(self.recorder.final_video_path(record))
        dest.parent.mkdir(parents=True, exist_ok=True)
        await make_poster(video, dest)

    async def _consume(self, record_id: str, events: AsyncIterator[Event]) -> Outcome:
        """Record and fan out the events of one job run; say how it ended."""
        try:
            async for event in events:
                if isinstance(event, Completed):
                    await self._save_poster(record_id, event.video_path)
                if isinstance(event, Completed) and self.recorder.storage is not None:
                    # The upload blocks (a multipart upload of the file): off the loop.
                    step = await asyncio.to_thread(self.recorder.record, record_id, event)
                else:
                    step = self.recorder.record(record_id, event)
                if step.publish is not None:
                    self.following.publish(record_id, step.publish)
                if step.outcome is not None:
                    return step.outcome
        finally:
            with contextlib.suppress(Exception):
                await events.aclose()  # type: ignore[attr-defined]
        # The generator ended without Completed/Failed (it should not): look again later.
        record = self.store.get(record_id)
        if record is not None and record.task_id is None:
            event = Failed(
                message=Message("rec.stopped_before_create"),
                reason=FailureReason.UNEXPECTED,
            )
            self.recorder.settle(record_id, FAILED, event.message, reason=event.reason)
            self.following.publish(record_id, event)
            return Outcome.DONE
        return Outcome.REWATCH
