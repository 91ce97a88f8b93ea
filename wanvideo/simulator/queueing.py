"""The provider's queue for the queue dialects (dashscope, fal): who runs, who waits, in what order.

A provider runs only so many of an account's tasks at once (DashScope: 5 per model [D3]; fal: 2
IN_PROGRESS for a new account [F7]); the others wait, first in, first out. Task times here are
fixed in advance: a task leaves the queue at `SimTask.starts_at` and runs for its share of
`task_seconds`, so `reschedule` works out every waiting task's start from the ones before it::

    reschedule(group_tasks, limit=2, now=time.time())   # at create, cancel and fail_task
    queue_position(record, group_tasks)                 # 0 = next in line; None once it runs

``limit=None`` runs everything at once; ``limit=0`` holds the queue (no task starts until the
limit is raised again: `Simulator.hold_queue` / `release_queue`), which makes "cancel while
queued" testable without racing the clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .state import PENDING_FRACTION, SimTask


def _ordered(tasks: Iterable[SimTask]) -> list[SimTask]:
    return sorted(tasks, key=lambda t: (t.created, t.id))


def _slot_end(task: SimTask) -> float:
    """When a started task gives its slot back: at its end, or earlier if it fails first."""
    return min(task.end_time, task.failure_due())


def _started(task: SimTask, now: float) -> bool:
    return not task.held and task.starts_at is not None and task.starts_at <= now


def reschedule(tasks: Iterable[SimTask], limit: int | None, now: float) -> None:
    """Set `starts_at`/`held` of every waiting task of one group (one account's queue)."""
    busy: list[float] = []  # slot ends of the tasks that run or will run before the next one
    last_start = -math.inf
    for task in _ordered(tasks):
        if task.cancelled_at is not None:
            continue
        if _started(task, now):
            busy.append(_slot_end(task))
            last_start = max(last_start, task.start_time)
            continue
        if task.failure is not None and not task.failure.at_start and task.failure_due() <= now:
            continue  # failed while waiting: it never takes a slot
        if limit == 0:
            task.held, task.starts_at = True, None
            continue
        earliest = max(task.created + task.task_seconds * PENDING_FRACTION, now, last_start)
        ends = sorted(end for end in busy if end > earliest)
        start = earliest if limit is None or len(ends) < limit else ends[len(ends) - limit]
        task.held, task.starts_at = False, start
        last_start = start
        busy.append(_slot_end(task))


def queue_position(record: SimTask, tasks: Iterable[SimTask]) -> int | None:
    """How many of the group's waiting tasks are ahead of `record` (None unless it waits)."""
    if record.status != "pending":
        return None
    ahead = 0
    for task in _ordered(tasks):
        if task.id == record.id:
            return ahead
        if task.status == "pending":
            ahead += 1
    return ahead
