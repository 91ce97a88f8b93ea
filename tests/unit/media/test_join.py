"""Joining a film's shots (real 2 s clips made with PyAV) in the sandbox, each film read back
with PyAV: its length, its streams, its timestamps demuxed, its frames and samples decoded.
Also the plan alone (pure), and a corrupt shot refused by name in both languages."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from tests.videos import faststart, make_video
from wanvideo.error_base import WanError
from wanvideo.media.join import JoinError, JoinResult, ShotProbe, join_films, plan_join
from wanvideo.media.sandbox import Sandbox
from wanvideo.messages import CATALOGUE

SHOT = 2.0  # seconds
FPS = 10


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox(workers=1, memory_mb=2048)
    yield box
    box.close()


def late_start(src: Path, dst: Path, seconds: float) -> Path:
    """`src` remuxed with every timestamp `seconds` later: its clock starts there (an edit
    list's delay), as some muxers write."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", format="mp4") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        for packet in inp.demux():
            if packet.dts is None:
                continue
            shift = round(seconds / packet.time_base)
            packet.pts, packet.dts = packet.pts + shift, packet.dts + shift
            packet.stream = streams[packet.stream.index]
            out.mux(packet)
    return dst


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("shots")
    out = {
        f"shot{i}": make_video(d / f"shot{i}.mp4", SHOT, fps=FPS, color=(60 * i, 90, 40)) for i in range(3)
    }
    out["wide"] = make_video(d / "wide.mp4", SHOT, fps=FPS, width=320, height=240)
    out["tall"] = make_video(d / "tall.mp4", SHOT, fps=FPS, width=120, height=160)
    out["mute"] = make_video(d / "mute.mp4", SHOT, fps=FPS, audio=False)
    out["fast"] = make_video(d / "fast.mp4", SHOT, fps=3 * FPS)
    out["intra"] = make_video(d / "intra.mp4", SHOT, fps=FPS, video_options={"g": "1"})  # key frames only
    out["late"] = late_start(out["shot1"], d / "late.mp4", 1.0)
    data = out["shot1"].read_bytes()  # its index (moov) is at the end: cut off, nothing reads it
    (d / "cut.mp4").write_bytes(data[: len(data) // 2])
    out["cut"] = d / "cut.mp4"
    return out


@dataclass
class Film:
    seconds: float  # the container's duration
    streams: list[str]
    width: int
    height: int
    video_codec: str
    audio_codec: str | None
    frames: int  # decoded
    samples: np.ndarray  # the decoded sound, first channel
    sample_rate: int
    increasing: bool  # every stream's decode times strictly increase
    key_frames: int


def read_film(path: Path) -> Film:
    """The film's facts read from its bytes (never from what the join said)."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = next(iter(container.streams.audio), None)
        last: dict[int, int] = {}
        increasing = True
        key_frames = 0
        for packet in container.demux():
            if packet.dts is None:
                continue
            key_frames += packet.stream.type == "video" and packet.is_keyframe
            before = last.get(packet.stream.index)
            increasing &= before is None or packet.dts > before
            last[packet.stream.index] = packet.dts
        film = Film(
            seconds=container.duration / av.time_base,
            streams=[s.type for s in container.streams],
            width=video.codec_context.width,
            height=video.codec_context.height,
            video_codec=video.codec_context.name,
            audio_codec=audio.codec_context.name if audio is not None else None,
            frames=0,
            samples=np.zeros(0, dtype=np.float32),
            sample_rate=audio.codec_context.sample_rate if audio is not None else 0,
            increasing=increasing,
            key_frames=key_frames,
        )
    with av.open(str(path)) as container:
        film.frames = sum(1 for _ in container.decode(video=0))
    if film.audio_codec is not None:
        with av.open(str(path)) as container:
            chunks = [f.to_ndarray()[0] for f in container.decode(audio=0)]
        film.samples = np.concatenate(chunks)
    return film


def video_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(video=0) if p.size]


def join(shots: list[Path], dest: Path, sandbox: Sandbox, seen: list[float] | None = None) -> JoinResult:
    on_progress = seen.append if seen is not None else None
    return asyncio.run(join_films(shots, dest, on_progress=on_progress, sandbox=sandbox))


# ------------------------------------------------------------------ real films


def test_matching_shots_are_copied_into_one_film_with_sound(shots, sandbox, tmp_path):
    seen: list[float] = []
    dest = tmp_path / "film" / "film.mp4"
    result = join([shots["shot0"], shots["shot1"], shots["shot2"]], dest, sandbox, seen)
    assert result.copied is True
    assert result.path == dest and dest.exists()
    assert not Path(f"{dest}.part").exists()
    assert result.seconds == pytest.approx(3 * SHOT, abs=0.1)
    film = read_film(dest)
    assert film.seconds == pytest.approx(3 * SHOT, abs=0.1)
    assert film.streams == ["video", "audio"]
    assert film.increasing
    assert film.frames == 3 * SHOT * FPS
    assert len(film.samples) / film.sample_rate == pytest.approx(3 * SHOT, abs=0.1)
    assert seen[-1] == 100.0 and seen == sorted(seen)
    # copied, not re-encoded: the film's pictures are the shots' packets, byte for byte
    assert video_packets(dest) == [p for i in range(3) for p in video_packets(shots[f"shot{i}"])]


def test_shots_of_different_sizes_are_re_encoded_to_the_first(shots, sandbox, tmp_path):
    dest = tmp_path / "mixed.mp4"
    result = join([shots["shot0"], shots["wide"], shots["tall"]], dest, sandbox)
    assert result.copied is False
    film = read_film(dest)
    assert (film.width, film.height, film.video_codec) == (160, 120, "h264")
    assert film.seconds == pytest.approx(3 * SHOT, abs=0.1)
    assert film.streams == ["video", "audio"] and film.audio_codec == "aac"
    assert film.increasing
    assert film.frames == 3 * SHOT * FPS
    assert len(film.samples) / film.sample_rate == pytest.approx(3 * SHOT, abs=0.1)
    # the portrait shot is letterboxed into the landscape film, not stretched
    with av.open(str(dest)) as container:
        frame = next(f for f in container.decode(video=0) if f.time >= 2 * SHOT + 0.5)
    luma = frame.to_ndarray(format="gray")
    assert luma[:, :20].mean() < 25  # black bars: the picture is 90 px wide in 160
    assert luma[:, 70:90].mean() > 50


@pytest.mark.parametrize("first", ["shot0", "wide"])  # copied, re-encoded
def test_a_shot_whose_clock_starts_late_has_no_gap(shots, sandbox, tmp_path, first):
    dest = tmp_path / "late-film.mp4"
    result = join([shots[first], shots["late"], shots["shot2"]], dest, sandbox)
    assert result.copied is (first == "shot0")
    film = read_film(dest)
    assert film.seconds == pytest.approx(3 * SHOT, abs=0.1)
    assert film.frames == 3 * SHOT * FPS
    assert len(film.samples) / film.sample_rate == pytest.approx(3 * SHOT, abs=0.1)


def test_a_re_encode_keeps_the_first_shots_frame_rate(shots, sandbox, tmp_path):
    dest = tmp_path / "rates.mp4"
    result = join([shots["shot0"], shots["fast"]], dest, sandbox)  # 10 fps, then 30 fps
    assert result.copied is False
    film = read_film(dest)
    assert film.frames == 2 * SHOT * FPS  # the second shot's 60 frames became 20
    assert film.seconds == pytest.approx(2 * SHOT, abs=0.05)
    assert len(film.samples) / film.sample_rate == pytest.approx(2 * SHOT, abs=0.1)


def test_a_re_encode_chooses_its_own_frame_types(shots, sandbox, tmp_path):
    """A decoded frame carries its source's picture type and libx264 obeys it unless told not
    to: a film from key-frame-only shots would be all key frames (twice the bytes or more)."""
    dest = tmp_path / "intra-film.mp4"
    result = join([shots["intra"], shots["wide"], shots["intra"]], dest, sandbox)
    assert result.copied is False
    film = read_film(dest)
    assert film.frames == 3 * SHOT * FPS
    assert film.key_frames < 5  # x264's own choice: the first frame (and a scene cut or so)


@pytest.mark.parametrize("mute_at", [1, 2])
def test_a_shot_without_sound_is_silence_of_its_length(shots, sandbox, tmp_path, mute_at):
    order = [shots["shot0"], shots["shot2"]]
    order.insert(mute_at, shots["mute"])
    dest = tmp_path / "mute.mp4"
    result = join(order, dest, sandbox)
    assert result.copied is False  # its sound is re-encoded (its picture is still copied)
    film = read_film(dest)
    assert film.streams == ["video", "audio"]
    assert film.frames == 3 * SHOT * FPS
    rate = film.sample_rate
    assert len(film.samples) / rate == pytest.approx(3 * SHOT, abs=0.1)
    loud = np.abs(film.samples)

    def level(shot: int) -> float:  # the loudest sample inside a shot, away from its edges
        start, end = shot * SHOT + 0.2, (shot + 1) * SHOT - 0.2
        return float(loud[int(start * rate) : int(end * rate)].max())

    # the tone (0.2) in the shots with sound, silence in the mute one, in step with the picture
    assert [level(i) > 0.1 for i in range(3)] == [i != mute_at for i in range(3)]
    assert level(mute_at) < 0.01


def test_a_corrupt_shot_is_named_in_both_languages(shots, sandbox, tmp_path):
    dest = tmp_path / "broken.mp4"
    with pytest.raises(JoinError) as caught:
        join([shots["shot0"], shots["cut"], shots["shot2"]], dest, sandbox)
    error = caught.value
    assert isinstance(error, WanError)
    assert error.shot == 2
    assert error.message.id == "join.shot_unreadable"
    assert "Shot 2" in str(error) and str(shots["cut"]) not in str(error)
    assert "2" in error.message.render("zh-CN") and error.message.render("zh-CN") != str(error.message)
    assert set(CATALOGUE["join.shot_unreadable"]) >= {"en", "zh-CN"}
    assert not dest.exists() and not Path(f"{dest}.part").exists()


def _serve_once(fifo: Path, data: bytes) -> None:
    """Give `data` to the next reader of `fifo` (the read step), then nothing more."""
    fd = os.open(fifo, os.O_WRONLY)  # waits for a reader
    with contextlib.suppress(BrokenPipeError):
        os.write(fd, data)
    os.close(fd)


def test_stopping_a_join_kills_its_worker_and_leaves_no_file(shots, sandbox, tmp_path):
    """The second shot is a named pipe: its headers are served once (the read step), then the
    join's worker waits on it for ever, mid-film, its `.part` open. Stopping must kill it."""
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    reader = threading.Thread(
        daemon=True,
        target=_serve_once,
        args=(fifo, faststart(shots["shot1"], tmp_path / "f.mp4").read_bytes()),
    )
    reader.start()
    dest = tmp_path / "stopped.mp4"
    restarts = sandbox.restarts
    held: list[int] = []

    async def stop_midway() -> None:
        work = asyncio.ensure_future(
            join_films([shots["shot0"], fifo, shots["shot2"]], dest, sandbox=sandbox)
        )
        while not held:  # the join's worker has the pipe open (a writer can open it without waiting)
            assert not work.done(), work
            with contextlib.suppress(OSError):
                if not reader.is_alive():
                    held.append(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # held open: its read waits
            await asyncio.sleep(0.02)
        assert Path(f"{dest}.part").exists()  # mid-film
        work.cancel()
        with pytest.raises(asyncio.CancelledError):
            await work

    try:
        asyncio.run(stop_midway())
    finally:
        for fd in held:
            os.close(fd)
        reader.join(5)
    assert sandbox.restarts == restarts + 1  # the worker doing it was killed (and replaced)
    assert not dest.exists() and not Path(f"{dest}.part").exists()


def test_the_app_process_never_loads_pyav_to_join():
    """Decoding happens in the sandbox only: importing the front loads no PyAV (a fresh
    interpreter, so other tests' imports do not hide it)."""
    code = "import sys, wanvideo.media.join; print('av' in sys.modules)"
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------ the plan alone

BASE = ShotProbe(
    path="a.mp4",
    seconds=2.0,
    video_codec="h264",
    width=1280,
    height=720,
    time_base=Fraction(1, 15360),
    fps=Fraction(30),
    pixel_format="yuv420p",
    video_params="sps",
    audio_codec="aac",
    sample_rate=44100,
    channels=2,
    audio_params="asc",
)


def test_plan_copies_when_every_shot_matches():
    plan = plan_join([BASE, replace(BASE, seconds=3.0), BASE])
    assert plan.copied and plan.copy_video and plan.copy_audio
    assert plan.video is None and plan.audio is None
    assert plan.offsets() == (0.0, 2.0, 5.0) and plan.total == 7.0


@pytest.mark.parametrize(
    "change",
    [
        {"width": 1920},
        {"time_base": Fraction(1, 90000)},
        {"pixel_format": "yuv444p"},
        {"video_params": "other"},
    ],
)
def test_plan_re_encodes_the_picture_to_the_first_shot(change):
    plan = plan_join([BASE, replace(BASE, **change)])
    assert not plan.copied and not plan.copy_video and plan.copy_audio
    assert plan.video is not None
    assert (plan.video.width, plan.video.height, plan.video.fps) == (1280, 720, Fraction(30))
    assert plan.video.time_base == Fraction(1, 15360) and plan.video.pixel_format == "yuv420p"


@pytest.mark.parametrize("change", [{"sample_rate": 48000}, {"channels": 1}, {"audio_codec": None}])
def test_plan_re_encodes_the_sound_to_the_first_shot(change):
    plan = plan_join([BASE, replace(BASE, **change)])
    assert plan.copy_video and not plan.copy_audio and not plan.copied
    assert plan.audio is not None and (plan.audio.sample_rate, plan.audio.channels) == (44100, 2)


def test_plan_without_any_sound_copies_the_picture_alone():
    silent = replace(BASE, audio_codec=None, sample_rate=0, channels=0, audio_params=None)
    plan = plan_join([silent, silent])
    assert plan.copied and not plan.has_audio and plan.audio is None


def test_plan_refuses_no_shots_and_unreadable_ones():
    with pytest.raises(JoinError) as none:
        plan_join([])
    assert none.value.message.id == "join.no_shots"
    with pytest.raises(JoinError) as bad:
        plan_join([BASE, BASE, replace(BASE, error="InvalidDataError", video_codec=None)])
    assert bad.value.shot == 3
