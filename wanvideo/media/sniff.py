"""Sniffing: a file's container from its first bytes, never from its name.

An MP4's `ftyp` major brand `qt  ` means MOV; an EBML DocType `webm` means WebM; a page
that starts with `<!doctype html` is a web page (a sharing link, not the video).
"""

from __future__ import annotations

HEAD_BYTES = 512  # enough to recognise every type in `sniff_container`

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

# container -> its short name, as in "converted from WebM".
CONTAINER_NAMES: dict[str, str] = {
    "mp4": "MP4",
    "mov": "MOV",
    "webm": "WebM",
    "mkv": "MKV",
    "avi": "AVI",
    "flv": "FLV",
    "mpegts": "MPEG-TS",
    "mpeg": "MPEG-PS",
    "wmv": "WMV",
    "ogg": "Ogg",
    "3gp": "3GP",
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


def container_from_format(format_name: str, major_brand: str | None) -> str:
    """Container name from PyAV's demuxer name, used when the first bytes said nothing."""
    if format_name.startswith("mov,mp4"):
        return _iso_brand_container(major_brand.encode()[:4].ljust(4)) if major_brand else "mov"
    if format_name.startswith("matroska"):
        return "mkv"
    if format_name.endswith("_pipe") or format_name == "image2":
        name = format_name.removesuffix("_pipe")
        return name if name in CONTAINER_LABELS else "image"
    return {"asf": "wmv", "mpegts": "mpegts", "mpeg": "mpeg"}.get(format_name, format_name.split(",")[0])


def is_video_kind(container: str | None) -> bool:
    """True when `container` is unknown or a video container (worth opening with PyAV)."""
    return container is None or CONTAINER_LABELS[container][1] == "video"
