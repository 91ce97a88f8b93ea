"""The newest look wins: the cost panel is refreshed by several events (each field's change, a
provider pick, Remix), each its own Gradio event, so two refreshes of one tab can run at once
and a slow older one (probing links on the old provider) could finish last and show stale
figures. Each refresh takes a ticket for its tab; only the holder of the tab's newest ticket
may write to the panel.

    newest = Newest()
    async for update in newest.only_newest(session, updates, unchanged):
        yield update                      # `updates` while this refresh is the tab's newest
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import AsyncIterator
from typing import Any


class Newest:
    def __init__(self) -> None:
        self._tickets = itertools.count(1)
        self._current: dict[str, int] = {}  # session -> its newest ticket
        self._lock = threading.Lock()

    def begin(self, session: str) -> int:
        with self._lock:
            ticket = next(self._tickets)
            self._current[session] = ticket
            return ticket

    def is_current(self, session: str, ticket: int) -> bool:
        with self._lock:
            return self._current.get(session) == ticket

    def end(self, session: str, ticket: int) -> None:
        with self._lock:
            if self._current.get(session) == ticket:
                del self._current[session]

    async def only_newest(
        self, session: str, updates: AsyncIterator[Any], unchanged: Any
    ) -> AsyncIterator[Any]:
        """`updates` while they are the tab's newest refresh. A superseded one ends with
        `unchanged` (an update that changes nothing): Gradio ends a generator by sending its
        last update again, and one that yielded nothing by emptying every output, either of
        which would land over the newer refresh's panel."""
        ticket = self.begin(session)
        try:
            async for update in updates:
                if not self.is_current(session, ticket):
                    yield unchanged
                    return
                yield update
        finally:
            self.end(session, ticket)
