"""The sandboxed worker process: runs media jobs for `wanvideo.media.sandbox.Sandbox`.

Runs in its own process with an address-space cap (`RLIMIT_AS`), so a crafted file that
makes FFmpeg allocate gigabytes fails an allocation here, never in the app. Jobs are named
functions (`"wanvideo.media.local:probe_file"`), called with picklable arguments; a job
may call `report(payload)` to send progress to the parent before it returns (issue 9's
clip preparation reports transcoding progress this way).

Protocol on the duplex pipe, one message each (pickled tuples):
    parent -> worker: (job_id, "module:function", args, kwargs)
    worker -> parent: ("ready",) once, then per job: ("start", job_id),
                      ("report", job_id, payload)*, then ("ok", job_id, value) or
                      ("error", job_id, kind, text)
"""

from __future__ import annotations

import importlib
import os
import resource
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from ..fsutil import PRIVATE_UMASK

JOB_PREFIX = "wanvideo."  # only the app's own functions run here
PRELOAD = ("av", "wanvideo.media.local", "wanvideo.media.blocks")  # imported before the memory cap

_conn: Connection | None = None
_job_id: int | None = None


def report(payload: Any) -> None:
    """Send progress for the running job to the parent (no-op outside a worker)."""
    if _conn is not None and _job_id is not None:
        _conn.send(("report", _job_id, payload))


def _resolve(name: str) -> Callable[..., Any]:
    module, _, func = name.partition(":")
    if not module.startswith(JOB_PREFIX) or not func:
        raise ValueError(f"not a media job: {name}")
    return getattr(importlib.import_module(module), func)


def _limit_memory(memory_bytes: int) -> None:
    """Cap the address space (the parent also sets MALLOC_ARENA_MAX=2: every malloc arena
    reserves 64 MB of it, and FFmpeg threads would each get one)."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def ping() -> bool:
    """A no-op job: proves a worker is up and warm."""
    return True


def serve(fd: int, memory_bytes: int) -> None:
    """Worker entry point: warm up (imports), cap memory, then serve jobs until EOF."""
    global _conn, _job_id
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
    os.umask(PRIVATE_UMASK)  # what it writes (fixed clips, posters) is private, however it started
    for module in PRELOAD:
        importlib.import_module(module)
    _limit_memory(memory_bytes)
    conn = _conn = Connection(fd)
    conn.send(("ready",))
    while True:
        try:
            job_id, name, args, kwargs = conn.recv()
        except (EOFError, OSError):
            return
        _job_id = job_id
        conn.send(("start", job_id))
        try:
            value = _resolve(name)(*args, **kwargs)
            conn.send(("ok", job_id, value))
        except MemoryError:
            conn.send(("error", job_id, "memory", "the job needed more memory than allowed"))
        except Exception as exc:  # any job failure is reported, the worker lives on
            conn.send(("error", job_id, "failed", f"{type(exc).__name__}: {exc}"))
        finally:
            _job_id = None
