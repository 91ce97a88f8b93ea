"""Preparing real clips (made with PyAV) in the sandbox, each read back: container, codecs,
duration within 0.1 s of its window, size, display orientation. Also the cache and Stop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import pytest

from tests.videos import append_bytes, make_noise_video, make_video
from wanvideo.media.clips import PreparedClips, PrepareError
from wanvideo.media.local import probe_file, video_duration
from wanvideo.media.prepare import MAX_SOURCE_BYTES, Limits, PrepPlan, Step, plan_preparation
from wanvideo.media.rules import megabytes
from wanvideo.media.sandbox import Sandbox
from wanvideo.media.sniff import sniff_container

HEVC = "libx265" in av.codecs_available


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox(workers=1, memory_mb=2048)
    yield box
    box.close()


@pytest.fixture
def clips(tmp_path: Path, sandbox: Sandbox) -> PreparedClips:
    return PreparedClips(tmp_path / "prepared", sandbox=sandbox)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("sources")
    small = {"width": 160, "height": 120, "fps": 10}
    out = {
        "webm": make_video(d / "screen.webm", 3, video_codec="libvpx-vp9", **small),
        "mkv": make_video(d / "take.mkv", 3, **small),
        "rotated": make_video(d / "phone.mp4", 3, rotation=90, **small),
        "long": make_video(d / "long.mp4", 45, width=64, height=48, fps=5),
    }
    if HEVC:
        out["hevc"] = make_video(d / "iphone.mov", 3, container="mov", video_codec="libx265", **small)
    out["stray"] = append_bytes(make_video(d / "base.mp4", 3, **small), d / "stray.mp4", b"\x00garbage" * 50)
    return out


@dataclass
class ReadBack:
    container: str | None
    video_codec: str | None
    audio_codec: str | None
    duration: float
    size: int
    width: int
    height: int
    rotation: int
    orientation: str | None
    moov_first: bool


def read_back(path: Path) -> ReadBack:
    """The prepared file's facts, read from its bytes with PyAV (not from what we were told)."""
    head = path.read_bytes()[:512]
    probe = probe_file(path)
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = next(iter(container.streams.audio), None)
        data = path.read_bytes()
        duration = video_duration(path)
        assert duration is not None
        return ReadBack(
            container=sniff_container(head),
            video_codec=video.codec_context.name,
            audio_codec=audio.codec_context.name if audio is not None else None,
            duration=duration,
            size=path.stat().st_size,
            width=probe.width or 0,
            height=probe.height or 0,
            rotation=probe.rotation,
            orientation=probe.orientation,
            moov_first=data.find(b"moov") < data.find(b"mdat"),
        )


def plan_for(path: Path, start: float = 0.0, limits: Limits | None = None) -> PrepPlan:
    probe = probe_file(path, max_bytes=MAX_SOURCE_BYTES)
    return plan_preparation(probe, start, limits=limits)


def prepare(clips: PreparedClips, path: Path, plan: PrepPlan, progress: list[float] | None = None):  # noqa: ANN201
    return asyncio.run(
        clips.prepare(path, plan, on_progress=progress.append if progress is not None else None)
    )


def assert_sendable(got: ReadBack, window: float) -> None:
    assert got.container == "mp4" and got.moov_first
    assert (got.video_codec, got.audio_codec) == ("h264", "aac")
    assert got.duration == pytest.approx(window, abs=0.1)
    assert got.duration <= 30.0
    assert got.rotation == 0


def test_webm_vp9_opus_is_converted(clips: PreparedClips, sources: dict[str, Path]) -> None:
    plan = plan_for(sources["webm"])
    assert (plan.source.container, plan.source.video_codec, plan.source.audio_codec) == (
        "webm",
        "vp9",
        "opus",
    )
    assert plan.notes() == ("converted from WebM",)
    progress: list[float] = []
    clip = prepare(clips, sources["webm"], plan, progress)
    got = read_back(clip.path)
    assert_sendable(got, 3.0)
    assert (got.width, got.height) == (160, 120)
    assert clip.probe.problems == () and clip.probe.name == "screen.webm"
    assert progress and progress[-1] == 100.0
    assert str(clip.path) in clips.files


