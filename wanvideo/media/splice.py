"""Joining shots with PyAV: runs INSIDE a sandboxed worker (`join.join_films` sends the jobs).

    probes = read_shots([shot1, shot2])            # headers only: one ShotProbe each
    done = join_shots([shot1, shot2], dest, plan)  # JoinDone: the film's length read back

One pass over the shots in order, each demuxed once (picture and sound interleaved as
stored), into one MP4 with its index first (`+faststart`), written to `dest.part` and
renamed. Per stream, as `plan` says:

- copied: packets moved as they are, their timestamps shifted by the shot's start in the film
  (the sum of the shots before), and kept strictly increasing (a shot whose first decode time
  would fall before the previous shot's last is moved on by the difference); a copied sound
  packet overlapping the previous shot's sound by more than half its length is dropped (an
  AAC encoder's priming packet), one that overlaps less starts where the previous sound ends;
- re-encoded: frames decoded, fitted into the target size (scaled, letterboxed, pixel format)
  and timed from the shot's start; sound resampled into one continuous stream of samples
  where each shot fills exactly its length (cut, or padded with silence; a shot without
  sound is all silence), so the sound stays in step with the picture shot after shot.

Progress goes to the parent with `progress.report({"percent": p})`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import av
import numpy as np

from . import progress
from .join import AudioTarget, JoinDone, JoinPlan, ShotProbe, VideoTarget
from .local import video_duration

REPORT_EVERY = 0.25  # seconds between progress reports
AAC_FRAME = 1024  # samples per AAC frame
_EDGE = 1e-3  # seconds: timestamps this close to a shot's edge count as on it
_ERRORS = (av.FFmpegError, OSError, EOFError, UnicodeError, ValueError)


class _ShotFailed(Exception):
    def __init__(self, index: int, detail: str) -> None:
        super().__init__(detail)
        self.index = index


def _first_video(container: Any) -> Any:
    return next(
        (s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic),
        None,
    )


def _digest(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest()[:16] if data else None


def read_shot(path: str) -> ShotProbe:
    """One shot's facts from its headers (never decoded). Never raises for a bad file."""
    try:
        with av.open(path, mode="r", metadata_errors="replace") as container:
            video = _first_video(container)
            if video is None:
                return ShotProbe(path=path, error="no video stream")
            ctx = video.codec_context
            if video.duration and video.time_base:
                seconds = float(video.duration * video.time_base)
            else:
                seconds = (container.duration or 0) / av.time_base
            rate = video.average_rate or video.guessed_rate
            probe = ShotProbe(
                path=path,
                seconds=round(seconds, 6),
                video_codec=ctx.name,
                width=ctx.width,
                height=ctx.height,
                time_base=video.time_base,
                fps=Fraction(rate).limit_denominator(1001) if rate else None,
                pixel_format=ctx.format.name if ctx.format is not None else None,
                video_params=_digest(ctx.extradata),
            )
            audio = next(iter(container.streams.audio), None)
            if audio is None:
                return probe
            actx = audio.codec_context
            return ShotProbe(
                **{
                    **probe.__dict__,
                    "audio_codec": actx.name,
                    "sample_rate": actx.sample_rate,
                    "channels": actx.channels,
                    "audio_params": _digest(actx.extradata),
                }
            )
    except _ERRORS as exc:
        return ShotProbe(path=path, error=f"{type(exc).__name__}: {exc}")


def read_shots(paths: Sequence[str]) -> list[ShotProbe]:
    return [read_shot(p) for p in paths]


class _Progress:
    def __init__(self, total: float) -> None:
        self.total = max(total, 1e-6)
        self.sent = -1
        self.at = 0.0

    def __call__(self, seconds_done: float) -> None:
        percent = int(max(0.0, min(99.0, 100.0 * seconds_done / self.total)))
        now = time.monotonic()
        if percent > self.sent and now - self.at >= REPORT_EVERY:
            self.sent, self.at = percent, now
            progress.report({"percent": percent})


class _Copied:
    """A copied stream's packets, shifted into the film and kept strictly increasing."""

    def __init__(self, out: Any, stream: Any, *, drop_overlap: bool) -> None:
        self.out, self.stream = out, stream
        self.drop_overlap = drop_overlap  # sound: drop a packet mostly under the previous shot's
        self.last_dts: int | None = None
        self.end: int | None = None  # where the last packet muxed stops (its time base)
        self.shift = 0
        self.extra = 0

    def start_shot(self, offset: float, time_base: Fraction) -> None:
        self.shift = round(offset / time_base)
        self.extra = 0

    def mux(self, packet: Any) -> float | None:
        """Mux `packet` shifted; the film time it starts at, or None when it was left out."""
        if packet.dts is None or packet.size == 0:
            return None
        dts = packet.dts + self.shift + self.extra
        pts = (packet.pts if packet.pts is not None else packet.dts) + self.shift + self.extra
        length = packet.duration or 0
        if self.drop_overlap and self.end is not None and pts < self.end:
            if self.end - pts > length / 2:
                return None  # mostly under the previous shot's sound (a priming packet)
            self.extra += self.end - pts
            dts, pts = dts + self.end - pts, self.end
        if self.last_dts is not None and dts <= self.last_dts:
            bump = self.last_dts + 1 - dts
            self.extra += bump
            dts, pts = dts + bump, pts + bump
        time_base = packet.time_base
        packet.dts, packet.pts = dts, pts
        packet.stream = self.stream
        self.out.mux(packet)
        self.last_dts = dts
        self.end = max(self.end or 0, pts + length)
        return float(pts * time_base)


