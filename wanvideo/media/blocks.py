"""Parsing a remote file from the blocks fetched so far (runs in the sandboxed worker).

The parent fetches bytes over the network; the worker parses. A parse that reaches a
byte not fetched yet stops and answers `NeedBytes(offset)`; the parent fetches that
block and asks again. So a worker never waits on the network (a slow server holds no
worker), and PyAV never runs in the app's process. Headers are small: most files need
one to three rounds, each a parse of a few milliseconds.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

from .local import read_facts
from .result import ProbeResult
from .rules import validate
from .sniff import HEAD_BYTES, is_video_kind, sniff_container


@dataclass(frozen=True)
class NeedBytes:
    """The parse needs the block holding `offset`; `sniffed` is the result so far."""

    offset: int
    sniffed: ProbeResult


@dataclass(frozen=True)
class Blocks:
    """What the parent has fetched: `data[i]` holds bytes [i * size, (i + 1) * size).

    `total` is the file's size when known.
    """

    data: dict[int, bytes]
    block_size: int
    total: int | None


class BlockFile(io.RawIOBase):
    """A read-only, seekable view of `Blocks` for `av.open(fileobj)` and the box walker.

    Reading a missing block returns b"" (the end, as FFmpeg drops exceptions raised in
    read callbacks) and records the first missing offset in `missing`.
    """

    def __init__(self, blocks: Blocks) -> None:
        super().__init__()
        self.blocks = blocks
        self.pos = 0
        self.missing: int | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self.pos + offset
        elif whence == io.SEEK_END:
            if self.blocks.total is None:
                raise OSError("size unknown")
            pos = self.blocks.total + offset
        else:
            raise OSError(f"unsupported whence {whence}")
        if pos < 0:
            raise OSError("negative seek position")
        self.pos = pos
        return pos

    def read(self, size: int = -1) -> bytes:
        step = self.blocks.block_size
        if size is None or size < 0:
            size = step
        if self.blocks.total is not None:
            size = max(0, min(size, self.blocks.total - self.pos))
        if size == 0 or self.missing is not None:
            return b""
        out = bytearray()
        while len(out) < size:
            at = self.pos + len(out)
            block = self.blocks.data.get(at // step)
            if block is None:
                self.missing = at
                break
            chunk = block[at % step : at % step + size - len(out)]
            if not chunk:
                break  # a short block: the end of the file
            out += chunk
        if self.missing is not None:
            return b""  # the parse stops here; the parent fetches and asks again
        self.pos += len(out)
        return bytes(out)

    def close(self) -> None:
        """Ignored: PyAV closes its file with the container, and the probe reads on."""


def probe_blocks(result: ProbeResult, blocks: Blocks, html: bool = False) -> ProbeResult | NeedBytes:
    """Probe a remote file from `blocks`: a validated result, or the next block it needs.

    `result` carries the name, URL and size; `html` says the server called it a web page.
    """
    view = BlockFile(blocks)
    head = view.read(HEAD_BYTES)
    if view.missing is not None:
        return NeedBytes(view.missing, result)
    view.seek(0)
    result = replace(result, container=sniff_container(head))
    if result.container is None and html:
        result = replace(result, container="html")
    if not is_video_kind(result.container):
        return validate(result)
    sniffed = result
    try:
        result = read_facts(result, view, view)
    except OSError as exc:  # a seek the view cannot serve (e.g. from the end, size unknown)
        result = replace(sniffed, read_error=f"{type(exc).__name__}: {exc}")
    if view.missing is not None:
        return NeedBytes(view.missing, sniffed)
    return validate(result)
