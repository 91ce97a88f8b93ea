"""`TaskManager`: runs every generation in the background so nothing paid for is lost.

    store = TaskStore(settings.data_dir / "tasks.sqlite3")
    manager = TaskManager(settings, store)          # its own asyncio loop in a daemon thread
    manager.start()                                 # idempotent; resumes unfinished tasks
    record = manager.submit(request, owner=owner, api_key=None)   # returns at once
    async for event in manager.follow(record.id, owner=owner):    # from any event loop
        ...   # latest known state first, then live events; ends on Completed / Failed
    manager.records(owner); manager.get(record_id, owner); manager.delete_video(record_id, owner)
    manager.stop()

How a task is kept safe:

- `submit` writes the record (status `queued`) before anything is paid; the job persists the
  provider's task id on `Submitted`, before its first poll (the job generator is lazy).
- Jobs run on the manager's loop, not in the browser's request: closing the page (or pressing
  Stop, which only ends `follow`) never stops polling or the download.
- The job downloads into `<data>/incoming/` (outside the served folder); the finished file is
  renamed to `<data>/videos/<random>.mp4` and recorded before any follower hears `Completed`.
- A failed download is retried with backoff (`download_retry_delays`), reading the task
  again each time; it is never reported complete. A lost connection to the provider is
  retried with growing waits until the task is 24 h old.
- On start, every unfinished task younger than `max_task_age` is resumed; older ones are
  marked `expired`; tasks whose create was never confirmed are `interrupted`; tasks started
  with a visitor's key (kept only in memory) become `needs_key` until `resume(..., api_key)`.
- Several app processes may share one data folder: a task is watched by the worker that
  holds its lease (renewed while watched); a dead worker's leases are taken over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from .events import Completed, Downloading, Event, Failed, Probed, Progress, Submitted, Uploading
from .fsutil import fsync_dir
from .pricing import Estimate
from .providers import ProviderProfile, effective_profile
from .schemas import GenerationRequest
from .settings import Settings
from .store import (
    COMPLETED,
    DOWNLOADING,
    EXPIRED,
    FAILED,
    INTERRUPTED,
    KEY_SERVER,
    KEY_VISITOR,
    NEEDS_KEY,
    SUBMITTED,
    TaskRecord,
    TaskStoreBase,
)
from .task_status import record_status_for

__all__ = ["TaskManager", "request_summary", "snapshot_event"]

log = logging.getLogger("wanvideo.watcher")

MAX_TASK_AGE = 24 * 3600.0  # the provider keeps tasks and result links about 24 h
LEASE_TTL = 90.0
LEASE_RENEW_EVERY = 30.0
SWEEP_EVERY = 30.0
STORE_WRITE_EVERY = 2.0  # seconds between stored upload/download progress updates
NEEDS_KEY_MESSAGE = (
    "This task was started with your own API key, which is not kept; the app restarted, so it "
    "could not keep watching it. Paste the same key under API key and press Resume to fetch the "
    "result (the task kept running at the provider)."
)


def request_summary(request: GenerationRequest) -> dict[str, Any]:
    """What a record keeps of a request: prompt, settings and reference names. Never a key."""
    return {
        "prompt": request.prompt,
        "quality": request.quality,
        "aspect_ratio": request.aspect_ratio,
        "duration": request.duration,
        "shot_type": request.shot_type,
        "references": [Path(v).name for v in request.videos] + list(request.video_urls),
        "video_urls": list(request.video_urls),
        "callback_url": request.callback_url,
    }


def _estimate_of(record: TaskRecord) -> Estimate | None:
    if not record.estimate:
        return None
    try:
        return Estimate.model_validate(record.estimate)
    except ValueError:
        return None


def snapshot_event(record: TaskRecord) -> Event:
    """The latest known state of a record as an event (what `follow` yields first)."""
    task_id = record.task_id or ""
    error = record.error or {}
    if record.status == COMPLETED and record.video_path is not None:
        return Completed(
            task_id=task_id,
            video_path=record.video_path,
            credits_charged=record.credits_charged,
            estimate=_estimate_of(record),
        )
    if record.is_final or record.status == NEEDS_KEY:
        return Failed(
            message=error.get("message") or record.message or record.status_label,
            suggestion=error.get("suggestion") or "",
            task_id=record.task_id,
            code=error.get("code"),
            charged=bool(error.get("charged")),
            task_continues=record.status == NEEDS_KEY,
        )
    elapsed = max(0.0, time.time() - (record.submitted_at or record.created_at))
    return Progress(task_id=task_id, status=record.status, percent=record.progress, elapsed=elapsed, eta=None)


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _worker_is_dead(worker: str, me: str) -> bool:
    """True when `worker` is a process on this host that no longer runs (or an earlier
    incarnation of this process id, e.g. pid 1 in a restarted container)."""
    try:
        host, pid_text, _ = worker.split(":")
        pid = int(pid_text)
    except ValueError:
        return False
    if worker == me or host != socket.gethostname():
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class _Outcome:
    DONE = "done"  # final state stored (completed or failed for good)
    RETRY_DOWNLOAD = "retry_download"  # made (and billed) but not saved yet
    REWATCH = "rewatch"  # lost contact; the task may still be running


class TaskManager:
    """Background runner for generations. Public methods are thread-safe."""

    def __init__(
        self,
        settings: Settings,
        store: TaskStoreBase,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        profile: ProviderProfile | None = None,
        max_task_age: float = MAX_TASK_AGE,
        download_retry_delays: Sequence[float] = (5.0, 15.0, 60.0, 180.0, 600.0),
        rewatch_delay: float = 10.0,
        rewatch_max_delay: float = 600.0,
        lease_ttl: float = LEASE_TTL,
        sweep_every: float = SWEEP_EVERY,
    ) -> None:
        self.settings = settings
        self.store = store
        self.transport = transport
        self.profile = profile or effective_profile(settings)
        self.videos_dir = Path(settings.videos_dir)
        self.incoming_dir = Path(settings.data_dir) / "incoming"
        self.max_task_age = max_task_age
        self.download_retry_delays = tuple(download_retry_delays)
        self.rewatch_delay = rewatch_delay
        self.rewatch_max_delay = rewatch_max_delay
        self.lease_ttl = lease_ttl
        self.sweep_every = sweep_every
        self.worker = _worker_id()

        self._lock = threading.RLock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._jobs: dict[str, asyncio.Task[None]] = {}  # record id -> job (loop thread only)
        self._keys: dict[str, str] = {}  # record id -> visitor key, memory only
        self._subs: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]]] = defaultdict(set)
        self._owner_subs: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]]] = defaultdict(set)
        self._last_write: dict[str, float] = {}
        self._background: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------------ lifecycle

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> TaskManager:
        """Start the loop thread and resume unfinished tasks. Calling it again does nothing."""
        with self._lock:
            if self.running:
                return self
            self.videos_dir.mkdir(parents=True, exist_ok=True)
            self.incoming_dir.mkdir(parents=True, exist_ok=True)
            self._ready.clear()
            self._thread = threading.Thread(target=self._run_loop, name="wan-task-manager", daemon=True)
            self._thread.start()
        self._ready.wait(10)
        future = asyncio.run_coroutine_threadsafe(self._startup(), self._require_loop())
        future.result(timeout=60)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop watching (tasks keep running at the provider and resume on the next start)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            if loop is None or thread is None:
                return
            self._thread = None
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        with self._lock:
            self._loop = None

    def _run_loop(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def _require_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("TaskManager is not started")
        return self._loop

    async def _startup(self) -> None:
        self._clean_incoming()
        self._adopt_unfinished()
        self._background = [
            asyncio.ensure_future(self._every(LEASE_RENEW_EVERY, self._renew_leases)),
            asyncio.ensure_future(self._every(self.sweep_every, self._adopt_unfinished)),
        ]

    async def _shutdown(self) -> None:
        for task in self._background:
            task.cancel()
        jobs = list(self._jobs.items())
        for _, job in jobs:
            job.cancel()
        for _, job in jobs:
            with contextlib.suppress(BaseException):
                await job
        for record_id, _ in jobs:
            self.store.release(record_id, self.worker)
        self._jobs.clear()

    async def _every(self, seconds: float, fn: Callable[[], None]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                fn()
            except Exception:
                log.exception("background step %s failed", getattr(fn, "__name__", fn))

    def _clean_incoming(self, older_than: float = 3600.0) -> None:
        """Remove leftovers of downloads interrupted by a crash (never a fresh one: another
        worker may be downloading right now)."""
        now = time.time()
        for path in self.incoming_dir.glob("*"):
            with contextlib.suppress(OSError):
                if path.is_file() and now - path.stat().st_mtime > older_than:
                    path.unlink()

    def _renew_leases(self) -> None:
        for record_id in list(self._jobs):
            self.store.claim(record_id, self.worker, self.lease_ttl)

    def _dead_workers(self) -> list[str]:
        holders = getattr(self.store, "lease_holders", lambda: set())()
        return [w for w in holders if _worker_is_dead(w, self.worker)]

    def _adopt_unfinished(self) -> None:
        """Resume (or settle) every unfinished task nobody alive is watching."""
        dead = self._dead_workers()
        now = time.time()
        for record in self.store.unfinished():
            if record.id in self._jobs:
                continue
            if record.status == NEEDS_KEY and record.id not in self._keys:
                continue
            if not self.store.claim(record.id, self.worker, self.lease_ttl, steal_from=dead):
                continue  # another live worker has it
            age = now - (record.submitted_at or record.created_at)
            if age > self.max_task_age:
                self._settle(
                    record.id,
                    EXPIRED,
                    "Not watched for more than 24 hours; the provider keeps tasks and their result "
                    "links for 24 hours only, so it can no longer be fetched.",
                    suggestion="Generate it again if you still need it.",
                )
            elif record.task_id is None:
                self._settle(
                    record.id,
                    INTERRUPTED,
                    "The app stopped before the provider confirmed this task.",
                    suggestion=(
                        "If it was created, it is in your provider's task list "
                        f"(idempotency key {record.idempotency_key}); otherwise nothing was charged."
                    ),
                )
            elif record.provider != self.profile.name:
                self._update(
                    record.id,
                    status=NEEDS_KEY,
                    message=(
                        f"This task was started with {record.provider}; the app now uses "
                        f"{self.profile.name}, so it cannot watch it."
                    ),
                )
                self.store.release(record.id, self.worker)
            elif record.key_source == KEY_VISITOR and record.id not in self._keys:
                self._update(record.id, status=NEEDS_KEY, message=NEEDS_KEY_MESSAGE)
                self.store.release(record.id, self.worker)
            else:
                self._spawn(record.id, self._watch_existing(record.id))

    def _settle(
        self, record_id: str, status: str, message: str, *, suggestion: str = "", **extra: Any
    ) -> None:
        error = {"message": message, "suggestion": suggestion, **extra.pop("error", {})}
        self._update(record_id, status=status, message=message, error=error, finished_at=time.time(), **extra)
        self.store.release(record_id, self.worker)
        self._keys.pop(record_id, None)

    # ------------------------------------------------------------------ public API

    def submit(
        self,
        request: GenerationRequest,
        *,
        owner: str,
        api_key: str | SecretStr | None = None,
    ) -> TaskRecord:
        """Accept a generation and run it in the background; returns its record at once.

        `api_key` is a visitor's own key: kept in memory only, never stored. None uses the
        server's key (settings.api_key; the demo placeholder in demo mode).
        """
        if not owner:
            raise ValueError("a task needs an owner")
        if isinstance(api_key, SecretStr):
            api_key = api_key.get_secret_value()
        api_key = (api_key or "").strip() or None
        if not self.running:
            self.start()
        record = TaskRecord.new(
            owner=owner,
            provider=self.profile.name,
            request=request_summary(request),
            key_source=KEY_VISITOR if api_key else KEY_SERVER,
        )
        record = TaskRecord(**{**record.__dict__, "message": "Checking the references"})
        self.store.insert(record)
        self.store.claim(record.id, self.worker, self.lease_ttl)
        if api_key:
            self._keys[record.id] = api_key
        self._notify_owner(record)
        self._call_in_loop(lambda: self._spawn(record.id, self._run_new(record, request)))
        return record

    def resume(self, record_id: str, owner: str, api_key: str | SecretStr | None = None) -> TaskRecord | None:
        """Watch a `needs_key` task again with the visitor's key (or the server's, when it was
        started with it). Returns the record, or None when it is not the owner's or not resumable."""
        record = self.store.get(record_id, owner)
        if record is None or record.status != NEEDS_KEY or record.task_id is None:
            return None
        if record.provider != self.profile.name:
            return None
        if isinstance(api_key, SecretStr):
            api_key = api_key.get_secret_value()
        api_key = (api_key or "").strip() or None
        if record.key_source == KEY_VISITOR and not api_key:
            return None
        if not self.running:
            self.start()
        if not self.store.claim(record.id, self.worker, self.lease_ttl, steal_from=self._dead_workers()):
            return None
        if api_key:
            self._keys[record.id] = api_key
        updated = self._update(record.id, status=SUBMITTED, message="Resumed; checking the task")
        self._call_in_loop(lambda: self._spawn(record.id, self._watch_existing(record.id)))
        return updated

    def records(self, owner: str, limit: int = 100) -> list[TaskRecord]:
        """That owner's records, newest first."""
        if not owner:
            return []
        return self.store.list_for_owner(owner, limit)

    def get(self, record_id: str, owner: str) -> TaskRecord | None:
        if not owner or not record_id:
            return None
        return self.store.get(record_id, owner)

    def video_path(self, record_id: str, owner: str) -> Path | None:
        """The saved video of the owner's record, when it is on disk."""
        record = self.get(record_id, owner)
        return record.video_path if record is not None and record.has_video else None

    def delete_video(self, record_id: str, owner: str) -> bool:
        """Delete the local copy of the owner's video (the record stays in the history)."""
        record = self.get(record_id, owner)
        if record is None or record.video_path is None:
            return False
        path = record.video_path
        if self.videos_dir.resolve() not in path.resolve().parents:
            return False
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        self._update(record.id, video_path=None, message="The local copy was deleted.")
        return True

    async def follow(self, record_id: str, owner: str, *, refresh: float = 5.0) -> AsyncIterator[Event]:
        """Events of one task, from any event loop: its latest known state first, then live
        events; ends after Completed or Failed. Yields nothing for another owner's task.
        Cancelling (closing) it only stops following."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Event] = asyncio.Queue()
        entry = (loop, queue)
        with self._lock:
            self._subs[record_id].add(entry)
        try:
            record = self.get(record_id, owner)
            if record is None:
                return
            first = snapshot_event(record)
            yield first
            if isinstance(first, Completed | Failed):
                return
            seen = record.updated_at
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=refresh)
                except asyncio.TimeoutError:
                    # Nothing live: the task may be watched by another worker; read the store.
                    record = self.get(record_id, owner)
                    if record is None:
                        return
                    if record.updated_at == seen and not (record.is_final or record.status == NEEDS_KEY):
                        continue
                    seen = record.updated_at
                    event = snapshot_event(record)
                yield event
                if isinstance(event, Completed | Failed):
                    return
        finally:
            with self._lock:
                self._subs[record_id].discard(entry)
                if not self._subs[record_id]:
                    del self._subs[record_id]

    async def follow_owner(self, owner: str, *, heartbeat: float = 15.0) -> AsyncIterator[TaskRecord | None]:
        """Every change to any of the owner's records (a new submission too), from any loop;
        `None` every `heartbeat` seconds without a change. Runs until closed."""
        if not owner:
            return
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[TaskRecord] = asyncio.Queue()
        entry = (loop, queue)
        with self._lock:
            self._owner_subs[owner].add(entry)
        try:
            while True:
                try:
                    yield await asyncio.wait_for(queue.get(), timeout=heartbeat)
                except asyncio.TimeoutError:
                    yield None
        finally:
            with self._lock:
                self._owner_subs[owner].discard(entry)
                if not self._owner_subs[owner]:
                    del self._owner_subs[owner]

    def is_watching(self, record_id: str) -> bool:
        return record_id in self._jobs

    # ------------------------------------------------------------------ fan-out

    @staticmethod
    def _deliver(entries: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]], item: Any) -> None:
        for loop, queue in list(entries):
            with contextlib.suppress(RuntimeError):  # that loop is closed: the follower is gone
                loop.call_soon_threadsafe(queue.put_nowait, item)

    def _publish(self, record_id: str, event: Event) -> None:
        with self._lock:
            entries = set(self._subs.get(record_id, ()))
        self._deliver(entries, event)

    def _notify_owner(self, record: TaskRecord) -> None:
        with self._lock:
            entries = set(self._owner_subs.get(record.owner, ()))
        self._deliver(entries, record)

    def _update(self, record_id: str, **changes: Any) -> TaskRecord | None:
        record = self.store.update(record_id, **changes)
        if record is not None:
            self._notify_owner(record)
        return record

    def _update_throttled(self, record_id: str, **changes: Any) -> None:
        now = time.monotonic()
        if now - self._last_write.get(record_id, 0.0) >= STORE_WRITE_EVERY:
            self._last_write[record_id] = now
            self._update(record_id, **changes)

    def _call_in_loop(self, fn: Callable[[], None]) -> None:
        loop = self._require_loop()
        loop.call_soon_threadsafe(fn)

    def _spawn(self, record_id: str, coro: Any) -> None:
        if record_id in self._jobs:
            coro.close()
            return
        job = asyncio.ensure_future(self._guarded(record_id, coro))
        self._jobs[record_id] = job

    async def _guarded(self, record_id: str, coro: Any) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("watching %s failed unexpectedly; it will be picked up again", record_id)
        finally:
            self._jobs.pop(record_id, None)
            self._last_write.pop(record_id, None)
            record = self.store.get(record_id)
            if record is not None and (record.is_final or record.status == NEEDS_KEY):
                self.store.release(record_id, self.worker)
                self._keys.pop(record_id, None)

    # ------------------------------------------------------------------ jobs

    def _key_for(self, record_id: str) -> str | SecretStr | None:
        return self._keys.get(record_id) or self.settings.api_key

    async def _run_new(self, record: TaskRecord, request: GenerationRequest) -> None:
        from .job import run_generation

        events = run_generation(
            request,
            profile=self.profile,
            settings=self.settings,
            api_key=self._key_for(record.id),
            idempotency_key=record.idempotency_key,
            dest_dir=self.incoming_dir,
            transport=self.transport,
        )
        outcome = await self._consume(record.id, events)
        if outcome != _Outcome.DONE:
            await self._watch_existing(record.id, first_outcome=outcome)

    async def _watch_existing(self, record_id: str, first_outcome: str | None = None) -> None:
        """Resume an already-submitted task until its video is saved or it ends for good."""
        from .job import resume_generation

        download_failures = 0
        rewatches = 0
        outcome = first_outcome
        while True:
            record = self.store.get(record_id)
            if record is None or record.is_final or record.task_id is None:
                return
            if outcome == _Outcome.RETRY_DOWNLOAD:
                if download_failures >= len(self.download_retry_delays):
                    self._give_up_download(record)
                    return
                delay = self.download_retry_delays[download_failures]
                download_failures += 1
                self._retrying(
                    record, DOWNLOADING, f"Saving the video failed; trying again in {delay:g} s.", delay
                )
                await asyncio.sleep(delay)
            elif outcome == _Outcome.REWATCH:
                if time.time() - (record.submitted_at or record.created_at) > self.max_task_age:
                    self._settle(
                        record_id,
                        EXPIRED,
                        "The provider could not be reached for 24 hours; the task and its result link have expired.",
                    )
                    return
                delay = min(self.rewatch_max_delay, self.rewatch_delay * (2**rewatches))
                rewatches += 1
                self._retrying(
                    record,
                    record.status,
                    f"Lost contact with the provider; trying again in {delay:g} s.",
                    delay,
                )
                await asyncio.sleep(delay)
            record = self.store.get(record_id)
            if record is None or record.is_final or record.task_id is None:
                return
            if record.video_path is not None and record.video_path.is_file():
                self._update(record_id, status=COMPLETED, progress=100.0, finished_at=time.time())
                return
            events = resume_generation(
                record.task_id,
                profile=self.profile,
                settings=self.settings,
                api_key=self._key_for(record_id),
                started_at=record.submitted_at,
                dest_dir=self.incoming_dir,
                estimate=_estimate_of(record),
                transport=self.transport,
            )
            outcome = await self._consume(record_id, events)
            if outcome == _Outcome.DONE:
                return

    def _retrying(self, record: TaskRecord, status: str, message: str, delay: float) -> None:
        self._update(record.id, status=status, message=message)
        elapsed = max(0.0, time.time() - (record.submitted_at or record.created_at))
        self._publish(
            record.id,
            Progress(
                task_id=record.task_id or "",
                status="retrying",
                percent=record.progress,
                elapsed=elapsed,
                eta=None,
            ),
        )

    def _give_up_download(self, record: TaskRecord) -> None:
        last = (record.error or {}).get("message") or "the download kept failing"
        message = f"The video was made (and billed) but could not be saved after several tries: {last}"
        suggestion = "Download it from the provider's dashboard within 24 hours of the task."
        if record.result_url:
            suggestion += f" Link: {record.result_url}"
        self._settle(
            record.id,
            FAILED,
            message,
            suggestion=suggestion,
            error={"charged": True, "code": "download_failed"},
        )
        self._publish(
            record.id,
            Failed(
                message=message,
                suggestion=suggestion,
                task_id=record.task_id,
                code="download_failed",
                charged=True,
            ),
        )

    async def _consume(self, record_id: str, events: AsyncIterator[Event]) -> str:
        """Store and fan out the events of one job run; say how it ended."""
        try:
            async for event in events:
                outcome = self._handle(record_id, event)
                if outcome is not None:
                    return outcome
        finally:
            with contextlib.suppress(Exception):
                await events.aclose()  # type: ignore[attr-defined]
        # The generator ended without Completed/Failed (it should not): look again later.
        record = self.store.get(record_id)
        if record is not None and record.task_id is None:
            self._settle(
                record_id, FAILED, "The generation stopped before the task was created; nothing was charged."
            )
            return _Outcome.DONE
        return _Outcome.REWATCH

    def _handle(self, record_id: str, event: Event) -> str | None:
        now = time.time()
        if isinstance(event, Probed):
            changes: dict[str, Any] = {"message": "References checked"}
            if event.estimate is not None:
                changes["estimate"] = event.estimate.model_dump(mode="json")
            self._update(record_id, **changes)
            self._publish(record_id, event)
        elif isinstance(event, Uploading):
            self._update_throttled(
                record_id,
                message=f"Uploading {event.name} ({event.index}/{event.count}, {event.percent:.0f}%)",
            )
            self._publish(record_id, event)
        elif isinstance(event, Submitted):
            # Stored before the job is asked for its next event, i.e. before the first poll.
            self._update(
                record_id,
                task_id=event.task_id,
                status=SUBMITTED,
                submitted_at=now,
                credits_reserved=event.credits_reserved,
                message="Submitted; waiting for the provider",
            )
            self._publish(record_id, event)
        elif isinstance(event, Progress):
            new_status = record_status_for(event.status)
            eta = f", about {event.eta:.0f} s left" if event.eta else ""
            self._update(
                record_id,
                status=new_status,
                progress=event.percent,
                message=f"{event.status.capitalize()} {event.percent:.0f}%{eta}",
            )
            self._publish(record_id, event)
        elif isinstance(event, Downloading):
            if event.bytes_received == 0 and event.result_url:
                self._update(record_id, result_url=event.result_url)
            self._update_throttled(record_id, status=DOWNLOADING, message="Saving the video")
            self._publish(record_id, event)
        elif isinstance(event, Completed):
            return self._completed(record_id, event)
        elif isinstance(event, Failed):
            return self._failed(record_id, event)
        return None

    def _completed(self, record_id: str, event: Completed) -> str:
        record = self.store.get(record_id)
        if record is None:
            return _Outcome.DONE
        final = self.videos_dir / f"{record.video_token}.mp4"
        try:
            self.videos_dir.mkdir(parents=True, exist_ok=True)
            os.replace(event.video_path, final)
            fsync_dir(self.videos_dir)
        except OSError as exc:
            self._update(record_id, error={"message": f"the file could not be moved ({exc.strerror or exc})"})
            return _Outcome.RETRY_DOWNLOAD
        updated = self._update(
            record_id,
            status=COMPLETED,
            progress=100.0,
            video_path=final,
            credits_charged=event.credits_charged,
            finished_at=time.time(),
            download_attempts=record.download_attempts + 1,
            message="Done; the video is saved",
            error=None,
        )
        # Saved and recorded: only now is anybody told it is done.
        self._publish(
            record_id,
            Completed(
                task_id=event.task_id,
                video_path=final,
                credits_charged=event.credits_charged,
                estimate=event.estimate or (_estimate_of(updated) if updated else None),
            ),
        )
        return _Outcome.DONE

    def _failed(self, record_id: str, event: Failed) -> str:
        record = self.store.get(record_id)
        if record is None:
            return _Outcome.DONE
        task_id = event.task_id or record.task_id
        error = {
            "message": event.message,
            "suggestion": event.suggestion,
            "code": event.code,
            "charged": event.charged,
            "problems": list(event.problems),
        }
        if task_id and event.charged:
            # Made and billed, not saved: never final until the retries are used up.
            link = _link_in(event.suggestion)
            self._update(
                record_id,
                error=error,
                result_url=link or record.result_url,
                download_attempts=record.download_attempts + 1,
            )
            return _Outcome.RETRY_DOWNLOAD
        if task_id and event.task_continues:
            self._update(record_id, error=error)
            return _Outcome.REWATCH
        gone = task_id is not None and "not found" in event.message.lower()
        self._settle(
            record_id,
            EXPIRED if gone else FAILED,
            event.message,
            suggestion=event.suggestion,
            error={k: v for k, v in error.items() if k not in ("message", "suggestion")},
        )
        self._publish(record_id, event)
        return _Outcome.DONE


def _link_in(text: str) -> str | None:
    marker = "Link: "
    if marker in text:
        link = text.split(marker, 1)[1].strip().split()[0] if text.split(marker, 1)[1].strip() else ""
        return link if link.startswith(("http://", "https://")) else None
    return None
