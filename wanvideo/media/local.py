"""Reading with PyAV: stream facts from a file's headers (never decoding), and a video's
duration. Everything that opens a video with PyAV to learn its facts lives here.

    result = probe_file("clip.mp4")      # in this process: trusted files, or inside a worker
    seconds = video_duration(path)       # None when unreadable or without a video stream

Untrusted files go through `wanvideo.media.probe_local`, which runs `probe_file` in a
sandboxed worker process.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import av

from ..limits import MAX_REFERENCE_BYTES
from ..messages import Message
from .isobmff import ISO_CONTAINERS, implausible_header, iso_rotation, iso_tail
from .result import ProbeResult
from .rules import REFERENCE_CONTAINERS, validate
from .sniff import HEAD_BYTES, container_from_format, is_video_kind, sniff_container

logger = logging.getLogger(__name__)


def _first_video(container: av.container.InputContainer) -> av.video.stream.VideoStream | None:
    """The first real video stream (not a cover picture)."""
    return next(
        (s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic),
        None,
    )


def _duration(container: av.container.InputContainer, video: Any) -> float | None:
    """Seconds: the container's duration, else the video stream's; None when neither is known."""
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    if video is not None and video.duration and video.time_base:
        return float(video.duration * video.time_base)
    return None


def video_duration(path: Path | str) -> float | None:
    """How long the video at `path` lasts, in seconds; None when it cannot be read or has no
    video stream. Headers only (never decodes); never raises for a bad file."""
    try:
        with av.open(str(path), mode="r", metadata_errors="replace") as container:
            video = _first_video(container)
            if video is None:
                return None
            return _duration(container, video)
    except (av.FFmpegError, OSError, EOFError, UnicodeError, ValueError, MemoryError) as exc:
        logger.info("could not read the duration of %s: %s", Path(path).name, type(exc).__name__)
        return None


def _tag_rotation(tag: str | None) -> int:
    """A `rotate` tag (Matroska and older muxers) as clockwise degrees; 0 when absent."""
    try:
        return int(round(float(tag or 0) / 90.0)) % 4 * 90
    except ValueError:
        return 0


def displayed(result: ProbeResult) -> ProbeResult:
    """`result` with its size as displayed: a quarter turn swaps width and height."""
    if result.rotation in (90, 270) and result.width and result.height:
        return replace(result, width=result.height, height=result.width)
    return result


def read_streams(source: str | IO[bytes]) -> dict[str, Any]:
    """Stream facts from PyAV; parses headers (and at most a few packets), never decodes."""
    with av.open(source, mode="r", metadata_errors="replace") as container:
        facts: dict[str, Any] = {"headers_read": True}
        fmt = container.format.name
        facts["_format"] = (fmt, container.metadata.get("major_brand"))
        video = _first_video(container)
        audio = next(iter(container.streams.audio), None)
        duration = _duration(container, video)
        facts["duration"] = round(duration, 3) if duration is not None else None
        if video is not None:
            ctx = video.codec_context
            rate = video.average_rate or video.guessed_rate
            facts.update(
                video_codec=ctx.name,
                width=ctx.width or None,
                height=ctx.height or None,
                fps=round(float(rate), 3) if rate else None,
                pixel_format=ctx.format.name if ctx.format is not None else None,
                rotation=_tag_rotation(video.metadata.get("rotate")),
            )
        if audio is not None:
            facts.update(has_audio=True, audio_codec=audio.codec_context.name)
        return facts


def with_streams(result: ProbeResult, source: str | IO[bytes]) -> ProbeResult:
    """`result` plus what PyAV reads from `source`; a parse failure becomes `read_error`."""
    try:
        facts = read_streams(source)
    except (av.FFmpegError, EOFError, UnicodeError) as exc:
        logger.info("could not parse %s: %s", result.name, exc)
        return replace(result, read_error=str(exc) or type(exc).__name__)
    fmt, brand = facts.pop("_format")
    if result.container is None:
        facts["container"] = container_from_format(fmt, brand)
    return replace(result, **facts)


def with_iso_check(result: ProbeResult, fh: IO[bytes]) -> ProbeResult:
    """Flag an MP4/MOV whose boxes run past the end of the file (a cut-off copy), note
    stray bytes after a complete movie, and read the video track's rotation."""
    if result.container not in REFERENCE_CONTAINERS or result.read_error or not result.size_bytes:
        return result
    missing, stray = iso_tail(fh, result.size_bytes)
    if missing:
        return replace(result, read_error=f"truncated: {missing} bytes missing")
    rotation = iso_rotation(fh, result.size_bytes) if result.video_codec else 0
    return replace(result, stray_bytes=stray, rotation=rotation or result.rotation)


def read_facts(result: ProbeResult, source: str | IO[bytes], fh: IO[bytes]) -> ProbeResult:
    """A sniffed `result` plus what its headers say: the sanity caps first (MP4/MOV box
    headers only), then PyAV, then the truncation check. `fh` reads the same bytes as `source`."""
    if result.container in ISO_CONTAINERS and result.size_bytes:
        implausible = implausible_header(fh, result.size_bytes)
        if implausible is not None:
            return replace(result, implausible=implausible)
    if not isinstance(source, str):
        source.seek(0)  # the box walk above may have moved it
    result = with_streams(result, source)
    return displayed(with_iso_check(result, fh))


def probe_file(
    path: str | os.PathLike[str], name: str | None = None, max_bytes: int = MAX_REFERENCE_BYTES
) -> ProbeResult:
    """Probe a local file in this process and validate it against the API rules. Never raises
    for bad files. The size comes from `stat` first: an empty file, or one larger than
    `max_bytes` (the API's limit, or the larger one of clips the app can shrink), is refused
    unopened."""
    name = name or Path(path).name
    result = ProbeResult(name=name, source=str(path))
    try:
        size = os.stat(path).st_size
        if not Path(path).is_file():
            return replace(result, problems=(Message("media.not_a_file", name=name),))
        result = replace(result, size_bytes=size)
        if size == 0 or size > max_bytes:
            return validate(result)
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except FileNotFoundError:
        return replace(result, problems=(Message("media.not_found", name=name),))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return replace(result, problems=(Message("media.could_not_read", name=name, reason=reason),))
    result = replace(result, container=sniff_container(head))
    if is_video_kind(result.container):
        try:
            with open(path, "rb") as fh:
                result = read_facts(result, str(path), fh)
        except Exception as exc:  # a bug or an odd file must not break the page
            logger.exception("unexpected error probing %s", name)
            result = replace(result, read_error=f"{type(exc).__name__}: {exc}")
    return validate(result)