def test_mkv_h264_is_remuxed_without_re_encoding(clips: PreparedClips, sources: dict[str, Path]) -> None:
    plan = plan_for(sources["mkv"])
    assert (plan.source.container, plan.source.video_codec, plan.source.audio_codec) == ("mkv", "h264", "aac")
    assert plan.steps == (Step.REMUX,)
    clip = prepare(clips, sources["mkv"], plan)
    assert_sendable(read_back(clip.path), 3.0)

    def packets(path: Path) -> list[bytes]:
        with av.open(str(path)) as c:
            return [bytes(p) for p in c.demux(video=0) if p.size]

    assert packets(clip.path) == packets(sources["mkv"])  # the very same video bitstream


@pytest.mark.skipif(not HEVC, reason="this PyAV has no HEVC encoder (libx265) to make the source")
def test_hevc_in_mov_is_converted(clips: PreparedClips, sources: dict[str, Path]) -> None:
    plan = plan_for(sources["hevc"])
    assert (plan.source.container, plan.source.video_codec) == ("mov", "hevc")
    assert plan.notes() == ("converted from HEVC (H.265)",)
    assert_sendable(read_back(prepare(clips, sources["hevc"], plan).path), 3.0)


def test_rotated_clip_is_portrait_everywhere(clips: PreparedClips, sources: dict[str, Path]) -> None:
    probe = probe_file(sources["rotated"])
    assert probe.rotation == 90 and (probe.width, probe.height) == (120, 160)  # as displayed
    assert probe.orientation == "portrait"
    plan = plan_preparation(probe)
    assert plan.notes() == ("rotated to portrait",)
    clip = prepare(clips, sources["rotated"], plan)
    got = read_back(clip.path)
    assert_sendable(got, 3.0)
    assert (got.width, got.height, got.orientation) == (120, 160, "portrait")
    # The stored picture's white top band is on the right once turned clockwise, as a player shows it.
    with av.open(str(clip.path)) as c:
        frame = next(c.decode(video=0)).to_ndarray(format="gray")
    right, left = frame[:, -20:].mean(), frame[:, :20].mean()
    assert right > 200 > left


@pytest.mark.parametrize(("start", "window"), [(0.0, 30.0), (12.5, 30.0), (40.0, 5.0)])
def test_long_clip_is_cut_to_its_window(
    clips: PreparedClips, sources: dict[str, Path], start: float, window: float
) -> None:
    plan = plan_for(sources["long"], start)
    assert Step.TRIM in plan.steps and plan.sent.duration == window
    clip = prepare(clips, sources["long"], plan)
    got = read_back(clip.path)
    assert_sendable(got, window)
    with av.open(str(clip.path)) as c:
        audio = c.streams.audio[0]
        assert float(audio.duration * audio.time_base) == pytest.approx(window, abs=0.1)


@pytest.mark.parametrize("fps", [Fraction(30000, 1001), Fraction(5)])
def test_a_window_off_the_frame_grid_keeps_its_length(
    clips: PreparedClips, tmp_path: Path, fps: Fraction
) -> None:
    """The frame showing at `start` opens the window, shortened: the clip still reads as long
    as its window, so the shortest start the refusal suggests (2 s before the end) is taken."""
    source = make_video(tmp_path / "silent.mp4", 6, width=64, height=48, fps=fps, audio=False)  # type: ignore[arg-type]
    length = probe_file(source).duration
    assert length is not None
    for start in (length - 2.0, 1.013):
        plan = plan_for(source, start)
        assert plan.needed and plan.sent.problems == ()
        clip = prepare(clips, source, plan)
        assert clip.probe.problems == ()
        assert read_back(clip.path).duration == pytest.approx(length - start, abs=0.005)


def test_over_the_byte_limit_is_shrunk_under_it(clips: PreparedClips, tmp_path: Path) -> None:
    source = make_noise_video(tmp_path / "noise.mp4", 4, width=320, height=240, fps=10)
    limit = source.stat().st_size // 3  # the limit is a parameter of the plan
    plan = plan_for(source, limits=Limits(max_bytes=limit))
    assert plan.steps == (Step.SHRINK,)
    clip = prepare(clips, source, plan)
    got = read_back(clip.path)
    assert got.size <= limit and got.container == "mp4" and got.video_codec == "h264"
    assert got.duration == pytest.approx(4.0, abs=0.1)
    assert (got.width, got.height) == (320, 240)  # the resolution is kept
    assert clip.notes()[-1] == f"shrunk from {megabytes(source.stat().st_size)} to {megabytes(got.size)}"


