"""Reference video probing and validation with PyAV, in-process, headers only.

    result = probe_file("clip.mp4")
    result.problems   # ("clip.mp4 lasts 1.2 s; references must be 2 to 30 s long: use a longer clip",)
    result.warnings   # ("clip.mp4 has no audio track: the voice cannot be copied",)

    result = await probe_url("https://example.com/clip.mp4")   # reads only the headers

Three layers, so each can be tested alone:

- sniffing (`sniff_container`): the file type from its first bytes, never from its name
  (an MP4's `ftyp` major brand `qt  ` means MOV; an EBML DocType `webm` means WebM ...);
- reading (`probe_file`, `probe_url`): I/O with PyAV; a remote file is a seekable
  `_RemoteFile` backed by HTTP Range requests, so PyAV fetches only what it parses;
- checking (`check_reference`, `validate`): pure functions turning the facts into
  problems (the API would refuse the file) and warnings (it works, with a caveat).

Nothing here raises for a bad file or link: every failure becomes a sentence in `problems`.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
import os
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import av
import httpx

from .providers import MAX_REFERENCE_BYTES, MAX_REFERENCE_SECONDS, MIN_REFERENCE_SECONDS
from .urls import display_name, is_http_url, resolved_internal_reason

logger = logging.getLogger(__name__)

REFERENCE_CONTAINERS = ("mp4", "mov")  # what the API accepts (API_NOTES.md section 1)
BROWSER_CODECS = ("h264", "vp8", "vp9", "av1")  # video codecs every current browser previews
HEAD_BYTES = 512  # enough to recognise every type in `sniff_container`

# Remote probing tunables.
RANGE_BLOCK = 64 * 1024  # bytes per Range request (PyAV reads 32 KiB at a time)
REMOTE_READ_BUDGET = 16 * 1024 * 1024  # most bytes fetched for one probe (also without Range)
MAX_REDIRECTS = 5
USER_AGENT = "wan-reference-video-studio/0.1 (reference probe)"


@dataclass(frozen=True)
class ProbeResult:
    name: str  # file name or the URL's last path segment, for messages
    source: str  # local path or URL
    size_bytes: int | None = None
    container: str | None = None  # "mp4", "mov", "webm", ... detected by content
    duration: float | None = None  # seconds; None when unknown
    video_codec: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    has_audio: bool = False
    problems: tuple[str, ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = field(default_factory=tuple)
    audio_codec: str | None = None
    # True once PyAV parsed the headers (streams, duration); False when it was not tried
    # (size or type already settle it) or could not finish.
    headers_read: bool = False
    # Why PyAV could not parse the file (technical detail, for logs); None otherwise.
    read_error: str | None = None
    is_remote: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


# --------------------------------------------------------------------------- sniffing

# container -> (phrase for messages, kind). Kinds: video, image, audio, document.
CONTAINER_LABELS: dict[str, tuple[str, str]] = {
    "mp4": ("an MP4 video", "video"),
    "mov": ("a MOV (QuickTime) video", "video"),
    "webm": ("a WebM video", "video"),
    "mkv": ("a Matroska (MKV) video", "video"),
    "avi": ("an AVI video", "video"),
    "flv": ("a Flash (FLV) video", "video"),
    "mpegts": ("an MPEG-TS video", "video"),
    "mpeg": ("an MPEG-PS video", "video"),
    "wmv": ("a Windows Media (WMV/ASF) file", "video"),
    "ogg": ("an Ogg file", "video"),
    "3gp": ("a 3GP video", "video"),
    "png": ("a PNG image", "image"),
    "jpeg": ("a JPEG image", "image"),
    "gif": ("a GIF image", "image"),
    "webp": ("a WebP image", "image"),
    "bmp": ("a BMP image", "image"),
    "tiff": ("a TIFF image", "image"),
    "heif": ("a HEIF/AVIF image", "image"),
    "image": ("an image", "image"),
    "mp3": ("an MP3 audio file", "audio"),
    "wav": ("a WAV audio file", "audio"),
    "flac": ("a FLAC audio file", "audio"),
    "m4a": ("an M4A audio file", "audio"),
    "pdf": ("a PDF document", "document"),
    "zip": ("a ZIP archive", "document"),
    "html": ("a web page", "document"),
    "text": ("a text file", "document"),
}

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"ID3", "mp3"),
    (b"fLaC", "flac"),
    (b"OggS", "ogg"),
    (b"FLV\x01", "flv"),
    (b"\x00\x00\x01\xba", "mpeg"),
    (b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "wmv"),
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "zip"),
)
_QUICKTIME_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
_IMAGE_BRANDS = (b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"avif", b"avis")
_AUDIO_BRANDS = (b"M4A ", b"M4B ", b"M4P ")


def _iso_brand_container(brand: bytes) -> str:
    """ISO base media (`ftyp`) major brand -> container name."""
    if brand == b"qt  ":
        return "mov"
    if brand[:3] in (b"3gp", b"3g2"):
        return "3gp"
    if brand in _AUDIO_BRANDS:
        return "m4a"
    if brand in _IMAGE_BRANDS:
        return "heif"
    return "mp4"


def _ebml_doctype(head: bytes) -> str | None:
    """The DocType of an EBML (Matroska/WebM) header, e.g. "webm"."""
    at = head.find(b"\x42\x82", 4, 64)
    if at < 0 or at + 2 >= len(head):
        return None
    first = head[at + 2]
    width = 8 - first.bit_length() + 1  # VINT: leading zero bits + 1
    if not 1 <= width <= 8 or at + 2 + width > len(head):
        return None
    size = int.from_bytes(head[at + 2 : at + 2 + width], "big") & ((1 << (7 * width)) - 1)
    start = at + 2 + width
    return head[start : start + size].rstrip(b"\x00").decode("ascii", "replace").lower()


def _text_kind(head: bytes) -> str | None:
    """What text `head` is ("html" or "text"); None when it is not text."""
    if not head or b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut at the end
            return None
        text = head[: exc.start].decode("utf-8")
    if sum(ch.isprintable() or ch in "\r\n\t" for ch in text) < 0.95 * len(text):
        return None
    lowered = text.lstrip("\ufeff \r\n\t").lower()
    if lowered.startswith(("<!doctype html", "<html")) or "<html" in lowered:
        return "html"
    return "text"


def sniff_container(head: bytes) -> str | None:
    """The container (a key of `CONTAINER_LABELS`) from a file's first bytes; None if unknown."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return _iso_brand_container(head[8:12])
    if len(head) >= 8 and head[4:8] in _QUICKTIME_ATOMS:
        return "mov"  # classic QuickTime files have no ftyp
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm" if _ebml_doctype(head) == "webm" else "mkv"
    if head[:4] == b"RIFF" and len(head) >= 12:
        return {b"AVI ": "avi", b"WAVE": "wav", b"WEBP": "webp"}.get(head[8:12])
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if head[:2] == b"BM" and len(head) >= 14 and head[6:10] == b"\x00\x00\x00\x00":
        return "bmp"
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return "mpegts"
    return _text_kind(head)


