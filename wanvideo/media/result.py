"""`ProbeResult`: the facts probed from one reference, with the problems and warnings found."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class SandboxFailure(str, Enum):
    """Why the sandboxed worker gave no answer for a job."""

    TIMED_OUT = "timed_out"  # past its deadline: the worker was killed
    CRASHED = "crashed"  # the worker died (a native crash, or killed by the system)
    OUT_OF_MEMORY = "out_of_memory"  # an allocation failed under the memory cap
    FAILED = "failed"  # the job raised (a bug or a bad argument)
    CANCELLED = "cancelled"  # the caller stopped waiting: the worker was killed


@dataclass(frozen=True)
class ImplausibleHeader:
    """A header declares more than any real video has, so the file was never parsed."""

    what: str  # "samples", "seconds", "width" or "height"
    declared: float
    limit: float


@dataclass(frozen=True)
class ProbeResult:
    name: str  # file name or the URL's last path segment, for messages
    source: str  # local path or URL
    size_bytes: int | None = None
    container: str | None = None  # "mp4", "mov", "webm", ... detected by content
    duration: float | None = None  # seconds; None when unknown
    video_codec: str | None = None
    # As displayed: the rotation flag applied (a portrait phone clip stored landscape is
    # reported portrait here, `rotation` saying what a player turns it by).
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    has_audio: bool = False
    problems: tuple[str, ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = field(default_factory=tuple)
    audio_codec: str | None = None
    # True once PyAV parsed the headers (streams, duration); False when it was not tried
    # (size or type already settle it) or could not finish.
    headers_read: bool = False
    # Why PyAV could not parse the file (technical detail, for logs); None otherwise.
    read_error: str | None = None
    is_remote: bool = False
    # Set when the headers declare absurd amounts (sample counts, duration, size): not parsed.
    implausible: ImplausibleHeader | None = None
    # Set when the sandboxed reader gave no answer (killed past its deadline, out of memory...).
    reader_failure: SandboxFailure | None = None
    # Clockwise degrees (0, 90, 180, 270) a player turns the picture by (the display matrix).
    rotation: int = 0
    # Bytes after the end of a complete MP4/MOV that belong to no box (players ignore them).
    stray_bytes: int = 0
    pixel_format: str | None = None  # the video's, e.g. "yuv420p"

    @property
    def orientation(self) -> str | None:
        """ "portrait", "landscape" or "square" as displayed; None when the size is unknown."""
        if not self.width or not self.height:
            return None
        if self.width == self.height:
            return "square"
        return "portrait" if self.height > self.width else "landscape"

    @property
    def ok(self) -> bool:
        return not self.problems
