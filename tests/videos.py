"""Real video files for tests, made with PyAV (no system ffmpeg needed).

make_video(tmp_path / "a.mp4", seconds=3)                     # H.264 + AAC mp4
make_video(tmp_path / "b.mov", seconds=3, container="mov")
make_video(tmp_path / "c.webm", seconds=3, container="webm")  # VP8 + Vorbis/Opus
make_video(tmp_path / "d.mp4", seconds=3, audio=False)
make_video(tmp_path / "e.webm", video_codec="libvpx-vp9")       # VP9 + Opus
make_video(tmp_path / "f.mov", video_codec="libx265")           # HEVC in MOV
make_video(tmp_path / "g.mp4", rotation=90)                     # a phone's portrait clip

Helpers that reshape a made MP4 (box level, no re-encoding):

pad_mp4(src, dst, 40_000_000)   # a sparse `free` box before the trailing `moov`
faststart(src, dst)             # remuxed with `moov` first
append_bytes(src, dst, b"junk")  # a complete clip followed by stray bytes
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

_CODECS = {
    "mp4": ("libx264", "aac"),
    "mov": ("libx264", "aac"),
    "webm": ("libvpx", "libopus"),
    "mkv": ("libx264", "aac"),
}


def make_video(
    path: Path | str,
    seconds: float = 3.0,
    *,
    width: int = 160,
    height: int = 120,
    fps: int = 10,
    audio: bool = True,
    video: bool = True,
    container: str | None = None,
    color: tuple[int, int, int] = (200, 60, 40),
    video_codec: str | None = None,
    audio_codec: str | None = None,
    rotation: int = 0,
    video_options: dict[str, str] | None = None,
) -> Path:
    """Write a small real video: a moving bar over `color`, plus a sine tone when `audio`.
    `rotation`: clockwise degrees a player turns it by (the display matrix a phone writes
    for a portrait clip stored landscape); the stored picture's top quarter is then white,
    so a test can tell which way is up."""
    path = Path(path)
    fmt = container or path.suffix.lstrip(".") or "mp4"
    vcodec, acodec = _CODECS[fmt]
    vcodec, acodec = video_codec or vcodec, audio_codec or acodec
    with av.open(str(path), "w", format={"mkv": "matroska"}.get(fmt, fmt)) as out:
        vstream = astream = None
        if video:
            vstream = out.add_stream(vcodec, rate=fps)
            vstream.width, vstream.height = width, height
            vstream.pix_fmt = "yuv420p"
            if vcodec == "libx264":
                vstream.options = {"preset": "ultrafast"}
            elif vcodec == "libx265":
                vstream.options = {"preset": "ultrafast", "x265-params": "log-level=error"}
            elif vcodec == "libvpx-vp9":
                vstream.options = {"deadline": "realtime", "cpu-used": "8"}
            if video_options:
                vstream.options = {**vstream.options, **video_options}
            if rotation:
                vstream.set_display_rotation(-rotation)  # PyAV counts counter-clockwise
        if audio:
            astream = out.add_stream(acodec, rate=48000)
            astream.layout = "mono" if acodec == "aac" else "stereo"
        if vstream is not None:
            base = np.zeros((height, width, 3), dtype=np.uint8)
            base[:, :] = color
            if rotation:
                base[: height // 4, :] = 255  # a white top band: shows which way is up
            frames = max(1, round(seconds * fps))
            for i in range(frames):
                img = base.copy()
                x = (i * 4) % width
                img[:, x : x + 6] = 255
                frame = av.VideoFrame.from_ndarray(img, format="rgb24")
                frame.pts = i
                frame.time_base = Fraction(1, fps)
                for packet in vstream.encode(frame):
                    out.mux(packet)
            for packet in vstream.encode():
                out.mux(packet)
        if astream is not None:
            rate = 48000
            chunk = 1024
            total = int(seconds * rate)
            channels = 1 if acodec == "aac" else 2
            t0 = 0
            while t0 < total:
                n = min(chunk, total - t0)
                t = (np.arange(t0, t0 + n) / rate).astype(np.float32)
                tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
                data = np.tile(tone, (channels, 1))
                frame = av.AudioFrame.from_ndarray(
                    data, format="fltp", layout="mono" if channels == 1 else "stereo"
                )
                frame.sample_rate = rate
                frame.pts = t0
                frame.time_base = Fraction(1, rate)
                for packet in astream.encode(frame):
                    out.mux(packet)
                t0 += n
            for packet in astream.encode():
                out.mux(packet)
    return path


def make_noise_video(path: Path | str, seconds: float, *, width: int, height: int, fps: int = 30) -> Path:
    """Lossless H.264 of random noise, no audio: about width x height x 1.6 bytes a frame, so
    a test can make a large file quickly (e.g. 9 s at 640x360 is over 100 MB)."""
    path = Path(path)
    rng = np.random.default_rng(7)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "qp": "0"}
        for i in range(round(seconds * fps)):
            pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def append_bytes(src: Path | str, dst: Path | str, tail: bytes) -> Path:
    """`src` followed by `tail`: stray bytes after a complete clip (players ignore them)."""
    dst = Path(dst)
    dst.write_bytes(Path(src).read_bytes() + tail)
    return dst


def make_image(path: Path | str) -> Path:
    """A real PNG image (not a video)."""
    path = Path(path)
    img = np.full((64, 64, 3), 120, dtype=np.uint8)
    av.VideoFrame.from_ndarray(img, format="rgb24").to_image().save(path)
    return path


def make_audio_only(path: Path | str, seconds: float = 3.0) -> Path:
    return make_video(path, seconds, video=False, audio=True)


def box_offset(data: bytes, kind: bytes) -> int:
    """Offset of the first top-level ISO box of type `kind` in an MP4/MOV file's bytes."""
    pos = 0
    while pos + 8 <= len(data):
        if data[pos + 4 : pos + 8] == kind:
            return pos
        pos += int.from_bytes(data[pos : pos + 4], "big")
    raise AssertionError(f"no {kind!r} box")


