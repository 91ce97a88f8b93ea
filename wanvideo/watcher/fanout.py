"""Fan-out: deliver a task's events (and an owner's record changes) to followers that run on
other event loops (each browser request has its own), without blocking the watcher's loop.

    with fanout.following(record_id) as queue:      # in the follower's loop
        event = await queue.get()
    fanout.publish(record_id, event)                # from the watcher's loop
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

__all__ = ["FanOut"]

_Entry = tuple[asyncio.AbstractEventLoop, asyncio.Queue]


class FanOut:
    """Followers keyed by a string (a record id, or an owner). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._followers: dict[str, set[_Entry]] = defaultdict(set)

    @contextlib.contextmanager
    def following(self, key: str) -> Iterator[asyncio.Queue]:
        """A queue in the running loop that receives everything published under `key`."""
        entry: _Entry = (asyncio.get_running_loop(), asyncio.Queue())
        with self._lock:
            self._followers[key].add(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                self._followers[key].discard(entry)
                if not self._followers[key]:
                    del self._followers[key]

    def publish(self, key: str, item: Any) -> None:
        with self._lock:
            entries = set(self._followers.get(key, ()))
        for loop, queue in entries:
            with contextlib.suppress(RuntimeError):  # that loop is closed: the follower is gone
                loop.call_soon_threadsafe(queue.put_nowait, item)
