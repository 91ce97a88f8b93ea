"""The loop's periodic work: at start, partial downloads a crash left behind; every
`renew_every(ttl)` s (a third of the lease) the leases of the tasks watched here; every `sweep_every` s the sweep (resume
or settle every unfinished task nobody alive watches, forget expired links) and, every
`KEEP_SWEEP_EVERY` s, retention (saved videos past `WAN_KEEP_DAYS`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path

from ..media.clips import default_clips
from ..media.poster import poster_path
from ..messages import Message
from ..store import TaskRecord, TaskStoreBase
from ..task_status import NEEDS_KEY
from ..timings import KEEP_SWEEP_EVERY, SWEEP_EVERY
from .keys import KeyCustody
from .leases import LeaseKeeper, renew_every
from .profiles import Profiles
from .recorder import PREPARED_FILES, EventRecorder
from .runner import JobRunner
from .triage import MAX_TASK_AGE, Action, triage

log = logging.getLogger("wanvideo.watcher")

INCOMING_MAX_AGE = MAX_TASK_AGE  # a partial download older than its link is of no use


class Sweeps:
    def __init__(
        self,
        store: TaskStoreBase,
        *,
        runner: JobRunner,
        leases: LeaseKeeper,
        recorder: EventRecorder,
        keys: KeyCustody,
        profiles: Profiles,
        videos_dir: Path,
        incoming_dir: Path,
        keep_seconds: float | None,
        max_task_age: float,
        sweep_every: float = SWEEP_EVERY,
    ) -> None:
        self.store = store
        self.runner = runner
        self.leases = leases
        self.recorder = recorder
        self.keys = keys
        self.profiles = profiles
        self.videos_dir = videos_dir
        self.incoming_dir = incoming_dir
        self.keep_seconds = keep_seconds
        self.max_task_age = max_task_age
        self.sweep_every = sweep_every
        self._background: list[asyncio.Task[None]] = []
        self._kept_swept_at = float("-inf")

    async def start(self) -> None:
        """On the loop: clean up, sweep once, then keep renewing and sweeping."""
        self.clean_incoming()
        self.sweep()
        self._background = [
            asyncio.ensure_future(self._every(renew_every(self.leases.ttl), self.renew_leases)),
            asyncio.ensure_future(self._every(self.sweep_every, self.sweep)),
        ]

    def stop(self) -> None:
        for task in self._background:
            task.cancel()

    async def _every(self, seconds: float, fn: Callable[[], None]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                fn()
            except Exception:
                log.exception("background step %s failed", getattr(fn, "__name__", fn))

    def clean_incoming(self) -> None:
        """Remove leftovers of downloads interrupted by a crash (never a fresh one: another
        worker may be downloading right now)."""
        now = time.time()
        for path in self.incoming_dir.glob("*"):
            with contextlib.suppress(OSError):
                if path.is_file() and now - path.stat().st_mtime > INCOMING_MAX_AGE:
                    path.unlink()

    def renew_leases(self) -> None:
        for record_id in self.leases.renew(self.runner.jobs):
            log.warning("lost the lease of %s to another worker; stopping its watch here", record_id)
            self.runner.stop_job(record_id)

    def sweep(self) -> None:
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
                self.profiles.for_record(record),
                self.keys.bound,
                busy=self.runner.busy(),
                max_age=self.max_task_age,
            )
            if decision.action is Action.SKIP:
                continue
            if not self.store.claim(record.id, self.leases.worker, self.leases.ttl, steal_from=dead):
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
                self.runner.let_go(record.id)
            elif decision.action is Action.NEEDS_KEY:
                self.recorder.update(record.id, status=NEEDS_KEY, message=decision.message)
                self.leases.release(record.id)
            else:
                _, key = self.keys.for_record(record)
                self.runner.spawn(record.id, self.runner.watch_existing(record.id, key))

    # retention ---------------------------------------------------------------------
    def delete_local_copy(self, record: TaskRecord, message: Message) -> bool:
        """Remove a record's video and poster (and its prepared references); the record stays,
        and the history says the local copy was deleted."""
        if record.video_key is not None and self.recorder.storage is not None:
            storage = self.recorder.storage  # the object store: the poster first, then the video
            try:
                storage.delete(str(poster_path(Path(record.video_key))))
                storage.delete(record.video_key)
            except OSError as exc:  # kept, and tried again by the next sweep or click
                log.warning("could not delete %s from the store: %s", record.video_key, exc)
                return False
            changes: dict[str, object] = {"video_key": None}
        elif record.video_path is not None:
            path = record.video_path
            if self.videos_dir.resolve() not in path.resolve().parents:
                return False
            for file in (path, poster_path(path)):
                with contextlib.suppress(FileNotFoundError):
                    file.unlink()
            changes = {"video_path": None}
        else:
            return False
        default_clips().discard(list(record.request.get(PREPARED_FILES, [])))  # its prepared references
        self.recorder.update(record.id, message=message, **changes)
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
            if self.delete_local_copy(record, Message("rec.deleted_kept", days=days)):
                deleted += 1
        if deleted:
            log.info("deleted %d saved videos older than %s days (WAN_KEEP_DAYS)", deleted, days)
        return deleted
