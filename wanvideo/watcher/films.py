"""A film's shots joined into one video once every shot is done (issue 20).

The join runs on the manager's loop, started when the shots are submitted, so the film is made
even when nobody watches any more. The film is a record of its shots' group (`KIND_FILM`,
position 0) that pays nothing (its shots are the paid tasks): it is stored once the join is
done, completed with the joined video, or failed naming the shots to retry. A retried shot
starts the join again, which completes the same record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..batch import KIND_FILM
from ..events import FailureReason
from ..media.join import JoinError, join_films
from ..media.poster import make_poster, poster_path
from ..messages import Message
from ..storage import Storage, copy_out
from ..store import TaskRecord, TaskStoreBase
from ..task_status import COMPLETED, FAILED
from .following import Following
from .recorder import EventRecorder

__all__ = ["FilmJoiner", "FilmOrder", "Joining"]

log = logging.getLogger("wanvideo.watcher")


@dataclass(frozen=True)
class FilmOrder:
    """What the film's record keeps: its group, owner, provider and model, the request summary
    (the shots' prompts and durations, the shared settings) and the total estimate."""

    group_id: str
    owner: str
    provider: str
    model: str | None
    request: dict[str, Any] = field(default_factory=dict)
    estimate: dict[str, Any] | None = None


@dataclass(frozen=True)
class Joining:
    """The join's progress (published under the group id while it runs)."""

    percent: float


GroupOf = Callable[[str, str], list[TaskRecord]]  # (group id, owner) -> its current members
FollowGroup = Callable[[str, str], AsyncIterator[Any]]


class FilmJoiner:
    """Waits for a film's shots, joins them, and records the film."""

    def __init__(
        self,
        store: TaskStoreBase,
        recorder: EventRecorder,
        following: Following,
        storage: Storage,
        work_dir: Path,
        *,
        group: GroupOf,
        follow_group: FollowGroup,
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.following = following
        self.storage = storage
        self.work_dir = work_dir
        self.group = group
        self.follow_group = follow_group

    async def run(self, order: FilmOrder) -> TaskRecord:
        """Wait for every shot to end, then the film record: completed with the joined video,
        or failed naming the shots that have no video (or why the join failed)."""
        try:
            return await self._run(order)
        except Exception:  # a bug: the film says it failed, the log has the traceback
            log.exception("film %s: the join failed", order.group_id)
            film = await asyncio.to_thread(self._film_record, order)
            failed = Message("join.failed", reason=Message("prep.why_failed"))
            return await asyncio.to_thread(self._settle_failed, film, failed)

    async def _run(self, order: FilmOrder) -> TaskRecord:
        async for _ in self.follow_group(order.group_id, order.owner):
            pass
        shots = await asyncio.to_thread(self.group, order.group_id, order.owner)
        film = await asyncio.to_thread(self._film_record, order)
        missing = [r.group_position or 0 for r in shots if r.status != COMPLETED]
        if missing:
            message = Message("film.shots_failed", shots=", ".join(str(n) for n in missing))
            return await asyncio.to_thread(self._settle_failed, film, message)
        try:
            with self._scratch() as scratch:
                paths = [await asyncio.to_thread(self._local_copy, r, scratch) for r in shots]
                dest = scratch / "film.mp4"
                joined = await join_films(paths, dest, on_progress=self._progress(order.group_id))
                await make_poster(dest, poster_path(dest))
                saved = await asyncio.to_thread(self.recorder.save_video, film, dest)
        except JoinError as exc:
            return await asyncio.to_thread(self._settle_failed, film, exc.message)
        except OSError as exc:
            log.warning("film %s: saving failed: %s", order.group_id, exc)
            message = Message("rec.move_failed", reason=exc.strerror or str(exc))
            return await asyncio.to_thread(self._settle_failed, film, message)
        done = {
            **saved,
            "status": COMPLETED,
            "progress": 100.0,
            "finished_at": time.time(),
            "message": Message("rec.done"),
            "error": None,
            "request": {**film.request, "seconds": round(joined.seconds, 2)},
        }
        return await asyncio.to_thread(self._store, film, done)

    # --------------------------------------------------------------- parts

    def _progress(self, group_id: str) -> Callable[[float], None]:
        def publish(percent: float) -> None:
            self.following.publish(group_id, Joining(percent))

        return publish

    @contextlib.contextmanager
    def _scratch(self) -> Iterator[Path]:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="film-", dir=self.work_dir))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _local_copy(self, shot: TaskRecord, scratch: Path) -> Path:
        """The shot's saved video as a local file (a copy from the object store)."""
        if shot.video_key is None:
            if shot.video_path is None:
                raise OSError(f"shot {shot.group_position} has no saved video")
            return shot.video_path
        return copy_out(self.storage, shot.video_key, scratch / f"shot-{shot.group_position}.mp4")

    def _film_record(self, order: FilmOrder) -> TaskRecord:
        """The group's film record (a retried film's), or a new one (not stored yet)."""
        for record in self.store.group_records(order.group_id, order.owner):
            if record.group_kind == KIND_FILM:
                return record
        shots = order.request.get("shots") or []
        film = TaskRecord.new(
            owner=order.owner,
            provider=order.provider,
            model=order.model,
            request=order.request,
            estimate=order.estimate,
            group_id=order.group_id,
            group_kind=KIND_FILM,
            group_position=0,
            group_size=len(shots),
        )
        return replace(film, task_id=order.group_id)  # its "task": the group (none at the provider)

    def _store(self, film: TaskRecord, changes: dict[str, Any]) -> TaskRecord:
        if self.store.get(film.id) is None:
            self.store.insert(film)
        updated = self.store.update(film.id, **changes) or film
        self.following.record_changed(updated)
        return updated

    def _settle_failed(self, film: TaskRecord, message: str) -> TaskRecord:
        error = {"message": message, "suggestion": "", "reason": FailureReason.REFUSED.value}
        changes = {"status": FAILED, "message": message, "error": error, "finished_at": time.time()}
        return self._store(film, changes)
