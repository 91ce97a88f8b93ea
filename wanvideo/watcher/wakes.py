"""A provider's wake-up reaches whichever replica the load balancer picks, often not the one
watching the task. `WakeRelay.wake` wakes the watch here when this replica runs it, else
publishes the wake through the store (PostgreSQL `NOTIFY`); every replica listens and wakes
its own watch. A store with no relay (SQLite: one machine) wakes only local watches, and the
polling goes on as the fallback everywhere."""

from __future__ import annotations

from collections.abc import Callable

from ..store import TaskStoreBase
from .runner import JobRunner


class WakeRelay:
    def __init__(
        self, store: TaskStoreBase, runner: JobRunner, call_soon: Callable[[Callable[[], object]], object]
    ) -> None:
        self.store = store
        self.runner = runner
        self.call_soon = call_soon  # onto the manager's loop, from the listener's thread
        self._stop_listening: Callable[[], None] | None = None

    def start(self) -> None:
        self._stop_listening = self.store.listen_wakes(self._heard)

    def stop(self) -> None:
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None

    def _heard(self, record_id: str) -> None:
        self.call_soon(lambda: self.runner.wake(record_id))

    def wake(self, record_id: str) -> None:
        """On the loop: the watch here, else every replica's (the one watching it wakes)."""
        if not self.runner.wake(record_id):
            self.store.publish_wake(record_id)
