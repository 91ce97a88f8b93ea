"""A create's reference videos, made local and checked against the spec's video rules.

A link to one of the simulator's own uploads is read in place; any other link is fetched by
`fetch.fetch_link` (the one guarded fetcher) into the task's work folder. Each reference
must then be an mp4/mov file within the size limit and 2 to 30 s long (`contract.Contract`).
The first reference that fails refuses the whole create, before any task exists, so a refusal
costs nothing::

    refs = await resolve_references(urls, work_dir, state=state, config=config)
    refs[0].path, refs[0].duration
    # or ReferenceRefused: .index (0-based), .reason ("it points to an internal address")
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from wanvideo.media import video_duration

from .config import SimConfig
from .fetch import LinkRefused, fetch_link
from .state import SimState

# The first box of an ISO base media (mp4) or QuickTime (mov) file.
_MP4_MOV_BOXES = {b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


@dataclass(frozen=True)
class Reference:
    url: str
    path: Path
    duration: float


class ReferenceRefused(Exception):
    """Reference `index` (0-based) cannot be used; `reason` is fit to show anyone."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(f"video_urls[{index}]: {reason}")
        self.index = index
        self.reason = reason

    @property
    def message(self) -> str:
        return f"Reference video {self.index + 1} cannot be used: {self.reason}"


def is_mp4_or_mov(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(12)
    return len(head) >= 8 and head[4:8] in _MP4_MOV_BOXES


async def _local(index: int, url: str, work_dir: Path, state: SimState, config: SimConfig) -> Path:
    own = state.file_for_url(url)
    if own is not None:
        if own.expired or not own.path.exists():
            raise ReferenceRefused(index, "the uploaded file was not found or has expired")
        return own.path
    work_dir.mkdir(parents=True, exist_ok=True)
    dest = work_dir / f"reference-{index + 1}"
    try:
        await fetch_link(
            url,
            dest,
            max_bytes=config.rules.max_reference_bytes,
            timeout=config.fetch_timeout,
            allow_private=config.allow_private_urls,
        )
    except LinkRefused as exc:
        raise ReferenceRefused(index, f"the link could not be fetched: {exc.reason}") from exc
    return dest


def _check(index: int, path: Path, config: SimConfig) -> float:
    rules = config.rules
    formats = " or ".join(rules.reference_formats)
    if path.stat().st_size > rules.max_reference_bytes:
        raise ReferenceRefused(index, f"it is larger than {rules.max_reference_mb} MB")
    duration = video_duration(path) if is_mp4_or_mov(path) else None
    if duration is None:
        raise ReferenceRefused(index, f"it is not a readable {formats} video")
    if not rules.min_reference_seconds <= duration <= rules.max_reference_seconds:
        raise ReferenceRefused(
            index,
            f"it lasts {duration:.1f} s; a reference must be "
            f"{rules.min_reference_seconds:g} to {rules.max_reference_seconds:g} s long",
        )
    return duration


async def _resolve(index: int, url: str, work_dir: Path, state: SimState, config: SimConfig) -> Reference:
    path = await _local(index, url, work_dir, state, config)
    duration = await asyncio.to_thread(_check, index, path, config)
    return Reference(url=url, path=path, duration=duration)


async def resolve_references(
    urls: list[str], work_dir: Path, *, state: SimState, config: SimConfig
) -> list[Reference]:
    """Every reference local and checked, fetched side by side; the first refusal wins."""
    results = await asyncio.gather(
        *(_resolve(i, url, work_dir, state, config) for i, url in enumerate(urls)), return_exceptions=True
    )
    refused = sorted((r for r in results if isinstance(r, ReferenceRefused)), key=lambda r: r.index)
    if refused:
        raise refused[0]
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [r for r in results if isinstance(r, Reference)]
