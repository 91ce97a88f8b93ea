"""What a reference needs before the provider takes it: a plan made from its probe (pure).

    plan = plan_preparation(probe, start=12.5)
    plan.steps            # (Step.CONVERT, Step.TRIM)
    plan.notes()          # ("converted from WebM", "trimmed to 12.5-42.5 s")
    plan.sent             # the clip as it will be sent (a validated ProbeResult): billed from here
    plan.sent.problems    # what cannot be fixed ("a.mp4 lasts 1.2 s; ...")
    plan.seconds_to_prepare

The provider takes MP4/MOV, H.264, 2 to 30 s, at most 100 MB (`wanvideo.limits`). A clip
that breaks a rule a re-encode can mend is planned for it:

- another container, video codec or audio codec -> H.264 (yuv420p) + AAC in MP4, index
  first; a clip that only needs a new container (or has stray bytes after its end) is
  remuxed, its streams copied;
- a rotation flag -> the pixels turned, so a portrait phone clip stays portrait;
- longer than 30 s, or a start other than 0 -> its 30 s window from `start`;
- over 100 MB -> re-encoded with a bitrate cap from the window's length, keeping the
  resolution up to 1920 px on the long side.

What cannot be fixed (no video stream, damaged or truncated data, shorter than 2 s, a
start that leaves less than 2 s) stays a problem, in the same words as without fixing.
The work itself is `transcode.prepare_clip` (in a sandboxed worker); `clips` caches it.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from pathlib import Path

from ..limits import MAX_REFERENCE_BYTES, MAX_REFERENCE_SECONDS, MIN_REFERENCE_SECONDS
from ..messages import Message
from .result import ProbeResult
from .rules import CODEC_LABELS, REFERENCE_CONTAINERS, check_reference, megabytes
from .sniff import CONTAINER_LABELS, CONTAINER_NAMES

MAX_SOURCE_BYTES = 500 * 1000 * 1000  # the largest clip the app takes to fix (uploads and links)
MAX_LONG_SIDE = 1920  # px: a re-encoded clip keeps its resolution up to this on its long side
SENT_CONTAINER = "mp4"
SENT_VIDEO_CODEC = "h264"
SENT_AUDIO_CODEC = "aac"
SENT_PIXEL_FORMATS = ("yuv420p", "yuvj420p")  # 8-bit 4:2:0: what every H.264 decoder plays
TRANSCODE_VERSION = 2  # bump when the transcoder's output changes: old cached clips are not reused

# Rough speeds on one shared 2-core machine (bench/bench_prepare.py measures them), for the
# "about 20 s to prepare" an estimate shows. Decoding HEVC or VP9 costs extra.
# bench_prepare measured 130e6 (1080p H.264 into a 30 s window in 14 s, machine shared); the
# figure below leaves room for a busier machine (the deadline is 8x the estimate).
ENCODE_PIXELS_PER_SECOND = 80e6  # x264 `veryfast`, decode + scale + encode, pixels of output
REMUX_BYTES_PER_SECOND = 150e6
SLOW_DECODERS = {"hevc": 1.6, "vp9": 1.4, "av1": 2.0, "prores": 1.3}


class Step(str, Enum):
    """One thing done to a clip; `PrepPlan.notes()` says it in words."""

    REMUX = "remux"  # a new MP4 with the streams copied (no re-encoding)
    CONVERT = "convert"  # video and/or audio re-encoded to H.264 / AAC
    ROTATE = "rotate"  # the rotation flag applied to the pixels
    TRIM = "trim"  # the window [start, end) cut out
    SHRINK = "shrink"  # re-encoded under the byte limit
    SCALE = "scale"  # scaled down to MAX_LONG_SIDE on the long side
    FRAME_RATE = "frame_rate"  # frames repeated up to the provider's minimum frame rate


@dataclass(frozen=True)
class Encoding:
    """Encoder settings of a prepared clip (the bench gives ffmpeg the same ones)."""

    video_encoder: str = "libx264"
    preset: str = "veryfast"
    crf: int = 20
    pixel_format: str = "yuv420p"
    audio_encoder: str = "aac"
    audio_bitrate: int = 128_000
    max_long_side: int = MAX_LONG_SIDE
    # The byte budget used: container overhead and rate-control slack stay under the limit.
    size_margin: float = 0.92


@dataclass(frozen=True)
class Limits:
    """What a prepared clip must meet (the API's limits) and the largest source accepted."""

    max_bytes: int = MAX_REFERENCE_BYTES
    min_seconds: float = MIN_REFERENCE_SECONDS
    max_seconds: float = MAX_REFERENCE_SECONDS
    max_source_bytes: int = MAX_SOURCE_BYTES
    min_fps: float | None = None  # a provider's floor (e.g. 16); slower clips get frames repeated


@dataclass(frozen=True)
class TranscodeJob:
    """What the worker does (plain, picklable data): `transcode.prepare_clip` reads it."""

    start: float
    end: float  # seconds in the source; the window is [start, end)
    copy_video: bool
    copy_audio: bool
    has_audio: bool
    rotation: int  # clockwise degrees to turn the pixels by
    width: int | None  # the encoder's output size (as displayed), even sides
    height: int | None
    max_video_bitrate: int  # bits/s (VBV cap): the window fits `max_bytes` whatever the content
    max_bytes: int
    encoding: Encoding
    min_fps: float | None = None  # raise the frame rate to this (frames repeated), when set

    def key(self) -> str:
        """What the output depends on besides the source's bytes (the cache key's other half)."""
        data = {"v": TRANSCODE_VERSION, **asdict(self)}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:24]


