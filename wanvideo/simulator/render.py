"""Render a task's result: a real H.264 + AAC MP4 built from its reference videos.

The picture shows a few decoded frames of each reference (``character1`` ...) side by side,
the prompt written under them and a moving progress bar with a timecode; the sound is one
tone per character, pulsing. It is made to be fast on a small machine: a handful of distinct
pictures per second are composed with Pillow, converted to YUV once, and each is encoded
several times (libx264 ``ultrafast``), so a 5 s 720p result takes about a second.

    seconds = render_video(Path("out.mp4"), [Path("ref.mp4")], "character1 dances", (1280, 720), 5)

A reference that cannot be read (missing, not a video) becomes a plain coloured panel.
"""

from __future__ import annotations

import logging
import textwrap
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

FPS = 30
DISTINCT_PER_SECOND = 6  # composed pictures per second; each is encoded FPS / 6 = 5 times
FRAMES_PER_REFERENCE = 4  # decoded frames kept per reference
AUDIO_RATE = 48000
AUDIO_CHUNK = 1024  # AAC frame size
# Output pixel sizes by quality and aspect ratio, as public client code gives them (API_NOTES
# section 7; the OpenAPI document has none).
OUTPUT_SIZES: dict[str, dict[str, tuple[int, int]]] = {
    "720p": {
        "16:9": (1280, 720),
        "9:16": (720, 1280),
        "1:1": (960, 960),
        "4:3": (1088, 832),
        "3:4": (832, 1088),
    },
    "1080p": {
        "16:9": (1920, 1080),
        "9:16": (1080, 1920),
        "1:1": (1440, 1440),
        "4:3": (1632, 1248),
        "3:4": (1248, 1632),
    },
}
_PANEL_COLOURS = [(70, 90, 160), (160, 80, 70), (70, 140, 90)]
_TONES = [220.0, 277.18, 329.63]


def probe_fps(path: Path) -> float | None:
    """A video's frame rate (the stream's average), None when unreadable."""
    try:
        with av.open(str(path)) as container:
            for stream in container.streams.video:
                rate = stream.average_rate or stream.base_rate
                return float(rate) if rate else None
    except (av.FFmpegError, OSError, ValueError):
        return None
    return None


def reference_frames(
    path: Path | None, box: tuple[int, int], count: int = FRAMES_PER_REFERENCE
) -> list[Image.Image]:
    """Up to `count` frames, 0.5 s apart from the start, scaled to fit `box`; [] if unreadable."""
    if path is None:
        return []
    frames: list[Image.Image] = []
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return []
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            next_time = 0.0
            for frame in container.decode(stream):
                t = float(frame.time) if frame.time is not None else next_time
                if t + 1e-6 < next_time:
                    continue
                w, h = _fit((frame.width, frame.height), box)
                frames.append(frame.reformat(width=w, height=h, format="rgb24").to_image())
                next_time = t + 0.5
                if len(frames) >= count or t > 3.0:
                    break
    except (av.FFmpegError, OSError, ValueError) as exc:
        log.info("simulator: cannot decode reference %s: %s", path, exc)
    return frames


