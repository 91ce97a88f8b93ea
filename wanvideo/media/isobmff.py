"""ISO base media (MP4/MOV) box walking on raw bytes, without PyAV.

Cheap checks that need only box headers, run before (or instead of) a full parse.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import IO

from .result import ImplausibleHeader

ISO_CONTAINERS = ("mp4", "mov", "3gp")  # sniffed containers laid out as ISO boxes


# Top-level box types of MP4/MOV files. A box of another type running past the end of a
# file whose movie (`moov`) and media (`mdat`) are complete is stray bytes, not a cut.
KNOWN_TOP_LEVEL = frozenset(
    {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"uuid", b"moof", b"mfra", b"meta"}
    | {b"udta", b"pnot", b"sidx", b"styp", b"emsg", b"prft", b"ssix", b"pdin"}
)


def _printable(kind: bytes) -> bool:
    return len(kind) == 4 and all(32 <= b < 127 or b == 0xA9 for b in kind)


def iso_tail(fh: IO[bytes], size: int) -> tuple[int, int]:
    """(missing, stray) bytes of an MP4/MOV file of `size` bytes, from its top-level box
    headers only (8-16 bytes each).

    `missing`: how far its boxes run past the end (a cut-off copy; a "fast start" file cut
    after its `moov` box still parses, so this is how a half download is caught).
    `stray`: bytes after a complete movie (`moov` and `mdat` whole) that are no box, or a
    box of no known type overrunning the end: junk a tool appended, which players ignore.
    """
    pos = 0
    seen: set[bytes] = set()

    def complete() -> bool:
        return b"moov" in seen and bool(seen & {b"mdat", b"moof"})

    for _ in range(10_000):
        if pos + 8 > size:
            return (0, size - pos) if pos < size and complete() else (0, 0)
        fh.seek(pos)
        header = fh.read(16)
        if len(header) < 8:
            return size - pos if size > pos else 0, 0
        box, kind = int.from_bytes(header[:4], "big"), header[4:8]
        if box == 1 and len(header) == 16:
            box = int.from_bytes(header[8:16], "big")
        elif box == 0 and _printable(kind):  # extends to the end of the file
            return 0, 0
        if box < 8 or not _printable(kind):
            # Not a box layout: junk after a complete movie, else let the parser decide.
            return (0, size - pos) if complete() else (0, 0)
        if pos + box > size:
            if kind not in KNOWN_TOP_LEVEL and complete():
                return 0, size - pos
            return pos + box - size, 0
        seen.add(kind)
        pos += box
    return max(0, pos - size), 0


def iso_missing_bytes(fh: IO[bytes], size: int) -> int:
    """How many bytes an MP4/MOV file lacks: its top-level boxes must fit in `size`
    (see `iso_tail`; stray bytes after a complete movie are not missing bytes)."""
    return iso_tail(fh, size)[0]


# --------------------------------------------------------------------------- sanity caps

# What a file's headers may declare before PyAV is allowed to open it. FFmpeg trusts the
# sample tables: a 652-byte MP4 declaring 60 million samples costs about 0.8-2 GB and
# seconds of CPU to index. Real videos, even long ones to be trimmed, stay far below.
MAX_DECLARED_SAMPLES = 5_000_000  # per file; 30 min at 60 fps plus AAC audio is ~0.2 million
MAX_DECLARED_SECONDS = 24 * 3600.0
MAX_DECLARED_PIXELS = 16_384  # per side (H.264's and HEVC's largest levels stay below 8192)
MAX_BOXES = 4096  # boxes visited per level; a layout with more is not a video

_UNKNOWN_32 = 0xFFFFFFFF
_UNKNOWN_64 = 0xFFFFFFFFFFFFFFFF


def _boxes(fh: IO[bytes], start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, box end) of the boxes in [start, end), from their headers only."""
    pos = start
    for _ in range(MAX_BOXES):
        if pos + 8 > end:
            return
        fh.seek(pos)
        header = fh.read(16)
        if len(header) < 8:
            return
        size, kind, payload = int.from_bytes(header[:4], "big"), header[4:8], pos + 8
        if size == 1:
            if len(header) < 16:
                return
            size, payload = int.from_bytes(header[8:16], "big"), pos + 16
        elif size == 0:
            size = end - pos
        if size < payload - pos:
            return
        yield kind, payload, min(pos + size, end)
        pos += size


def _read_at(fh: IO[bytes], offset: int, count: int) -> bytes:
    fh.seek(offset)
    return fh.read(count)


def _u32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "big")


def _declared_seconds(fh: IO[bytes], payload: int) -> float | None:
    """Duration from an `mvhd` or `mdhd` box (version 0 or 1); None when unknown."""
    data = _read_at(fh, payload, 32)
    if len(data) < 20:
        return None
    if data[0] == 1:
        if len(data) < 32:
            return None
        scale, duration, unknown = _u32(data, 20), int.from_bytes(data[24:32], "big"), _UNKNOWN_64
    else:
        scale, duration, unknown = _u32(data, 12), _u32(data, 16), _UNKNOWN_32
    if not scale or duration in (0, unknown):
        return None
    return duration / scale


