"""Prepared clips: the transcoding run in the sandbox, cached by content, start and settings.

    clips = PreparedClips(root)            # the app roots it in Gradio's cache (served, cleaned)
    clip = await clips.prepare(path, plan, on_progress=lambda percent: ...)   # PreparedClip
    clip = await clips.prepare_link(url, plan, settings, on_progress=...)    # downloaded first
    clips.files                             # every file made: Gradio's delete_cache cleans them
    clips.discard(paths)                    # "Delete local copy" of a generation

- Key: the source's SHA-256, plus the plan's `TranscodeJob.key()` (start, window, size,
  bitrate cap, encoder settings, transcoder version). The estimate's preparation is found
  again by Generate; a changed start or setting makes a new clip.
- One preparation per key at a time, whoever asks (the cost panel, Generate, the task
  runner, on any event loop): later callers wait for the same work. It is stopped (its
  worker killed) when the last caller stops waiting, e.g. on Stop.
- The work runs in its own sandbox (`prepare_sandbox()`): one worker (a transcode uses
  both cores), a memory cap sized for a 1080p encode from a 4K source, a deadline from the
  plan's expected time.
- A link is downloaded through `wanvideo.netguard.fetch_to_file` (every hop checked, at
  most `Limits.max_source_bytes`), then prepared like a file; the download is removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..error_base import WanError
from ..messages import Message
from ..netguard import FetchError, fetch_to_file
from .prepare import PreparedClip, PrepPlan, TranscodeFailure, TranscodeResult
from .probe import probe_local
from .result import SandboxFailure
from .sandbox import Sandbox, SandboxError

logger = logging.getLogger(__name__)

PREPARE_WORKERS = 1  # transcodes at once in this process (x264 already uses every core)
PREPARE_MEMORY_MB = 2048  # a 4K HEVC decode + 1080p x264 encode peaks near 1 GB of address space
MIN_TIMEOUT = 120.0  # seconds: the deadline of a preparation is its expected time x8, within these
MAX_TIMEOUT = 3600.0
TIMEOUT_FACTOR = 8.0
LINK_TIMEOUT = 600.0  # seconds to download a link that needs preparing
HASH_CHUNK = 1024 * 1024
JOB = "wanvideo.media.transcode:prepare_clip"

Progress = Callable[[float], None]  # percent 0-100


class PrepareError(WanError):
    """A clip could not be prepared; `message` says why in words (no server path), a
    catalogue Message so it shows in the visitor's language."""

    def __init__(self, message: Message, reason: SandboxFailure | None = None) -> None:
        super().__init__(message)
        self.reason = reason


_sandbox: Sandbox | None = None
_sandbox_lock = threading.Lock()


def prepare_sandbox() -> Sandbox:
    """The process-wide sandbox for preparations (separate from the probes' pool, so a long
    transcode never delays a probe), started on first use and closed at exit."""
    global _sandbox
    with _sandbox_lock:
        if _sandbox is None:
            import atexit

            _sandbox = Sandbox(workers=PREPARE_WORKERS, memory_mb=PREPARE_MEMORY_MB)
            atexit.register(_sandbox.close)
        return _sandbox


def timeout_for(plan: PrepPlan) -> float:
    return min(MAX_TIMEOUT, max(MIN_TIMEOUT, plan.seconds_to_prepare * TIMEOUT_FACTOR))


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks (never whole)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class _Work:
    """One preparation under way, shared by everyone waiting for its key."""

    future: Future[TranscodeResult]
    cancel: threading.Event
    percent: float = 0.0
    waiters: int = 0