def test_a_slow_clip_is_raised_to_the_providers_frame_rate(clips: PreparedClips, tmp_path: Path) -> None:
    source = make_video(tmp_path / "slow.mp4", 3, width=160, height=120, fps=10)
    plan = plan_for(source, limits=Limits(min_fps=16.0))  # fal's floor
    assert plan.steps == (Step.FRAME_RATE,) and plan.sent.fps == 16.0 and plan.sent.problems == ()
    assert plan_for(source).steps == ()  # no floor: sent as it is
    clip = prepare(clips, source, plan)
    got = read_back(clip.path)
    assert_sendable(got, 3.0)
    assert clip.probe.fps == pytest.approx(16.0, abs=0.2)  # read back from the file
    with av.open(str(clip.path)) as c:
        assert c.streams.video[0].frames == pytest.approx(48, abs=2)  # 3 s at 16 fps
    assert "frame rate raised from 10 to 16 fps" in clip.notes()


def test_stray_bytes_are_remuxed(clips: PreparedClips, sources: dict[str, Path]) -> None:
    probe = probe_file(sources["stray"])
    assert probe.stray_bytes == len(b"\x00garbage" * 50) and probe.read_error is None
    plan = plan_preparation(probe)
    assert plan.steps == (Step.REMUX,)
    clip = prepare(clips, sources["stray"], plan)
    got = read_back(clip.path)
    assert_sendable(got, 3.0)
    assert probe_file(clip.path).stray_bytes == 0


def test_a_truncated_clip_is_not_mistaken_for_stray_bytes(tmp_path: Path) -> None:
    base = make_video(tmp_path / "whole.mp4", 3, width=160, height=120, fps=10)
    whole = base.read_bytes()
    (tmp_path / "cut.mp4").write_bytes(whole[: len(whole) - 200])  # the trailing moov loses its end
    cut = probe_file(tmp_path / "cut.mp4")
    assert cut.stray_bytes == 0 and cut.problems and "damaged or incomplete" in cut.problems[0]
    assert not plan_preparation(cut).needed


def test_the_cache_reuses_a_preparation(
    clips: PreparedClips, sources: dict[str, Path], sandbox: Sandbox
) -> None:
    plan = plan_for(sources["webm"])
    first = prepare(clips, sources["webm"], plan)
    made = first.path.stat().st_mtime_ns
    again = prepare(clips, sources["webm"], plan_for(sources["webm"]))
    assert again.path == first.path and again.path.stat().st_mtime_ns == made
    other_start = prepare(clips, sources["webm"], plan_for(sources["webm"], 0.5))
    assert other_start.path != first.path
    assert clips.discard([str(first.path), "/etc/passwd"]) == 1  # only its own files
    assert not first.path.exists() and Path("/etc/passwd").exists()
    assert str(first.path) not in clips.files


def test_two_callers_share_one_preparation(clips: PreparedClips, sources: dict[str, Path]) -> None:
    plan = plan_for(sources["long"], 1.0)

    async def both():  # noqa: ANN202
        return await asyncio.gather(
            clips.prepare(sources["long"], plan), clips.prepare(sources["long"], plan)
        )

    one, two = asyncio.run(both())
    assert one.path == two.path and one.path.exists()


