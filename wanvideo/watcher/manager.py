"""`TaskManager`: a small facade over the watcher's parts; every rule lives in the part it names.

LoopThread      the asyncio loop (in a daemon thread) the jobs run on
JobRunner       the job and retry loop: one job per task, its wake-up, its poster
KeyCustody      which key a job runs with (a visitor's bound in memory, never stored)
Profiles        each task's provider profile (given, or rebuilt from its record) and pacing
SpendGuard      what a task reserves on the server's key, checked as it is stored
Submitter       a click's task (or a batch's tasks) reserved, stored and started; a member retried
groups          a batch's current members, the kept one, their events merged
Sweeps          the loop's periodic work: incoming cleanup, lease renewal, sweep, retention
Following       a task's events and an owner's changes -> followers on other loops
LeaseKeeper     which worker watches which task; a lost lease stops the watch
triage          what to do with an unfinished task found in the store (pure)
EventRecorder   a job's events -> store writes; a record -> its snapshot event
RetrySchedule   when to download again / watch again (pure)
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import httpx
from pydantic import SecretStr

from ..budget import BudgetStatus, describe_limits
from ..client import CancelOutcome, CancelResult
from ..disk import keep_seconds
from ..events import Event, Probed
from ..links import LinkBook
from ..messages import Message
from ..providers import ProviderProfile, effective_profile
from ..schemas import GenerationRequest
from ..settings import Settings
from ..storage import Storage, open_storage
from ..store import KEY_VISITOR, TaskRecord, TaskStoreBase
from ..task_status import NEEDS_KEY, SUBMITTED
from ..timings import SWEEP_EVERY
from .batches import BatchTasks
from .films import FilmJoiner
from .following import Following
from .keys import KeyCustody, plain_key
from .leases import LeaseKeeper, renew_every
from .loop_thread import LoopThread
from .profiles import Profiles
from .recorder import EventRecorder
from .retry import DOWNLOAD_RETRY_DELAYS, RetrySchedule
from .runner import JobRunner
from .spend_guard import SpendGuard
from .submitting import Submitter
from .sweeps import Sweeps
from .triage import MAX_TASK_AGE, download_resumable
from .wakes import WakeRelay

__all__ = ["TaskManager"]

log = logging.getLogger("wanvideo.watcher")


class TaskManager(BatchTasks):
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
        lease_ttl: float | None = None,
        sweep_every: float | None = None,
        base_url_for: Callable[[str, str | None], str] | None = None,
        storage: Storage | None = None,
    ) -> None:
        """`base_url_for(dialect, region)`: in demo mode, the base URL of that dialect's
        simulator (`SimulatorPool.base_url`), for a task on another provider found at start."""
        self.settings = settings
        self.store = store
        self.transport = transport
        self.profile = profile or effective_profile(settings)
        self.videos_dir = Path(settings.videos_dir)
        self.storage = storage or open_storage(settings.storage_url, Path(settings.data_dir))  # videos
        self.incoming_dir = Path(settings.data_dir) / "incoming"
        self.max_task_age = max_task_age
        self.schedule = RetrySchedule.of(
            download_retry_delays, rewatch_delay, rewatch_max_delay, link_lifetime=max_task_age
        )
        lease_ttl = settings.lease_seconds if lease_ttl is None else lease_ttl
        sweep_every = min(SWEEP_EVERY, renew_every(lease_ttl)) if sweep_every is None else sweep_every
        self.leases = LeaseKeeper(store, ttl=lease_ttl)
        self.following = Following(self.get)
        self.events, self.changes = self.following.events, self.following.changes
        self.recorder = EventRecorder(store, self.videos_dir, self.following.record_changed, self.storage)
        self.spend = SpendGuard(settings, store)
        self.limits = self.spend.limits
        self.keys = KeyCustody(settings)
        self.profiles = Profiles(settings, store, self.profile, base_url_for)
        self.choice = self.profiles.choice
        self.links = LinkBook(store, settings.public_base_url)  # served references, wake-ups
        self.keep_seconds = keep_seconds(settings)  # saved videos' life (None: forever)
        self._thread = LoopThread("wan-task-manager")
        self.runner = JobRunner(
            settings,
            store,
            transport,
            recorder=self.recorder,
            following=self.following,
            leases=self.leases,
            keys=self.keys,
            profiles=self.profiles,
            schedule=self.schedule,
            links=self.links,
            incoming_dir=self.incoming_dir,
            max_task_age=max_task_age,
        )
        self.submitter = Submitter(
            settings,
            self.profile,
            spend=self.spend,
            keys=self.keys,
            profiles=self.profiles,
            runner=self.runner,
            following=self.following,
            leases=self.leases,
            call_soon=self._thread.call_soon,
            ensure_running=self.start,  # idempotent
        )
        self.films = FilmJoiner(
            store,
            self.recorder,
            self.following,
            self.storage,
            self.incoming_dir,
            group=self.group,
            follow_group=self.follow_group,
        )
        self.wakes = WakeRelay(store, self.runner, self._thread.call_soon)  # across replicas
        self.sweeps = Sweeps(
            store,
            runner=self.runner,
            leases=self.leases,
            recorder=self.recorder,
            keys=self.keys,
            profiles=self.profiles,
            videos_dir=self.videos_dir,
            incoming_dir=self.incoming_dir,
            keep_seconds=self.keep_seconds,
            max_task_age=max_task_age,
            sweep_every=sweep_every,
        )

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
        if self.spend.spends_server_credits(None):
            log.info(describe_limits(self.spend.current_limits()))  # with the owner's overrides
        if self.keep_seconds is not None:
            log.info(
                "saved videos and posters are deleted %g days after they were saved (WAN_KEEP_DAYS)",
                self.keep_seconds / 86400,
            )
        self.leases.open()
        self._thread.start()
        self._thread.run(self.sweeps.start(), timeout=60)
        self.wakes.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop watching (tasks keep running at the provider and resume on the next start)."""
        self._thread.stop(self._shutdown(), timeout)
        self.leases.close()

    async def _shutdown(self) -> None:
        self.wakes.stop()
        self.sweeps.stop()
        await self.runner.shutdown()

    def _sweep(self) -> None:  # (tests fire the periodic work themselves)
        self.sweeps.sweep()

    def _renew_leases(self) -> None:
        self.sweeps.renew_leases()

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

        `api_key`: a visitor's own key, in memory only and bound to this job (never falling back to
        the server's key); None uses the server's key. `probed`: the references as checked in this
        click (not probed again). `visitor`: who spends (default `owner`). `profile`: another
        provider than the configured one, on the visitor's own key except in demo mode. The record
        keeps the provider's name and model, never the key: after a restart the profile is rebuilt
        from them, and a task on a visitor's key waits as `needs_key` until `resume(..., api_key)`.

        On the server's key the estimate (from `probed`; without it, the most the request could cost) is
        reserved against the spend limits in the same transaction that stores the record:
        `budget.SpendRefused` is raised, and nothing stored, sent or uploaded, when it does not fit. A
        visitor's own key spends no server credits, but in every mode the visitor's generations in
        flight are limited (`WAN_VISITOR_MAX_ACTIVE`), checked in the same transaction."""
        return self.submitter.submit(
            request, owner=owner, api_key=api_key, probed=probed, visitor=visitor, profile=profile
        )

    def budget_status(self, visitor: str | None) -> BudgetStatus | None:
        """What is left today on the server's key (overall and for `visitor`), for the cost
        panel; None when no spend guard applies (demo mode, or no server key)."""
        return self.spend.status(visitor)

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
        chosen = profile or self.profiles.for_record(record)
        if record.provider != chosen.name:
            return None
        visitor_key = plain_key(api_key)
        if record.key_source == KEY_VISITOR and not visitor_key:
            return None
        if record.key_source != KEY_VISITOR and self.choice.key_problem(chosen, has_own_key=False):
            return None  # the server's key is the configured provider's, never another's
        if not self.running:
            self.start()
        if not self.leases.claim(record.id, take_from_dead=True):
            return None
        key = visitor_key if record.key_source == KEY_VISITOR else self.keys.server_key()
        if record.key_source == KEY_VISITOR and visitor_key:
            self.keys.bind(record.id, visitor_key)
        if chosen.name != self.profile.name:
            self.profiles.keep(record.id, chosen)
        self.runner.accept(record.id)
        updated = self.recorder.update(record.id, status=SUBMITTED, message=Message("rec.resumed"))
        run = self.runner
        self._thread.call_soon(lambda: run.spawn(record.id, run.watch_existing(record.id, key)))
        return updated

    def retry_download(self, record_id: str, owner: str) -> bool:
        """Fetch the owner's video again now: a download that failed (or is waiting for its
        next try) while the provider's link may still work. True when a try was started."""
        record = self.get(record_id, owner)
        if record is None or not download_resumable(record, time.time(), self.max_task_age):
            return False
        known, key = self.keys.for_record(record)
        if not known:
            return False  # the visitor's key is gone (restart): Resume with the key instead
        if not self.running:
            self.start()
        return self._thread.run(self.runner.retry_download(record.id, key), timeout=30)

    def cancel(
        self, record_id: str, owner: str, api_key: str | SecretStr | None = None, *, timeout: float = 60.0
    ) -> CancelResult | None:
        """Cancel the owner's task at the provider, where the provider can (`profile.cancel`:
        while it is pending or queued). None when the record is not the owner's.

        Returns what happened as a `CancelResult`: CANCELLED (the record is settled `failed`
        with reason CANCELLED, nothing charged, its reservation freed, followers told),
        TOO_LATE (it runs on and is charged if it succeeds; the watch goes on), NOT_SUPPORTED
        (a provider without cancel; or the visitor's key it was started with is gone: pass it as
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
        profile = self.profiles.for_record(record)
        if record.provider != profile.name or profile.cancel == "none":
            return CancelResult(
                CancelOutcome.NOT_SUPPORTED,
                Message(
                    "cancel.not_supported",
                    provider=profile.label if record.provider == profile.name else record.provider,
                ),
                record.task_id,
            )
        known, key = self.keys.for_record(record, api_key)
        if not known:
            return CancelResult(
                CancelOutcome.NOT_SUPPORTED,
                Message("cancel.key_gone"),
                record.task_id,
            )
        if not self.running:
            self.start()
        return self._thread.run(self.runner.cancel(record, key, profile), timeout=timeout)

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
        return self.sweeps.delete_local_copy(record, Message("rec.deleted"))

    def sweep_saved(self, now: float | None = None) -> int:
        """Delete the saved videos past `WAN_KEEP_DAYS` now (`Sweeps.sweep_saved`); how many."""
        return self.sweeps.sweep_saved(now)

    def follow(self, record_id: str, owner: str, *, refresh: float = 5.0) -> AsyncIterator[Event]:
        """Events of one task, from any event loop: its latest known state first, then live
        events; ends after Completed or Failed. Yields nothing for another owner's task.
        Cancelling (closing) it only stops following."""
        return self.following.follow(record_id, owner, refresh=refresh)

    def follow_owner(self, owner: str, *, heartbeat: float = 15.0) -> AsyncIterator[TaskRecord | None]:
        """Every change to any of the owner's records (a new submission too), from any loop;
        `None` every `heartbeat` seconds without a change. Runs until closed."""
        return self.following.follow_owner(owner, heartbeat=heartbeat)

    def is_watching(self, record_id: str) -> bool:
        return self.runner.is_watching(record_id)

    # ------------------------------------------------------------------ provider links

    def served_reference(self, token: str) -> Path | None:
        """The reference file a provider may fetch with `token` now (`links.LinkBook`)."""
        return self.links.reference_path(token)

    def wake_by_token(self, token: str) -> bool:
        """A provider's callback for the task of wake `token`: poll it now (at most once per
        `links.WAKE_EVERY` s; the callback's body is never read). False for an unknown token.
        Cheap and callable from any thread: the poll itself runs on the manager's loop."""
        known, record_id = self.links.wake_record(token)
        if record_id is not None and self.running:
            self._thread.call_soon(lambda: self.wakes.wake(record_id))
        return known
