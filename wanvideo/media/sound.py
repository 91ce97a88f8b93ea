"""PyAV work on untrusted voices: runs only in the sandboxed worker (`worker.jobs()`).

    probe = read_voice(path, name, max_bytes)    # headers only: the first audio stream's facts
    made = convert_voice(src, dest, job)         # its sound as mono 16-bit PCM WAV, cut at job.max_seconds

A voice is an audio file (WAV, MP3, M4A/AAC, OGG, FLAC, ...) or the sound of a video clip:
both are read the same way, through their first audio stream; the picture is never decoded.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path

import av

from .voice import MadeVoice, VoiceJob, VoiceProbe, check_voice

logger = logging.getLogger(__name__)

_ERRORS = (av.FFmpegError, OSError, EOFError, UnicodeError, ValueError)


def _seconds(container: av.container.InputContainer, audio: av.audio.stream.AudioStream) -> float | None:
    if audio.duration and audio.time_base:
        return round(float(audio.duration * audio.time_base), 3)
    if container.duration is not None and container.duration > 0:
        return round(container.duration / av.time_base, 3)
    return None


def read_voice(path: str, name: str, max_bytes: int) -> VoiceProbe:
    """A voice's facts from its headers (never decoded), checked. Never raises for a bad file."""
    probe = VoiceProbe(name=name, source=path)
    try:
        size = os.stat(path).st_size
        probe = replace(probe, bytes=size)
        if size == 0 or size > max_bytes or not Path(path).is_file():
            return check_voice(probe)
        with av.open(path, mode="r", metadata_errors="replace") as container:
            audio = next(iter(container.streams.audio), None)
            clip = any(
                not s.disposition & av.stream.Disposition.attached_pic for s in container.streams.video
            )
            probe = replace(probe, container=container.format.name, from_clip=clip)
            if audio is not None:
                probe = replace(
                    probe, has_audio=True, codec=audio.codec_context.name, seconds=_seconds(container, audio)
                )
    except _ERRORS as exc:
        logger.info("could not read the voice %s: %s", name, type(exc).__name__)
        probe = replace(probe, read_error=type(exc).__name__)
    return check_voice(probe)


def convert_voice(src: str, dest: str, job: VoiceJob) -> MadeVoice:
    """The first audio stream of `src`, decoded, resampled to mono 16-bit at `job.sample_rate`,
    cut at `job.max_seconds`, written as WAV to `dest` (via `dest.part`)."""
    part = f"{dest}.part"
    limit = int(job.max_seconds * job.sample_rate)
    written = 0
    resampler = av.AudioResampler(format="s16", layout="mono", rate=job.sample_rate)
    with av.open(src, mode="r", metadata_errors="replace") as source, av.open(part, "w", format="wav") as out:
        audio = source.streams.audio[0]
        stream = out.add_stream("pcm_s16le", rate=job.sample_rate, layout="mono")
        for frame in source.decode(audio):
            for chunk in resampler.resample(frame):
                written = _write(out, stream, chunk, written, limit)
            if written >= limit:
                break
        else:
            for chunk in resampler.resample(None):
                written = _write(out, stream, chunk, written, limit)
        for packet in stream.encode(None):
            out.mux(packet)
    os.replace(part, dest)
    return MadeVoice(seconds=round(written / job.sample_rate, 3), bytes=os.stat(dest).st_size)


def _write(
    out: av.container.OutputContainer,
    stream: av.audio.stream.AudioStream,
    chunk: av.AudioFrame,
    written: int,
    limit: int,
) -> int:
    """Encode `chunk` (cut at `limit` samples in all); the samples written so far."""
    if written >= limit:
        return written
    if written + chunk.samples > limit:
        keep = limit - written
        data = chunk.to_ndarray()[:, :keep]
        trimmed = av.AudioFrame.from_ndarray(data, format="s16", layout="mono")
        trimmed.sample_rate = chunk.sample_rate
        chunk = trimmed
    chunk.pts = None
    for packet in stream.encode(chunk):
        out.mux(packet)
    return written + chunk.samples
