"""Completion callbacks: the simulator calls the client back when a task ends.

    EvoLink (``string``/``integer``): `callback_url` of the create gets the task object, as the
        task query returns it, once the task is completed or failed; 2xx is delivered, anything
        else is retried 3 times, 1, 2 and 4 s after the failure; 10 s timeout [the spec's
        callback_url description].
    fal: the submit's ``?fal_webhook=<url>`` gets ``{request_id, gateway_request_id, status:
        "OK"|"ERROR", payload, error?}`` once the request is COMPLETED (cancelled ones too),
        with the X-Fal-Webhook-* headers; 10 tries within 2 h [F5] (`fal_rules`).
    DashScope has no per-request callback [A8].

Every address is called through `fetch.post_json`, so only where the simulator's
`allow_private_urls` setting allows (tests: 127.0.0.1 with ``allow_private_urls=True``).
Each attempt is recorded in `Stats.callbacks` as (task id, url, HTTP status or 0).

One `Notifier` per simulator runs in its own thread with its own event loop, from `start` to
`stop`; it looks at the tasks a few times a second, so a callback leaves within about 50 ms of
the task's end. A callback never changes a task: the client is expected to re-read it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .config import SimConfig
from .fetch import LinkRefused, post_json
from .state import SimState, SimTask

log = logging.getLogger(__name__)

FINAL = ("completed", "failed", "cancelled")
TICK = 0.05  # seconds between looks at the tasks


@dataclass(frozen=True)
class Delivery:
    """How one dialect calls back: what it sends, how long it waits, when it retries."""

    payload: Callable[[SimTask], tuple[bytes, dict[str, str]]]  # body, extra headers
    retry_delays: tuple[float, ...]  # after the 1st, 2nd, ... failed attempt
    timeout: float
    statuses: tuple[str, ...] = FINAL  # the task states that are called back


# EvoLink: "Up to 3 retries after failure (retries at 1/2/4 seconds after failure)", "Timeout:
# 10 seconds"; "Triggered when task is completed, failed, or cancelled" [spec callback_url].
EVOLINK_RETRY_DELAYS = (1.0, 2.0, 4.0)
EVOLINK_TIMEOUT = 10.0


class Notifier:
    """Sends the callbacks of one simulator's tasks (see the module docstring)."""

    def __init__(self, state: SimState, config: SimConfig, delivery: Delivery) -> None:
        self.state = state
        self.config = config
        self.delivery = delivery
        self._next: dict[str, float] = {}  # task id -> earliest time of its next attempt
        self._busy: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="sim-notifier", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.delivery.timeout + 5)
            self._thread = None

    def _run(self) -> None:
        # Not asyncio.run: closing the loop this way does not wait for a name lookup in flight.
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._loop())
        finally:
            loop.close()

    async def _loop(self) -> None:
        pending: set[asyncio.Task[None]] = set()
        while not self._stop.is_set():
            for record in self._due():
                self._busy.add(record.id)
                task = asyncio.create_task(self._attempt(record))
                pending.add(task)
                task.add_done_callback(pending.discard)
            await asyncio.sleep(TICK)
        for task in list(pending):
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _due(self) -> list[SimTask]:
        now = time.time()
        with self.state.lock:
            records = list(self.state.tasks.values())
        return [
            r
            for r in records
            if r.callback_url
            and not r.notified
            and r.id not in self._busy
            and self._next.get(r.id, 0.0) <= now
            and r.status in self.delivery.statuses
        ]

    async def _attempt(self, record: SimTask) -> None:
        url = record.callback_url
        assert url is not None
        try:
            body, headers = self.delivery.payload(record)
            try:
                status = await post_json(
                    url,
                    body,
                    headers=headers,
                    timeout=self.delivery.timeout,
                    allow_private=self.config.allow_private_urls,
                )
            except LinkRefused as exc:
                log.info("simulator: callback of %s not delivered: %s", record.id, exc.reason)
                status = 0
            self.state.stats.callbacks.append((record.id, url, status))
            record.notify_attempts += 1
            if 200 <= status < 300:
                record.notified = True
            elif record.notify_attempts > len(self.delivery.retry_delays):
                log.warning(
                    "simulator: callback of %s given up after %d tries", record.id, record.notify_attempts
                )
                record.notified = True
            else:
                self._next[record.id] = time.time() + self.delivery.retry_delays[record.notify_attempts - 1]
            self.state.save()
        except Exception:  # a broken callback never stops the others
            log.exception("simulator: callback of %s failed", record.id)
            record.notified = True
        finally:
            self._busy.discard(record.id)
