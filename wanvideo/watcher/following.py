"""Following: a task's events and an owner's record changes, to followers on any event loop
(over `FanOut`). A follower first gets the latest known state from the store, then live
events; without live events (another worker watches the task) it reads the store again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from ..events import Completed, Event, Failed
from ..store import TaskRecord
from ..task_status import NEEDS_KEY
from .fanout import FanOut
from .recorder import snapshot_event

OwnedGet = Callable[[str, str], "TaskRecord | None"]  # (record id, owner) -> the owner's record


class Following:
    def __init__(self, get: OwnedGet) -> None:
        self.get = get
        self.events = FanOut()  # record id -> Event
        self.changes = FanOut()  # owner -> TaskRecord

    def publish(self, record_id: str, event: Event) -> None:
        self.events.publish(record_id, event)

    def record_changed(self, record: TaskRecord) -> None:
        self.changes.publish(record.owner, record)

    async def follow(self, record_id: str, owner: str, *, refresh: float = 5.0) -> AsyncIterator[Event]:
        """Events of one task: its latest known state first, then live events; ends after
        Completed or Failed. Yields nothing for another owner's task."""
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
        """Every change to any of the owner's records; `None` every `heartbeat` seconds
        without a change. Runs until closed."""
        if not owner:
            return
        with self.changes.following(owner) as queue:
            while True:
                try:
                    yield await asyncio.wait_for(queue.get(), timeout=heartbeat)
                except asyncio.TimeoutError:
                    yield None
