"""Pillow work on untrusted images: runs only in the sandboxed worker (`worker.jobs()`).

    probe = read_image(path, name, max_bytes)            # header only, never decodes
    probe = read_image_head(data, name, total)           # the first bytes of a link
    made = fix_image(src, dest, job)                     # decode, fix, encode under the limit

Safety: only the formats in `OPENED_FORMATS` are parsed (Pillow's `formats=`), the pixel count
is checked from the header before anything is decoded (`Image.MAX_IMAGE_PIXELS` is set to the
same limit, so Pillow's own bomb check agrees), a JPEG is decoded already reduced
(`Image.draft`), and the worker's memory cap and deadline bound whatever is left.
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from dataclasses import replace
from pathlib import Path
from typing import IO

import pillow_heif
from PIL import Image, UnidentifiedImageError

from ..limits import MAX_IMAGE_DECODED_PIXELS, MAX_IMAGE_SOURCE_PIXELS
from .image import ImageJob, ImageProbe, MadeImage, check_image
from .sniff import HEAD_BYTES, sniff_container

logger = logging.getLogger(__name__)

pillow_heif.register_heif_opener()
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_SOURCE_PIXELS  # Pillow's own bomb check: same limit as ours

# sniffed name -> Pillow's format names opened for it (nothing else is ever parsed)
OPENED_FORMATS: dict[str, tuple[str, ...]] = {
    "jpeg": ("JPEG",),
    "png": ("PNG",),
    "webp": ("WEBP",),
    "bmp": ("BMP",),
    "heif": ("HEIF", "AVIF"),
}
# EXIF orientation -> clockwise degrees a viewer turns the stored picture by (mirrors: same turn)
_TURNS = {1: 0, 2: 0, 3: 180, 4: 180, 5: 90, 6: 90, 7: 270, 8: 270}
_ORIENTATION = 0x0112
QUALITIES = (92, 85, 75, 60)  # JPEG qualities tried, best first, to get under the byte limit
SHRINK = 0.8  # then each side scaled by this, until it fits


def _has_alpha(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        return True
    return "transparency" in image.info


def _facts(probe: ImageProbe, image: Image.Image) -> ImageProbe:
    """What the opened (not decoded) image's header says, as displayed."""
    width, height = image.size
    orientation = int(image.getexif().get(_ORIENTATION, 1) or 1)
    orientation = orientation if orientation in _TURNS else 1
    if _TURNS[orientation] in (90, 270):
        width, height = height, width
    return replace(
        probe,
        width=width,
        height=height,
        has_alpha=_has_alpha(image),
        orientation=orientation,
        rotated=orientation != 1,
    )


def _pixel_problem(probe: ImageProbe, stored: tuple[int, int]) -> ImageProbe | None:
    """The header declares more pixels than may be decoded: refused, never decoded."""
    pixels = stored[0] * stored[1]
    if pixels > MAX_IMAGE_SOURCE_PIXELS:
        return replace(probe, width=stored[0], height=stored[1], too_many_pixels=MAX_IMAGE_SOURCE_PIXELS)
    if probe.format != "jpeg" and pixels > MAX_IMAGE_DECODED_PIXELS:
        return replace(probe, width=stored[0], height=stored[1], too_many_pixels=MAX_IMAGE_DECODED_PIXELS)
    return None


def _header(source: IO[bytes], formats: tuple[str, ...]) -> Image.Image:
    """The image opened lazily (its header parsed, no pixel decoded), without Pillow's own
    bomb check, so `_pixel_problem` can name the size the header declares. The worker runs
    one job at a time, so the limit is put back before anything else runs."""
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        return Image.open(source, formats=list(formats))
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def _read(probe: ImageProbe, source: IO[bytes], head: bytes) -> ImageProbe:
    probe = replace(probe, format=sniff_container(head))
    formats = OPENED_FORMATS.get(probe.format or "")
    if formats is None:
        return check_image(probe)
    try:
        with _header(source, formats) as image:  # lazy: the header only, never decoded
            refused = _pixel_problem(probe, image.size)
            if refused is not None:
                return check_image(refused)
            return check_image(_facts(probe, image))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return check_image(replace(probe, too_many_pixels=MAX_IMAGE_SOURCE_PIXELS))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        logger.info("could not read the image %s: %s", probe.name, type(exc).__name__)
        return check_image(replace(probe, read_error=type(exc).__name__))


