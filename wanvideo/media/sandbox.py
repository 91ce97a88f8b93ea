"""A small pool of warm worker processes for untrusted media work.

    sandbox = default_sandbox()
    result = await sandbox.run("wanvideo.media.local:probe_file", path, name, timeout=10)
    # raises SandboxError(reason=SandboxFailure.TIMED_OUT | CRASHED | OUT_OF_MEMORY | FAILED)

Why: PyAV parses whatever a visitor uploads; a crafted file can make FFmpeg allocate
gigabytes or spin. Here each job runs in a worker process with:

- a memory cap (`RLIMIT_AS`, `memory_mb`), so an allocation fails in the worker;
- a wall-clock deadline per job: past it the parent kills the worker and starts a new one;
- bounded concurrency: `workers` processes, one job each at a time; more jobs queue.

Workers stay warm (started once, PyAV imported), so a sandboxed probe costs a pipe round
trip, not a process start; a killed worker is replaced on its slot's next job.

Async callers on any event loop (Gradio's, the task manager's) await `run`: the waiting
is done by the pool's own threads (one per worker, never asyncio's default executor) and
handed back with `asyncio.wrap_future`. Sync callers use `run_blocking`. Jobs may send
progress (`progress.report(payload)`), delivered to `on_report` (in a pool thread): the seam
for long transcodes with progress.

Cancelling `run` (or setting the `cancel` event given to `submit`) stops the job: a queued
one never starts; a running one's worker is killed (and replaced), so a long transcode
the person stopped costs no more CPU. The job then fails with `SandboxFailure.CANCELLED`.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import itertools
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ..error_base import WanError
from .result import SandboxFailure

logger = logging.getLogger(__name__)

DEFAULT_WORKERS = 2
DEFAULT_MEMORY_MB = 512
PING = "wanvideo.media.worker:ping"
CANCEL_POLL = 0.1  # seconds between looks at a job's cancel event while it runs
START_SECONDS = 30.0  # a fresh worker must be ready within this (imports on a busy machine)


class _DiedIdle(Exception):
    """The worker was dead before it took the job (its "start" never came)."""


class SandboxError(WanError):
    """A sandboxed job failed; `reason` is typed, `detail` for logs (not for visitors)."""

    def __init__(self, reason: SandboxFailure, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection
    ready: bool = False

    def alive(self) -> bool:
        return self.process.poll() is None


_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding `wanvideo/`


class Sandbox:
    def __init__(self, workers: int = DEFAULT_WORKERS, memory_mb: int = DEFAULT_MEMORY_MB) -> None:
        self.size = workers
        self.memory_bytes = memory_mb * 1024 * 1024
        self._idle: queue.Queue[_Worker | None] = queue.Queue()
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="wan-sandbox")
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._all: list[_Worker] = []
        self._closed = False
        self.restarts = 0  # workers replaced after a kill or a crash (for tests and logs)
        for _ in range(workers):
            self._idle.put(None)  # started on first use

    # ----------------------------------------------------------------- workers

    def _start(self) -> _Worker:
        """A new worker: a plain interpreter (not a fork of the app, not a re-import of its
        main script) that imports PyAV, caps its memory and says "ready"."""
        parent, child = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        env["MALLOC_ARENA_MAX"] = "2"  # each malloc arena reserves 64 MB of address space
        command = [
            sys.executable,
            "-c",
            "import sys; from wanvideo.media.worker import serve; serve(int(sys.argv[1]), int(sys.argv[2]))",
            str(child.fileno()),
            str(self.memory_bytes),
        ]
        process = subprocess.Popen(
            command, pass_fds=(child.fileno(),), env=env, stdin=subprocess.DEVNULL, close_fds=True
        )
        child.close()
        handle = _Worker(process, Connection(parent.detach()))
        with self._lock:
            self._all.append(handle)
        return handle

    def _stop(self, handle: _Worker) -> None:
        with self._lock:
            if handle in self._all:
                self._all.remove(handle)
        if handle.alive():
            handle.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            handle.process.wait(timeout=5)
        handle.conn.close()

    def _wait_ready(self, handle: _Worker) -> None:
        if handle.ready:
            return
        if not handle.conn.poll(START_SECONDS):
            raise SandboxError(SandboxFailure.CRASHED, "the worker did not start")
        try:
            message = handle.conn.recv()
        except (EOFError, OSError):
            raise _DiedIdle() from None  # died while starting; one fresh try
        if message != ("ready",):
            raise SandboxError(SandboxFailure.CRASHED, "the worker did not start")
        handle.ready = True

    def warm_up(self) -> None:
        """Start every worker now (otherwise each starts on its first job)."""
        for _ in range(self.size):  # idle slots are taken in turn (FIFO): one ping each
            self.run_blocking(PING, timeout=START_SECONDS)

    # ----------------------------------------------------------------- jobs

    def _run_blocking(
        self,
        name: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        timeout: float,
        on_report: Callable[[Any], None] | None,
        cancel: threading.Event | None = None,
    ) -> Any:
        """Run one job on an idle worker (called in a pool thread: one per worker)."""
        if self._closed:
            raise SandboxError(SandboxFailure.CRASHED, "the sandbox is closed")
        if cancel is not None and cancel.is_set():
            raise SandboxError(SandboxFailure.CANCELLED, "stopped before it started")
        handle = self._idle.get()
        deadline = time.monotonic() + timeout
        try:
            for _ in range(2):  # a second try only when the worker was dead before the job
                if handle is not None and not handle.alive():
                    self._replace(handle)  # died while idle
                    handle = None
                if handle is None:
                    handle = self._start()
                try:
                    return self._run_on(handle, name, args, kwargs, deadline, timeout, on_report, cancel)
                except _DiedIdle:
                    self._replace(handle)  # killed while idle (e.g. by the system): not this job
                    handle = None
            raise SandboxError(SandboxFailure.CRASHED, "no worker could take the job")
        except SandboxError as exc:
            if exc.reason is not SandboxFailure.FAILED and handle is not None:
                self._replace(handle)  # killed past its deadline, dead, or its heap a wreck
                handle = None
            raise
        except Exception as exc:  # a pickling error, a protocol slip: the worker is suspect
            if handle is not None:
                self._replace(handle)
                handle = None
            raise SandboxError(SandboxFailure.CRASHED, f"{type(exc).__name__}: {exc}") from None
        finally:
            self._idle.put(handle)

    def _run_on(
        self,
        handle: _Worker,
        name: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        deadline: float,
        timeout: float,
        on_report: Callable[[Any], None] | None,
        cancel: threading.Event | None = None,
    ) -> Any:
        """One job on one live worker. The worker acknowledges a job ("start") before
        running it, so a worker found dead before that is known not to be this job's doing."""
        self._wait_ready(handle)
        job_id = next(self._ids)
        try:
            handle.conn.send((job_id, name, args, kwargs))
        except OSError:
            raise _DiedIdle() from None
        started = False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SandboxError(SandboxFailure.TIMED_OUT, f"no result within {timeout:g} s")
            if cancel is not None and cancel.is_set():
                raise SandboxError(SandboxFailure.CANCELLED, "stopped by the caller")
            if not handle.conn.poll(left if cancel is None else min(left, CANCEL_POLL)):
                continue
            try:
                message = handle.conn.recv()
            except (EOFError, OSError):
                if not started:
                    raise _DiedIdle() from None
                code = handle.process.poll()
                raise SandboxError(SandboxFailure.CRASHED, f"the worker died (exit code {code})") from None
            kind = message[0]
            if kind == "start":
                started = True
            elif kind == "report":
                if on_report is not None:
                    on_report(message[2])
            elif kind == "ok":
                return message[2]
            else:
                _, _, error_kind, text = message
                if error_kind == "memory":
                    raise SandboxError(SandboxFailure.OUT_OF_MEMORY, text)
                raise SandboxError(SandboxFailure.FAILED, text)

    def _replace(self, handle: _Worker) -> None:
        """Kill a worker; the next job on this slot starts a fresh one."""
        self._stop(handle)
        self.restarts += 1
        logger.warning("media worker %s replaced", handle.process.pid)

    def submit(
        self,
        name: str,
        *args: Any,
        timeout: float,
        on_report: Callable[[Any], None] | None = None,
        cancel: threading.Event | None = None,
        **kwargs: Any,
    ) -> Future[Any]:
        """Queue a job; the future holds its value or a SandboxError. Setting `cancel`
        stops it (queued or running)."""
        return self._threads.submit(self._run_blocking, name, args, kwargs, timeout, on_report, cancel)

    async def run(
        self,
        name: str,
        *args: Any,
        timeout: float,
        on_report: Callable[[Any], None] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run `name(*args, **kwargs)` in a worker; awaitable from any event loop.
        Cancelling the await stops the job (its worker is killed when it is running)."""
        cancel = threading.Event()
        future = self.submit(name, *args, timeout=timeout, on_report=on_report, cancel=cancel, **kwargs)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            cancel.set()
            raise

    def run_blocking(self, name: str, *args: Any, timeout: float, **kwargs: Any) -> Any:
        return self.submit(name, *args, timeout=timeout, **kwargs).result()

    def worker_pids(self) -> list[int]:
        with self._lock:
            return [h.process.pid for h in self._all if h.process.pid is not None]

    def close(self) -> None:
        self._closed = True
        with self._lock:
            handles = list(self._all)
        for handle in handles:
            self._stop(handle)
        self._threads.shutdown(wait=False, cancel_futures=True)


_default: Sandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> Sandbox:
    """The process-wide media sandbox, started on first use and closed at exit."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Sandbox()
            atexit.register(_default.close)
        return _default
