"""Preparing a clip with PyAV: runs INSIDE a sandboxed worker (`clips` sends the job).

    probe = prepare_clip("/cache/in.webm", "/cache/out.mp4", job, "in.webm")

What `job` (a `prepare.TranscodeJob`) says is done in one pass, frames streaming from the
decoder through a filter graph (turn, scale, pixel format) into the encoder: nothing holds
more than the codecs' own few frames, whatever the clip's length. Copied streams (a remux)
are packets moved as they are. The output is MP4 with its index first (`+faststart`),
written to `dest.part` and renamed; an output over `job.max_bytes` (a rare rate-control
overshoot, or a remux whose new audio grew it) is encoded once more with a lower cap.

Progress goes to the parent with `progress.report({"percent": p})`. The result is the
prepared file's probe (`local.probe_file`), so the caller gets facts read back from it.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import replace
from fractions import Fraction
from typing import Any

import av

from . import progress
from .local import probe_file
from .prepare import TranscodeFailure, TranscodeJob, TranscodeResult

REPORT_EVERY = 0.25  # seconds between progress reports
AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)
OUTPUT_TIME_BASE = Fraction(1, 90000)  # video timestamps keep a variable frame rate exact
_EPSILON = 1e-6
_EDGE = 1e-3  # seconds: timestamps this close to a window edge count as on it


class _Progress:
    def __init__(self, window: float) -> None:
        self.window = max(window, _EPSILON)
        self.sent = -1
        self.at = 0.0

    def __call__(self, seconds_done: float) -> None:
        percent = int(max(0.0, min(99.0, 100.0 * seconds_done / self.window)))
        now = time.monotonic()
        if percent > self.sent and now - self.at >= REPORT_EVERY:
            self.sent, self.at = percent, now
            progress.report({"percent": percent})


def _first_video(container: Any) -> Any:
    return next(
        (s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic),
        None,
    )


def _rate(stream: Any) -> Fraction:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    if not rate or rate <= 0 or rate > 240:
        return Fraction(30)
    return Fraction(rate).limit_denominator(1001)


def _video_graph(stream: Any, job: TranscodeJob) -> Any:
    """buffer -> [transpose | hflip,vflip] -> scale -> [fps] -> format -> buffersink."""
    graph = av.filter.Graph()
    nodes = [graph.add_buffer(template=stream)]
    if job.rotation == 90:
        nodes.append(graph.add("transpose", "clock"))
    elif job.rotation == 270:
        nodes.append(graph.add("transpose", "cclock"))
    elif job.rotation == 180:
        nodes += [graph.add("hflip"), graph.add("vflip")]
    nodes.append(graph.add("scale", f"{job.width}:{job.height}"))
    if job.min_fps:
        nodes.append(graph.add("fps", f"{job.min_fps:g}"))
    nodes.append(graph.add("format", job.encoding.pixel_format))
    nodes.append(graph.add("buffersink"))
    graph.link_nodes(*nodes).configure()
    return graph


def _video_encoder(out: Any, stream: Any, job: TranscodeJob, cap: int) -> Any:
    enc = job.encoding
    rate = _rate(stream)
    if job.min_fps and rate < job.min_fps:
        rate = Fraction(job.min_fps).limit_denominator(1001)
    vout = out.add_stream(enc.video_encoder, rate=rate)
    vout.width, vout.height = job.width, job.height
    vout.pix_fmt = enc.pixel_format
    vout.codec_context.time_base = OUTPUT_TIME_BASE
    vout.time_base = OUTPUT_TIME_BASE
    # x264's frame threads, as the ffmpeg command has them (PyAV's default, slice threads,
    # costs about 15% more CPU for the same output).
    vout.codec_context.thread_type = "AUTO"
    vout.options = {
        "preset": enc.preset,
        "crf": str(enc.crf),
        "maxrate": str(cap),
        "bufsize": str(cap),
    }
    return vout


def _audio_encoder(out: Any, stream: Any, job: TranscodeJob) -> tuple[Any, Any, int]:
    ctx = stream.codec_context
    rate = ctx.sample_rate if ctx.sample_rate in AAC_RATES else 48000
    layout = "mono" if ctx.channels == 1 else "stereo"
    aout = out.add_stream(job.encoding.audio_encoder, rate=rate)
    aout.layout = layout
    aout.bit_rate = job.encoding.audio_bitrate
    return aout, av.AudioResampler(format="fltp", layout=layout, rate=rate), rate


class _AudioWindow:
    """Cuts resampled audio frames to [start, end) sample-exactly and numbers them from 0."""

    def __init__(self, start: float, end: float, rate: int) -> None:
        self.start, self.end, self.rate = start, end, rate
        self.written = 0
        self.done = False

    def cut(self, frame: Any) -> Any | None:
        t0 = frame.time if frame.time is not None else self.start + self.written / self.rate
        n = frame.samples
        skip = min(n, max(0, round((self.start - t0) * self.rate)))
        stop = min(n, max(0, round((self.end - t0) * self.rate)))
        if stop < n:
            self.done = True
        if stop <= skip:
            return None
        if (skip, stop) != (0, n):
            data = frame.to_ndarray()[:, skip:stop]
            cut = av.AudioFrame.from_ndarray(data.copy(), format=frame.format.name, layout=frame.layout.name)
            cut.sample_rate = frame.sample_rate
            frame = cut
        frame.pts = self.written
        frame.time_base = Fraction(1, self.rate)
        self.written += frame.samples
        return frame


class _VideoPackets:
    """Muxes the encoder's packets one behind, so the last one's duration can be set. MP4
    takes a track's length from its last packet's decode time plus that packet's duration,
    and x264 gives its packets none: with the first frame shortened to open the window at
    `start`, the clip would read up to a frame shorter than it plays (1.998 s for a 2 s
    window, which the 2 s rule then refuses)."""

    def __init__(self, out: Any) -> None:
        self.out = out
        self.first_dts: int | None = None
        self.pending: Any = None

    def mux(self, packets: list[Any]) -> None:
        for packet in packets:
            if self.first_dts is None:
                self.first_dts = packet.dts
            if self.pending is not None:
                self.out.mux(self.pending)
            self.pending = packet

    def close(self, end: int) -> None:
        """Mux the last packet, lasting until `end` (the video's end, output time base)."""
        last = self.pending
        if last is None:
            return
        if last.dts is not None and self.first_dts is not None:
            last.duration = max(1, end - (last.dts - self.first_dts))
        self.out.mux(last)


class _Pass:
    """One pass over the source: the streams set up, the demux loop, the flush at the end."""

    def __init__(self, inp: Any, out: Any, job: TranscodeJob, cap: int) -> None:
        self.inp, self.out, self.job = inp, out, job
        self.progress = _Progress(job.end - job.start)
        vin = _first_video(inp)
        if vin is None:
            raise ValueError("the clip has no video stream")
        self.vin = vin
        self.ain = next(iter(inp.streams.audio), None) if job.has_audio else None
        vin.thread_type = "AUTO"
        self.graph = None
        if job.copy_video:
            self.vout = out.add_stream_from_template(vin)
        else:
            self.vout = _video_encoder(out, vin, job, cap)
            self.graph = _video_graph(vin, job)
        self.aout = self.resampler = self.audio_window = None
        if self.ain is not None and job.copy_audio:
            self.aout = out.add_stream_from_template(self.ain)
        elif self.ain is not None:
            self.aout, self.resampler, rate = _audio_encoder(out, self.ain, job)
            self.audio_window = _AudioWindow(job.start, job.end, rate)
        if job.start > 0:
            inp.seek(int(job.start * av.time_base), backward=True)

        self.last_pts = -1
        self.video_done = False
        self.audio_done = self.ain is None
        self.held: list[Any] = []  # the latest frame at or before `start`: it is what shows at `start`
        self.packets = _VideoPackets(out)
        self.step = 1.0 / float(_rate(vin))
        self.video_end = 0  # where the last frame encoded stops showing (output time base)

    def emit(self, frame: Any, at: float, until: float) -> None:
        """Encode `frame`, shown from `at` to `until` (source seconds)."""
        job = self.job
        pts = max(self.last_pts + 1, round((at - job.start) / OUTPUT_TIME_BASE))
        self.last_pts = pts
        self.video_end = max(
            self.video_end, pts + 1, round((min(until, job.end) - job.start) / OUTPUT_TIME_BASE)
        )
        frame.pts, frame.time_base = pts, OUTPUT_TIME_BASE
        # A decoded frame keeps its picture type and libx264 obeys it (the source's key and B
        # frames forced on the clip, larger at the same quality): cleared, as ffmpeg does.
        frame.pict_type = av.video.frame.PictureType.NONE
        self.packets.mux(self.vout.encode(frame))
        self.progress(at - job.start)

    def length_of(self, frame: Any) -> float:
        return float(frame.duration * frame.time_base) if frame.duration and frame.time_base else self.step

    def encode_video(self, frame: Any) -> None:
        """Frames shown inside [start, end): the one showing at `start` is moved to it,
        and a frame is kept only when it ends by `end` (the clip never runs past it)."""
        job = self.job
        t = frame.time
        if t is None or self.video_done:
            return
        if t <= job.start + _EDGE:
            self.held[:] = [frame]
            return
        if self.held:
            self.emit(self.held.pop(), job.start, t)
        length = self.length_of(frame)
        if t + min(length, self.step * 1.5) > job.end + _EDGE:
            self.video_done = True
            return
        self.emit(frame, t, t + min(length, self.step * 1.5))

    def encode_audio(self, frame: Any) -> None:
        assert self.resampler is not None
        for piece in self.resampler.resample(frame):
            self.mux_audio(piece)
        self.audio_done = self.audio_window.done

    def mux_audio(self, piece: Any) -> None:
        assert self.audio_window is not None
        cut = self.audio_window.cut(piece)
        if cut is not None:
            self.out.mux(self.aout.encode(cut))

    def copy_packet(self, packet: Any, stream: Any) -> bool:
        """Move a copied stream's packet to the output (False: it has no timestamps)."""
        if packet.dts is None and packet.pts is None:
            return False
        packet.stream = stream
        self.out.mux(packet)
        return True

    def video_packet(self, packet: Any) -> None:
        if self.job.copy_video:
            time_of = float(packet.pts * packet.time_base) if packet.pts is not None else None
            if self.copy_packet(packet, self.vout) and time_of is not None:
                self.progress(time_of)
            return
        if self.video_done:
            return
        for frame in packet.decode():
            self.graph.push(frame)
            for filtered in _drain(self.graph):
                self.encode_video(filtered)

    def audio_packet(self, packet: Any) -> None:
        if self.job.copy_audio:
            self.copy_packet(packet, self.aout)
            return
        for frame in packet.decode():
            self.encode_audio(frame)

    def run(self) -> None:
        """The frame loop: demux both streams until each is past the window's end."""
        streams = [self.vin] + ([self.ain] if self.ain is not None else [])
        for packet in self.inp.demux(*streams):
            if self.video_done and self.audio_done:
                break
            if packet.stream is self.vin:
                self.video_packet(packet)
            elif packet.stream is self.ain and not self.audio_done:
                self.audio_packet(packet)
        # (The demuxer's last empty packet per stream has flushed the decoders above.)

    def flush(self) -> None:
        """Drain the filter graph and the encoders; mux the last video packet with its length."""
        job = self.job
        if self.graph is not None:
            if job.min_fps and not self.video_done:  # the fps filter holds its last frames until EOF
                self.graph.push(None)
                for filtered in _drain(self.graph):
                    self.encode_video(filtered)
            if self.held:  # the clip ended on the frame showing at `start`
                frame = self.held.pop()
                self.emit(frame, job.start, frame.time + self.length_of(frame))
            self.packets.mux(self.vout.encode(None))
            self.packets.close(self.video_end)
        if self.resampler is not None:
            if not self.audio_done:
                for piece in self.resampler.resample(None):
                    self.mux_audio(piece)
            self.out.mux(self.aout.encode(None))


def _transcode(source: str, part: str, job: TranscodeJob, cap: int) -> None:
    with (
        av.open(source, mode="r", metadata_errors="replace") as inp,
        av.open(part, mode="w", format="mp4", options={"movflags": "+faststart"}) as out,
    ):
        one = _Pass(inp, out, job, cap)
        one.run()
        one.flush()


def _drain(graph: Any) -> list[Any]:
    frames = []
    while True:
        try:
            frames.append(graph.vpull())
        except (BlockingIOError, av.error.EOFError):
            return frames


def prepare_clip(source: str, dest: str, job: TranscodeJob, name: str) -> TranscodeResult:
    """Write the prepared clip of `source` to `dest` (MP4): its probe, read back, or why not."""
    part = dest + ".part"
    cap = job.max_video_bitrate
    try:
        for _ in range(3):
            try:
                _transcode(source, part, job, cap)
            except (av.FFmpegError, EOFError, UnicodeError, ValueError) as exc:
                return TranscodeResult(
                    failure=TranscodeFailure.UNDECODABLE, detail=f"{type(exc).__name__}: {exc}"
                )
            size = os.stat(part).st_size
            if size <= job.max_bytes:
                break
            # Over the limit: encode (again) with a cap lowered in proportion, and a margin.
            job = replace(job, copy_video=False)
            cap = int(cap * job.max_bytes / size * 0.85)
        else:
            return TranscodeResult(failure=TranscodeFailure.TOO_LARGE, detail=f"{size} bytes")
        os.replace(part, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(part)
    progress.report({"percent": 100})
    return TranscodeResult(probe=probe_file(dest, name))
