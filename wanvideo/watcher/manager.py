"""`TaskManager`: composes the watcher's parts; every rule lives in the part it names.

LoopThread      the asyncio loop (in a daemon thread) the jobs run on
LeaseKeeper     which worker watches which task; a lost lease stops the watch
triage          what to do with an unfinished task found in the store (pure)
EventRecorder   a job's events -> store writes; a record -> its snapshot event
FanOut          events and record changes -> followers on other loops
RetrySchedule   when to download again / watch again (pure)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from ..budget import (
    BudgetStatus,
    active_only,
    budget_status,
    day_start,
    describe_limits,
    effective_limits,
    reservation_for,
)
from ..client import CancelOutcome, CancelResult, WanClient, expected_generation_time
from ..disk import keep_seconds
from ..events import Completed, Event, Failed, FailureReason, Probed
from ..job import resume_generation, run_generation
from ..links import LinkBook
from ..media.clips import default_clips
from ..media.poster import make_poster, poster_path
from ..messages import Message
from ..provider_choice import ProviderChoice
from ..providers import ProviderProfile, effective_profile
from ..schemas import GenerationRequest
from ..settings import Settings
from ..store import KEY_SERVER, KEY_VISITOR, TaskRecord, TaskStoreBase
from ..task_status import COMPLETED, DOWNLOADING, EXPIRED, FAILED, NEEDS_KEY, SUBMITTED
from ..timings import KEEP_SWEEP_EVERY, SWEEP_EVERY
from .fanout import FanOut
from .leases import RENEW_EVERY, TTL, LeaseKeeper
from .loop_thread import LoopThread
from .recorder import PREPARED_FILES, EventRecorder, Outcome, estimate_of, request_summary, snapshot_event
from .retry import DOWNLOAD_RETRY_DELAYS, RetrySchedule
from .triage import MAX_TASK_AGE, Action, download_resumable, task_age, triage

__all__ = ["TaskManager"]

log = logging.getLogger("wanvideo.watcher")

INCOMING_MAX_AGE = MAX_TASK_AGE  # a partial download older than its link is of no use
_Key = str | None  # the key a job uses: a visitor's, or the server's (None: demo placeholder)


def _plain_key(api_key: str | SecretStr | None) -> str | None:
    if isinstance(api_key, SecretStr):
        api_key = api_key.get_secret_value()
    return (api_key or "").strip() or None


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
        download_retry_delays: Sequence[float] = DOWNLOAD_RETRY_DELAYS,
        rewatch_delay: float = 10.0,
        rewatch_max_delay: float = 600.0,
        lease_ttl: float = TTL,
        sweep_every: float = SWEEP_EVERY,
        base_url_for: Callable[[str, str | None], str] | None = None,
    ) -> None:
        """`base_url_for(dialect, region)`: in demo mode, the base URL of that dialect's
        simulator (`SimulatorPool.base_url`), for a task on another provider found at start."""
        self.settings = settings
        self.store = store
        self.transport = transport
        self.profile = profile or effective_profile(settings)
        self.choice = ProviderChoice(configured=self.profile, demo=settings.is_demo)
        self.base_url_for = base_url_for
        self.videos_dir = Path(settings.videos_dir)
        self.incoming_dir = Path(settings.data_dir) / "incoming"
        self.max_task_age = max_task_age
        self.sweep_every = sweep_every
        self.schedule = RetrySchedule.of(
            download_retry_delays, rewatch_delay, rewatch_max_delay, link_lifetime=max_task_age
        )
        self.leases = LeaseKeeper(store, ttl=lease_ttl)
        self.events = FanOut()  # record id -> Event
        self.changes = FanOut()  # owner -> TaskRecord
        self.recorder = EventRecorder(store, self.videos_dir, on_change=self._record_changed)
        self.limits = effective_limits(settings)
        self._thread = LoopThread("wan-task-manager")
        self._lock = threading.Lock()
        self._jobs: dict[str, asyncio.Task[None]] = {}  # record id -> job (loop thread only)
        self._accepted: set[str] = set()  # submitted here, job not started yet (any thread)
        self._keys: dict[str, str] = {}  # record id -> visitor key, memory only
        # record id -> the profile a task runs on while this process has it: the one given at
        # submit or resume, else rebuilt from the record's provider and model (`_profile_for`).
        self._profiles: dict[str, ProviderProfile] = {}
        self._background: list[asyncio.Task[None]] = []
        # record id -> cuts its poll or retry wait short (a callback, "try the download now")
        self._wakers: dict[str, asyncio.Event] = {}
        self.links = LinkBook(store, settings.public_base_url)  # served references, wake-ups
        self.keep_seconds = keep_seconds(settings)  # saved videos' life (None: forever)
        self._kept_swept_at = float("-inf")

    @property
    def worker(self) -> str:
        return self.leases.worker

    # ------------------------------------------------------------------ lifecycle

    @property
    def running(self) -> bool:
        return self._thread.running

    def start(self) -> TaskManager:
        """Start the loop thread and resume unfinished tasks. Calling it again does nothing."""
        if self.running:
            return self
        self.videos_dir.mkdir(parents=True, exist_ok=True)
        self.incoming_dir.mkdir(parents=True, exist_ok=True)
        if self._spends_server_credits(None):
            log.info(describe_limits(self.limits))
        if self.keep_seconds is not None:
            log.info(
                "saved videos and posters are deleted %g days after they were saved (WAN_KEEP_DAYS)",
                self.keep_seconds / 86400,
            )
        self.leases.open()
        self._thread.start()
        self._thread.run(self._startup(), timeout=60)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop watching (tasks keep running at the provider and resume on the next start)."""
        self._thread.stop(self._shutdown(), timeout)
        self.leases.close()

    async def _startup(self) -> None:
        self._clean_incoming()
        self._sweep()
        self._background = [
            asyncio.ensure_future(self._every(RENEW_EVERY, self._renew_leases)),
            asyncio.ensure_future(self._every(self.sweep_every, self._sweep)),
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
            self.leases.release(record_id)
        self._jobs.clear()

    async def _every(self, seconds: float, fn: Callable[[], None]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                fn()
            except Exception:
                log.exception("background step %s failed", getattr(fn, "__name__", fn))

    def _clean_incoming(self) -> None:
        """Remove leftovers of downloads interrupted by a crash (never a fresh one: another
        worker may be downloading right now)."""
        now = time.time()
        for path in self.incoming_dir.glob("*"):
            with contextlib.suppress(OSError):
                if path.is_file() and now - path.stat().st_mtime > INCOMING_MAX_AGE:
                    path.unlink()

    def _renew_leases(self) -> None:
        for record_id in self.leases.renew(list(self._jobs)):
            log.warning("lost the lease of %s to another worker; stopping its watch here", record_id)
            job = self._jobs.pop(record_id, None)
            if job is not None:
                job.cancel()

    def _busy(self) -> set[str]:
        with self._lock:
            return set(self._jobs) | self._accepted

    def _sweep(self) -> None:
        """Resume (or settle) every unfinished task nobody alive is watching; forget links
        that no longer work."""
        dead = self.leases.dead_workers()
        now = time.time()
        self.store.delete_expired_links(now)
        if now - self._kept_swept_at >= KEEP_SWEEP_EVERY:
            self._kept_swept_at = now
            self.sweep_saved(now)
        for record in self.store.unfinished():
            decision = triage(
                record,
                now,
                self._profile_for(record),
                self._keys,
                busy=self._busy(),
                max_age=self.max_task_age,
            )
            if decision.action is Action.SKIP:
                continue
            if not self.store.claim(record.id, self.worker, self.leases.ttl, steal_from=dead):
                continue  # another live worker has it
            if decision.action is Action.SETTLE:
                assert decision.status and decision.reason
                self.recorder.settle(
                    record.id,
                    decision.status,
                    decision.message,
                    suggestion=decision.suggestion,
                    reason=decision.reason,
                )
                self._let_go(record.id)
            elif decision.action is Action.NEEDS_KEY:
                self.recorder.update(record.id, status=NEEDS_KEY, message=decision.message)
                self.leases.release(record.id)
            else:
                key = self._keys.get(record.id) if record.key_source == KEY_VISITOR else self._server_key()
                self._spawn(record.id, self._watch_existing(record.id, key))

    def _let_go(self, record_id: str) -> None:
        self.leases.release(record_id)
        self._keys.pop(record_id, None)
        self._profiles.pop(record_id, None)

    def _profile_for(self, record: TaskRecord) -> ProviderProfile:
        """The profile a task runs on: the one it was submitted or resumed with, else rebuilt
        from the record's provider and model (after a restart). Where it cannot run here (a
        provider not offered now, or another provider on the server's key) the configured
        one, which `triage` reports as not watchable here."""
        kept = self._profiles.get(record.id)
        if kept is not None:
            return kept
        rebuilt = self._rebuilt(record)
        if rebuilt is None:
            return self.profile
        self._profiles[record.id] = rebuilt
        return rebuilt

    def _rebuilt(self, record: TaskRecord) -> ProviderProfile | None:
        """The profile of a stored task: in demo mode another provider is pointed at its
        dialect's simulator (never a real host); with a public address, a provider without an
        upload takes the references the app serves (as at submit)."""
        own_key = record.key_source == KEY_VISITOR
        profile = self.choice.stored(record.provider, record.model, own_key=own_key)
        if profile is None or not self.choice.is_other(profile):
            return profile
        if self.settings.is_demo:
            if self.base_url_for is None:
                return None
            try:
                profile = self.choice.for_run(profile, self.base_url_for)
            except Exception:  # no simulator: the task waits as it would without its profile
                log.exception("could not start the simulator for %s (%s)", record.id, record.provider)
                return None
        return profile.with_overrides(public_url=self.settings.public_base_url)

    def _paced(self, profile: ProviderProfile, model: str | None) -> ProviderProfile:
        """`profile` with the generation time its polls are paced by learned from this app's
        recent completed tasks of that provider and model (its prior until there are enough)."""
        same = (None, profile.model) if model in (None, profile.model) else (model,)  # None: the default
        runs = self.store.recent_run_seconds(profile.name, same)
        learned = expected_generation_time(runs, profile.generation_time)
        return (
            profile
            if learned == profile.generation_time
            else profile.model_copy(update={"generation_time": learned})
        )

    def _server_key(self) -> _Key:
        return _plain_key(self.settings.api_key)

    # ------------------------------------------------------------------ public API

    def submit(
        self,
        request: GenerationRequest,
        *,
        owner: str,
        api_key: str | SecretStr | None = None,
        probed: Probed | None = None,
        visitor: str | None = None,
        profile: ProviderProfile | None = None,
    ) -> TaskRecord:
        """Accept a generation and run it in the background; returns its record at once.

        `api_key` is a visitor's own key: kept in memory only, never stored, and bound to this
        job (it never falls back to the server's key). None uses the server's key
        (settings.api_key; the demo placeholder in demo mode). `probed`: the references as
        `check_references` found them in this click; the job then does not probe again.
        `visitor`: who spends (for the spend guard); defaults to `owner`.
        `profile`: another provider than the configured one (a visitor's choice, with its
        host overrides); it needs the visitor's own key (the server's key belongs to the
        configured provider), except in demo mode. The record keeps the provider's name (with
        its region) and the model, never the key: after a restart the profile is
        rebuilt from them (in demo mode on that dialect's simulator), and a task on a
        visitor's key waits as `needs_key` until `resume(..., api_key)`.

        On the server's key the estimate (from `probed`; without it, the most the request
        could cost) is reserved against the spend limits in the same transaction that stores
        the record: `budget.SpendRefused` is raised, and nothing stored, sent or uploaded,
        when it does not fit. A visitor's own key spends no server credits, but in every mode
        the visitor's generations in flight are limited (`WAN_VISITOR_MAX_ACTIVE`), checked in
        the same transaction.
        """
        if not owner:
            raise ValueError("a task needs an owner")
        if probed is not None and len(probed.probes) != request.reference_count:
            raise ValueError("`probed` describes other references than the request")
        visitor_key = _plain_key(api_key)
        chosen = profile if profile is not None and profile.name != self.profile.name else None
        if chosen is not None:  # where it has no upload, the app may serve the references
            chosen = chosen.with_overrides(public_url=self.settings.public_base_url)
        if chosen is not None and visitor_key is None and not self.settings.is_demo:
            raise ValueError(
                f"{chosen.label} needs your own API key: the server's key is for {self.profile.label}"
            )
        key = visitor_key or self._server_key()
        target = chosen or self.profile
        # The variant it runs on (a model the provider does not sell is refused by the job).
        model = (
            request.model if target.model_problem(request.model) else target.with_model(request.model).model
        )
        guarded = self._spends_server_credits(visitor_key)
        spend = None
        if guarded:
            durations = probed.sent_durations if probed is not None else None  # as they will be sent
            prices = target.with_model(request.model).prices  # the chosen model's
            spend = reservation_for(
                durations, request.reference_count, request.quality, request.duration, prices
            )
        if not self.running:
            self.start()
        record = TaskRecord.new(
            owner=owner,
            provider=target.name,
            model=model,
            request=request_summary(request, probed),
            key_source=KEY_VISITOR if visitor_key else KEY_SERVER,
            message=Message("rec.checking"),
            # Inserted already leased to this worker: no sweep can take it before the job starts.
            lease_owner=self.worker,
            lease_ttl=self.leases.ttl,
            visitor=visitor or owner,  # its generations in flight are limited in every mode
            spend_credits=spend,
        )
        with self._lock:
            self._accepted.add(record.id)  # and no sweep of this process triages it meanwhile
        try:
            # Raises SpendRefused before anything is uploaded or created: on the server's key
            # by any spend limit, in every mode by the visitor's generations in flight.
            limits = self.limits if guarded else active_only(self.settings)
            self.store.insert_within_budget(record, limits, datetime.now(timezone.utc))
        except BaseException:
            with self._lock:
                self._accepted.discard(record.id)
            raise
        if visitor_key:
            self._keys[record.id] = visitor_key
        if chosen is not None:
            self._profiles[record.id] = chosen
        self._record_changed(record)
        self._thread.call_soon(lambda: self._spawn(record.id, self._run_new(record, request, key, probed)))
        return record

    def budget_status(self, visitor: str | None) -> BudgetStatus | None:
        """What is left today on the server's key (overall and for `visitor`), for the cost
        panel; None when no spend guard applies (demo mode, or no server key)."""
        if not self._spends_server_credits(None):
            return None
        now = datetime.now(timezone.utc)
        usage = self.store.usage(visitor, day_start(now).timestamp())
        return budget_status(self.limits, usage, now)

    def _spends_server_credits(self, visitor_key: str | None) -> bool:
        return visitor_key is None and self.settings.api_key is not None and not self.settings.is_demo

    def resume(
        self,
        record_id: str,
        owner: str,
        api_key: str | SecretStr | None = None,
        profile: ProviderProfile | None = None,
    ) -> TaskRecord | None:
        """Watch a `needs_key` task again with the visitor's key (or the server's, when it was
        started with it); `profile` overrides the one rebuilt from the record (its provider and
        model). Returns the record, or None when it is not the owner's or not resumable."""
        record = self.store.get(record_id, owner)
        if record is None or record.status != NEEDS_KEY or record.task_id is None:
            return None
        chosen = profile or self._profile_for(record)
        if record.provider != chosen.name:
            return None
        visitor_key = _plain_key(api_key)
        if record.key_source == KEY_VISITOR and not visitor_key:
            return None
        if record.key_source != KEY_VISITOR and self.choice.key_problem(chosen, has_own_key=False):
            return None  # the server's key is the configured provider's, never another's
        if not self.running:
            self.start()
        if not self.store.claim(
            record.id, self.worker, self.leases.ttl, steal_from=self.leases.dead_workers()
        ):
            return None
        key = visitor_key if record.key_source == KEY_VISITOR else self._server_key()
        if record.key_source == KEY_VISITOR and visitor_key:
            self._keys[record.id] = visitor_key
        if chosen.name != self.profile.name:
            self._profiles[record.id] = chosen
        with self._lock:
            self._accepted.add(record.id)
        updated = self.recorder.update(record.id, status=SUBMITTED, message=Message("rec.resumed"))
        self._thread.call_soon(lambda: self._spawn(record.id, self._watch_existing(record.id, key)))
        return updated

    def retry_download(self, record_id: str, owner: str) -> bool:
        """Fetch the owner's video again now: a download that failed (or is waiting for its
        next try) while the provider's link may still work. True when a try was started."""
        record = self.get(record_id, owner)
        if record is None or not download_resumable(record, time.time(), self.max_task_age):
            return False
        if record.key_source == KEY_VISITOR:
            key = self._keys.get(record.id)
            if key is None:
                return False  # the visitor's key is gone (restart): Resume with the key instead
        else:
            key = self._server_key()
        if not self.running:
            self.start()
        return self._thread.run(self._retry_download(record.id, key), timeout=30)

    async def _retry_download(self, record_id: str, key: _Key) -> bool:
        """On the loop: wake a waiting watch, or start a new one once the last has ended."""
        job = self._jobs.get(record_id)
        if job is not None:
            record = self.store.get(record_id)
            if record is not None and not record.is_final:
                self._wake(record_id)  # waiting for its next try: try now (or a try is under way)
                return True
            with contextlib.suppress(BaseException):  # it has just ended: let it finish
                await asyncio.wait_for(asyncio.shield(job), 10)
        if not self.store.claim(
            record_id, self.worker, self.leases.ttl, steal_from=self.leases.dead_workers()
        ):
            return False  # another live worker is on it
        self.recorder.update(
            record_id, status=DOWNLOADING, finished_at=None, message=Message("rec.retry_download")
        )
        self._spawn(record_id, self._watch_existing(record_id, key, first_outcome=None))
        return True

    def cancel(
        self, record_id: str, owner: str, api_key: str | SecretStr | None = None, *, timeout: float = 60.0
    ) -> CancelResult | None:
        """Cancel the owner's task at the provider, where the provider can (`profile.cancel`:
        while pending, or while queued). None when the record is not the owner's.

        Returns what happened as a `CancelResult`: CANCELLED (the record is settled `failed`
        with reason CANCELLED, nothing charged, its reservation freed, followers told),
        TOO_LATE (it runs on and is charged if it succeeds; the watch goes on), NOT_SUPPORTED
        (a provider without a cancel; or the visitor's key it was started with is gone: pass it as
        `api_key`), NOT_FOUND, NOT_SUBMITTED (still being checked or uploaded: nothing was sent
        to the provider yet). Raises `WanError` when the provider could not be asked."""
        record = self.get(record_id, owner)
        if record is None:
            return None
        if record.is_final:
            return CancelResult(CancelOutcome.TOO_LATE, Message("cancel.ended"), record.task_id)
        if record.task_id is None:
            return CancelResult(
                CancelOutcome.NOT_SUBMITTED,
                Message("cancel.not_submitted"),
            )
        profile = self._profile_for(record)
        if record.provider != profile.name or profile.cancel == "none":
            return CancelResult(
                CancelOutcome.NOT_SUPPORTED,
                Message(
                    "cancel.not_supported",
                    provider=profile.label if record.provider == profile.name else record.provider,
                ),
                record.task_id,
            )
        if record.key_source == KEY_VISITOR:
            key = _plain_key(api_key) or self._keys.get(record.id)
            if key is None:
                return CancelResult(
                    CancelOutcome.NOT_SUPPORTED,
                    Message("cancel.key_gone"),
                    record.task_id,
                )
        else:
            key = self._server_key()
        if not self.running:
            self.start()
        return self._thread.run(self._cancel(record, key, profile), timeout=timeout)

    async def _cancel(self, record: TaskRecord, key: _Key, profile: ProviderProfile) -> CancelResult:
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
            self.events.publish(record.id, step.publish)
        self._let_go(record.id)
        return result

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
        if record is None:
            return False
        return self._delete_local_copy(record, Message("rec.deleted"))

    def _delete_local_copy(self, record: TaskRecord, message: Message) -> bool:
        """Remove a record's video and poster (and its prepared references); the record stays,
        and the history says the local copy was deleted."""
        if record.video_path is None:
            return False
        path = record.video_path
        if self.videos_dir.resolve() not in path.resolve().parents:
            return False
        for file in (path, poster_path(path)):
            with contextlib.suppress(FileNotFoundError):
                file.unlink()
        default_clips().discard(list(record.request.get(PREPARED_FILES, [])))  # its prepared references
        self.recorder.update(record.id, video_path=None, message=message)
        return True

    def sweep_saved(self, now: float | None = None) -> int:
        """Delete the saved videos and posters finished more than `keep_seconds` before `now`
        (`WAN_KEEP_DAYS`; nothing when they are kept forever), as "Delete local copy" does;
        how many. Runs with the sweep, every `KEEP_SWEEP_EVERY` s."""
        if self.keep_seconds is None:
            return 0
        now = time.time() if now is None else now
        days = f"{self.keep_seconds / 86400:g}"
        deleted = 0
        for record in self.store.saved_before(now - self.keep_seconds):
            if self._delete_local_copy(record, Message("rec.deleted_kept", days=days)):
                deleted += 1
        if deleted:
            log.info("deleted %d saved videos older than %s days (WAN_KEEP_DAYS)", deleted, days)
        return deleted

    async def follow(self, record_id: str, owner: str, *, refresh: float = 5.0) -> AsyncIterator[Event]:
        """Events of one task, from any event loop: its latest known state first, then live
        events; ends after Completed or Failed. Yields nothing for another owner's task.
        Cancelling (closing) it only stops following."""
        with self.events.following(record_id) as queue:  # before the snapshot: no gap
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

    async def follow_owner(self, owner: str, *, heartbeat: float = 15.0) -> AsyncIterator[TaskRecord | None]:
        """Every change to any of the owner's records (a new submission too), from any loop;
        `None` every `heartbeat` seconds without a change. Runs until closed."""
        if not owner:
            return
        with self.changes.following(owner) as queue:
            while True:
                try:
                    yield await asyncio.wait_for(queue.get(), timeout=heartbeat)
                except asyncio.TimeoutError:
                    yield None

    def is_watching(self, record_id: str) -> bool:
        return record_id in self._jobs

    # ------------------------------------------------------------------ jobs

    def _record_changed(self, record: TaskRecord) -> None:
        self.changes.publish(record.owner, record)

    def _spawn(self, record_id: str, coro: Coroutine[Any, Any, None]) -> None:
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
                self._let_go(record_id)

    async def _run_new(
        self, record: TaskRecord, request: GenerationRequest, key: _Key, probed: Probed | None
    ) -> None:
        events = run_generation(
            request,
            profile=self._paced(self._profile_for(record), request.model),
            settings=self.settings,
            api_key=key,
            idempotency_key=record.idempotency_key,
            dest_dir=self.incoming_dir,
            transport=self.transport,
            probed=probed,
            links=self.links.for_record(record.id),
            wake=self._waker(record.id),
        )
        outcome = await self._consume(record.id, events)
        if outcome is not Outcome.DONE:
            await self._watch_existing(record.id, key, first_outcome=outcome)

    async def _watch_existing(self, record_id: str, key: _Key, first_outcome: Outcome | None = None) -> None:
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
                    self.events.publish(record_id, self.recorder.give_up_download(record))
                    return
                download_failures += 1
                message = Message("rec.save_retry", delay=f"{delay:g}")
                self.events.publish(record_id, self.recorder.retrying(record, DOWNLOADING, message))
                await self._pause(record_id, delay)
            elif outcome is Outcome.REWATCH:
                if task_age(record, time.time()) > self.max_task_age:
                    event = Failed(
                        message=Message("rec.unreachable_expired"),
                        task_id=record.task_id,
                        reason=FailureReason.EXPIRED,
                    )
                    self.recorder.settle(record_id, EXPIRED, event.message, reason=event.reason)
                    self.events.publish(record_id, event)
                    return
                delay = self.schedule.rewatch_delay_for(rewatches)
                rewatches += 1
                message = Message("rec.lost_contact", delay=f"{delay:g}")
                self.events.publish(record_id, self.recorder.retrying(record, record.status, message))
                await self._pause(record_id, delay)
            record = self.store.get(record_id)
            if record is None or record.is_final or record.task_id is None:
                return
            if record.has_video:
                self.recorder.update(record_id, status=COMPLETED, progress=100.0, finished_at=time.time())
                return
            events = resume_generation(
                record.task_id,
                profile=self._paced(self._profile_for(record), record.model),
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

    def _waker(self, record_id: str) -> asyncio.Event:
        """The record's wake-up, for as long as its job runs (loop thread only)."""
        return self._wakers.setdefault(record_id, asyncio.Event())

    async def _pause(self, record_id: str, delay: float) -> None:
        """Wait `delay` seconds, or less when woken (`retry_download`, a provider's callback)."""
        waker = self._waker(record_id)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(waker.wait(), delay)
        waker.clear()

    def served_reference(self, token: str) -> Path | None:
        """The reference file a provider may fetch with `token` now (`links.LinkBook`)."""
        return self.links.reference_path(token)

    def wake_by_token(self, token: str) -> bool:
        """A provider's callback for the task of wake `token`: poll it now (at most once per
        `links.WAKE_EVERY` s; the callback's body is never read). False for an unknown token.
        Cheap and callable from any thread: the poll itself runs on the manager's loop."""
        known, record_id = self.links.wake_record(token)
        if record_id is not None and self.running:
            self._thread.call_soon(lambda: self._wake(record_id))
        return known

    def _wake(self, record_id: str) -> bool:
        waker = self._wakers.get(record_id)
        if waker is None:
            return False
        waker.set()
        return True

    async def _save_poster(self, record_id: str, video: Path) -> None:
        """The history card's poster, taken (in the media sandbox) from the downloaded video
        before it is recorded as saved, so the card that says Done has its picture."""
        record = self.store.get(record_id)
        if record is None:
            return
        dest = poster_path(self.recorder.final_video_path(record))
        dest.parent.mkdir(parents=True, exist_ok=True)
        await make_poster(video, dest)

    async def _consume(self, record_id: str, events: AsyncIterator[Event]) -> Outcome:
        """Record and fan out the events of one job run; say how it ended."""
        try:
            async for event in events:
                if isinstance(event, Completed):
                    await self._save_poster(record_id, event.video_path)
                step = self.recorder.record(record_id, event)
                if step.publish is not None:
                    self.events.publish(record_id, step.publish)
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
            self.events.publish(record_id, event)
            return Outcome.DONE
        return Outcome.REWATCH
