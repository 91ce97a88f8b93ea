"""Joining a film's shots into one MP4: the plan (pure), and the sandboxed work's async front.

    result = await join_films([shot1, shot2, shot3], dest, on_progress=lambda percent: ...)
    result.path, result.seconds, result.copied     # JoinResult; raises JoinError

    plan = plan_join(probes)                        # pure: what is copied, what is re-encoded

- Each shot is read in the sandbox (`splice.read_shot`: headers only) into a `ShotProbe`.
- `plan_join` copies a stream when every shot's matches (video: codec, size, time base, pixel
  format and codec parameters; audio: codec, sample rate, channels and codec parameters, every
  shot having sound). Otherwise that stream is re-encoded to the first shot's parameters
  (H.264 / AAC, `JOIN_ENCODING`). So a shot without sound costs an audio encode only: its
  picture is still copied, and its sound is silence of its length (the track stays continuous).
- The work (`splice.join_shots`, PyAV only, no ffmpeg command) runs in its own sandbox
  (`join_sandbox()`: one worker, a memory cap sized for a 1080p decode + encode, a deadline
  from the film's length), writes `dest.part` and renames it, and reports its progress.

The shots come from the provider (the download already checked them), yet they are parsed
only in the sandbox, like every file the app did not make.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..error_base import WanError
from ..messages import Message
from .result import SandboxFailure
from .sandbox import Sandbox, SandboxError

JOIN_WORKERS = 1  # joins at once in this process (a re-encode already uses every core)
JOIN_MEMORY_MB = 2048  # a 1080p decode + x264 encode, as a preparation's cap
READ_TIMEOUT = 30.0  # seconds to read the shots' headers
MIN_TIMEOUT = 120.0  # seconds: a join's deadline is the film's length x TIMEOUT_FACTOR, within these
MAX_TIMEOUT = 3600.0
TIMEOUT_FACTOR = 20.0  # a 1080p re-encode at "veryfast" runs near real time on two cores
READ_JOB = "wanvideo.media.splice:read_shots"
JOIN_JOB = "wanvideo.media.splice:join_shots"
PIXEL_FORMATS = ("yuv420p", "yuvj420p", "yuv422p", "yuv444p")  # kept on a re-encode, else yuv420p
AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)
DEFAULT_AUDIO = (48000, 2)  # a re-encode's sound when the first shots have none

Progress = Callable[[float], None]  # percent 0-100


@dataclass(frozen=True)
class JoinEncoding:
    """Encoder settings of a re-encoded join (the bench gives ffmpeg the same ones)."""

    video_encoder: str = "libx264"
    preset: str = "veryfast"
    crf: int = 20
    audio_encoder: str = "aac"
    audio_bitrate: int = 128_000


JOIN_ENCODING = JoinEncoding()


@dataclass(frozen=True)
class ShotProbe:
    """One shot's stream facts, read from its headers in the sandbox. `error` (technical, for
    logs) is set when it could not be read as a video."""

    path: str
    seconds: float = 0.0  # how long its picture lasts (the video stream), else the container
    video_codec: str | None = None
    width: int = 0
    height: int = 0
    time_base: Fraction | None = None  # the video stream's
    fps: Fraction | None = None
    pixel_format: str | None = None
    video_params: str | None = None  # a digest of the codec's parameters (H.264: SPS/PPS)
    audio_codec: str | None = None  # None: no sound
    sample_rate: int = 0
    channels: int = 0
    audio_params: str | None = None
    error: str | None = None

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    def video_key(self) -> tuple[Any, ...]:
        return (
            self.video_codec,
            self.width,
            self.height,
            self.time_base,
            self.pixel_format,
            self.video_params,
        )

    def audio_key(self) -> tuple[Any, ...]:
        return (self.audio_codec, self.sample_rate, self.channels, self.audio_params)


@dataclass(frozen=True)
class VideoTarget:
    """A re-encoded picture: the first shot's size, frame rate, time base and pixel format."""

    width: int
    height: int
    fps: Fraction
    time_base: Fraction
    pixel_format: str


@dataclass(frozen=True)
class AudioTarget:
    """Re-encoded sound: AAC at the first sounding shot's sample rate, mono or stereo."""

    sample_rate: int
    channels: int

    @property
    def layout(self) -> str:
        return "mono" if self.channels == 1 else "stereo"


@dataclass(frozen=True)
class JoinPlan:
    """What `splice.join_shots` does: per shot its length (the offsets follow), and per stream
    copy (target None) or re-encode to the target. `audio` None on a copy or with no sound at all."""

    seconds: tuple[float, ...]
    copy_video: bool
    copy_audio: bool
    video: VideoTarget | None = None
    audio: AudioTarget | None = None
    has_audio: bool = True  # False: no shot has sound, the film has none either
    encoding: JoinEncoding = JOIN_ENCODING

    @property
    def copied(self) -> bool:
        """Both streams copied: no picture or sound was decoded."""
        return self.copy_video and (self.copy_audio or not self.has_audio)

    @property
    def total(self) -> float:
        return sum(self.seconds)

    def offsets(self) -> tuple[float, ...]:
        """Where each shot starts in the film, in seconds."""
        out, at = [], 0.0
        for seconds in self.seconds:
            out.append(at)
            at += seconds
        return tuple(out)


@dataclass(frozen=True)
class JoinDone:
    """What the job returns: the film's length read back from it, or the shot that failed."""

    seconds: float | None = None
    failed_shot: int | None = None  # 0-based
    detail: str = ""  # technical, for logs


@dataclass(frozen=True)
class JoinResult:
    path: Path
    seconds: float
    copied: bool  # every stream copied (no decoding at all)


