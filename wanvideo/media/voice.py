"""Voices (Wan 2.7): an audio file or the sound of a clip, checked and made what providers take.

    probe = await probe_voice_local(path, "hello.m4a")        # headers only, in a sandboxed worker
    plan = plan_voice(probe, fix=True)                         # pure: problems, or a job + notes
    voice = await prepare_voice(path, probe, plan, root=...)   # PreparedVoice (WAV, or the original)
    voice = await voice_from_clip(path, "clip.mp4", fix=True, root=...)  # a clip's sound

Providers take wav or mp3 of 1 to 10 s, at most 15 MB (`wanvideo.limits`). A WAV (PCM) or MP3
within the limits is sent as it is; anything else is converted to 16-bit PCM WAV. A voice
longer than 10 s is cut to its first 10 s only with `fix` (the person asked for fixing);
without it, and for one shorter than 1 s, a problem says what to change. This module imports
no PyAV: the reading is `sound.py`'s, in the worker.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..error_base import WanError
from ..limits import (
    MAX_VOICE_BYTES,
    MAX_VOICE_SECONDS,
    MAX_VOICE_SOURCE_BYTES,
    MIN_VOICE_SECONDS,
    VOICE_FORMATS,
)
from ..messages import Message
from .result import SandboxFailure
from .rules import CODEC_LABELS, FIX_CHOICE, megabytes
from .sandbox import Sandbox, SandboxError, default_sandbox

logger = logging.getLogger(__name__)

VOICE_PROBE_SECONDS = 10.0
VOICE_CONVERT_SECONDS = 60.0
VOICE_VERSION = "1"  # part of the cache key: bump when `convert_voice`'s output changes
VOICE_SAMPLE_RATE = 44_100  # Hz of a converted voice (mono 16-bit: 10 s is 0.9 MB)
ACCEPTED_WORDS = "WAV, MP3, M4A, AAC, OGG or FLAC"
PROBE_JOB = "wanvideo.media.sound:read_voice"
CONVERT_JOB = "wanvideo.media.sound:convert_voice"
_SENT_AS_IS = {"wav": "pcm_", "mp3": "mp3"}  # container -> codec (prefix) providers take as is


@dataclass(frozen=True)
class VoiceProbe:
    """One voice as given: its first audio stream's facts and the problems found."""

    name: str
    source: str
    seconds: float | None = None
    codec: str | None = None  # the audio codec ("aac", "mp3", "pcm_s16le", ...)
    bytes: int | None = None
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    container: str | None = None  # PyAV's demuxer name ("wav", "mp3", "mov,mp4,m4a,...")
    has_audio: bool = False
    from_clip: bool = False  # the source is a video: the voice is its sound
    read_error: str | None = None
    reader_failure: SandboxFailure | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class VoiceJob:
    """What `sound.convert_voice` makes: mono 16-bit PCM WAV, at most `max_seconds` long."""

    max_seconds: float = MAX_VOICE_SECONDS
    sample_rate: int = VOICE_SAMPLE_RATE

    def key(self) -> str:
        text = f"{VOICE_VERSION}|{self.max_seconds:g}|{self.sample_rate}"
        return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class MadeVoice:
    seconds: float
    bytes: int


@dataclass(frozen=True)
class VoicePlan:
    job: VoiceJob | None = None  # None: sent as it is
    notes: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class PreparedVoice:
    """A voice ready to upload: converted, or the original when it was fine as it is."""

    path: Path
    seconds: float
    bytes: int
    notes: tuple[str, ...] = field(default_factory=tuple)


def _seconds(value: float) -> Message:
    return Message("cost.seconds", value=f"{value:.1f}")


def check_voice(probe: VoiceProbe) -> VoiceProbe:
    """The problems no fix can solve (pure): empty, too large, unreadable, silent, too short."""
    name, problems = probe.name, list(probe.problems)
    limit = Message("media.seconds_range", low=f"{MIN_VOICE_SECONDS:g}", high=f"{MAX_VOICE_SECONDS:g}")
    if probe.bytes == 0:
        problems.append(Message("voice.empty", name=name))
    elif probe.bytes is not None and probe.bytes > MAX_VOICE_SOURCE_BYTES:
        size, most = megabytes(probe.bytes), megabytes(MAX_VOICE_SOURCE_BYTES)
        problems.append(Message("voice.too_big", name=name, size=size, max=most))
    elif probe.reader_failure is not None or probe.read_error is not None:
        problems.append(Message("voice.unreadable", name=name, accepted=ACCEPTED_WORDS))
    elif not probe.has_audio:
        key = "voice.clip_silent" if probe.from_clip else "voice.no_sound"
        problems.append(Message(key, name=name, accepted=ACCEPTED_WORDS))
    elif probe.seconds is None:
        problems.append(Message("voice.length_unknown", name=name))
    elif probe.seconds < MIN_VOICE_SECONDS:
        problems.append(Message("voice.too_short", name=name, lasts=_seconds(probe.seconds), limit=limit))
    return replace(probe, problems=tuple(problems))


