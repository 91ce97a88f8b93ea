"""What the queue dialects (dashscope, fal) share: their tasks, the account queue, rendering.

    class DashScopeAPI(QueueDialect):
        name = "dashscope"
        def group_key(self, record): return (record.owner, record.extra["model"])

    self.add_task(record)        # stored, queued behind the account's other tasks, rendered
    self.cancel(record)          # leaves the queue; the ones behind move up
    self.position(record)        # 0 = next in line, None once it runs

A dialect's limit of tasks running at once is `SimConfig.concurrency` (`Simulator.concurrency`).
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from concurrent.futures import ThreadPoolExecutor

from starlette.responses import Response
from starlette.routing import Route

from .config import SimConfig
from .faults import Fault
from .queueing import queue_position, reschedule
from .state import ScheduledFailure, SimState, SimTask
from .tasks_api import render_task
from .tasks_api import resume_renders as _resume_renders


class QueueDialect:
    """Base of the dashscope and fal handlers."""

    name = ""

    def __init__(self, state: SimState, config: SimConfig, renderer: ThreadPoolExecutor) -> None:
        self.state = state
        self.config = config
        self.renderer = renderer

    # ---------------------------------------------------------------- what each dialect gives

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def route_of(self, method: str, path: str) -> str:
        """The fault/stat route name of a request (see `faults.ROUTES`)."""
        raise NotImplementedError

    def fault_response(self, route: str, fault: Fault, path: str, headers: dict[str, str]) -> Response:
        """The answer of an error-kind fault, in the dialect's own shape."""
        raise NotImplementedError

    # ---------------------------------------------------------------- the account queue

    def group_key(self, record: SimTask) -> Hashable:
        """Tasks that share one concurrency limit (default: one account)."""
        return record.owner

    def group(self, record: SimTask) -> list[SimTask]:
        key = self.group_key(record)
        return [t for t in self.state.tasks.values() if t.dialect == self.name and self.group_key(t) == key]

    def reschedule(self, record: SimTask | None = None) -> None:
        """Work out the start of every waiting task (of `record`'s group, or of all groups)."""
        with self.state.lock:
            now = time.time()
            if record is not None:
                reschedule(self.group(record), self.config.concurrency, now)
                return
            groups: dict[Hashable, list[SimTask]] = {}
            for task in self.state.tasks.values():
                if task.dialect == self.name:
                    groups.setdefault(self.group_key(task), []).append(task)
            for tasks in groups.values():
                reschedule(tasks, self.config.concurrency, now)

    def position(self, record: SimTask) -> int | None:
        with self.state.lock:
            return queue_position(record, self.group(record))

    # ---------------------------------------------------------------- tasks

    def take_failure(self) -> ScheduledFailure | None:
        """The failure a test scheduled for the next task (`Simulator.fail_next_task`)."""
        with self.state.lock:
            return self.state.pending_failures.pop(0) if self.state.pending_failures else None

    def add_task(self, record: SimTask) -> None:
        """Store a new task, queue it behind its group and start its render."""
        if record.failure is not None:
            record.render_done = True  # it will fail: nothing to render
        with self.state.lock:
            self.state.tasks[record.id] = record
            self.state.stats.tasks_created += 1
            reschedule(self.group(record), self.config.concurrency, time.time())
        self.state.save()
        if not record.render_done:
            self.renderer.submit(render_task, self.state, record)

    def cancel(self, record: SimTask) -> None:
        """Take a waiting task out of the queue; the ones behind it move up."""
        with self.state.lock:
            record.cancelled_at = time.time()
            reschedule(self.group(record), self.config.concurrency, time.time())
        self.state.save()

    def resume_renders(self) -> None:
        _resume_renders(self.state, self.renderer)
