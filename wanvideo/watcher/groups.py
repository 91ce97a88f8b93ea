"""A batch's records (issue 20: variations, a film's shots) as one: its current members (a
retried position's latest record), the kept variation, and its members' events merged."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Sequence

from ..batch import KIND_FILM
from ..events import Event
from ..store import TaskRecord, TaskStoreBase
from ..task_status import COMPLETED

__all__ = ["current_at", "current_members", "follow_all", "keep_member"]


def current_members(records: Iterable[TaskRecord]) -> list[TaskRecord]:
    """The latest record of each position (records in submission order), by position; a
    film's own record (`KIND_FILM`) is not a member."""
    latest: dict[int, TaskRecord] = {}
    for record in records:
        if record.group_kind != KIND_FILM:
            latest[record.group_position or 0] = record
    return [latest[position] for position in sorted(latest)]


def current_at(records: Iterable[TaskRecord], position: int | None) -> TaskRecord | None:
    """The latest record at `position` of a batch (records in submission order)."""
    found = None
    for record in records:
        if record.group_position == position:
            found = record
    return found


def keep_member(
    store: TaskStoreBase, record: TaskRecord | None, changed: Callable[[TaskRecord], None]
) -> TaskRecord | None:
    """Mark `record` (an owner's completed batch member) kept, and its siblings not; the kept
    record, or None when it is not a completed member of a batch."""
    if record is None or record.group_id is None or record.status != COMPLETED:
        return None
    for sibling in store.group_records(record.group_id, record.owner):
        if sibling.kept and sibling.id != record.id:
            updated = store.update(sibling.id, kept=False)
            if updated is not None:
                changed(updated)
    kept = store.update(record.id, kept=True)
    if kept is not None:
        changed(kept)
    return kept


async def follow_all(
    record_ids: Sequence[str], follow: Callable[[str], AsyncIterator[Event]]
) -> AsyncIterator[tuple[str, Event]]:
    """(record id, event) from each record's `follow`, merged as they come; ends when every
    follow has ended (each ends with its Completed or Failed). Closing it stops them all."""
    queue: asyncio.Queue[tuple[str, Event | None]] = asyncio.Queue()

    async def pump(record_id: str) -> None:
        try:
            async for event in follow(record_id):
                queue.put_nowait((record_id, event))
        finally:
            queue.put_nowait((record_id, None))

    pumps = [asyncio.ensure_future(pump(record_id)) for record_id in record_ids]
    try:
        left = len(pumps)
        while left:
            record_id, event = await queue.get()
            if event is None:
                left -= 1
            else:
                yield record_id, event
        for done in pumps:
            done.result()  # a follow that raised raises here
    finally:
        for running in pumps:
            running.cancel()
        for running in pumps:
            with contextlib.suppress(BaseException):
                await running