class TranscodeFailure(str, Enum):
    """Why a clip could not be prepared (the job's own verdict, not a crash)."""

    UNDECODABLE = "undecodable"  # FFmpeg could not read or decode its streams
    TOO_LARGE = "too_large"  # even re-encoded with lower caps it stays over the byte limit


@dataclass(frozen=True)
class TranscodeResult:
    probe: ProbeResult | None = None  # the prepared file, read back
    failure: TranscodeFailure | None = None
    detail: str = ""  # technical, for logs


@dataclass(frozen=True)
class PrepPlan:
    """What will be done to one reference. No steps: it is sent as it is."""

    source: ProbeResult  # as probed
    sent: ProbeResult  # as it will be sent (validated): its problems are what cannot be fixed
    steps: tuple[Step, ...] = ()
    start: float = 0.0
    end: float | None = None  # None: the clip's length is unknown
    job: TranscodeJob | None = None
    expected_bytes: int | None = None  # about, when it can be told before the work
    seconds_to_prepare: float = 0.0
    notes_: tuple[str, ...] = field(default=(), repr=False)

    @property
    def needed(self) -> bool:
        """True when the clip must be prepared before it can be sent."""
        return self.job is not None and not self.sent.problems

    @property
    def window(self) -> float | None:
        return None if self.end is None else self.end - self.start

    def notes(self, size_bytes: int | None = None) -> tuple[str, ...]:
        """What will be done, in words; with `size_bytes` (the prepared clip's), "shrunk
        from 150 MB to 87 MB" instead of "to about 92 MB"."""
        if size_bytes is None or Step.SHRINK not in self.steps or not self.source.size_bytes:
            return self.notes_
        done = Message(
            "prep.shrunk_done", before=megabytes(self.source.size_bytes), after=megabytes(size_bytes)
        )
        return tuple(done if getattr(n, "id", "") == "prep.shrunk" else n for n in self.notes_)


@dataclass(frozen=True)
class PreparedClip:
    """A prepared reference: the file to upload and its facts, read back from it."""

    path: Path
    probe: ProbeResult  # read from `path` and validated (name: the original's)
    plan: PrepPlan

    def notes(self) -> tuple[str, ...]:
        return self.plan.notes(self.probe.size_bytes)


