"""The sandboxed worker process: runs media jobs for `wanvideo.media.sandbox.Sandbox`.

Runs in its own process with an address-space cap (`RLIMIT_AS`), so a crafted file that
makes FFmpeg allocate gigabytes fails an allocation here, never in the app. Jobs are named
functions (`"wanvideo.media.local:probe_file"`), called with picklable arguments; only the
names in `JOBS` run (imported explicitly, before the memory cap). A job may call
`progress.report(payload)` to send progress to the parent before it returns (issue 9's clip
preparation reports transcoding progress this way).

Protocol on the duplex pipe, one message each (pickled tuples):
    parent -> worker: (job_id, "module:function", args, kwargs)
    worker -> parent: ("ready",) once, then per job: ("start", job_id),
                      ("report", job_id, payload)*, then ("ok", job_id, value) or
                      ("error", job_id, kind, text)
"""

from __future__ import annotations

import os
import resource
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from ..fsutil import PRIVATE_UMASK
from . import progress

PING = "wanvideo.media.worker:ping"


def ping() -> bool:
    """A no-op job: proves a worker is up and warm."""
    return True


def jobs() -> dict[str, Callable[..., Any]]:
    """Every job a worker runs, by the name the parent sends. The imports are explicit (no
    module is loaded by name) and happen in the worker before its memory cap; the parent,
    which only names jobs, never loads PyAV's job modules for this."""
    from . import blocks, local, pictures, poster, sound, splice, transcode

    return {
        PING: ping,
        "wanvideo.media.local:probe_file": local.probe_file,
        "wanvideo.media.local:read_streams": local.read_streams,
        "wanvideo.media.local:video_duration": local.video_duration,
        "wanvideo.media.blocks:probe_blocks": blocks.probe_blocks,
        "wanvideo.media.poster:extract_poster": poster.extract_poster,
        "wanvideo.media.transcode:prepare_clip": transcode.prepare_clip,
        "wanvideo.media.pictures:read_image": pictures.read_image,
        "wanvideo.media.pictures:read_image_head": pictures.read_image_head,
        "wanvideo.media.pictures:fix_image": pictures.fix_image,
        "wanvideo.media.sound:read_voice": sound.read_voice,
        "wanvideo.media.sound:convert_voice": sound.convert_voice,
        "wanvideo.media.splice:read_shots": splice.read_shots,
        "wanvideo.media.splice:join_shots": splice.join_shots,
    }


def _resolve(table: dict[str, Callable[..., Any]], name: str) -> Callable[..., Any]:
    if name not in table:
        raise ValueError(f"not a media job: {name}")
    return table[name]


def _limit_memory(memory_bytes: int) -> None:
    """Cap the address space (the parent also sets MALLOC_ARENA_MAX=2: every malloc arena
    reserves 64 MB of it, and FFmpeg threads would each get one)."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def serve(fd: int, memory_bytes: int) -> None:
    """Worker entry point: warm up (imports), cap memory, then serve jobs until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
    os.umask(PRIVATE_UMASK)  # what it writes (fixed clips, posters) is private, however it started
    table = jobs()  # PyAV and the job modules load before the cap
    _limit_memory(memory_bytes)
    conn = Connection(fd)
    progress.attach(conn)
    conn.send(("ready",))
    while True:
        try:
            job_id, name, args, kwargs = conn.recv()
        except (EOFError, OSError):
            return
        progress.running(job_id)
        conn.send(("start", job_id))
        try:
            value = _resolve(table, name)(*args, **kwargs)
            conn.send(("ok", job_id, value))
        except MemoryError:
            conn.send(("error", job_id, "memory", "the job needed more memory than allowed"))
        except Exception as exc:  # any job failure is reported, the worker lives on
            conn.send(("error", job_id, "failed", f"{type(exc).__name__}: {exc}"))
        finally:
            progress.running(None)