class JoinError(WanError):
    """The shots could not be joined; `message` says why in the visitor's language (no path)."""

    def __init__(
        self, message: Message, *, shot: int | None = None, reason: SandboxFailure | None = None
    ) -> None:
        super().__init__(message)
        self.shot = shot  # 1-based, when one shot is the cause (it can be generated again)
        self.reason = reason


def _even(n: int) -> int:
    return max(2, n // 2 * 2)


def _video_target(first: ShotProbe) -> VideoTarget:
    fps = first.fps if first.fps and 0 < first.fps <= 240 else Fraction(30)
    pixel_format = first.pixel_format if first.pixel_format in PIXEL_FORMATS else "yuv420p"
    return VideoTarget(
        width=_even(first.width),
        height=_even(first.height),
        fps=fps,
        time_base=first.time_base or Fraction(1, 90000),
        pixel_format=pixel_format,
    )


def _audio_target(probes: Sequence[ShotProbe]) -> AudioTarget:
    sounding = next((p for p in probes if p.has_audio), None)
    if sounding is None:
        return AudioTarget(*DEFAULT_AUDIO)
    rate = sounding.sample_rate if sounding.sample_rate in AAC_RATES else DEFAULT_AUDIO[0]
    return AudioTarget(sample_rate=rate, channels=1 if sounding.channels == 1 else 2)


def plan_join(probes: Sequence[ShotProbe]) -> JoinPlan:
    """The join of `probes` (in order). Pure. Raises JoinError for no shots or an unreadable one."""
    if not probes:
        raise JoinError(Message("join.no_shots"))
    for index, probe in enumerate(probes, 1):
        if probe.error is not None or probe.video_codec is None or probe.seconds <= 0:
            raise JoinError(Message("join.shot_unreadable", index=index), shot=index)
    first = probes[0]
    copy_video = all(p.video_key() == first.video_key() for p in probes)
    has_audio = any(p.has_audio for p in probes)
    copy_audio = has_audio and all(p.has_audio and p.audio_key() == first.audio_key() for p in probes)
    return JoinPlan(
        seconds=tuple(p.seconds for p in probes),
        copy_video=copy_video,
        copy_audio=copy_audio,
        video=None if copy_video else _video_target(first),
        audio=_audio_target(probes) if has_audio and not copy_audio else None,
        has_audio=has_audio,
    )


# ------------------------------------------------------------------ the sandboxed work

_sandbox: Sandbox | None = None
_sandbox_lock = threading.Lock()


def join_sandbox() -> Sandbox:
    """The process-wide sandbox for joins (apart from probes and preparations, so a long
    join never delays them), started on first use and closed at exit."""
    global _sandbox
    with _sandbox_lock:
        if _sandbox is None:
            import atexit

            _sandbox = Sandbox(workers=JOIN_WORKERS, memory_mb=JOIN_MEMORY_MB)
            atexit.register(_sandbox.close)
        return _sandbox


def timeout_for(plan: JoinPlan) -> float:
    return min(MAX_TIMEOUT, max(MIN_TIMEOUT, plan.total * TIMEOUT_FACTOR))


_WHY: dict[SandboxFailure, str] = {
    SandboxFailure.TIMED_OUT: "prep.why_slow",  # "it took longer than allowed"
    SandboxFailure.OUT_OF_MEMORY: "prep.why_memory",  # "it needed more memory than allowed"
    SandboxFailure.CRASHED: "prep.why_crashed",  # "the converter crashed on it"
    SandboxFailure.CANCELLED: "prep.why_stopped",  # "it was stopped"
}


def _failed(exc: SandboxError) -> JoinError:
    reason = Message(_WHY.get(exc.reason, "prep.why_failed"))
    return JoinError(Message("join.failed", reason=reason), reason=exc.reason)


async def join_films(
    paths: Sequence[str | Path],
    dest: str | Path,
    *,
    on_progress: Progress | None = None,
    sandbox: Sandbox | None = None,
) -> JoinResult:
    """Join the shots at `paths` (in order) into the MP4 `dest`, with their sound. Raises
    JoinError (a catalogue message; `shot` names a shot that could not be read)."""
    box = sandbox or join_sandbox()
    dest = Path(dest)
    sources = [str(p) for p in paths]
    try:
        probes = await box.run(READ_JOB, sources, timeout=READ_TIMEOUT)
    except SandboxError as exc:
        raise _failed(exc) from None
    plan = plan_join(probes)
    percent = [0.0]

    def report(payload: Any) -> None:  # in a pool thread: only remembered here
        if isinstance(payload, dict):
            percent[0] = float(payload.get("percent", 0.0))

    dest.parent.mkdir(parents=True, exist_ok=True)
    cancel = threading.Event()
    future = box.submit(
        JOIN_JOB, sources, str(dest), plan, timeout=timeout_for(plan), on_report=report, cancel=cancel
    )
    work = asyncio.wrap_future(future)
    try:
        last = -1.0
        while not work.done():
            await asyncio.wait({work}, timeout=0.2)
            if on_progress is not None and percent[0] != last:
                last = percent[0]
                on_progress(last)
        done: JoinDone = work.result()
    except asyncio.CancelledError:  # our caller stopped waiting: the worker is killed, and
        cancel.set()  # waited for, so nothing writes once this returns
        await asyncio.wait({work})
        raise
    except SandboxError as exc:
        raise _failed(exc) from None
    finally:
        with contextlib.suppress(OSError):  # a failed or killed job's half-written file
            Path(f"{dest}.part").unlink()
    if done.failed_shot is not None:
        index = done.failed_shot + 1
        raise JoinError(Message("join.shot_unreadable", index=index), shot=index)
    if on_progress is not None and percent[0] < 100:
        on_progress(100.0)
    return JoinResult(path=dest, seconds=done.seconds or plan.total, copied=plan.copied)