def _seconds(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def about(seconds: float) -> str:
    """A rough duration for people: "about 5 s", "about 2 min"."""
    if seconds < 60:
        return Message("prep.about_s", n=max(1, math.ceil(seconds)))
    return Message("prep.about_min", n=math.ceil(seconds / 60))


def _even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def output_size(width: int | None, height: int | None, long_side: int) -> tuple[int | None, int | None]:
    """Displayed size scaled so its long side is at most `long_side`, both sides even."""
    if not width or not height:
        return width, height
    scale = min(1.0, long_side / max(width, height))
    return _even(round(width * scale)), _even(round(height * scale))


def video_bitrate_cap(window: float, max_bytes: int, encoding: Encoding, has_audio: bool) -> int:
    """Bits/s for the video so `window` seconds fit in `max_bytes`: with a VBV buffer of one
    second, x264 writes at most rate x (window + 1 s) bits."""
    budget = max_bytes * encoding.size_margin * 8
    audio = encoding.audio_bitrate * window if has_audio else 0
    return max(100_000, int((budget - audio) / (window + 1.0)))


def start_problem(probe: ProbeResult, start: float, limits: Limits) -> Message | None:
    """Why `start` cannot open a window on `probe` (None when it can)."""
    name = probe.name
    if not math.isfinite(start) or start < 0:
        return Message("prep.start_negative", name=name, start=f"{start:g}")
    length = probe.duration
    if length is None or length < limits.min_seconds or start == 0:
        return None  # too short as a whole: the length rule says so
    if length - start < limits.min_seconds:
        latest = max(0.0, length - limits.min_seconds)
        return Message(
            "prep.start_too_late",
            name=name,
            lasts=_seconds(length),
            start=_seconds(start),
            left=_seconds(max(0.0, length - start)),
            min=f"{limits.min_seconds:g}",
            latest=_seconds(latest),
        )
    return None


def _fixable(probe: ProbeResult) -> bool:
    """True when the facts are known and only fixable rules are broken."""
    kind = CONTAINER_LABELS.get(probe.container or "", (None, "video"))[1]
    return (
        probe.headers_read
        and kind == "video"
        and probe.read_error is None
        and probe.implausible is None
        and probe.reader_failure is None
        and probe.video_codec is not None
    )


def _validated(result: ProbeResult, start_issue: str | None = None) -> ProbeResult:
    """`result` with the API's rules applied; a start that leaves too little is the one problem
    then (the window's own length would only repeat it)."""
    problems, warnings = check_reference(result)
    return replace(result, problems=(start_issue,) if start_issue else problems, warnings=warnings)


def _container_name(container: str | None) -> str:
    return CONTAINER_NAMES.get(container or "", (container or "another format").upper())


@dataclass(frozen=True)
class Decisions:
    """What a fixable clip needs, decided from its probe (the plan's yes/no questions)."""

    end: float  # the window is [start, end)
    window: float
    trim: bool  # a start other than 0, or longer than the longest window
    rotate: bool  # a rotation flag to apply to the pixels
    container_ok: bool
    video_ok: bool  # H.264 in 8-bit 4:2:0
    audio_ok: bool  # no audio, or AAC
    share: float | int | None  # the window's share of the file's bytes
    shrink: bool  # the window's share is over the byte limit
    slow: bool  # under the provider's minimum frame rate
    video_work: bool  # the video must be re-encoded
    audio_work: bool  # the audio must be re-encoded
    remux: bool  # only a new container (streams copied)

    @property
    def needed(self) -> bool:
        return self.video_work or self.remux


def decide(probe: ProbeResult, start: float, limits: Limits) -> Decisions:
    """Convert, remux, rotate, trim, shrink, frame rate: each from the probe's facts."""
    length = probe.duration
    end = min(length, start + limits.max_seconds) if length is not None else start + limits.max_seconds
    window = end - start
    trim = start > 0 or (length is not None and length > limits.max_seconds + 1e-3)
    rotate = probe.rotation != 0
    container_ok = probe.container in REFERENCE_CONTAINERS
    video_ok = probe.video_codec == SENT_VIDEO_CODEC and probe.pixel_format in (None, *SENT_PIXEL_FORMATS)
    audio_ok = not probe.has_audio or probe.audio_codec == SENT_AUDIO_CODEC
    size = probe.size_bytes
    share = size * window / length if size is not None and length else size
    shrink = share is not None and share > limits.max_bytes
    slow = limits.min_fps is not None and probe.fps is not None and probe.fps < limits.min_fps
    video_work = trim or rotate or shrink or slow or not video_ok
    audio_work = probe.has_audio and (trim or not audio_ok)
    remux = not video_work and (not container_ok or probe.stray_bytes > 0 or audio_work)
    return Decisions(
        end=end,
        window=window,
        trim=trim,
        rotate=rotate,
        container_ok=container_ok,
        video_ok=video_ok,
        audio_ok=audio_ok,
        share=share,
        shrink=shrink,
        slow=slow,
        video_work=video_work,
        audio_work=audio_work,
        remux=remux,
    )


def _unfixable_plan(
    probe: ProbeResult, start: float, limits: Limits, start_issue: str | None
) -> PrepPlan | None:
    """The plan of a clip too big to fix or whose facts do not allow fixing (None: fixable)."""
    if probe.size_bytes is not None and probe.size_bytes > limits.max_source_bytes:
        problem = Message(
            "prep.too_big_to_fix",
            name=probe.name,
            size=megabytes(probe.size_bytes),
            max=megabytes(limits.max_source_bytes),
            provider_max=megabytes(limits.max_bytes),
        )
        bare = replace(probe, problems=(), warnings=())
        return PrepPlan(source=probe, sent=replace(bare, problems=(problem,)), start=start)
    if not _fixable(probe):
        if start and not probe.problems and not start_issue:
            start_issue = Message("prep.start_length_unknown", name=probe.name, start=f"{start:g}")
        extra = (start_issue,) if start_issue else ()
        return PrepPlan(source=probe, sent=replace(probe, problems=extra + probe.problems), start=start)
    return None


def expected_bytes(probe: ProbeResult, d: Decisions, cap: int, encoding: Encoding) -> int | None:
    """About how large the sent clip will be, when it can be told before the work."""
    size = probe.size_bytes
    if d.shrink and size is not None:
        return min(int(d.share or size), int((cap * (d.window + 1) + encoding.audio_bitrate * d.window) / 8))
    if not d.video_work and d.share is not None:
        return int(d.share)
    return None


def _notes(
    probe: ProbeResult,
    d: Decisions,
    start: float,
    size: tuple[int | None, int | None],
    expected: int | None,
    limits: Limits,
    encoding: Encoding,
) -> list[str]:
    """What will be done, in words, in the order a person reads it."""
    width, height = size
    notes: list[str] = []
    if not d.container_ok:
        verb = "prep.converted" if d.video_work else "prep.remuxed_from"
        notes.append(Message(verb, source=_container_name(probe.container)))
    elif not d.video_ok:
        notes.append(
            Message("prep.converted", source=CODEC_LABELS.get(probe.video_codec or "", probe.video_codec))
        )
    if probe.has_audio and not d.audio_ok and (d.container_ok or not d.video_work):
        label = CODEC_LABELS.get(probe.audio_codec or "", (probe.audio_codec or "unknown").upper())
        notes.append(Message("prep.audio", source=label))
    if d.remux and d.container_ok and probe.stray_bytes:
        notes.append(Message("prep.remuxed", count=f"{probe.stray_bytes:,}"))
    if d.rotate and probe.rotation == 180:
        notes.append(Message("prep.upright"))
    elif d.rotate:
        notes.append(Message("prep.portrait" if (height or 0) > (width or 0) else "prep.landscape"))
    if d.trim:
        notes.append(Message("prep.trimmed", start=_seconds(start), end=_seconds(d.end)))
    if d.slow:
        notes.append(Message("prep.fps", before=f"{probe.fps:g}", after=f"{limits.min_fps:g}"))
    if d.shrink and probe.size_bytes is not None and expected is not None:
        notes.append(Message("prep.shrunk", before=megabytes(probe.size_bytes), after=megabytes(expected)))
    if _scales(probe, d, encoding):
        notes.append(Message("prep.scaled", width=width, height=height))
    return notes


def _scales(probe: ProbeResult, d: Decisions, encoding: Encoding) -> bool:
    return d.video_work and max(probe.width or 0, probe.height or 0) > encoding.max_long_side


def _steps(probe: ProbeResult, d: Decisions, encoding: Encoding) -> tuple[Step, ...]:
    """The steps, in the order the plan lists them."""
    steps: list[Step] = [Step.REMUX] if d.remux else []
    if (
        (d.video_work and not d.video_ok)
        or (probe.has_audio and not d.audio_ok)
        or (d.video_work and not d.container_ok)
    ):
        steps.append(Step.CONVERT)
    steps += [
        s
        for s, on in (
            (Step.ROTATE, d.rotate),
            (Step.TRIM, d.trim),
            (Step.SHRINK, d.shrink),
            (Step.FRAME_RATE, d.slow),
            (Step.SCALE, _scales(probe, d, encoding)),
        )
        if on
    ]
    return tuple(steps)


def _sent(
    probe: ProbeResult,
    d: Decisions,
    size: tuple[int | None, int | None],
    expected: int | None,
    limits: Limits,
    encoding: Encoding,
) -> ProbeResult:
    """The clip as it will be sent (not yet validated)."""
    return replace(
        probe,
        problems=(),
        warnings=(),
        container=SENT_CONTAINER if d.needed else probe.container,
        video_codec=SENT_VIDEO_CODEC if d.video_work else probe.video_codec,
        audio_codec=SENT_AUDIO_CODEC if probe.has_audio and d.needed else probe.audio_codec,
        pixel_format=encoding.pixel_format if d.video_work else probe.pixel_format,
        duration=round(d.window, 3) if probe.duration is not None else None,
        size_bytes=expected if d.needed else probe.size_bytes,
        width=size[0],
        height=size[1],
        rotation=0 if d.video_work else probe.rotation,
        stray_bytes=0 if d.needed else probe.stray_bytes,
        fps=limits.min_fps if d.slow else probe.fps,
    )


def plan_preparation(
    probe: ProbeResult,
    start: float = 0.0,
    *,
    limits: Limits | None = None,
    encoding: Encoding | None = None,
) -> PrepPlan:
    """What `probe`'s clip needs so the provider takes it, with its window from `start`."""
    limits = limits or Limits()
    encoding = encoding or Encoding()
    start_issue = start_problem(probe, start, limits)
    unfixable = _unfixable_plan(probe, start, limits, start_issue)
    if unfixable is not None:
        return unfixable

    d = decide(probe, start, limits)
    # The encoder's size (also a remux's, should it have to be re-encoded to fit).
    enc_width, enc_height = output_size(probe.width, probe.height, encoding.max_long_side)
    size = (enc_width, enc_height) if d.video_work else (probe.width, probe.height)
    cap = video_bitrate_cap(d.window, limits.max_bytes, encoding, probe.has_audio)
    expected = expected_bytes(probe, d, cap, encoding)
    notes = _notes(probe, d, start, size, expected, limits, encoding)

    job = None
    seconds = 0.0
    if d.needed:
        job = TranscodeJob(
            start=start,
            end=d.end,
            copy_video=not d.video_work,
            copy_audio=probe.has_audio and not d.audio_work,
            has_audio=probe.has_audio,
            rotation=probe.rotation if d.video_work else 0,
            width=enc_width,
            height=enc_height,
            max_video_bitrate=cap,
            max_bytes=limits.max_bytes,
            encoding=encoding,
            min_fps=limits.min_fps if d.slow else None,
        )
        seconds = preparing_seconds(probe, d.window, size[0], size[1], d.video_work)
    return PrepPlan(
        source=probe,
        sent=_validated(_sent(probe, d, size, expected, limits, encoding), start_issue),
        steps=_steps(probe, d, encoding) if d.needed else (),
        start=start,
        end=d.end if probe.duration is not None else None,
        job=job,
        expected_bytes=expected,
        seconds_to_prepare=seconds,
        notes_=tuple(notes) if d.needed else (),
    )


def preparing_seconds(
    probe: ProbeResult, window: float, width: int | None, height: int | None, reencode: bool
) -> float:
    """A rough time to prepare (the download of a link not included)."""
    if not reencode:
        return 0.5 + (probe.size_bytes or 0) / REMUX_BYTES_PER_SECOND
    frames = window * (probe.fps or 30.0)
    pixels = (width or 1280) * (height or 720)
    slow = SLOW_DECODERS.get(probe.video_codec or "", 1.0)
    return 1.0 + frames * pixels * slow / ENCODE_PIXELS_PER_SECOND


def no_plan(probe: ProbeResult) -> PrepPlan:
    """The plan of a clip sent as it is (fixing off): its own problems and warnings."""
    return PrepPlan(source=probe, sent=probe)
