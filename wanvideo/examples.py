"""The one-click examples: three made-up "characters" and the example sets that use them.

Each character is a short clip made here with PyAV: a coloured shape with eyes that moves in
its own way over its own background, and a voice (a tone with its own pitch and rhythm), so
"character1's voice" means something to the model and to a person watching.

    EXAMPLE_SETS[0].prompt, EXAMPLE_SETS[0].characters    # what one click fills the form with
    clip_path(CHARACTERS["ruby"])                          # examples/ruby.mp4 (in the repository)
    make_clip(CHARACTERS["ruby"], tmp / "ruby.mp4")        # the maker (tests, regeneration)
    python -m wanvideo.examples                            # rewrite examples/*.mp4

The clips live in the repository (`examples/`, about 0.2 MB together), not generated at first
start: the app starts no slower, a read-only deployment works, and every install shows the
same clips. `python -m wanvideo.examples` rebuilds them from the specs below.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from .messages import Message

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"

WIDTH, HEIGHT, FPS = 320, 240, 12
AUDIO_RATE = 24000


@dataclass(frozen=True)
class Character:
    """A made-up reference clip: look, motion and voice."""

    name: str
    shape: str  # "circle" | "square" | "triangle"
    color: tuple[int, int, int]
    background: tuple[int, int, int]
    motion: str  # "bounce" | "slide" | "sway"
    pitch_hz: float  # the voice's pitch
    syllables_per_second: float  # the voice's rhythm
    seconds: float


@dataclass(frozen=True)
class ExampleSet:
    """What one click puts in the form."""

    id: str  # its label and prompt are the catalogue's example.<id>.label / .prompt (both languages)
    characters: tuple[str, ...]  # keys of CHARACTERS, in character1..3 order
    quality: str
    aspect_ratio: str
    duration: int
    shot_type: str

    @property
    def label(self) -> Message:
        return Message(f"example.{self.id}.label")

    @property
    def prompt(self) -> Message:
        return Message(f"example.{self.id}.prompt")


CHARACTERS = {
    "ruby": Character("ruby", "circle", (220, 50, 60), (255, 236, 200), "bounce", 220.0, 3.0, 3.0),
    "sky": Character("sky", "square", (40, 110, 220), (214, 240, 255), "slide", 440.0, 4.5, 3.0),
    "leaf": Character("leaf", "triangle", (40, 160, 70), (240, 232, 255), "sway", 330.0, 2.0, 4.0),
}

EXAMPLE_SETS = (
    ExampleSet(
        id="duet",
        characters=("ruby", "sky"),
        quality="720p",
        aspect_ratio="16:9",
        duration=5,
        shot_type="single",
    ),
    ExampleSet(
        id="solo",
        characters=("leaf",),
        quality="720p",
        aspect_ratio="9:16",
        duration=5,
        shot_type="single",
    ),
    ExampleSet(
        id="trio",
        characters=("ruby", "sky", "leaf"),
        quality="720p",
        aspect_ratio="1:1",
        duration=5,
        shot_type="multi",
    ),
)


def clip_path(character: Character, folder: Path = EXAMPLES_DIR) -> Path:
    return folder / f"{character.name}.mp4"


def example_paths(example: ExampleSet, folder: Path = EXAMPLES_DIR) -> list[Path]:
    return [clip_path(CHARACTERS[name], folder) for name in example.characters]


# ---------------------------------------------------------------------------- drawing


def _position(character: Character, t: float) -> tuple[float, float]:
    """The shape's centre at time t (pixels)."""
    cx, cy = WIDTH / 2, HEIGHT / 2
    if character.motion == "bounce":
        return cx + 40 * math.sin(2 * math.pi * t / 3), HEIGHT - 70 - 70 * abs(math.sin(2 * math.pi * t))
    if character.motion == "slide":
        return cx + 100 * math.sin(2 * math.pi * t / 2), cy
    return cx + 30 * math.sin(2 * math.pi * t), cy + 10 * math.cos(4 * math.pi * t)  # sway


def _frame(character: Character, t: float):  # noqa: ANN202 - numpy array
    import numpy as np

    img = np.empty((HEIGHT, WIDTH, 3), dtype=np.uint8)
    img[:, :] = character.background
    img[HEIGHT - 30 :, :] = tuple(c // 2 for c in character.background)  # the floor
    x0, y0 = _position(character, t)
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
    r = 45
    if character.shape == "circle":
        mask = (xs - x0) ** 2 + (ys - y0) ** 2 <= r * r
    elif character.shape == "square":
        mask = (abs(xs - x0) <= r * 0.85) & (abs(ys - y0) <= r * 0.85)
    else:  # an upward triangle
        top, base = y0 - r, y0 + r * 0.8
        half = (ys - top) / (base - top) * r
        mask = (ys >= top) & (ys <= base) & (abs(xs - x0) <= half)
    img[mask] = character.color
    blink = (t * 1.3) % 3 < 0.15
    for dx in (-14, 14):  # eyes: white with a dark pupil, closed while blinking
        eye = (xs - (x0 + dx)) ** 2 + (ys - (y0 - 6)) ** 2
        if blink:
            img[(abs(ys - (y0 - 6)) <= 1) & (abs(xs - (x0 + dx)) <= 7)] = (20, 20, 20)
        else:
            img[eye <= 49] = (255, 255, 255)
            img[eye <= 9] = (20, 20, 20)
    return img


def _voice(character: Character, start: int, count: int):  # noqa: ANN202 - numpy array
    """Mono float samples: the character's pitch, in syllables (an on/off envelope)."""
    import numpy as np

    t = np.arange(start, start + count, dtype=np.float64) / AUDIO_RATE
    envelope = np.clip(np.sin(2 * np.pi * character.syllables_per_second * t), 0, None) ** 0.5
    wobble = 1 + 0.03 * np.sin(2 * np.pi * 5 * t)
    tone = np.sin(2 * np.pi * character.pitch_hz * wobble * t) + 0.3 * np.sin(
        4 * np.pi * character.pitch_hz * t
    )
    return (0.25 * envelope * tone).astype(np.float32).reshape(1, -1)


def make_clip(character: Character, path: Path | str) -> Path:
    """Write the character's clip: H.264 + AAC MP4, WIDTH x HEIGHT, `seconds` long."""
    import av

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with av.open(str(tmp), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.options = {"preset": "veryfast", "crf": "30"}
        audio = out.add_stream("aac", rate=AUDIO_RATE)
        audio.layout = "mono"
        audio.bit_rate = 32000
        frames = round(character.seconds * FPS)
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(_frame(character, i / FPS), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            out.mux(video.encode(frame))
        out.mux(video.encode())
        total, chunk, pos = round(character.seconds * AUDIO_RATE), 1024, 0
        while pos < total:
            n = min(chunk, total - pos)
            samples = av.AudioFrame.from_ndarray(_voice(character, pos, n), format="fltp", layout="mono")
            samples.sample_rate, samples.pts, samples.time_base = AUDIO_RATE, pos, Fraction(1, AUDIO_RATE)
            out.mux(audio.encode(samples))
            pos += n
        out.mux(audio.encode())
    tmp.replace(path)
    return path


def main(folder: Path = EXAMPLES_DIR) -> None:
    for character in CHARACTERS.values():
        path = make_clip(character, clip_path(character, folder))
        print(f"{path}  {path.stat().st_size / 1000:.0f} kB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else EXAMPLES_DIR)