def test_stop_kills_the_preparation(clips: PreparedClips, tmp_path: Path, sandbox: Sandbox) -> None:
    source = make_noise_video(tmp_path / "busy.mp4", 10, width=320, height=240)
    plan = plan_for(source, 1.0)
    restarts = sandbox.restarts
    seen: list[float] = []

    async def stop_early() -> None:
        task = asyncio.ensure_future(clips.prepare(source, plan, on_progress=seen.append))
        while not any(0 < p < 100 for p in seen):  # it is transcoding
            assert not task.done()
            await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(stop_early())
    deadline = time.monotonic() + 10
    while sandbox.restarts == restarts and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox.restarts == restarts + 1  # the worker was killed, not left transcoding
    deadline = time.monotonic() + 5
    while list(clips.root.rglob("*.part")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(clips.root.rglob("*.mp4*")) == []  # no clip, no half-written file


def test_an_undecodable_clip_fails_with_a_reason(
    clips: PreparedClips, tmp_path: Path, sources: dict[str, Path]
) -> None:
    broken = tmp_path / "broken.webm"
    data = bytearray(sources["webm"].read_bytes())
    data[600:] = bytes(len(data) - 600)  # the headers survive, the frames are zeros
    broken.write_bytes(bytes(data))
    probe = probe_file(broken)
    plan = plan_preparation(probe)
    assert plan.needed  # its headers read fine: only decoding finds the damage
    with pytest.raises(PrepareError) as caught:
        prepare(clips, broken, plan)
    assert caught.value.message == (
        "broken.webm could not be prepared (its video could not be decoded); export it again as MP4 (H.264)"
    )
    assert list(clips.root.rglob("*.mp4*")) == []


def test_a_real_clip_over_100_mb_is_shrunk(tmp_path: Path, clips: PreparedClips) -> None:
    """The one real > 100 MB case: 9 s of lossless noise at 640x360 (about 110 MB)."""
    path = make_noise_video(tmp_path / "noise.mp4", 9, width=640, height=360)
    assert path.stat().st_size > 100_000_000
    plan = plan_for(path)
    assert plan.steps == (Step.SHRINK,) and plan.sent.problems == ()
    got = read_back(prepare(clips, path, plan).path)
    assert got.size <= 100_000_000 and got.video_codec == "h264" and got.audio_codec is None
    assert got.duration == pytest.approx(9.0, abs=0.1)
    assert (got.width, got.height) == (640, 360)  # shrunk by bitrate, not by resolution


def test_a_re_encoded_clip_keeps_at_most_1920_px_on_its_long_side(
    clips: PreparedClips, tmp_path: Path
) -> None:
    wide = make_video(tmp_path / "wide.mp4", 3, width=2560, height=1440, fps=10, audio=False)
    plan = plan_for(wide, 0.5)  # trimmed, so re-encoded
    assert plan.needed and plan.sent.problems == ()
    assert Step.SCALE in plan.steps and (plan.sent.width, plan.sent.height) == (1920, 1080)
    got = read_back(prepare(clips, wide, plan).path)
    assert (got.width, got.height) == (1920, 1080)
    assert got.duration == pytest.approx(2.5, abs=0.1)


def _peak_rss(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), bytes."""
    with open(f"/proc/{pid}/status") as fh:
        line = next(line for line in fh if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def test_memory_stays_bounded_whatever_the_length(tmp_path: Path) -> None:
    """Frames stream through the encoder: a clip 10x longer does not raise the worker's peak
    memory (holding its frames would add 400 x 346 KB = 138 MB)."""
    short = make_video(tmp_path / "short.mp4", 4, width=640, height=360, fps=10)
    long = make_video(tmp_path / "long.mp4", 40, width=640, height=360, fps=10)
    box = Sandbox(workers=1, memory_mb=2048)
    try:
        clips = PreparedClips(tmp_path / "prepared", sandbox=box)
        prepare(clips, short, plan_for(short, 0.5))
        (worker,) = box.worker_pids()
        after_short = _peak_rss(worker)
        clip = prepare(clips, long, plan_for(long, 0.5))
        assert box.worker_pids() == [worker]
        assert read_back(clip.path).duration == pytest.approx(30.0, abs=0.1)
        assert _peak_rss(worker) - after_short < 30 * 2**20
    finally:
        box.close()


def test_a_restart_adopts_old_clips_and_sweeps_what_is_left(tmp_path: Path) -> None:
    root = tmp_path / "prepared"
    (root / "a-key").mkdir(parents=True)
    (root / "a-key" / "clip.mp4").write_bytes(b"made before a crash")
    (root / "emptied-by-gradio").mkdir()
    (root / "link-abc").mkdir()
    (root / "link-abc" / "source").write_bytes(b"half a download")
    clips = PreparedClips(root)
    assert clips.files == {str(root / "a-key" / "clip.mp4")}  # Gradio's cleaner will see it
    assert sorted(p.name for p in root.iterdir()) == ["a-key"]


def test_a_converted_clip_chooses_its_own_key_frames(clips: PreparedClips, tmp_path: Path) -> None:
    """A decoded frame keeps its picture type and libx264 obeys it: a key-frame-only source
    would come out all key frames (far larger at the same quality) unless the type is cleared."""
    source = make_video(tmp_path / "intra.webm", 3, container="webm", fps=20, video_options={"g": "1"})
    clip = prepare(clips, source, plan_for(source))
    with av.open(str(clip.path)) as container:
        keys = [p.is_keyframe for p in container.demux(video=0) if p.size]
    assert len(keys) >= 55 and sum(keys) <= 3, (len(keys), sum(keys))