@dataclass
class PreparedClips:
    """The prepared-clip cache under `root` (see the module docstring)."""

    root: Path
    sandbox: Sandbox | None = None
    files: set[str] = field(default_factory=set)  # paths made (shared with Gradio's cleaner)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _work: dict[str, _Work] = field(default_factory=dict, repr=False)
    _done: dict[str, PreparedClip] = field(default_factory=dict, repr=False)
    _digests: dict[tuple[str, int, int], str] = field(default_factory=dict, repr=False)
    _links: dict[str, tuple[float, str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        for pattern in ("*/*.mp4", "*/*.jpg", "*/*.wav"):  # clips, images, voices left by a crash:
            for path in self.root.glob(pattern):  # adopted, so they are cleaned
                self.files.add(str(path))
        for folder in self.root.iterdir():  # a crash's half-done downloads; folders Gradio emptied
            if folder.is_dir() and folder.name.startswith("link-"):
                shutil.rmtree(folder, ignore_errors=True)
            elif folder.is_dir():
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only when empty

    # ----------------------------------------------------------------- files

    async def digest(self, path: Path) -> str:
        """The content hash of `path`, remembered by (path, size, mtime)."""
        stat = path.stat()
        memo = (str(path), stat.st_size, stat.st_mtime_ns)
        found = self._digests.get(memo)
        if found is None:
            found = await asyncio.to_thread(file_digest, path)
            self._digests[memo] = found
        return found

    def path_for(self, digest: str, plan: PrepPlan) -> Path:
        assert plan.job is not None
        stem = Path(plan.source.name).stem[:60] or "clip"
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)
        return self.root / f"{digest[:32]}-{plan.job.key()}" / f"{safe}.mp4"

    def cached(self, digest: str, plan: PrepPlan) -> PreparedClip | None:
        """The clip prepared for this content and plan, when it is still on disk."""
        dest = self.path_for(digest, plan)
        clip = self._done.get(str(dest))
        if clip is not None and dest.exists():
            return replace(clip, plan=plan)
        return None

    def owns(self, path: str | Path) -> bool:
        try:
            return self.root.resolve() in Path(path).resolve().parents
        except OSError:
            return False

    def discard(self, paths: list[str]) -> int:
        """Delete prepared clips (those under this cache only); how many were removed."""
        removed = 0
        for raw in paths:
            path = Path(raw)
            if not self.owns(path):
                continue
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
            with contextlib.suppress(OSError):
                path.parent.rmdir()
            self.files.discard(str(path))
            self._done.pop(str(path), None)
        return removed

    # ----------------------------------------------------------------- work

    async def prepare(
        self, source: Path, plan: PrepPlan, on_progress: Progress | None = None
    ) -> PreparedClip:
        """The prepared clip of the local file `source` for `plan` (cached). Raises PrepareError."""
        if plan.job is None:
            raise ValueError("this plan needs no preparation")
        try:
            digest = await self.digest(Path(source))
        except OSError as exc:
            reason = str(exc.strerror or exc)
            raise PrepareError(Message("prep.unreadable", name=plan.source.name, reason=reason)) from None
        return await self._prepare(Path(source), digest, plan, on_progress)

    async def prepare_link(
        self,
        url: str,
        plan: PrepPlan,
        *,
        allow_private: bool = False,
        timeout: float = LINK_TIMEOUT,
        max_bytes: int,
        on_progress: Progress | None = None,
    ) -> PreparedClip:
        """Download `url` through the guarded fetcher, then prepare it like a file. A link
        prepared in the last hour is not downloaded again (its content hash is remembered)."""
        if plan.job is None:
            raise ValueError("this plan needs no preparation")
        seen = self._links.get(url)
        if seen is not None and time.monotonic() - seen[0] < 3600:
            clip = self.cached(seen[1], plan)
            if clip is not None:
                return clip
        folder = Path(tempfile.mkdtemp(prefix="link-", dir=self.root))
        try:
            dest = folder / "source"
            try:
                await fetch_to_file(
                    url, dest, max_bytes=max_bytes, timeout=timeout, allow_private=allow_private
                )
            except FetchError as exc:
                raise PrepareError(
                    Message("prep.download_failed", name=plan.source.name, reason=exc.message)
                ) from None
            digest = await self.digest(dest)
            self._links[url] = (time.monotonic(), digest)
            return await self._prepare(dest, digest, plan, on_progress)
        finally:
            await asyncio.to_thread(shutil.rmtree, folder, True)

    async def _prepare(
        self, source: Path, digest: str, plan: PrepPlan, on_progress: Progress | None
    ) -> PreparedClip:
        clip = self.cached(digest, plan)
        dest = self.path_for(digest, plan)
        key = str(dest)
        if clip is None and dest.exists():  # made before a restart: read it back
            probe = await probe_local(dest, plan.source.name)
            if not probe.problems:
                clip = PreparedClip(path=dest, probe=replace(probe, source=key), plan=plan)
                self._done[key] = clip
                self.files.add(key)
        if clip is not None:
            if on_progress is not None:
                on_progress(100.0)
            return clip
        with self._lock:
            work = self._work.get(key)
            if work is None:
                work = self._start(source, dest, plan)
                self._work[key] = work
            work.waiters += 1
        try:
            result = await self._wait(work, on_progress)
        except SandboxError as exc:
            raise PrepareError(_failure_sentence(plan, exc.reason), exc.reason) from None
        finally:
            with self._lock:
                work.waiters -= 1
                if work.waiters == 0:
                    if not work.future.done():
                        work.cancel.set()  # nobody waits any more: stop the worker
                    self._work.pop(key, None)
        if result.probe is None:
            logger.info("preparing %s failed: %s", plan.source.name, result.detail)
            raise PrepareError(_failure_sentence(plan, result.failure))
        probe = result.probe
        if probe.problems:  # the prepared file breaks a rule after all: never sent
            logger.warning("prepared %s has problems: %s", plan.source.name, probe.problems)
            raise PrepareError(Message("prep.still_broken", name=plan.source.name, problem=probe.problems[0]))
        self.files.add(key)
        clip = PreparedClip(path=dest, probe=replace(probe, source=key), plan=plan)
        self._done[key] = clip
        return clip

    def _start(self, source: Path, dest: Path, plan: PrepPlan) -> _Work:
        dest.parent.mkdir(parents=True, exist_ok=True)
        cancel = threading.Event()
        holder: list[_Work] = []

        def report(payload: Any) -> None:
            if holder and isinstance(payload, dict):
                holder[0].percent = float(payload.get("percent", 0.0))

        future = (self.sandbox or prepare_sandbox()).submit(
            JOB,
            str(source),
            str(dest),
            plan.job,
            plan.source.name,
            timeout=timeout_for(plan),
            on_report=report,
            cancel=cancel,
        )
        work = _Work(future=future, cancel=cancel)
        holder.append(work)

        def tidy(done: Future[TranscodeResult]) -> None:  # a killed worker leaves its half-written file
            if done.cancelled() or done.exception() is not None or done.result().probe is None:
                with contextlib.suppress(OSError):
                    Path(f"{dest}.part").unlink()
                with contextlib.suppress(OSError):
                    dest.parent.rmdir()

        future.add_done_callback(tidy)
        return work

    async def _wait(self, work: _Work, on_progress: Progress | None) -> TranscodeResult:
        """Wait for shared work without ever cancelling it for the others."""
        loop = asyncio.get_running_loop()
        mine: asyncio.Future[None] = loop.create_future()

        def wake(_: Future[TranscodeResult]) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                loop.call_soon_threadsafe(lambda: mine.done() or mine.set_result(None))

        work.future.add_done_callback(wake)
        last = -1.0
        while not mine.done():
            await asyncio.wait({mine}, timeout=0.2)
            if on_progress is not None and work.percent != last:
                last = work.percent
                on_progress(last)
        return work.future.result()


_FAILURES: dict[SandboxFailure | TranscodeFailure | None, str] = {
    SandboxFailure.TIMED_OUT: "prep.why_slow",  # "it took longer than allowed"
    SandboxFailure.OUT_OF_MEMORY: "prep.why_memory",  # "it needed more memory than allowed"
    SandboxFailure.CRASHED: "prep.why_crashed",  # "the converter crashed on it"
    SandboxFailure.CANCELLED: "prep.why_stopped",  # "it was stopped"
    TranscodeFailure.UNDECODABLE: "prep.why_undecodable",  # "its video could not be decoded"
    TranscodeFailure.TOO_LARGE: "prep.why_too_large",  # "it could not be made small enough"
}


def _failure_sentence(plan: PrepPlan, why: SandboxFailure | TranscodeFailure | None) -> Message:
    reason = Message(_FAILURES.get(why, "prep.why_failed"))  # "the converter failed on it"
    return Message("prep.could_not", name=plan.source.name, reason=reason)


_default: PreparedClips | None = None


def default_clips() -> PreparedClips:
    """The process-wide cache: the app's (`use_clips`), else one in the system's temp folder."""
    global _default
    with _sandbox_lock:
        if _default is None:
            _default = PreparedClips(Path(tempfile.gettempdir()) / "wan-prepared")
        return _default


def use_clips(clips: PreparedClips) -> None:
    """Make `clips` the process-wide cache (the app calls this with its Gradio-cache one)."""
    global _default
    with _sandbox_lock:
        _default = clips