def pad_mp4(src: Path | str, dst: Path | str, total: int) -> Path:
    """`src` grown to `total` bytes by a `free` box just before its `moov` box (at the end,
    as PyAV writes it), so a reader must skip the padding. Sparse on disk; a valid MP4:
    the sample offsets point into `mdat`, which does not move."""
    src, dst = Path(src), Path(dst)
    data = src.read_bytes()
    moov = box_offset(data, b"moov")
    pad = total - len(data)
    with open(dst, "wb") as fh:
        fh.write(data[:moov])
        fh.write(pad.to_bytes(4, "big") + b"free")
        fh.seek(pad - 8, 1)
        fh.write(data[moov:])
    assert dst.stat().st_size == total
    return dst


def faststart(src: Path | str, dst: Path | str) -> Path:
    """Remux `src` with the `moov` box first, as web-optimised MP4s are."""
    dst = Path(dst)
    with (
        av.open(str(src)) as inp,
        av.open(str(dst), "w", format="mp4", options={"movflags": "faststart"}) as out,
    ):
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        for packet in inp.demux():
            if packet.dts is None:
                continue
            packet.stream = streams[packet.stream.index]
            out.mux(packet)
    return dst


def _child_boxes(data: bytes | bytearray, start: int, end: int) -> dict[bytes, list[tuple[int, int]]]:
    """Box type -> [(payload start, box end)] for the boxes directly inside [start, end)."""
    found: dict[bytes, list[tuple[int, int]]] = {}
    pos = start
    while pos + 8 <= end:
        size = int.from_bytes(data[pos : pos + 4], "big")
        found.setdefault(bytes(data[pos + 4 : pos + 8]), []).append((pos + 8, pos + size))
        pos += size
    return found


def declare_samples(src: Path | str, dst: Path | str, count: int) -> Path:
    """`src` (a made MP4) with its video track's `stsz` and `stts` rewritten to declare
    `count` samples: uniform sample size, one time-to-sample entry. The file stays small;
    a demuxer that trusts the header builds an index of `count` entries."""
    data = bytearray(Path(src).read_bytes())
    (moov,) = _child_boxes(data, 0, len(data))[b"moov"]
    for trak in _child_boxes(data, *moov)[b"trak"]:
        (mdia,) = _child_boxes(data, *trak)[b"mdia"]
        (hdlr,) = _child_boxes(data, *mdia)[b"hdlr"]
        if data[hdlr[0] + 8 : hdlr[0] + 12] != b"vide":
            continue
        (minf,) = _child_boxes(data, *mdia)[b"minf"]
        (stbl,) = _child_boxes(data, *minf)[b"stbl"]
        boxes = _child_boxes(data, *stbl)
        (stsz,), (stts,) = boxes[b"stsz"], boxes[b"stts"]
        data[stsz[0] + 4 : stsz[0] + 12] = (100).to_bytes(4, "big") + count.to_bytes(4, "big")
        data[stts[0] + 4 : stts[0] + 12] = (1).to_bytes(4, "big") + count.to_bytes(4, "big")
        dst = Path(dst)
        dst.write_bytes(bytes(data))
        return dst
    raise AssertionError("no video track")