class _Pictures:
    """A re-encoded picture: each shot's frames fitted to the target and timed from its start."""

    def __init__(self, out: Any, target: VideoTarget, plan: JoinPlan) -> None:
        enc = plan.encoding
        self.out, self.target = out, target
        self.stream = out.add_stream(enc.video_encoder, rate=target.fps)
        self.stream.width, self.stream.height = target.width, target.height
        self.stream.pix_fmt = target.pixel_format
        self.stream.codec_context.time_base = target.time_base
        self.stream.time_base = target.time_base
        self.stream.codec_context.thread_type = "AUTO"  # x264's frame threads, as ffmpeg's
        self.stream.options = {"preset": enc.preset, "crf": str(enc.crf)}
        self.frame_ticks = max(1, round(1 / (target.fps * target.time_base)))
        self.last_pts = -1
        self.graph: Any = None
        self.offset = self.start = self.seconds = 0.0

    def start_shot(self, stream: Any, offset: float, seconds: float, start: float) -> None:
        """`offset` + a frame's time is its time in the film; the shot shows from `start`."""
        t = self.target
        stream.thread_type = "AUTO"
        graph = av.filter.Graph()
        nodes = [
            graph.add_buffer(template=stream),
            graph.add("scale", f"{t.width}:{t.height}:force_original_aspect_ratio=decrease"),
        ]
        if stream.width * t.height != stream.height * t.width:  # another shape: letterboxed
            nodes.append(graph.add("pad", f"{t.width}:{t.height}:(ow-iw)/2:(oh-ih)/2"))  # (pad copies)
        nodes += [
            graph.add("setsar", "1"),
            graph.add("fps", str(t.fps)),  # the first shot's frame rate: frames dropped or repeated
            graph.add("format", t.pixel_format),
            graph.add("buffersink"),
        ]
        graph.link_nodes(*nodes).configure()
        self.graph, self.offset, self.start, self.seconds = graph, offset, start, seconds

    def decode(self, packet: Any) -> float | None:
        at = None
        for frame in packet.decode():
            self.graph.push(frame)
            at = self.pull() or at
        return at

    def pull(self) -> float | None:
        at = None
        while True:
            try:
                fitted = self.graph.vpull()
            except (BlockingIOError, av.error.EOFError):
                return at
            at = self.encode(fitted) or at

    def end_shot(self) -> None:
        """The frames the fps filter still holds (it lets the last ones go at the end)."""
        self.graph.push(None)
        self.pull()

    def encode(self, frame: Any) -> float | None:
        t = frame.time - self.start if frame.time is not None else None
        if t is None or t < -_EDGE or t >= self.seconds - _EDGE:
            return None  # outside the shot's length (an edit list's lead-in, a stray tail)
        pts = max(self.last_pts + 1, round((self.offset + t) / self.target.time_base))
        self.last_pts = pts
        frame.pts, frame.time_base = pts, self.target.time_base
        # A decoded frame keeps its picture type (I, P, B), and libx264 obeys it: every
        # source's key frames and B-frames would be forced on the film (about twice the size
        # at the same CRF). ffmpeg's command clears it; so does this.
        frame.pict_type = av.video.frame.PictureType.NONE
        self.mux(self.stream.encode(frame))
        return self.offset + t

    def mux(self, packets: list[Any]) -> None:
        for packet in packets:
            packet.duration = self.frame_ticks  # the last one's sets the track's length
            self.out.mux(packet)

    def close(self) -> None:
        self.mux(self.stream.encode(None))


