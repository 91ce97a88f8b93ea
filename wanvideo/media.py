"""Reference video probing and validation with PyAV, in-process, headers only.

INTERFACE STUB: the signatures below are the contract other modules rely on.

    result = probe_file("clip.mp4")
    result.problems   # ("clip.mp4 lasts 1.2 s; references must be 2 to 30 s long",)
    result.warnings   # ("clip.mp4 has no audio track: the voice cannot be copied",)
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProbeResult:
    name: str  # file name or the URL's last path segment, for messages
    source: str  # local path or URL
    size_bytes: int | None = None
    container: str | None = None  # "mp4", "mov", "webm", ... detected by content
    duration: float | None = None  # seconds; None when unknown
    video_codec: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    has_audio: bool = False
    problems: tuple[str, ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems


def probe_file(path: str, name: str | None = None) -> ProbeResult:
    """Probe a local file and validate it against the API rules. Never raises for bad files."""
    raise NotImplementedError


async def probe_url(url: str, *, allow_private: bool = False, timeout: float = 20.0) -> ProbeResult:
    """Probe a remote reference; refuses internal addresses unless `allow_private`."""
    raise NotImplementedError