def read_image(path: str, name: str, max_bytes: int) -> ImageProbe:
    """An image file's facts from its header (never decoded), checked. Never raises for a bad
    file: an empty one, or one over `max_bytes`, is refused by its size alone."""
    probe = ImageProbe(name=name, source=path)
    try:
        size = os.stat(path).st_size
        probe = replace(probe, bytes=size)
        if size == 0 or size > max_bytes or not Path(path).is_file():
            return check_image(probe, max_bytes)
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
            fh.seek(0)
            return _read(probe, fh, head)
    except OSError as exc:
        logger.info("could not open %s: %s", name, type(exc).__name__)
        return check_image(replace(probe, read_error=type(exc).__name__))


def read_image_head(data: bytes, name: str, url: str, total: int | None) -> ImageProbe:
    """A linked image's facts from its first bytes (`total`: its size, when known)."""
    probe = ImageProbe(name=name, source=url, bytes=total, is_remote=True)
    if total == 0:
        return check_image(probe)
    return _read(probe, io.BytesIO(data), data[:HEAD_BYTES])


# EXIF orientation -> the transpose that makes the stored picture upright (as ImageOps.exif_transpose)
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _decode(src: str, job: ImageJob) -> Image.Image:
    """The picture decoded and at once reduced towards the target (a JPEG is decoded reduced
    already), then upright, flattened, RGB: only one full-size copy ever exists."""
    with Image.open(src, formats=list(OPENED_FORMATS.get(job.format, ()))) as image:
        stored = (job.width, job.height) if job.turn in (0, 180) else (job.height, job.width)
        if image.format == "JPEG":
            image.draft("RGB", stored)
        image.load()
        orientation = int(image.getexif().get(_ORIENTATION, 1) or 1)
        factor = int(min(image.width / stored[0], image.height / stored[1]))
        picture = image.reduce(factor) if factor > 1 else image.copy()
    if orientation in _UPRIGHT:
        picture = picture.transpose(_UPRIGHT[orientation])
    if picture.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in picture.info:
        rgba = picture.convert("RGBA")
        background = Image.new("RGBA", rgba.size, job.background)
        picture = Image.alpha_composite(background, rgba)
    return picture.convert("RGB")


def _encode(picture: Image.Image, max_bytes: int) -> bytes:
    """JPEG bytes under `max_bytes`: the best quality that fits, else smaller, step by step."""
    while True:
        for quality in QUALITIES:
            out = io.BytesIO()
            picture.save(out, "JPEG", quality=quality, optimize=True)
            if out.tell() <= max_bytes:
                return out.getvalue()
        size = (max(1, int(picture.width * SHRINK)), max(1, int(picture.height * SHRINK)))
        picture = picture.resize(size, Image.Resampling.LANCZOS)


def fix_image(src: str, dest: str, job: ImageJob) -> MadeImage:
    """Decode `src`, turn it upright, flatten it, scale it to `job`'s size and write a JPEG
    under `job.max_bytes` to `dest` (via `dest.part`). Raises for an undecodable image (the
    sandbox reports it as a failure)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        picture = _decode(src, job)
    if picture.size != (job.width, job.height):
        picture = picture.resize((job.width, job.height), Image.Resampling.LANCZOS)
    data = _encode(picture, job.max_bytes)
    with Image.open(io.BytesIO(data)) as made:
        width, height = made.size
    part = Path(f"{dest}.part")
    part.write_bytes(data)
    os.replace(part, dest)
    return MadeImage(width=width, height=height, bytes=len(data))
