"""Reference images: probed in the sandbox, checked, and fixed so every provider takes them.

    probe = await probe_image_local(path, "photo.heic")      # header only, in a sandboxed worker
    plan = plan_image(probe, fix=True)                        # pure: problems, or a job + notes
    made = await prepare_image(path, probe, plan, root=...)  # PreparedImage (a JPEG), cached

What is sent satisfies every source (`wanvideo.limits`: 360-2000 px per side, 10 MB, no alpha,
JPEG/PNG/BMP/WEBP). With `fix`, anything else that can be made so is: converted from HEIC/AVIF,
flattened onto white, turned upright (EXIF orientation), scaled into the pixel range,
re-encoded under the byte limit. Without it, each of those is a problem saying what to change
(a turned photo only a warning). This module imports no Pillow: the decoding is
`pictures.py`'s, in the worker.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..error_base import WanError
from ..limits import (
    IMAGE_FORMATS,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_SIDE,
    MAX_IMAGE_SOURCE_BYTES,
    MIN_IMAGE_SIDE,
)
from ..messages import Message
from .result import SandboxFailure
from .rules import FIX_CHOICE, megabytes
from .sandbox import Sandbox, SandboxError
from .sniff import CONTAINER_LABELS

logger = logging.getLogger(__name__)

IMAGE_PROBE_SECONDS = 10.0  # a header read takes milliseconds; this is the kill deadline
IMAGE_FIX_SECONDS = 60.0  # a 120 MP JPEG decodes reduced in about a second
IMAGE_FIX_MEMORY_MB = 1024  # a 50 MP PNG decoded as RGBA is 200 MB, plus its RGB copy
IMAGE_FIX_VERSION = "1"  # part of the cache key: bump when the output of `fix_image` changes
BACKGROUND = (255, 255, 255)  # transparency is flattened onto white
MAX_ASPECT = MAX_IMAGE_SIDE / MIN_IMAGE_SIDE  # wider than this cannot fit both side limits
# Formats the app can fix into one the providers take (HEIC and AVIF: what phones make).
FIXABLE_FORMATS = (*IMAGE_FORMATS, "heif")
FORMAT_NAMES = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "bmp": "BMP", "heif": "HEIC"}
ACCEPTED_WORDS = "JPEG, PNG, WEBP, BMP or HEIC"  # format names are the same in every language
PROBE_JOB = "wanvideo.media.pictures:read_image"
HEAD_JOB = "wanvideo.media.pictures:read_image_head"
FIX_JOB = "wanvideo.media.pictures:fix_image"


@dataclass(frozen=True)
class ImageProbe:
    """One reference image as given: what its header says (width and height as displayed, the
    EXIF orientation applied) and the problems no fix can solve."""

    name: str  # file name or the link's last path segment, for messages
    source: str  # local path or URL
    format: str | None = None  # sniffed from the bytes ("jpeg", "png", "heif", ...), never the name
    width: int | None = None
    height: int | None = None
    has_alpha: bool = False
    rotated: bool = False  # its EXIF orientation turns or mirrors it
    bytes: int | None = None
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    orientation: int = 1  # the EXIF orientation tag (1 = upright)
    is_remote: bool = False
    read_error: str | None = None  # why the header could not be read (technical, for logs)
    too_many_pixels: int | None = None  # the pixel limit its header broke: never decoded
    reader_failure: SandboxFailure | None = None

    @property
    def format_name(self) -> str | None:
        """ "JPEG", "HEIC", ...: the format as a card shows it."""
        return FORMAT_NAMES.get(self.format or "", (self.format or "").upper() or None)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class ImageJob:
    """What `pictures.fix_image` makes: a JPEG of `width` x `height` (as displayed) under
    `max_bytes`, turned upright by the EXIF orientation, flattened onto `background`."""

    format: str  # the source's sniffed format
    width: int
    height: int
    turn: int  # clockwise degrees the EXIF orientation turns the stored picture by
    max_bytes: int = MAX_IMAGE_BYTES
    background: tuple[int, int, int] = BACKGROUND

    def key(self) -> str:
        text = f"{IMAGE_FIX_VERSION}|{self.width}x{self.height}|{self.max_bytes}|{self.background}"
        return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class MadeImage:
    """What `fix_image` wrote."""

    width: int
    height: int
    bytes: int


@dataclass(frozen=True)
class ImagePlan:
    """What an image needs before it is sent: `job` (None: sent as it is) and the notes of what
    it does, or the problems when it cannot be sent (fixing off, or not fixable)."""

    job: ImageJob | None = None
    notes: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PreparedImage:
    """A fixed image, ready to upload in place of the original."""

    path: Path
    width: int
    height: int
    bytes: int
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ImageCard:
    """What the page shows for one image: name, format, size, what was fixed, the problem."""

    name: str
    format: str | None
    width: int | None
    height: int | None
    notes: tuple[str, ...]
    problem: str | None


def _what(probe: ImageProbe) -> str:
    label = CONTAINER_LABELS.get(probe.format or "")
    return label[0] if label else Message("image.unknown_kind")


def check_image(probe: ImageProbe, max_bytes: int = MAX_IMAGE_SOURCE_BYTES) -> ImageProbe:
    """The problems no fix can solve (pure): empty, larger than `max_bytes`, not an image, a format
    the app cannot read, an unreadable or oversized header, an extreme aspect ratio."""
    name, problems = probe.name, list(probe.problems)
    if probe.bytes == 0:
        problems.append(Message("image.empty", name=name))
    elif probe.bytes is not None and probe.bytes > max_bytes:
        size, most = megabytes(probe.bytes), megabytes(max_bytes)
        problems.append(Message("image.source_too_big", name=name, size=size, max=most))
    elif probe.reader_failure is not None:
        why = Message("media.read_failed") if probe.reader_failure is SandboxFailure.FAILED else None
        why = why or Message(f"image.failure_{probe.reader_failure.value}")
        problems.append(Message("image.unsafe", name=name, why=why, accepted=ACCEPTED_WORDS))
    elif probe.format is None or CONTAINER_LABELS.get(probe.format, ("", ""))[1] != "image":
        problems.append(Message("image.not_image", name=name, what=_what(probe), accepted=ACCEPTED_WORDS))
    elif probe.format not in FIXABLE_FORMATS:
        problems.append(Message("image.wrong_format", name=name, what=_what(probe), accepted=ACCEPTED_WORDS))
    elif probe.too_many_pixels is not None:
        problems.append(_pixels_refusal(probe))
    elif probe.read_error is not None or not probe.width or not probe.height:
        what = probe.format_name or ""
        problems.append(Message("image.unreadable", name=name, format=what, accepted=ACCEPTED_WORDS))
    elif max(probe.width, probe.height) / min(probe.width, probe.height) > MAX_ASPECT:
        problems.append(
            Message(
                "image.aspect", name=name, width=probe.width, height=probe.height, ratio=f"{MAX_ASPECT:.1f}"
            )
        )
    return replace(probe, problems=tuple(problems))


def _pixels_refusal(probe: ImageProbe) -> Message:
    most = f"{(probe.too_many_pixels or 0) / 1e6:g}"
    if probe.width and probe.height:
        return Message(
            "image.too_many_pixels", name=probe.name, width=probe.width, height=probe.height, max=most
        )
    return Message("image.bomb", name=probe.name, max=most)


def target_size(width: int, height: int) -> tuple[int, int]:
    """`width` x `height` scaled (aspect kept) so each side is within MIN..MAX_IMAGE_SIDE."""
    scale = min(1.0, MAX_IMAGE_SIDE / max(width, height))
    if min(width, height) * scale < MIN_IMAGE_SIDE:
        scale = MIN_IMAGE_SIDE / min(width, height)

    def side(value: int) -> int:
        return min(MAX_IMAGE_SIDE, max(MIN_IMAGE_SIDE, round(value * scale)))

    return side(width), side(height)


def plan_image(probe: ImageProbe, *, fix: bool) -> ImagePlan:
    """What `probe` needs (pure). With `fix`: a job and its notes; without: the problems."""
    if probe.problems or not probe.width or not probe.height or probe.format is None:
        return ImagePlan(problems=probe.problems, warnings=probe.warnings)
    name, width, height = probe.name, probe.width, probe.height
    size = target_size(width, height)
    notes: list[str] = []
    off: list[str] = []
    warnings = list(probe.warnings)
    fmt = probe.format_name or probe.format
    if probe.format not in IMAGE_FORMATS:
        notes.append(Message("image.note_converted", format=fmt))
        off.append(Message("image.format_off", name=name, format=fmt, fix=FIX_CHOICE))
    if probe.has_alpha:
        notes.append(Message("image.note_flattened"))
        off.append(Message("image.alpha_off", name=name, fix=FIX_CHOICE))
    if probe.rotated:
        notes.append(Message("image.note_upright"))
        if not fix:
            warnings.append(Message("image.rotated_off", name=name, fix=FIX_CHOICE))
    if size != (width, height):
        notes.append(
            Message("image.note_scaled", width=width, height=height, new_width=size[0], new_height=size[1])
        )
        off.append(
            Message(
                "image.pixels_off",
                name=name,
                width=width,
                height=height,
                low=MIN_IMAGE_SIDE,
                high=MAX_IMAGE_SIDE,
                fix=FIX_CHOICE,
            )
        )
    if probe.bytes is not None and probe.bytes > MAX_IMAGE_BYTES:
        most, was = megabytes(MAX_IMAGE_BYTES), megabytes(probe.bytes)
        notes.append(Message("image.note_reencoded", size=was, max=most))
        off.append(Message("image.bytes_off", name=name, size=was, max=most, fix=FIX_CHOICE))
    if not notes:
        return ImagePlan(warnings=tuple(warnings))
    if not fix:
        return ImagePlan(problems=tuple(off), warnings=tuple(warnings))
    turn = {3: 180, 4: 180, 5: 90, 6: 90, 7: 270, 8: 270}.get(probe.orientation, 0)
    job = ImageJob(format=probe.format, width=size[0], height=size[1], turn=turn)
    return ImagePlan(job=job, notes=tuple(notes), warnings=tuple(warnings))


def image_card(probe: ImageProbe, plan: ImagePlan | None, made: PreparedImage | None) -> ImageCard:
    """The card view of one image: as it will be sent when fixed, else as given."""
    problems = (plan.problems if plan is not None else ()) or probe.problems
    return ImageCard(
        name=probe.name,
        format=FORMAT_NAMES["jpeg"] if made is not None else probe.format_name,
        width=made.width if made is not None else probe.width,
        height=made.height if made is not None else probe.height,
        notes=made.notes if made is not None else (plan.notes if plan is not None else ()),
        problem=problems[0] if problems else None,
    )


_sandbox: Sandbox | None = None


def image_sandbox() -> Sandbox:
    """The process-wide sandbox for image decoding: one worker with room for a 50 MP PNG,
    separate from the probes' pool (a decode never delays a probe) and from the clips' (a
    photo never waits behind a long transcode)."""
    global _sandbox
    if _sandbox is None:
        import atexit

        _sandbox = Sandbox(workers=1, memory_mb=IMAGE_FIX_MEMORY_MB)
        atexit.register(_sandbox.close)
    return _sandbox


async def probe_image_local(
    path: str | os.PathLike[str],
    name: str | None = None,
    *,
    sandbox: Sandbox | None = None,
    max_bytes: int = MAX_IMAGE_SOURCE_BYTES,
) -> ImageProbe:
    """An uploaded image's header read and checked in a sandboxed worker. Never raises."""
    from .sandbox import default_sandbox

    name = name or Path(path).name
    try:
        return await (sandbox or default_sandbox()).run(
            PROBE_JOB, str(path), name, max_bytes, timeout=IMAGE_PROBE_SECONDS
        )
    except SandboxError as exc:
        logger.warning("sandboxed image probe of %s failed: %s", name, exc)
        return check_image(ImageProbe(name=name, source=str(path), reader_failure=exc.reason))


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


