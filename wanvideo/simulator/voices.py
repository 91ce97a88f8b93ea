"""Voice references (Wan 2.7): an audio file bound to a character, checked as the provider
documents it: wav or mp3, 1 to 10 s, at most 15 MB [MODELS.md 4b, A27]. Fetched like any
reference (the simulator's own uploads, or a link through the guarded fetcher).

    problem = await check_voices(urls, work_dir, state=state, config=config)   # None: fine
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import av

from .config import SimConfig
from .references import LocalLookup, MediaLimits, ReferenceRefused, fetch_reference
from .state import SimState

VOICE_FORMATS = ("wav", "mp3")
MIN_SECONDS, MAX_SECONDS = 1.0, 10.0
MAX_MB = 15
_LIMITS = MediaLimits(formats=(), min_seconds=0, max_seconds=0, max_bytes=MAX_MB * 1000 * 1000, max_mb=MAX_MB)


def _seconds(path: Path) -> float | None:
    """The audio's length, or None when it is not a wav or mp3 file with sound."""
    try:
        with av.open(str(path)) as container:
            if container.format.name not in ("wav", "mp3") or not container.streams.audio:
                return None
            if container.duration:
                return container.duration / av.time_base
            stream = container.streams.audio[0]
            return float(stream.duration * stream.time_base) if stream.duration else None
    except (av.FFmpegError, OSError, ValueError):
        return None


def _check(path: Path) -> str | None:
    if path.stat().st_size > _LIMITS.max_bytes:
        return f"the voice is larger than {MAX_MB} MB"
    seconds = _seconds(path)
    if seconds is None:
        return f"the voice is not a readable {' or '.join(VOICE_FORMATS)} audio file"
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        return f"the voice lasts {seconds:.1f} s; it must be {MIN_SECONDS:g} to {MAX_SECONDS:g} s long"
    return None


async def check_voices(
    urls: list[str],
    work_dir: Path,
    *,
    state: SimState,
    config: SimConfig,
    local: LocalLookup | None = None,
    field: str = "reference_voice",
) -> str | None:
    """The first voice the provider would refuse, in its words; None when every one is fine."""
    for index, url in enumerate(urls):
        if not isinstance(url, str) or not url.lower().startswith(("http://", "https://", "oss://")):
            return f"{field}[{index}] must be a public http(s) URL or an oss:// temporary URL"
        try:
            path = await fetch_reference(index, url, work_dir / "voices", state, config, _LIMITS, local)
        except ReferenceRefused as refused:
            return f"{field}[{index}] cannot be used: {refused.reason}"
        problem = await asyncio.to_thread(_check, path)
        if problem:
            return f"{field}[{index}] cannot be used: {problem}"
    return None
