"""A create's reference videos, made local and checked against the spec's video rules.

A link to one of the simulator's own uploads is read in place; any other link is fetched by
`fetch.fetch_link` (the one guarded fetcher) into the task's work folder. Each reference
must then be an mp4/mov file within the size limit and 2 to 30 s long (`contract.Contract`).
The first reference that fails refuses the whole create, before any task exists, so a refusal
costs nothing::

    refs = await resolve_references(urls, work_dir, state=state, config=config)
    refs[0].path, refs[0].duration
    # or ReferenceRefused: .index (0-based), .reason ("it points to an internal address")

The queue dialects pass their own `MediaLimits` (DashScope also takes images; fal wants at
least 16 fps) and a `local` lookup for their own storage (DashScope's ``oss://`` keys)::

    refs = await resolve_references(urls, work_dir, state=state, config=config,
                                    limits=DASHSCOPE_LIMITS, local=lookup)
    refs[0].kind, refs[0].fps          # "video" or "image"; frames per second of a video
    # ReferenceRefused.fetched is False when the link itself could not be read
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wanvideo.media import video_duration

from .config import SimConfig
from .fetch import LinkRefused, fetch_link
from .render import probe_fps
from .state import SimState

# The first box of an ISO base media (mp4) or QuickTime (mov) file.
_MP4_MOV_BOXES = {b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


@dataclass(frozen=True)
class MediaLimits:
    """What one provider accepts as a reference (the EvoLink dialects: `from_contract`)."""

    formats: tuple[str, ...]  # video containers, "mp4", "mov"
    min_seconds: float
    max_seconds: float
    max_bytes: int
    max_mb: int  # the size limit as the provider writes it
    min_fps: float | None = None
    image_formats: tuple[str, ...] = ()  # Pillow format names; empty: images are refused
    image_min_side: int = 0
    image_max_side: int = 0
    image_max_bytes: int = 0
    image_max_mb: int = 0

    @classmethod
    def from_contract(cls, config: SimConfig) -> MediaLimits:
        rules = config.rules
        return cls(
            formats=rules.reference_formats,
            min_seconds=rules.min_reference_seconds,
            max_seconds=rules.max_reference_seconds,
            max_bytes=rules.max_reference_bytes,
            max_mb=rules.max_reference_mb,
        )


@dataclass(frozen=True)
class Reference:
    url: str
    path: Path
    duration: float  # 0 for an image
    kind: str = "video"  # or "image"
    fps: float | None = None


class ReferenceRefused(Exception):
    """Reference `index` (0-based) cannot be used; `reason` is fit to show anyone.
    `fetched` is False when the link could not be read at all (not a rule of the media)."""

    def __init__(self, index: int, reason: str, *, fetched: bool = True) -> None:
        super().__init__(f"video_urls[{index}]: {reason}")
        self.index = index
        self.reason = reason
        self.fetched = fetched

    @property
    def message(self) -> str:
        return f"Reference video {self.index + 1} cannot be used: {self.reason}"


# A lookup of the dialect's own storage: the local path of `url`, None when it is not one of
# ours, or a refusal reason (str) when it is ours but unusable.
LocalLookup = Callable[[str], "Path | str | None"]


def is_mp4_or_mov(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(12)
    return len(head) >= 8 and head[4:8] in _MP4_MOV_BOXES


async def _local(
    index: int,
    url: str,
    work_dir: Path,
    state: SimState,
    config: SimConfig,
    limits: MediaLimits,
    local: LocalLookup | None,
) -> Path:
    found = local(url) if local is not None else None
    if isinstance(found, str):
        raise ReferenceRefused(index, found, fetched=False)
    if found is not None:
        return found
    own = state.file_for_url(url)
    if own is not None:
        if own.expired or not own.path.exists():
            raise ReferenceRefused(index, "the uploaded file was not found or has expired", fetched=False)
        return own.path
    work_dir.mkdir(parents=True, exist_ok=True)
    dest = work_dir / f"reference-{index + 1}"
    # An image may be the larger file where a provider takes both.
    most = max(limits.max_bytes, limits.image_max_bytes)
    try:
        await fetch_link(
            url,
            dest,
            max_bytes=most,
            timeout=config.fetch_timeout,
            allow_private=config.allow_private_urls,
        )
    except LinkRefused as exc:
        raise ReferenceRefused(index, f"the link could not be fetched: {exc.reason}", fetched=False) from exc
    return dest


def _image(index: int, path: Path, limits: MediaLimits) -> bool:
    """True for an image the provider takes; raises for an image it refuses; False: no image."""
    if not limits.image_formats:
        return False
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            kind, size, mode, info = img.format, img.size, img.mode, img.info
    except (UnidentifiedImageError, OSError, ValueError):
        return False
    if kind not in limits.image_formats:
        return False  # refused below as media of no accepted kind
    if path.stat().st_size > limits.image_max_bytes:
        raise ReferenceRefused(index, f"the image is larger than {limits.image_max_mb} MB")
    if kind == "PNG" and (mode in ("RGBA", "LA", "PA") or "transparency" in info):
        raise ReferenceRefused(index, "the PNG image has an alpha channel (transparency)")
    low, high = limits.image_min_side, limits.image_max_side
    if not all(low <= side <= high for side in size):
        raise ReferenceRefused(
            index, f"the image is {size[0]}x{size[1]} px; each side must be {low} to {high} px"
        )
    return True


def _check(index: int, path: Path, limits: MediaLimits) -> tuple[str, float, float | None]:
    if _image(index, path, limits):
        return "image", 0.0, None
    if not limits.formats:  # images only
        raise ReferenceRefused(index, f"it is not a readable {'/'.join(limits.image_formats)} image")
    formats = " or ".join(limits.formats)
    if path.stat().st_size > limits.max_bytes:
        raise ReferenceRefused(index, f"it is larger than {limits.max_mb} MB")
    duration = video_duration(path) if is_mp4_or_mov(path) else None
    if duration is None:
        images = f" or a {'/'.join(limits.image_formats)} image" if limits.image_formats else ""
        raise ReferenceRefused(index, f"it is not a readable {formats} video{images}")
    if not limits.min_seconds <= duration <= limits.max_seconds:
        raise ReferenceRefused(
            index,
            f"it lasts {duration:.1f} s; a reference must be "
            f"{limits.min_seconds:g} to {limits.max_seconds:g} s long",
        )
    fps = probe_fps(path)
    if limits.min_fps is not None and (fps is None or fps < limits.min_fps):
        shown = "an unknown frame rate" if fps is None else f"{fps:g} fps"
        raise ReferenceRefused(index, f"it has {shown}; a reference needs at least {limits.min_fps:g} fps")
    return "video", duration, fps


async def fetch_reference(
    index: int,
    url: str,
    work_dir: Path,
    state: SimState,
    config: SimConfig,
    limits: MediaLimits,
    local: LocalLookup | None = None,
) -> Path:
    """One reference (or voice) made local, unchecked: an upload of ours, or a fetched link."""
    return await _local(index, url, work_dir, state, config, limits, local)


async def _resolve(
    index: int,
    url: str,
    work_dir: Path,
    state: SimState,
    config: SimConfig,
    limits: MediaLimits,
    local: LocalLookup | None,
) -> Reference:
    path = await _local(index, url, work_dir, state, config, limits, local)
    kind, duration, fps = await asyncio.to_thread(_check, index, path, limits)
    return Reference(url=url, path=path, duration=duration, kind=kind, fps=fps)


async def resolve_references(
    urls: list[str],
    work_dir: Path,
    *,
    state: SimState,
    config: SimConfig,
    limits: MediaLimits | None = None,
    local: LocalLookup | None = None,
) -> list[Reference]:
    """Every reference local and checked, fetched side by side; the first refusal wins."""
    limits = limits or MediaLimits.from_contract(config)
    results = await asyncio.gather(
        *(_resolve(i, url, work_dir, state, config, limits, local) for i, url in enumerate(urls)),
        return_exceptions=True,
    )
    refused = sorted((r for r in results if isinstance(r, ReferenceRefused)), key=lambda r: r.index)
    if refused:
        raise refused[0]
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [r for r in results if isinstance(r, Reference)]