def _sent_as_is(probe: VoiceProbe) -> bool:
    fmt = (probe.container or "").split(",")[0]
    prefix = _SENT_AS_IS.get(fmt)
    return (
        fmt in VOICE_FORMATS
        and prefix is not None
        and (probe.codec or "").startswith(prefix)
        and not probe.from_clip
        and probe.bytes is not None
        and probe.bytes <= MAX_VOICE_BYTES
    )


def plan_voice(probe: VoiceProbe, *, fix: bool) -> VoicePlan:
    """What `probe` needs (pure): nothing, a conversion (always allowed: the sound is the same),
    a cut to MAX_VOICE_SECONDS (only with `fix`), or the problems."""
    if probe.problems or probe.seconds is None:
        return VoicePlan(problems=probe.problems)
    notes: list[str] = []
    if probe.seconds > MAX_VOICE_SECONDS:
        if not fix:
            limit = Message(
                "media.seconds_range", low=f"{MIN_VOICE_SECONDS:g}", high=f"{MAX_VOICE_SECONDS:g}"
            )
            return VoicePlan(
                problems=(
                    Message(
                        "voice.too_long",
                        name=probe.name,
                        lasts=_seconds(probe.seconds),
                        limit=limit,
                        max=f"{MAX_VOICE_SECONDS:g}",
                        fix=FIX_CHOICE,
                    ),
                )
            )
        notes.append(
            Message("voice.note_trimmed", max=f"{MAX_VOICE_SECONDS:g}", lasts=_seconds(probe.seconds))
        )
    elif _sent_as_is(probe):
        return VoicePlan()
    if probe.from_clip:
        notes.insert(0, Message("voice.note_from_clip"))
    else:
        codec = CODEC_LABELS.get(probe.codec or "", (probe.codec or "").upper())
        notes.insert(0, Message("voice.note_converted", codec=codec))
    return VoicePlan(job=VoiceJob(), notes=tuple(notes))


async def probe_voice_local(
    path: str | os.PathLike[str],
    name: str | None = None,
    *,
    sandbox: Sandbox | None = None,
    max_bytes: int = MAX_VOICE_SOURCE_BYTES,
) -> VoiceProbe:
    """A voice's headers read and checked in a sandboxed worker. Never raises."""
    name = name or Path(path).name
    try:
        return await (sandbox or default_sandbox()).run(
            PROBE_JOB, str(path), name, max_bytes, timeout=VOICE_PROBE_SECONDS
        )
    except SandboxError as exc:
        logger.warning("sandboxed voice probe of %s failed: %s", name, exc)
        return check_voice(VoiceProbe(name=name, source=str(path), reader_failure=exc.reason))


class VoiceFixError(WanError):
    """A voice could not be converted; `message` says why (a catalogue Message)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message)


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


_MADE: dict[str, MadeVoice] = {}  # voices made in this process, by path


async def prepare_voice(
    source: str | os.PathLike[str],
    probe: VoiceProbe,
    plan: VoicePlan,
    *,
    root: Path,
    sandbox: Sandbox | None = None,
) -> PreparedVoice:
    """The voice as sent: the original when `plan` needs nothing, else converted under `root`
    (cached by content and job). Raises VoiceFixError, or ValueError for a refused plan."""
    if plan.problems or probe.seconds is None or probe.bytes is None:
        raise ValueError("this voice was refused")
    if plan.job is None:
        return PreparedVoice(path=Path(source), seconds=probe.seconds, bytes=probe.bytes)
    digest = await asyncio.to_thread(_digest, Path(source))
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(probe.name).stem[:60]) or "voice"
    dest = Path(root) / f"{digest[:32]}-voice{plan.job.key()}" / f"{stem}.wav"
    made = _MADE.get(str(dest))
    if made is None or not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            made = await (sandbox or default_sandbox()).run(
                CONVERT_JOB, str(source), str(dest), plan.job, timeout=VOICE_CONVERT_SECONDS
            )
        except SandboxError as exc:
            logger.info("converting the voice %s failed: %s", probe.name, exc)
            raise VoiceFixError(Message("voice.fix_failed", name=probe.name)) from None
        _MADE[str(dest)] = made
    if made.seconds < MIN_VOICE_SECONDS or made.bytes > MAX_VOICE_BYTES:  # a header that lied
        raise VoiceFixError(Message("voice.fix_failed", name=probe.name))
    return PreparedVoice(path=dest, seconds=made.seconds, bytes=made.bytes, notes=plan.notes)


async def voice_from_clip(
    path: str | os.PathLike[str],
    name: str | None = None,
    *,
    fix: bool,
    root: Path,
    sandbox: Sandbox | None = None,
) -> tuple[VoiceProbe, PreparedVoice | None]:
    """A clip's sound as a voice: probed, checked (a clip without sound is refused), converted
    to WAV (cut to 10 s with `fix`). The probe's problems say why when there is no voice."""
    probe = await probe_voice_local(path, name, sandbox=sandbox)
    plan = plan_voice(probe, fix=fix)
    if plan.problems:
        return replace(probe, problems=plan.problems), None
    try:
        return probe, await prepare_voice(path, probe, plan, root=root, sandbox=sandbox)
    except VoiceFixError as exc:
        return replace(probe, problems=(exc.message,)), None