class ImageFixError(WanError):
    """An image could not be fixed; `message` says why (a catalogue Message, no server path)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message)


async def prepare_image(
    source: str | os.PathLike[str],
    probe: ImageProbe,
    plan: ImagePlan,
    *,
    root: Path,
    sandbox: Sandbox | None = None,
) -> PreparedImage:
    """Make `plan`'s job of `source` under `root` (cached by content and job). Raises ImageFixError."""
    import asyncio

    if plan.job is None:
        raise ValueError("this image needs no fixing")
    digest = await asyncio.to_thread(_digest, Path(source))
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(probe.name).stem[:60]) or "image"
    dest = Path(root) / f"{digest[:32]}-img{plan.job.key()}" / f"{stem}.jpg"
    made = _MADE.get(str(dest))
    if made is None or not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            made = await (sandbox or image_sandbox()).run(
                FIX_JOB, str(source), str(dest), plan.job, timeout=IMAGE_FIX_SECONDS
            )
        except SandboxError as exc:
            logger.info("fixing %s failed: %s", probe.name, exc)
            why = Message("media.read_failed") if exc.reason is SandboxFailure.FAILED else None
            why = why or Message(f"image.failure_{exc.reason.value}")
            raise ImageFixError(Message("image.fix_failed", name=probe.name, why=why)) from None
        _MADE[str(dest)] = made
    return PreparedImage(path=dest, width=made.width, height=made.height, bytes=made.bytes, notes=plan.notes)


_MADE: dict[str, MadeImage] = {}  # images made in this process, by path (a restart makes them again)
