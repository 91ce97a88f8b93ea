"""An asyncio event loop in a daemon thread: where the background jobs run.

loop = LoopThread("wan-task-manager").start()
loop.run(coro, timeout=60)        # run a coroutine there, wait for its result
loop.call_soon(fn)                # schedule a plain call there (thread-safe)
loop.stop(shutdown_coro)          # await a last coroutine there, then end the thread
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["LoopThread"]


class LoopThread:
    def __init__(self, name: str) -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError(f"{self.name} is not started")
        return self._loop

    def start(self) -> LoopThread:
        """Start the thread (a second call does nothing) and wait until its loop runs."""
        with self._lock:
            if self.running:
                return self
            self._ready.clear()
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        self._ready.wait(10)
        return self

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the loop from another thread and return its result."""
        if self.in_loop_thread():
            coro.close()
            raise RuntimeError(f"{self.name}: run() from its own thread would wait forever")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call_soon(self, fn: Callable[[], Any]) -> None:
        self.loop.call_soon_threadsafe(fn)

    def in_loop_thread(self) -> bool:
        return self._thread is threading.current_thread()

    def stop(self, shutdown: Coroutine[Any, Any, Any] | None = None, timeout: float = 10.0) -> None:
        """Await `shutdown` on the loop (bounded by `timeout`), then stop and join the thread."""
        with self._lock:
            loop, thread = self._loop, self._thread
            if loop is None or thread is None:
                if shutdown is not None:
                    shutdown.close()
                return
            self._thread = None
        if shutdown is not None:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(shutdown, loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        with self._lock:
            self._loop = None

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