class _Sound:
    """Re-encoded sound: one continuous run of samples, each shot exactly its length."""

    def __init__(self, out: Any, target: AudioTarget, plan: JoinPlan) -> None:
        self.out, self.target = out, target
        self.stream = out.add_stream(plan.encoding.audio_encoder, rate=target.sample_rate)
        self.stream.layout = target.layout
        self.stream.bit_rate = plan.encoding.audio_bitrate
        self.fifo = av.AudioFifo()
        self.written = 0  # samples given to the fifo
        self.encoded = 0  # samples encoded
        self.end = 0
        self.resampler: Any = None

    def start_shot(self, offset: float, seconds: float) -> None:
        rate = self.target.sample_rate
        self.silence(round(offset * rate) - self.written)
        self.end = round((offset + seconds) * rate)
        self.resampler = av.AudioResampler(format="fltp", layout=self.target.layout, rate=rate)

    def silence(self, samples: int) -> None:
        while samples > 0:
            n = min(samples, AAC_FRAME * 8)
            data = np.zeros((self.target.channels, n), dtype=np.float32)
            self.add(av.AudioFrame.from_ndarray(data, format="fltp", layout=self.target.layout))
            samples -= n

    def add(self, frame: Any) -> None:
        keep = min(frame.samples, self.end - self.written)
        if keep <= 0:
            return
        if keep < frame.samples:
            cut = av.AudioFrame.from_ndarray(
                frame.to_ndarray()[:, :keep].copy(), format="fltp", layout=self.target.layout
            )
            frame = cut
        frame.sample_rate = self.target.sample_rate
        frame.pts = None
        self.fifo.write(frame)
        self.written += frame.samples
        self.drain(AAC_FRAME)

    def decode(self, packet: Any) -> None:
        for frame in packet.decode():
            for piece in self.resampler.resample(frame):
                self.add(piece)

    def end_shot(self) -> None:
        if self.resampler is not None:
            for piece in self.resampler.resample(None):
                self.add(piece)
        self.silence(self.end - self.written)

    def drain(self, at_least: int) -> None:
        while self.fifo.samples >= at_least and self.fifo.samples > 0:
            frame = self.fifo.read(min(AAC_FRAME, self.fifo.samples))
            frame.pts, frame.time_base = self.encoded, Fraction(1, self.target.sample_rate)
            self.encoded += frame.samples
            self.out.mux(self.stream.encode(frame))

    def close(self) -> None:
        self.drain(1)
        self.out.mux(self.stream.encode(None))


class _Film:
    """The output and its two streams; `shot` adds one shot to it."""

    def __init__(self, out: Any, plan: JoinPlan, first: Any) -> None:
        self.out, self.plan = out, plan
        self.progress = _Progress(plan.total)
        vin = _first_video(first)
        ain = next(iter(first.streams.audio), None)
        self.copy_video = self.copy_audio = None
        self.pictures = self.sound = None
        if plan.copy_video:
            self.copy_video = _Copied(out, out.add_stream_from_template(vin), drop_overlap=False)
        else:
            assert plan.video is not None
            self.pictures = _Pictures(out, plan.video, plan)
        if plan.copy_audio:
            self.copy_audio = _Copied(out, out.add_stream_from_template(ain), drop_overlap=True)
        elif plan.audio is not None:
            self.sound = _Sound(out, plan.audio, plan)

    def shot(self, inp: Any, offset: float, seconds: float) -> None:
        vin = _first_video(inp)
        if vin is None:
            raise ValueError("no video stream")
        ain = next(iter(inp.streams.audio), None)
        # A shot's clock may not start at 0 (an edit list's delay): its picture's start is
        # moved to the shot's place in the film, its sound along with it.
        start = float(vin.start_time * vin.time_base) if vin.start_time else 0.0
        if self.copy_video is not None:
            self.copy_video.start_shot(offset - start, vin.time_base)
        if self.pictures is not None:
            self.pictures.start_shot(vin, offset, seconds, start)
        if self.copy_audio is not None:
            self.copy_audio.start_shot(offset - start, ain.time_base)
        if self.sound is not None:
            self.sound.start_shot(offset, seconds)
        wanted = [vin] + ([ain] if ain is not None and (self.copy_audio or self.sound) else [])
        for packet in inp.demux(*wanted):
            at = None
            if packet.stream is vin:
                at = self.copy_video.mux(packet) if self.copy_video else self.pictures.decode(packet)
            elif self.copy_audio is not None:
                self.copy_audio.mux(packet)
            else:
                self.sound.decode(packet)
            if at is not None:
                self.progress(at)
        if self.pictures is not None:
            self.pictures.end_shot()
        if self.sound is not None:
            self.sound.end_shot()

    def close(self) -> None:
        if self.pictures is not None:
            self.pictures.close()
        if self.sound is not None:
            self.sound.close()


def _open(path: str) -> Any:
    return av.open(path, mode="r", metadata_errors="replace")


def _join(paths: Sequence[str], part: str, plan: JoinPlan) -> None:
    offsets = plan.offsets()
    with av.open(part, mode="w", format="mp4", options={"movflags": "+faststart"}) as out:
        film: _Film | None = None
        for index, path in enumerate(paths):
            try:
                with _open(path) as inp:
                    if film is None:
                        film = _Film(out, plan, inp)
                    film.shot(inp, offsets[index], plan.seconds[index])
            except _ERRORS as exc:
                raise _ShotFailed(index, f"{type(exc).__name__}: {exc}") from None
        if film is not None:
            film.close()


def join_shots(paths: Sequence[str], dest: str, plan: JoinPlan) -> JoinDone:
    """Write the film of `paths` (in order) to `dest` as `plan` says: its length read back from
    it, or which shot could not be read (nothing written then)."""
    if len(paths) != len(plan.seconds):
        raise ValueError("one length per shot")
    part = f"{dest}.part"
    try:
        try:
            _join(paths, part, plan)
        except _ShotFailed as exc:
            return JoinDone(failed_shot=exc.index, detail=str(exc))
        os.replace(part, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(part)
    progress.report({"percent": 100})
    return JoinDone(seconds=video_duration(dest))