def _declared_size(fh: IO[bytes], payload: int) -> tuple[float, float]:
    """Width and height (16.16 fixed point) from a `tkhd` box."""
    data = _read_at(fh, payload, 96)
    at = 88 if data[:1] == b"\x01" else 76
    if len(data) < at + 8:
        return 0.0, 0.0
    return _u32(data, at) / 65536, _u32(data, at + 4) / 65536


def _stts_samples(fh: IO[bytes], payload: int) -> int:
    """Samples a `stts` box declares (the sum of its run lengths); a huge table counts as huge."""
    head = _read_at(fh, payload, 8)
    if len(head) < 8:
        return 0
    entries = _u32(head, 4)
    if entries > MAX_DECLARED_SAMPLES:
        return entries
    total = 0
    fh.seek(payload + 8)
    for _ in range(entries):
        entry = fh.read(8)
        if len(entry) < 8:
            break
        total += _u32(entry, 0)
        if total > MAX_DECLARED_SAMPLES:
            break
    return total


def _sample_table(fh: IO[bytes], start: int, end: int) -> int:
    """The most samples any table in an `stbl` box declares."""
    most = 0
    for kind, payload, _ in _boxes(fh, start, end):
        if kind in (b"stsz", b"stz2"):
            data = _read_at(fh, payload, 12)
            if len(data) == 12:
                most = max(most, _u32(data, 8))
        elif kind == b"stts":
            most = max(most, _stts_samples(fh, payload))
        elif kind in (b"ctts", b"stsc", b"stco", b"co64", b"stss"):
            data = _read_at(fh, payload, 8)
            if len(data) == 8:
                most = max(most, _u32(data, 4))  # entry count
    return most


def implausible_header(fh: IO[bytes], size: int) -> ImplausibleHeader | None:
    """What an MP4/MOV declares beyond the sanity caps, read from box headers only; None
    when everything is plausible (or the layout is not understood: the parser decides)."""
    moov = next(((p, e) for kind, p, e in _boxes(fh, 0, size) if kind == b"moov"), None)
    if moov is None:
        return None
    samples = 0
    for kind, payload, end in _boxes(fh, *moov):
        if kind == b"mvhd":
            seconds = _declared_seconds(fh, payload)
            if seconds is not None and seconds > MAX_DECLARED_SECONDS:
                return ImplausibleHeader("seconds", seconds, MAX_DECLARED_SECONDS)
        if kind != b"trak":
            continue
        for tkind, tpayload, tend in _boxes(fh, payload, end):
            if tkind == b"tkhd":
                for what, value in zip(("width", "height"), _declared_size(fh, tpayload), strict=True):
                    if value > MAX_DECLARED_PIXELS:
                        return ImplausibleHeader(what, value, MAX_DECLARED_PIXELS)
            if tkind != b"mdia":
                continue
            for mkind, mpayload, mend in _boxes(fh, tpayload, tend):
                if mkind == b"mdhd":
                    seconds = _declared_seconds(fh, mpayload)
                    if seconds is not None and seconds > MAX_DECLARED_SECONDS:
                        return ImplausibleHeader("seconds", seconds, MAX_DECLARED_SECONDS)
                if mkind != b"minf":
                    continue
                for ikind, ipayload, iend in _boxes(fh, mpayload, mend):
                    if ikind == b"stbl":
                        samples += _sample_table(fh, ipayload, iend)
    if samples > MAX_DECLARED_SAMPLES:
        return ImplausibleHeader("samples", samples, MAX_DECLARED_SAMPLES)
    return None


def _s32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "big", signed=True)


def _video_tkhd(fh: IO[bytes], size: int) -> int | None:
    """Payload offset of the first video track's `tkhd` box; None when there is none."""
    moov = next(((p, e) for kind, p, e in _boxes(fh, 0, size) if kind == b"moov"), None)
    if moov is None:
        return None
    for kind, payload, end in _boxes(fh, *moov):
        if kind != b"trak":
            continue
        tkhd = handler = None
        for tkind, tpayload, tend in _boxes(fh, payload, end):
            if tkind == b"tkhd":
                tkhd = tpayload
            elif tkind == b"mdia":
                for mkind, mpayload, _ in _boxes(fh, tpayload, tend):
                    if mkind == b"hdlr":
                        handler = _read_at(fh, mpayload + 8, 4)
        if handler == b"vide" and tkhd is not None:
            return tkhd
    return None


def iso_rotation(fh: IO[bytes], size: int) -> int:
    """Clockwise degrees (0, 90, 180 or 270) a player turns the first video track by, from
    its `tkhd` matrix (how phones store a portrait clip: landscape pixels, turned 90)."""
    tkhd = _video_tkhd(fh, size)
    if tkhd is None:
        return 0
    data = _read_at(fh, tkhd, 96)
    at = 52 if data[:1] == b"\x01" else 40  # the matrix {a, b, u, c, d, v, x, y, w}
    if len(data) < at + 36:
        return 0
    a, b = _s32(data, at), _s32(data, at + 4)
    if a == 0 and b == 0:
        return 0
    degrees = math.degrees(math.atan2(b, a))
    return int(round(degrees / 90.0)) % 4 * 90