def _container_from_format(format_name: str, major_brand: str | None) -> str:
    """Container name from PyAV's demuxer name, used when the first bytes said nothing."""
    if format_name.startswith("mov,mp4"):
        return _iso_brand_container(major_brand.encode()[:4].ljust(4)) if major_brand else "mov"
    if format_name.startswith("matroska"):
        return "mkv"
    if format_name.endswith("_pipe") or format_name == "image2":
        name = format_name.removesuffix("_pipe")
        return name if name in CONTAINER_LABELS else "image"
    return {"asf": "wmv", "mpegts": "mpegts", "mpeg": "mpeg"}.get(format_name, format_name.split(",")[0])


# --------------------------------------------------------------------------- checking

_CODEC_LABELS = {
    "h264": "H.264",
    "hevc": "HEVC (H.265)",
    "prores": "ProRes",
    "mpeg4": "MPEG-4 Part 2",
    "mjpeg": "Motion JPEG",
    "av1": "AV1",
    "vp9": "VP9",
    "vp8": "VP8",
    "dnxhd": "DNxHD",
    "mpeg2video": "MPEG-2",
}


def _megabytes(size: int) -> str:
    """Size in MB (10^6, as the provider counts), rounded up so 100.01 MB never reads 100.0."""
    return f"{math.ceil(size / 100_000) / 10:g} MB"


