"""A poster frame for a saved video: one JPEG beside it, for the history cards.

    await make_poster(video, poster_path(video))   # in the sandboxed worker pool; True when written
    poster_path(Path("videos/abc.mp4"))            # videos/abc.jpg

`extract_poster` runs in the worker (`wanvideo.media.worker`): the result video comes from
the provider, so it is parsed like any untrusted file. The frame is taken a little into the
clip (a first frame is often black), scaled to at most `POSTER_WIDTH` pixels wide, and
encoded with PyAV's MJPEG encoder (no image library needed).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

POSTER_SUFFIX = ".jpg"
POSTER_WIDTH = 480
POSTER_AT = 0.3  # the frame at this share of the duration, at most MAX_POSTER_SECOND
MAX_POSTER_SECOND = 1.5
POSTER_TIMEOUT = 20.0  # seconds the worker may take


def poster_path(video: Path) -> Path:
    """Where a video's poster lives: beside it, same name."""
    return video.with_suffix(POSTER_SUFFIX)


def _even(n: float) -> int:
    return max(2, int(n) // 2 * 2)


def extract_poster(src: str, dest: str, width: int = POSTER_WIDTH) -> bool:
    """(Worker job.) Write a JPEG of one frame of `src` to `dest` atomically; False when the
    file has no decodable video frame."""
    import av

    with av.open(src) as container:
        if not container.streams.video:
            return False
        stream = container.streams.video[0]
        duration = float(container.duration / av.time_base) if container.duration else 0.0
        target = min(duration * POSTER_AT, MAX_POSTER_SECOND)
        picked = None
        for frame in container.decode(stream):
            picked = frame
            if frame.time is None or frame.time >= target:
                break
        if picked is None:
            return False
    scale = min(1.0, width / picked.width)
    image = picked.reformat(
        width=_even(picked.width * scale), height=_even(picked.height * scale), format="yuvj420p"
    )
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height, encoder.pix_fmt = image.width, image.height, "yuvj420p"
    encoder.time_base = picked.time_base or av.time_base
    encoder.options = {"qmin": "2", "qmax": "6"}
    data = b"".join(bytes(p) for p in [*encoder.encode(image), *encoder.encode(None)])
    if not data:
        return False
    tmp = f"{dest}.part"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, dest)
    return True


async def make_poster(video: Path, dest: Path, *, timeout: float = POSTER_TIMEOUT) -> bool:
    """Extract the poster in the sandbox; never raises (a video without a poster still plays)."""
    from .sandbox import SandboxError, default_sandbox

    try:
        return bool(
            await default_sandbox().run(
                "wanvideo.media.poster:extract_poster", str(video), str(dest), timeout=timeout
            )
        )
    except (SandboxError, OSError, RuntimeError) as exc:
        log.warning("no poster for %s: %s", video.name, exc)
        return False
