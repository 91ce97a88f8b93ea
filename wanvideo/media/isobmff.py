"""ISO base media (MP4/MOV) box walking on raw bytes, without PyAV.

Cheap checks that need only box headers, run before (or instead of) a full parse.
"""

from __future__ import annotations

from typing import IO


def iso_missing_bytes(fh: IO[bytes], size: int) -> int:
    """How many bytes an MP4/MOV file lacks: its top-level boxes must fit in `size`.

    Reads only the box headers (8-16 bytes each). A file cut after its `moov` box (a
    "fast start" file) still parses, so this is how a half download is caught.
    """
    pos = 0
    for _ in range(10_000):
        if pos + 8 > size:
            break
        fh.seek(pos)
        header = fh.read(16)
        if len(header) < 8:
            return size - pos if size > pos else 0
        box = int.from_bytes(header[:4], "big")
        if box == 1 and len(header) == 16:
            box = int.from_bytes(header[8:16], "big")
        elif box == 0:  # extends to the end of the file
            return 0
        if box < 8:
            return 0  # not a box layout this check understands; let the parser decide
        pos += box
    return max(0, pos - size)
