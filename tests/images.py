"""Real images and sounds for tests, made with Pillow, pillow-heif and PyAV.

make_photo(tmp_path / "a.jpg", (800, 600))                      # a JPEG (format from the suffix)
make_photo(tmp_path / "b.heic", (640, 480))                     # HEIC, as phones make it
make_photo(tmp_path / "c.png", (800, 600), alpha=True)           # PNG with transparency
make_photo(tmp_path / "d.jpg", (800, 400), orientation=6)        # stored turned; EXIF says so
make_bomb_png(tmp_path / "bomb.png", 100_000, 100_000)           # a header that declares 10 GP
pad_jpeg(src, dst, 11_000_000)                                   # a JPEG padded with comments
make_sound(tmp_path / "v.m4a", 3)                                # a 440 Hz tone, format by suffix
"""

from __future__ import annotations

import struct
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()

_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP", ".bmp": "BMP", ".heic": "HEIF"}
RED, BLUE = (220, 30, 30), (30, 30, 220)


def make_photo(
    path: Path | str,
    size: tuple[int, int],
    *,
    alpha: bool = False,
    orientation: int = 1,
    fmt: str | None = None,
) -> Path:
    """A real image of `size` (as stored): red, with a blue top quarter (so a test can tell
    which way is up). `alpha`: its left half fully transparent. `orientation`: the EXIF tag."""
    path = Path(path)
    width, height = size
    image = Image.new("RGBA" if alpha else "RGB", size, RED)
    image.paste(BLUE, (0, 0, width, max(1, height // 4)))
    if alpha:
        image.paste((0, 0, 0, 0), (0, 0, width // 2, height))
    options: dict[str, object] = {}
    if orientation != 1:
        exif = image.getexif()
        exif[0x0112] = orientation
        options["exif"] = exif
    image.save(path, fmt or _FORMATS[path.suffix.lower()], **options)
    return path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_bomb_png(path: Path | str, width: int, height: int) -> Path:
    """A tiny PNG whose header declares `width` x `height` pixels (a decompression bomb's
    header: decoding it would need width x height x 3 bytes). Its data is a few zero rows."""
    path = Path(path)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + width * 3) * 4)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")
    )
    return path


def pad_jpeg(src: Path | str, dst: Path | str, total: int) -> Path:
    """`src` (a JPEG) grown to at least `total` bytes with comment (COM) segments after its SOI:
    a valid JPEG of the same picture (like a photo carrying big previews or metadata)."""
    data = Path(src).read_bytes()
    assert data[:2] == b"\xff\xd8"
    segment = b"\xff\xfe" + struct.pack(">H", 65_535) + b"\x20" * 65_533
    count = max(0, total - len(data)) // len(segment) + 1
    Path(dst).write_bytes(data[:2] + segment * count + data[2:])
    return Path(dst)


_SOUND = {  # suffix -> (PyAV format, codec, sample format, channels)
    ".wav": ("wav", "pcm_s16le", "s16", 1),
    ".mp3": ("mp3", "libmp3lame", "fltp", 1),
    ".m4a": ("ipod", "aac", "fltp", 1),
    ".ogg": ("ogg", "libopus", "flt", 1),
    ".flac": ("flac", "flac", "s16", 1),
}


def make_sound(path: Path | str, seconds: float, *, rate: int = 48_000) -> Path:
    """A real audio file: a 440 Hz tone of `seconds`, its format from the suffix."""
    path = Path(path)
    fmt, codec, sample_format, _ = _SOUND[path.suffix.lower()]
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        total, at, size = int(seconds * rate), 0, 960
        while at < total:
            n = min(size, total - at)
            tone = 0.2 * np.sin(2 * np.pi * 440 * np.arange(at, at + n) / rate)
            data = (tone * 32767).astype(np.int16) if sample_format == "s16" else tone.astype(np.float32)
            frame = av.AudioFrame.from_ndarray(data.reshape(1, -1), format=sample_format, layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = rate, at, Fraction(1, rate)
            out.mux(stream.encode(frame))
            at += n
        out.mux(stream.encode(None))
    return path
