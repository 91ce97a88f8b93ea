"""Rules: probed facts -> problems (the API would refuse the file) and warnings (it works,
with a caveat). Pure functions, no I/O.

The limits (2 to 30 s, 100 MB) are the provider's and come from `wanvideo.limits`.
"""

from __future__ import annotations

import math
from dataclasses import replace

from ..limits import MAX_REFERENCE_BYTES, MAX_REFERENCE_SECONDS, MIN_REFERENCE_SECONDS
from ..messages import Message, either
from .result import ProbeResult, SandboxFailure
from .sniff import CONTAINER_LABELS

REFERENCE_CONTAINERS = ("mp4", "mov")  # what the API accepts (API_NOTES.md section 1)
BROWSER_CODECS = ("h264", "vp8", "vp9", "av1")  # video codecs every current browser previews

CODEC_LABELS = {
    "h264": "H.264",
    "hevc": "HEVC (H.265)",
    "prores": "ProRes",
    "mpeg4": "MPEG-4 Part 2",
    "mjpeg": "Motion JPEG",
    "av1": "AV1",
    "vp9": "VP9",
    "vp8": "VP8",
    "dnxhd": "DNxHD",
    "mpeg2video": "MPEG-2",
    "aac": "AAC",
    "opus": "Opus",
    "vorbis": "Vorbis",
    "mp3": "MP3",
    "ac3": "AC-3",
    "eac3": "E-AC-3",
    "flac": "FLAC",
    "alac": "ALAC",
    "pcm_s16le": "PCM",
    "pcm_s24le": "PCM",
    "pcm_f32le": "PCM",
}
FIX_CHOICE = Message("media.fix_choice")  # the option that prepares clips (form and API: fix_references)


_READER_FAILURES = {
    SandboxFailure.TIMED_OUT: Message("media.read_slow"),
    SandboxFailure.OUT_OF_MEMORY: Message("media.read_memory"),
    SandboxFailure.CRASHED: Message("media.read_crash"),
}


def megabytes(size: int) -> str:
    """Size in MB (10^6, as the provider counts), rounded up so 100.01 MB never reads 100.0."""
    return f"{math.ceil(size / 100_000) / 10:g} MB"


def _seconds(value: float, limit: float) -> Message:
    """`value` with one decimal, or two when one would look equal to `limit`."""
    text = f"{value:.1f}"
    if float(text) == limit:
        text = f"{value:.2f}"
    return Message("cost.seconds", value=text)


def check_reference(result: ProbeResult) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The API rules applied to probed facts: (problems, warnings). Pure, no I/O.

    Problems say what to change; warnings say what will be missing.
    """
    name = result.name
    problems: list[str] = []
    warnings: list[str] = []
    accepted = either([c.upper() for c in REFERENCE_CONTAINERS])
    limit = Message(
        "media.seconds_range", low=f"{MIN_REFERENCE_SECONDS:g}", high=f"{MAX_REFERENCE_SECONDS:g}"
    )

    if result.size_bytes == 0:
        return (Message("media.empty", name=name),), ()
    if result.size_bytes is not None and result.size_bytes > MAX_REFERENCE_BYTES:
        size, most = megabytes(result.size_bytes), megabytes(MAX_REFERENCE_BYTES)
        return (Message("media.too_big", name=name, size=size, max=most),), ()

    label, kind = CONTAINER_LABELS.get(result.container or "", (None, "video"))
    if kind != "video":
        if result.container == "html":
            where = Message("media.direct_link") if result.is_remote else Message("media.upload_itself")
            return (Message("media.web_page", name=name, where=where, accepted=accepted),), ()
        return (Message("media.not_video", name=name, what=label, accepted=accepted),), ()
    if result.container is not None and result.container not in REFERENCE_CONTAINERS:
        what = label or Message("media.in_format", format=result.container.upper())
        return (Message("media.wrong_container", name=name, what=what, accepted=accepted),), ()

    if result.implausible is not None:
        bad = result.implausible
        declared, most = f"{bad.declared:,.0f}", f"{bad.limit:,.0f}"
        implausible = Message(
            "media.implausible", name=name, declared=declared, what=bad.what, max=most, accepted=accepted
        )
        return (implausible,), ()
    if result.reader_failure is not None:
        why = _READER_FAILURES.get(result.reader_failure, Message("media.read_failed"))
        return (Message("media.unsafe", name=name, why=why, accepted=accepted),), ()

    if result.read_error is not None:
        if result.container in REFERENCE_CONTAINERS:
            what = result.container.upper()
            return (Message("media.damaged", name=name, what=what),), ()
        return (Message("media.unreadable", name=name, accepted=accepted),), ()

    if result.stray_bytes:
        stray = f"{result.stray_bytes:,}"
        return (Message("media.stray", name=name, count=stray, fix=FIX_CHOICE),), ()

    if not result.headers_read:
        # A remote file whose headers could not be fetched: let it through, cost as a range.
        warnings.append(Message("media.length_remote", name=name))
        return tuple(problems), tuple(warnings)

    if result.video_codec is None:
        kind_text = Message("media.audio_only") if result.has_audio else Message("media.no_streams")
        return (Message("media.no_video", name=name, kind=kind_text),), ()

    if result.duration is None:
        warnings.append(Message("media.length_unknown", name=name))
    elif result.duration < MIN_REFERENCE_SECONDS:
        lasts = _seconds(result.duration, MIN_REFERENCE_SECONDS)
        problems.append(Message("media.too_short", name=name, lasts=lasts, limit=limit))
    elif result.duration > MAX_REFERENCE_SECONDS:
        lasts = _seconds(result.duration, MAX_REFERENCE_SECONDS)
        problems.append(
            Message("media.too_long", name=name, lasts=lasts, limit=limit, max=f"{MAX_REFERENCE_SECONDS:g}")
        )

    if not result.has_audio:
        warnings.append(Message("media.no_audio", name=name))
    codec = result.video_codec
    if codec not in BROWSER_CODECS:
        codec_label = CODEC_LABELS.get(codec, codec.upper())
        detail = Message("media.hevc_preview") if codec == "hevc" else Message("media.no_preview")
        warnings.append(Message("media.codec", name=name, codec=codec_label, detail=detail))
    return tuple(problems), tuple(warnings)


def validate(result: ProbeResult) -> ProbeResult:
    """`result` with problems and warnings from `check_reference` added to its own."""
    problems, warnings = check_reference(result)
    return replace(result, problems=result.problems + problems, warnings=result.warnings + warnings)
