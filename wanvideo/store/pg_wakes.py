"""Wake-ups across replicas on PostgreSQL: `publish` sends `NOTIFY wan_wake, '<record id>'`;
a `WakeListener` keeps one connection of its own (outside the pool) on `LISTEN wan_wake` in a
daemon thread and hands each record id to its callback. A lost connection is opened again
after `RECONNECT_DELAY` s; wakes sent meanwhile are missed, and polling covers them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg

log = logging.getLogger("wanvideo.store")

CHANNEL = "wan_wake"
RECONNECT_DELAY = 1.0
WAIT = 0.5  # seconds between looks at the stop flag


class WakeListener:
    def __init__(self, url: str, heard: Callable[[str], None]) -> None:
        self.url = url
        self.heard = heard
        self._stopped = threading.Event()
        self._listening = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wan-wake-listener", daemon=True)

    def start(self, timeout: float = 10.0) -> WakeListener:
        """Start, and wait (up to `timeout`) until it listens: a wake published after this
        returns reaches it."""
        self._thread.start()
        self._listening.wait(timeout)
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(WAIT * 4)

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    while not self._stopped.is_set():
                        for note in conn.notifies(timeout=WAIT):
                            self._deliver(note.payload)
            except psycopg.Error as exc:
                log.warning(
                    "wake listener lost its database connection (%s); reconnecting", type(exc).__name__
                )
                self._stopped.wait(RECONNECT_DELAY)

    def _deliver(self, record_id: str) -> None:
        try:
            self.heard(record_id)
        except Exception:
            log.exception("a wake-up could not be delivered")


def publish(conn: object, record_id: str) -> None:
    """Send the wake on `conn` (a `Session` or `Bound` of `postgres.py`)."""
    conn.execute("SELECT pg_notify(?, ?)", (CHANNEL, record_id))  # type: ignore[attr-defined]