def _seconds(value: float, limit: float) -> str:
    """`value` with one decimal, or two when one would look equal to `limit`."""
    text = f"{value:.1f}"
    if float(text) == limit:
        text = f"{value:.2f}"
    return f"{text} s"


def check_reference(result: ProbeResult) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The API rules applied to probed facts: (problems, warnings). Pure, no I/O.

    Problems say what to change; warnings say what will be missing.
    """
    name = result.name
    problems: list[str] = []
    warnings: list[str] = []
    accepted = " or ".join(c.upper() for c in REFERENCE_CONTAINERS)
    limit = f"{MIN_REFERENCE_SECONDS:g} to {MAX_REFERENCE_SECONDS:g} s"

    if result.size_bytes == 0:
        return (f"{name} is empty (0 bytes); choose the video file again",), ()
    if result.size_bytes is not None and result.size_bytes > MAX_REFERENCE_BYTES:
        return (
            f"{name} is {_megabytes(result.size_bytes)}; references must be at most "
            f"{_megabytes(MAX_REFERENCE_BYTES)}: trim or compress it",
        ), ()

    label, kind = CONTAINER_LABELS.get(result.container or "", (None, "video"))
    if kind != "video":
        if result.container == "html":
            where = "use a direct link to the video file" if result.is_remote else "upload the video itself"
            return (f"{name} is a web page, not a video; {where} ({accepted})",), ()
        return (f"{name} is {label}, not a video; upload an {accepted} file",), ()
    if result.container is not None and result.container not in REFERENCE_CONTAINERS:
        what = label or f"in the {result.container.upper()} format"
        return (f"{name} is {what}; upload an {accepted} file",), ()

    if result.read_error is not None:
        if result.container in REFERENCE_CONTAINERS:
            what = result.container.upper()
            return (
                f"{name} is damaged or incomplete (its {what} structure cannot be read); "
                "export or download it again",
            ), ()
        return (f"{name} is not a video file that can be read; upload an {accepted} file",), ()

    if not result.headers_read:
        # A remote file whose headers could not be fetched: let it through, cost as a range.
        warnings.append(
            f"could not read how long {name} lasts without downloading all of it; "
            "the cost is shown as a range"
        )
        return tuple(problems), tuple(warnings)

    if result.video_codec is None:
        kind_text = "audio only" if result.has_audio else "no streams"
        return (f"{name} has no video track ({kind_text}); upload a video with a picture",), ()

    if result.duration is None:
        warnings.append(f"could not read how long {name} lasts; the cost is shown as a range")
    elif result.duration < MIN_REFERENCE_SECONDS:
        problems.append(
            f"{name} lasts {_seconds(result.duration, MIN_REFERENCE_SECONDS)}; references must be "
            f"{limit} long: use a longer clip"
        )
    elif result.duration > MAX_REFERENCE_SECONDS:
        problems.append(
            f"{name} lasts {_seconds(result.duration, MAX_REFERENCE_SECONDS)}; references must be "
            f"{limit} long: trim it to {MAX_REFERENCE_SECONDS:g} s or less"
        )

    if not result.has_audio:
        warnings.append(f"{name} has no audio track: the voice cannot be copied")
    codec = result.video_codec
    if codec not in BROWSER_CODECS:
        codec_label = _CODEC_LABELS.get(codec, codec.upper())
        if codec == "hevc":
            detail = "only some browsers (Safari, recent Chrome and Edge) can preview it"
        else:
            detail = "browsers may not preview it"
        warnings.append(f"{name} uses {codec_label} video: {detail}; convert to H.264 for a preview")
    return tuple(problems), tuple(warnings)


def validate(result: ProbeResult) -> ProbeResult:
    """`result` with problems and warnings from `check_reference` added to its own."""
    problems, warnings = check_reference(result)
    return replace(result, problems=result.problems + problems, warnings=result.warnings + warnings)


# --------------------------------------------------------------------------- reading


def _read_streams(source: str | IO[bytes]) -> dict[str, Any]:
    """Stream facts from PyAV; parses headers (and at most a few packets), never decodes."""
    with av.open(source, mode="r", metadata_errors="replace") as container:
        facts: dict[str, Any] = {"headers_read": True}
        fmt = container.format.name
        facts["_format"] = (fmt, container.metadata.get("major_brand"))
        video = next(
            (s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic),
            None,
        )
        audio = next(iter(container.streams.audio), None)
        duration = None
        if container.duration is not None and container.duration > 0:
            duration = container.duration / av.time_base
        elif video is not None and video.duration and video.time_base:
            duration = float(video.duration * video.time_base)
        facts["duration"] = round(duration, 3) if duration is not None else None
        if video is not None:
            ctx = video.codec_context
            rate = video.average_rate or video.guessed_rate
            facts.update(
                video_codec=ctx.name,
                width=ctx.width or None,
                height=ctx.height or None,
                fps=round(float(rate), 3) if rate else None,
            )
        if audio is not None:
            facts.update(has_audio=True, audio_codec=audio.codec_context.name)
        return facts


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


def _with_streams(result: ProbeResult, source: str | IO[bytes]) -> ProbeResult:
    """`result` plus what PyAV reads from `source`; a parse failure becomes `read_error`."""
    try:
        facts = _read_streams(source)
    except (av.FFmpegError, EOFError, UnicodeError) as exc:
        logger.info("could not parse %s: %s", result.name, exc)
        return replace(result, read_error=str(exc) or type(exc).__name__)
    fmt, brand = facts.pop("_format")
    if result.container is None:
        facts["container"] = _container_from_format(fmt, brand)
    return replace(result, **facts)


def _with_iso_check(result: ProbeResult, fh: IO[bytes]) -> ProbeResult:
    """Flag an MP4/MOV whose boxes run past the end of the file (a cut-off copy)."""
    if result.container not in REFERENCE_CONTAINERS or result.read_error or not result.size_bytes:
        return result
    missing = iso_missing_bytes(fh, result.size_bytes)
    if missing:
        return replace(result, read_error=f"truncated: {missing} bytes missing")
    return result


def probe_file(path: str | os.PathLike[str], name: str | None = None) -> ProbeResult:
    """Probe a local file and validate it against the API rules. Never raises for bad files.

    The size comes from `stat` first: an empty or oversized file is refused unopened.
    """
    name = name or Path(path).name
    result = ProbeResult(name=name, source=str(path))
    try:
        size = os.stat(path).st_size
        if not Path(path).is_file():
            return replace(result, problems=(f"{name} is not a file; choose a video file",))
        result = replace(result, size_bytes=size)
        if size == 0 or size > MAX_REFERENCE_BYTES:
            return validate(result)
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except FileNotFoundError:
        return replace(result, problems=(f"{name} was not found; upload it again",))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return replace(result, problems=(f"could not read {name} ({reason}); upload it again",))
    result = replace(result, container=sniff_container(head))
    if result.container is None or CONTAINER_LABELS[result.container][1] == "video":
        try:
            result = _with_streams(result, str(path))
            with open(path, "rb") as fh:
                result = _with_iso_check(result, fh)
        except Exception as exc:  # a bug or an odd file must not break the page
            logger.exception("unexpected error probing %s", name)
            result = replace(result, read_error=f"{type(exc).__name__}: {exc}")
    return validate(result)


# ----- remote


class _FetchError(Exception):
    """A request for the remote file failed; `str()` is the reason shown to people."""


class _BudgetExceeded(Exception):
    """The probe would need more than `REMOTE_READ_BUDGET` bytes."""


_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", re.IGNORECASE)
_UNSATISFIABLE = re.compile(r"bytes\s+\*/(\d+)", re.IGNORECASE)


class _Fetcher:
    """GETs for one probe: checks every redirect hop's address and an overall deadline."""

    def __init__(self, client: httpx.Client, *, allow_private: bool, timeout: float) -> None:
        self.client = client
        self.allow_private = allow_private
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.bytes_received = 0
        self._checked_hosts: set[tuple[str, int]] = set()

    def _check_host(self, url: httpx.URL, hop: int) -> None:
        key = (url.host, url.port or (443 if url.scheme == "https" else 80))
        if self.allow_private or key in self._checked_hosts:
            return
        reason = resolved_internal_reason(*key)
        if reason:
            verb = "points to" if hop == 0 else "redirects to"
            raise _FetchError(f"{verb} {reason} ({url.host}); only public links can be used")
        self._checked_hosts.add(key)

    def get(self, url: str, range_header: str | None) -> tuple[str, httpx.Response]:
        """Send a streamed GET, following redirects; returns (final URL, open response)."""
        current = httpx.URL(url)
        for hop in range(MAX_REDIRECTS + 1):
            if current.scheme not in ("http", "https"):
                raise _FetchError("redirects to a link that is not http(s)")
            self._check_host(current, hop)
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise _FetchError(f"no answer within {self.timeout:g} s")
            headers = {"Range": range_header} if range_header else {}
            request = self.client.build_request(
                "GET", current, headers=headers, timeout=httpx.Timeout(min(left, self.timeout))
            )
            try:
                response = self.client.send(request, stream=True)
            except httpx.TimeoutException:
                raise _FetchError(f"no answer within {self.timeout:g} s") from None
            except httpx.HTTPError as exc:
                logger.info("fetch failed: %s", type(exc).__name__)
                raise _FetchError("the server could not be reached") from None
            if response.is_redirect and response.next_request is not None:
                current = response.next_request.url
                response.close()
                continue
            return str(current), response
        raise _FetchError(f"more than {MAX_REDIRECTS} redirects")

    def body(self, response: httpx.Response, limit: int) -> bytes:
        """Up to `limit` bytes of a streamed body; closes the response."""
        chunks = bytearray()
        try:
            for chunk in response.iter_raw():
                chunks += chunk
                if len(chunks) >= limit or time.monotonic() > self.deadline:
                    break
        except httpx.TimeoutException:
            raise _FetchError(f"no answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            logger.info("download broke off: %s", type(exc).__name__)
            raise _FetchError("the download broke off") from None
        finally:
            response.close()
        if time.monotonic() > self.deadline and len(chunks) < limit:
            raise _FetchError(f"no answer within {self.timeout:g} s")
        self.bytes_received += len(chunks)
        return bytes(chunks[:limit])


class _RemoteFile(io.RawIOBase):
    """A read-only, seekable view of a URL for `av.open(fileobj)`.

    With Range support, bytes are fetched in `RANGE_BLOCK` blocks where PyAV reads, so a
    probe of a 90 MB file moves only its headers. A server that ignores Range is read
    front to back into memory instead. Either way at most `REMOTE_READ_BUDGET` bytes.
    """

    def __init__(self, fetcher: _Fetcher, url: str, size: int | None) -> None:
        super().__init__()
        self.fetcher = fetcher
        self.url = url
        self.size = size
        self.pos = 0
        self.blocks: dict[int, bytes] = {}
        self.failure: _FetchError | _BudgetExceeded | None = None
        # Sequential mode (the server ignored Range): the body read so far and the rest.
        self.buffer: bytearray | None = None
        self._rest: Any = None
        self._response: httpx.Response | None = None

    @classmethod
    def open(cls, fetcher: _Fetcher, url: str) -> tuple[_RemoteFile, httpx.Response]:
        """First request (`bytes=0-`); returns the file and the response, for its headers."""
        final_url, response = fetcher.get(url, f"bytes=0-{RANGE_BLOCK - 1}")
        if response.status_code == 206:
            match = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
            if not match or match.group(1) != "0":
                response.close()
                raise _FetchError("the server answered a partial read with the wrong bytes")
            remote = cls(fetcher, final_url, None if match.group(3) == "*" else int(match.group(3)))
            remote.blocks[0] = fetcher.body(response, RANGE_BLOCK)
        elif response.status_code == 416:
            match = _UNSATISFIABLE.match(response.headers.get("content-range", ""))
            response.close()
            remote = cls(fetcher, final_url, int(match.group(1)) if match else 0)
        elif response.status_code == 200:
            length = response.headers.get("content-length")
            plain = response.headers.get("content-encoding", "identity") == "identity"
            size = int(length) if length and length.isdigit() and plain else None
            remote = cls(fetcher, final_url, size)
            remote.buffer = bytearray()
            remote._response = response
            remote._rest = response.iter_raw()
        else:
            response.close()
            raise _FetchError(f"HTTP {response.status_code}")
        return remote, response

    # io.RawIOBase protocol (PyAV calls read/seek/tell).
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
            if self.size is None:
                raise OSError("size unknown")
            pos = self.size + offset
        else:
            raise OSError(f"unsupported whence {whence}")
        if pos < 0:
            raise OSError("negative seek position")
        self.pos = pos
        return pos

    def read(self, size: int = -1) -> bytes:
        """Bytes at the position. After a failed fetch it reads as the end of the file and
        keeps the error in `failure` (FFmpeg retries failed reads and drops exceptions)."""
        if size is None or size < 0:
            size = RANGE_BLOCK
        if self.size is not None:
            size = max(0, min(size, self.size - self.pos))
        if size == 0 or self.failure is not None:
            return b""
        try:
            data = self._read_sequential(size) if self.buffer is not None else self._read_blocks(size)
        except (_FetchError, _BudgetExceeded) as exc:
            self.failure = exc
            return b""
        self.pos += len(data)
        return data

    def raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    def head(self, size: int) -> bytes:
        data = self.read(size)
        self.seek(0)
        return data

    def _read_blocks(self, size: int) -> bytes:
        first, last = self.pos // RANGE_BLOCK, (self.pos + size - 1) // RANGE_BLOCK
        missing = [b for b in range(first, last + 1) if b not in self.blocks]
        if missing:
            self._fetch_blocks(missing[0], missing[-1])
        out = bytearray()
        for index in range(first, last + 1):
            block = self.blocks.get(index, b"")
            out += block
            if len(block) < RANGE_BLOCK:
                break  # end of file
        skip = self.pos - first * RANGE_BLOCK
        return bytes(out[skip : skip + size])

    def _fetch_blocks(self, first: int, last: int) -> None:
        start, end = first * RANGE_BLOCK, (last + 1) * RANGE_BLOCK - 1
        if self.fetcher.bytes_received + (end - start + 1) > REMOTE_READ_BUDGET:
            raise _BudgetExceeded()
        _, response = self.fetcher.get(self.url, f"bytes={start}-{end}")
        if response.status_code == 416:
            response.close()
            for index in range(first, last + 1):
                self.blocks[index] = b""
            return
        if response.status_code != 206:
            response.close()
            raise _FetchError(f"HTTP {response.status_code} on a partial read")
        match = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
        if not match or int(match.group(1)) != start:
            response.close()
            raise _FetchError("the server answered a partial read with the wrong bytes")
        data = self.fetcher.body(response, end - start + 1)
        for index in range(first, last + 1):
            offset = (index - first) * RANGE_BLOCK
            self.blocks[index] = data[offset : offset + RANGE_BLOCK]

    def _read_sequential(self, size: int) -> bytes:
        assert self.buffer is not None
        want = self.pos + size
        if want > REMOTE_READ_BUDGET and len(self.buffer) < want and self._rest is not None:
            raise _BudgetExceeded()
        while len(self.buffer) < want and self._rest is not None:
            if time.monotonic() > self.fetcher.deadline:
                raise _FetchError(f"no answer within {self.fetcher.timeout:g} s")
            try:
                chunk = next(self._rest)
            except StopIteration:
                self._rest = None
                break
            except httpx.TimeoutException:
                raise _FetchError(f"no answer within {self.fetcher.timeout:g} s") from None
            except httpx.HTTPError as exc:
                logger.info("download broke off: %s", type(exc).__name__)
                raise _FetchError("the download broke off") from None
            self.buffer += chunk
            self.fetcher.bytes_received += len(chunk)
        return bytes(self.buffer[self.pos : want])

    def close(self) -> None:
        """Ignored: PyAV closes its file with the container, and the probe reads on."""

    def release(self) -> None:
        """Close the open response of the sequential mode, if any."""
        if self._response is not None:
            self._response.close()
            self._response = None
            self._rest = None


def _probe_url_blocking(url: str, allow_private: bool, timeout: float) -> ProbeResult:
    name = display_name(url)
    result = ProbeResult(name=name, source=url, is_remote=True)
    if not is_http_url(url):
        return replace(result, problems=(f"{url!r} is not an http(s) link; paste a public http(s) URL",))
    with httpx.Client(
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
        timeout=timeout,
    ) as client:
        fetcher = _Fetcher(client, allow_private=allow_private, timeout=timeout)
        remote: _RemoteFile | None = None
        try:
            remote, response = _RemoteFile.open(fetcher, url)
            result = replace(result, size_bytes=remote.size)
            if remote.size == 0 or (remote.size or 0) > MAX_REFERENCE_BYTES:
                return validate(result)
            result = replace(result, container=sniff_container(remote.head(HEAD_BYTES)))
            remote.raise_failure()
            if result.container is None and response.headers.get("content-type", "").startswith("text/html"):
                result = replace(result, container="html")
            if result.container is not None and CONTAINER_LABELS[result.container][1] != "video":
                return validate(result)
            sniffed = result
            try:
                result = _with_streams(sniffed, remote)
                remote.raise_failure()
                result = _with_iso_check(result, remote)
                remote.raise_failure()
            except _BudgetExceeded:
                # Too far to read (no Range support): a known video type passes with its
                # duration unknown; anything else is refused as unreadable.
                logger.info("probe of %s stopped after %d bytes", name, fetcher.bytes_received)
                result = sniffed
                if result.container is None:
                    result = replace(result, read_error="headers not found within the read budget")
            return validate(result)
        except _FetchError as exc:
            reason = str(exc)
            if reason.startswith(("points to", "redirects to")):
                return replace(result, problems=(f"{name} {reason}",))
            hint = (
                "check the link is public" if reason.startswith("HTTP 4") else "check the link and try again"
            )
            return replace(result, problems=(f"could not fetch {name} ({reason}); {hint}",))
        except _BudgetExceeded:
            return validate(result)
        except Exception as exc:  # a bug or an odd server must not break the page
            logger.exception("unexpected error probing %s", name)
            return replace(result, problems=(f"could not read {name} ({type(exc).__name__}); try again",))
        finally:
            if remote is not None:
                remote.release()


async def probe_url(url: str, *, allow_private: bool = False, timeout: float = 20.0) -> ProbeResult:
    """Probe a remote reference; refuses internal addresses unless `allow_private`.

    Only the headers are fetched (HTTP Range). The blocking work runs in a thread; the
    whole probe ends within about `timeout` seconds. Never raises for a bad link.
    """
    return await asyncio.to_thread(_probe_url_blocking, url, allow_private, timeout)