def _fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    scale = min(box[0] / size[0], box[1] / size[1])
    # Even sizes keep the scaler happy.
    return max(2, int(size[0] * scale) // 2 * 2), max(2, int(size[1] * scale) // 2 * 2)


def _panels(size: tuple[int, int], count: int, band: int) -> list[tuple[int, int, int, int]]:
    """Panel rectangles (x, y, w, h) side by side (landscape) or stacked (portrait)."""
    width, height = size
    area_h = height - band
    pad = max(8, width // 80)
    if width >= height:
        w = (width - pad * (count + 1)) // count
        return [(pad + i * (w + pad), pad, w, area_h - 2 * pad) for i in range(count)]
    h = (area_h - pad * (count + 1)) // count
    return [(pad, pad + i * (h + pad), width - 2 * pad, h) for i in range(count)]


def _background(size: tuple[int, int]) -> Image.Image:
    width, height = size
    ramp = np.linspace(18, 48, height, dtype=np.float32)[:, None]
    img = np.empty((height, width, 3), dtype=np.uint8)
    img[..., 0] = ramp.astype(np.uint8)
    img[..., 1] = (ramp * 0.9).astype(np.uint8)
    img[..., 2] = (ramp * 1.4).astype(np.uint8)
    return Image.fromarray(img, "RGB")


def _compose_bases(
    size: tuple[int, int],
    refs: list[list[Image.Image]],
    prompt: str,
    caption: str,
    labels: list[str] | None = None,
) -> tuple[list[Image.Image], int]:
    """One full picture per reference-frame index (panels + prompt); returns them and the band height."""
    width, height = size
    font_size = max(14, min(width, height) // 26)
    font = ImageFont.load_default(size=font_size)
    small = ImageFont.load_default(size=max(12, font_size * 3 // 4))
    chars_per_line = max(20, int(width / (font_size * 0.55)))
    lines = textwrap.wrap(" ".join(prompt.split()), chars_per_line)[:4] or [""]
    if len(textwrap.wrap(" ".join(prompt.split()), chars_per_line)) > 4:
        lines[-1] = lines[-1][: max(0, chars_per_line - 1)] + "\u2026"
    band = int(font_size * 1.35 * (len(lines) + 1)) + font_size * 2
    band = min(band, height // 2)
    rects = _panels(size, len(refs), band)
    background = _background(size)
    variants = max(1, max((len(r) for r in refs), default=1))
    bases = []
    for index in range(variants):
        img = background.copy()
        draw = ImageDraw.Draw(img)
        for i, (rect, frames) in enumerate(zip(rects, refs, strict=True)):
            x, y, w, h = rect
            draw.rectangle((x, y, x + w, y + h), fill=_PANEL_COLOURS[i % 3])
            if frames:
                frame = frames[index % len(frames)]
                if frame.size != _fit(frame.size, (w, h)):
                    frame = frame.resize(_fit(frame.size, (w, h)))
                img.paste(frame, (x + (w - frame.width) // 2, y + (h - frame.height) // 2))
            label = labels[i] if labels and i < len(labels) else f"character{i + 1}"
            box = draw.textbbox((x + 8, y + 6), label, font=font)
            draw.rectangle((x, y, box[2] + 8, box[3] + 8), fill=(0, 0, 0))
            draw.text((x + 8, y + 6), label, font=font, fill=(255, 255, 255))
        top = height - band
        draw.rectangle((0, top, width, height), fill=(12, 12, 20))
        draw.text((16, top + font_size // 2), caption, font=small, fill=(150, 190, 255))
        for n, line in enumerate(lines):
            draw.text(
                (16, top + int(font_size * 1.35 * (n + 1)) + font_size // 2),
                line,
                font=font,
                fill=(240, 240, 240),
            )
        bases.append(img)
    return bases, band


def _audio(duration: float, voices: int) -> np.ndarray:
    """Stereo float32 samples: one pulsing tone per character."""
    n = int(round(duration * AUDIO_RATE))
    t = np.arange(n, dtype=np.float32) / AUDIO_RATE
    mix = np.zeros(n, dtype=np.float32)
    for i in range(max(1, voices)):
        envelope = 0.55 + 0.45 * np.sin(2 * np.pi * (1.0 + i * 0.5) * t)
        mix += envelope * np.sin(2 * np.pi * _TONES[i % 3] * t)
    mix *= 0.15 / max(1, voices)
    return np.stack([mix, mix]).astype(np.float32)


def render_video(
    out_path: Path,
    references: list[Path | None],
    prompt: str,
    size: tuple[int, int],
    duration: int,
    *,
    caption: str | None = None,
    audio: bool = True,
    labels: list[str] | None = None,
) -> float:
    """Write the result MP4 to `out_path` (atomically); returns the seconds it took.
    `audio=False` writes a silent video (no audio stream); `labels` name the panels
    (default ``character1`` ...)."""
    started = time.perf_counter()
    width, height = size
    count = max(1, len(references))
    refs_paths = list(references) or [None]
    # Panel box for scaling the decoded frames (approximate; the exact fit happens on paste).
    box = (width // count if width >= height else width, height // 2 if width >= height else height // count)
    refs = [reference_frames(p, box) for p in refs_paths]
    caption = caption or f"Wan 2.6 reference video (simulated)  {width}x{height}  {duration} s"
    bases, band = _compose_bases(size, refs, prompt, caption, labels)
    stamp_font = ImageFont.load_default(size=max(12, min(width, height) // 36))

    tmp = out_path.with_suffix(".part.mp4")
    total_frames = duration * FPS
    repeat = FPS // DISTINCT_PER_SECOND
    samples = _audio(duration, len(refs_paths)) if audio else np.zeros((2, 0), dtype=np.float32)
    with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        vstream = out.add_stream("libx264", rate=FPS)
        vstream.width, vstream.height = width, height
        vstream.pix_fmt = "yuv420p"
        vstream.options = {"preset": "ultrafast", "crf": "28"}
        astream = None
        if audio:
            astream = out.add_stream("aac", rate=AUDIO_RATE)
            astream.layout = "stereo"
        audio_pos = 0
        frame_index = 0
        bar_y = height - max(6, height // 120)
        for step in range(0, total_frames, repeat):
            t = step / FPS
            img = bases[int(t * 2) % len(bases)].copy()
            draw = ImageDraw.Draw(img)
            draw.rectangle(
                (0, bar_y, int(width * (step + repeat) / total_frames), height), fill=(90, 200, 120)
            )
            stamp = f"{int(t // 60):02d}:{t % 60:04.1f}"
            draw.text(
                (width - 16, height - band + 8), stamp, font=stamp_font, fill=(200, 200, 200), anchor="ra"
            )
            yuv = av.VideoFrame.from_image(img).reformat(format="yuv420p")
            for _ in range(min(repeat, total_frames - step)):
                yuv.pts = frame_index
                yuv.time_base = Fraction(1, FPS)
                out.mux(vstream.encode(yuv))
                frame_index += 1
            if astream is None:
                continue
            # Keep audio in step with the video for good interleaving.
            audio_end = min(samples.shape[1], int(frame_index / FPS * AUDIO_RATE))
            while audio_pos + AUDIO_CHUNK <= audio_end or (
                audio_end == samples.shape[1] and audio_pos < audio_end
            ):
                chunk = samples[:, audio_pos : audio_pos + AUDIO_CHUNK]
                frame = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(chunk), format="fltp", layout="stereo"
                )
                frame.sample_rate = AUDIO_RATE
                frame.pts = audio_pos
                frame.time_base = Fraction(1, AUDIO_RATE)
                out.mux(astream.encode(frame))
                audio_pos += chunk.shape[1]
        out.mux(vstream.encode(None))
        if astream is not None:
            out.mux(astream.encode(None))
    tmp.replace(out_path)
    return time.perf_counter() - started
