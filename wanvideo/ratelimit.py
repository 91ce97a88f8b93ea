"""How much probing one visitor may ask for: at most `at_once` estimates run, `waiting` more
wait their turn, and at most `per_minute` start in any `window` seconds (`wanvideo.limits`).

    limiter = VisitorLimiter()                  # the limits in wanvideo/limits.py
    try:
        async with limiter.admit(visitor):      # "hf:<user>" | "ip:<address>"
            probed = await check_references(...)
    except LimitRefused as refused:
        refused.message                         # a catalogue Message: wait and try again
        refused.retry_after                     # seconds

A waiting call holds no slot and no thread: it waits on a future that a finishing call hands
its slot to (first come, first served); a call cancelled while waiting leaves the queue, and one
cancelled just as it was handed a slot passes it on. Safe from any thread and any event loop
(one lock; slots are handed over with `call_soon_threadsafe`). Refused calls do not count
towards the minute, so a person who waits as asked is served.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from .error_base import WanError
from .limits import ESTIMATE_WAIT_SECONDS, ESTIMATES_AT_ONCE, ESTIMATES_PER_MINUTE, ESTIMATES_WAITING
from .messages import Message

__all__ = ["BUSY", "PER_MINUTE", "LimitRefused", "VisitorLimiter"]

BUSY = "busy"  # at_once running and the waiting line full (or the wait too long)
PER_MINUTE = "per_minute"  # per_minute started within the window
BUSY_RETRY_SECONDS = 5  # what a refusal for "too many at once" asks the visitor to wait
SWEEP_EVERY = 256  # forget idle visitors after this many admissions


class LimitRefused(WanError):
    """The visitor asked for more than the limits allow; `message` says to wait and try again."""

    def __init__(self, reason: str, retry_after: float, limit: int) -> None:
        self.reason = reason
        self.retry_after = max(1, math.ceil(retry_after))
        self.limit = limit
        if reason == PER_MINUTE:
            message = Message("limit.per_minute", max=limit, seconds=self.retry_after)
        else:
            message = Message("limit.busy", max=limit, seconds=self.retry_after)
        super().__init__(message)


@dataclass
class _Visitor:
    active: int = 0
    waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = field(default_factory=deque)
    starts: deque[float] = field(default_factory=deque)  # admission times within the window

    def idle(self) -> bool:
        return not self.active and not self.waiters and not self.starts


class VisitorLimiter:
    """Per-visitor admission (see the module docstring)."""

    def __init__(
        self,
        at_once: int = ESTIMATES_AT_ONCE,
        waiting: int = ESTIMATES_WAITING,
        per_minute: int = ESTIMATES_PER_MINUTE,
        *,
        window: float = 60.0,
        wait_seconds: float = ESTIMATE_WAIT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if at_once < 1 or waiting < 0 or per_minute < 1:
            raise ValueError("at_once and per_minute must be at least 1, waiting at least 0")
        self.at_once, self.waiting, self.per_minute = at_once, waiting, per_minute
        self.window, self.wait_seconds, self.clock = window, wait_seconds, clock
        self._lock = threading.Lock()
        self._visitors: dict[str, _Visitor] = {}
        self._admitted = 0

    # ---------------------------------------------------------------- the pure core (under the lock)

    def _enter(self, visitor: str, loop: asyncio.AbstractEventLoop | None) -> asyncio.Future[None] | None:
        """Admit now (None), queue (the future a slot is handed to) or raise LimitRefused."""
        now = self.clock()
        with self._lock:
            state = self._visitors.setdefault(visitor, _Visitor())
            while state.starts and state.starts[0] <= now - self.window:
                state.starts.popleft()
            if len(state.starts) >= self.per_minute:
                raise LimitRefused(PER_MINUTE, state.starts[0] + self.window - now, self.per_minute)
            if state.active < self.at_once and not state.waiters:
                state.active += 1
                state.starts.append(now)
                self._count()
                return None
            if loop is None or len(state.waiters) >= self.waiting:
                raise LimitRefused(BUSY, BUSY_RETRY_SECONDS, self.at_once)
            future: asyncio.Future[None] = loop.create_future()
            state.waiters.append((loop, future))
            state.starts.append(now)
            self._count()
            return future

    def _release(self, visitor: str) -> None:
        """A slot is free: hand it to the first live waiter, else give it back."""
        with self._lock:
            state = self._visitors.get(visitor)
            if state is None:
                return
            while state.waiters:
                loop, future = state.waiters.popleft()
                if not loop.is_closed():
                    loop.call_soon_threadsafe(_grant, future)
                    return
            state.active -= 1

    def _count(self) -> None:
        self._admitted += 1
        if self._admitted % SWEEP_EVERY == 0:
            now = self.clock()
            for name in list(self._visitors):
                state = self._visitors[name]
                while state.starts and state.starts[0] <= now - self.window:
                    state.starts.popleft()
                if state.idle():
                    del self._visitors[name]

    # ---------------------------------------------------------------- the callers' side

    def try_admit(self, visitor: str) -> None:
        """Take a slot now or raise LimitRefused (no waiting); `release` it when done."""
        self._enter(visitor, None)

    def release(self, visitor: str) -> None:
        self._release(visitor)

    @asynccontextmanager
    async def admit(self, visitor: str) -> AsyncIterator[None]:
        """Hold one of the visitor's slots for the block; wait in line for one when they are
        taken and the line is short; raise LimitRefused otherwise."""
        future = self._enter(visitor, asyncio.get_running_loop())
        if future is not None:
            try:
                await asyncio.wait_for(future, self.wait_seconds)
            except (asyncio.TimeoutError, asyncio.CancelledError) as exc:
                with self._lock:
                    state = self._visitors.get(visitor)
                    queued = state is not None and any(f is future for _, f in state.waiters)
                    if queued:
                        assert state is not None
                        state.waiters = deque((lp, f) for lp, f in state.waiters if f is not future)
                if not queued:  # handed a slot as the wait ended: pass it on
                    self._release(visitor)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                raise LimitRefused(BUSY, BUSY_RETRY_SECONDS, self.at_once) from None
        try:
            yield
        finally:
            self._release(visitor)

    def running(self, visitor: str) -> int:
        """How many of the visitor's calls hold a slot now (for tests and logs)."""
        with self._lock:
            state = self._visitors.get(visitor)
            return state.active if state else 0


def _grant(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
