"""Rules: probed facts -> problems (the API would refuse the file) and warnings (it works,
with a caveat). Pure functions, no I/O.

The limits (2 to 30 s, 100 MB) are the provider's and come from `wanvideo.limits`.
"""

from __future__ import annotations

import math
from dataclasses import replace

from ..limits import MAX_REFERENCE_BYTES, MAX_REFERENCE_SECONDS, MIN_REFERENCE_SECONDS
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
FIX_CHOICE = "Fix clips automatically"  # the option that prepares clips (form and API: fix_references)


_READER_FAILURES = {
    SandboxFailure.TIMED_OUT: "reading its headers took too long",
    SandboxFailure.OUT_OF_MEMORY: "reading its headers needed too much memory",
    SandboxFailure.CRASHED: "reading its headers crashed the reader",
}


def megabytes(size: int) -> str:
    """Size in MB (10^6, as the provider counts), rounded up so 100.01 MB never reads 100.0."""
    return f"{math.ceil(size / 100_000) / 10:g} MB"


def _seconds(value: float, limit: float) -> str:
    """`value` with one decimal, or two when one would look equal to `limit`."""
    text = f"{value:.1f}"
    if float(text) == limit:
        text = f"{value:.2f}"
    return f"{text} s"


def check_reference(result: ProbeResult) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The API rules applied to probed facts: (problems, warnings). Pure, no I/O.

    Problems say what to change; warnings say what will be missing.
    """
    name = result.name
    problems: list[str] = []
    warnings: list[str] = []
    accepted = " or ".join(c.upper() for c in REFERENCE_CONTAINERS)
    limit = f"{MIN_REFERENCE_SECONDS:g} to {MAX_REFERENCE_SECONDS:g} s"

    if result.size_bytes == 0:
        return (f"{name} is empty (0 bytes); choose the video file again",), ()
    if result.size_bytes is not None and result.size_bytes > MAX_REFERENCE_BYTES:
        return (
            f"{name} is {megabytes(result.size_bytes)}; references must be at most "
            f"{megabytes(MAX_REFERENCE_BYTES)}: trim or compress it",
        ), ()

    label, kind = CONTAINER_LABELS.get(result.container or "", (None, "video"))
    if kind != "video":
        if result.container == "html":
            where = "use a direct link to the video file" if result.is_remote else "upload the video itself"
            return (f"{name} is a web page, not a video; {where} ({accepted})",), ()
        return (f"{name} is {label}, not a video; upload an {accepted} file",), ()
    if result.container is not None and result.container not in REFERENCE_CONTAINERS:
        what = label or f"in the {result.container.upper()} format"
        return (f"{name} is {what}; upload an {accepted} file",), ()

    if result.implausible is not None:
        bad = result.implausible
        return (
            f"{name} declares {bad.declared:,.0f} {bad.what} (no real video has more than "
            f"{bad.limit:,.0f}), so it was not opened; export the video again as {accepted}",
        ), ()
    if result.reader_failure is not None:
        why = _READER_FAILURES.get(result.reader_failure, "reading it failed")
        return (f"{name} could not be read safely ({why}); export the video again as {accepted}",), ()

    if result.read_error is not None:
        if result.container in REFERENCE_CONTAINERS:
            what = result.container.upper()
            return (
                f"{name} is damaged or incomplete (its {what} structure cannot be read); "
                "export or download it again",
            ), ()
        return (f"{name} is not a video file that can be read; upload an {accepted} file",), ()

    if result.stray_bytes:
        return (
            f"{name} has {result.stray_bytes:,} stray bytes after the end of its video (players "
            f"ignore them; the provider may not); turn on '{FIX_CHOICE}' to remux it, or export it again",
        ), ()

    if not result.headers_read:
        # A remote file whose headers could not be fetched: let it through, cost as a range.
        warnings.append(
            f"could not read how long {name} lasts without downloading all of it; "
            "the cost is shown as a range"
        )
        return tuple(problems), tuple(warnings)

    if result.video_codec is None:
        kind_text = "audio only" if result.has_audio else "no streams"
        return (f"{name} has no video track ({kind_text}); upload a video with a picture",), ()

    if result.duration is None:
        warnings.append(f"could not read how long {name} lasts; the cost is shown as a range")
    elif result.duration < MIN_REFERENCE_SECONDS:
        problems.append(
            f"{name} lasts {_seconds(result.duration, MIN_REFERENCE_SECONDS)}; references must be "
            f"{limit} long: use a longer clip"
        )
    elif result.duration > MAX_REFERENCE_SECONDS:
        problems.append(
            f"{name} lasts {_seconds(result.duration, MAX_REFERENCE_SECONDS)}; references must be "
            f"{limit} long: trim it to {MAX_REFERENCE_SECONDS:g} s or less"
        )

    if not result.has_audio:
        warnings.append(f"{name} has no audio track: the voice cannot be copied")
    codec = result.video_codec
    if codec not in BROWSER_CODECS:
        codec_label = CODEC_LABELS.get(codec, codec.upper())
        if codec == "hevc":
            detail = "only some browsers (Safari, recent Chrome and Edge) can preview it"
        else:
            detail = "browsers may not preview it"
        warnings.append(f"{name} uses {codec_label} video: {detail}; convert to H.264 for a preview")
    return tuple(problems), tuple(warnings)


def validate(result: ProbeResult) -> ProbeResult:
    """`result` with problems and warnings from `check_reference` added to its own."""
    problems, warnings = check_reference(result)
    return replace(result, problems=result.problems + problems, warnings=result.warnings + warnings)
