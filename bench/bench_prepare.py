"""Preparing references: the app's transcoder (PyAV, in its sandboxed worker) vs the `ffmpeg`
command doing the same work with the same encoder settings, in the same run.

    python bench/bench_prepare.py                  # both cases, 2 runs each (best of 2)
    python bench/bench_prepare.py --parts trim     # or: shrink
    python bench/bench_prepare.py --runs 3

Needs the `ffmpeg` command for the baseline only (`apt-get install -y ffmpeg`); the app
itself never runs it. Cases (inputs made here with PyAV, cached in the temp folder):

- trim: a 60 s 1080p30 H.264 + AAC clip prepared into its 30 s window (15-45 s);
- shrink: a 150 MB 1080p30 H.264 + AAC clip of 20 s shrunk under 100 MB.

The app side is its real code path: `PreparedClips.prepare` (content hash, cache, plan's
`TranscodeJob`) running `transcode.prepare_clip` in a `Sandbox` worker (warm, as in the
app), with a fresh cache each run. The ffmpeg side is one `ffmpeg` command built from the
same job: same window, size, filters, x264 preset/CRF/VBV cap, AAC bitrate, `+faststart`.
Both outputs are read back (duration, size, codecs) so a fast but wrong result shows.

Time: wall clock of the best run of each side (runs alternate, so load from other work hits
both), and CPU seconds (user + system of the processes doing the work: steadier on a shared
machine). Memory: RSS sampled every 20 ms from /proc; the highest peak of every run over the
idle RSS before the first, for the app process (here: this process, which hashes, caches and
waits as the app does; the inputs are made in a child process) and the sandbox worker doing
the work, reported apart. Targets: time at most 1.2x ffmpeg's; memory within 150 MB of idle.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wanvideo.media.clips import PREPARE_MEMORY_MB, PreparedClips  # noqa: E402
from wanvideo.media.local import probe_file, video_duration  # noqa: E402
from wanvideo.media.prepare import (  # noqa: E402
    MAX_SOURCE_BYTES,
    PrepPlan,
    TranscodeJob,
    about,
    plan_preparation,
)
from wanvideo.media.sandbox import Sandbox  # noqa: E402

TIME_TARGET = 1.2
MEMORY_TARGET_MB = 150
CACHE = Path(tempfile.gettempdir()) / "wan-bench-prepare"
MB = 1_000_000


# ------------------------------------------------------------------ inputs


def _texture(width: int, height: int, seed: int) -> np.ndarray:
    """A smooth colour field with some detail: moves like a camera pan when rolled."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (height // 16 + 1, width // 16 + 1, 3), dtype=np.uint8)
    big = np.repeat(np.repeat(small, 16, axis=0), 16, axis=1)[:height, :width]
    y, x = np.mgrid[0:height, 0:width]
    ramp = ((x + y) * 255 // (width + height)).astype(np.uint8)
    return (big // 2 + ramp[..., None] // 2).astype(np.uint8)


def make_source(
    path: Path,
    seconds: int,
    *,
    noise_rows: int = 0,
    crf: str = "18",
    width: int = 1920,
    height: int = 1080,
    fps: int = 30,
) -> Path:
    """A 1080p H.264 + AAC (stereo 48 kHz) MP4, like a phone's: a panning texture, plus
    `noise_rows` rows of fresh noise each frame (lossless) to make a large file."""
    if path.exists():
        return path
    part = path.with_suffix(".part.mp4")
    rng = np.random.default_rng(3)
    base = _texture(width * 2, height, 1)
    with av.open(str(part), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = (
            {"preset": "ultrafast", "qp": "0"} if noise_rows else {"preset": "ultrafast", "crf": crf}
        )
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "stereo"
        audio.bit_rate = 128_000
        samples = 0
        for i in range(seconds * fps):
            shift = (i * 6) % width
            img = np.ascontiguousarray(base[:, shift : shift + width])
            if noise_rows:
                img[:noise_rows] = rng.integers(0, 256, (noise_rows, width, 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(video.encode(frame))
            while samples < (i + 1) * 48000 // fps:  # interleave the sound as a camera does
                t = (np.arange(samples, samples + 1024) / 48000).astype(np.float32)
                tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
                chunk = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp", layout="stereo")
                chunk.sample_rate, chunk.pts, chunk.time_base = 48000, samples, Fraction(1, 48000)
                out.mux(audio.encode(chunk))
                samples += 1024
        out.mux(video.encode(None))
        out.mux(audio.encode(None))
    part.rename(path)
    return path


# ------------------------------------------------------------------ memory


def rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


class Peak:
    """Peak RSS of some processes (each on its own), sampled every 20 ms."""

    def __init__(self, pids: Callable[[], dict[str, int]]) -> None:
        self.pids = pids
        self.peak: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids().items():
                self.peak[name] = max(self.peak.get(name, 0), rss(pid))
            time.sleep(0.02)

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# ------------------------------------------------------------------ the two sides


def ffmpeg_command(source: Path, dest: Path, job: TranscodeJob, audio_rate: int, channels: int) -> list[str]:
    """The `ffmpeg` command doing what `transcode.prepare_clip` does for `job`."""
    enc = job.encoding
    filters = {90: ["transpose=clock"], 270: ["transpose=cclock"], 180: ["hflip", "vflip"]}.get(
        job.rotation, []
    )
    filters += [f"scale={job.width}:{job.height}", f"format={enc.pixel_format}"]
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    if job.start > 0:
        command += ["-ss", f"{job.start:g}"]
    command += ["-i", str(source), "-t", f"{job.end - job.start:g}", "-map", "0:v:0"]
    if job.has_audio:
        command += ["-map", "0:a:0"]
    if job.copy_video:
        command += ["-c:v", "copy"]
    else:
        cap = str(job.max_video_bitrate)
        command += ["-vf", ",".join(filters), "-c:v", enc.video_encoder, "-preset", enc.preset]
        command += ["-crf", str(enc.crf), "-maxrate", cap, "-bufsize", cap, "-pix_fmt", enc.pixel_format]
    if job.has_audio and job.copy_audio:
        command += ["-c:a", "copy"]
    elif job.has_audio:
        command += ["-c:a", enc.audio_encoder, "-b:a", str(enc.audio_bitrate)]
        command += ["-ar", str(audio_rate), "-ac", str(channels)]
    return [*command, "-movflags", "+faststart", str(dest)]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process so far."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    seconds: float
    cpu: float  # user + system seconds of the processes doing the work
    size: int
    duration: float
    codecs: tuple[str | None, str | None]
    memory: dict[str, int]  # name -> peak RSS, bytes


def read_back(path: Path) -> tuple[int, float, tuple[str | None, str | None]]:
    with av.open(str(path)) as c:
        audio = next(iter(c.streams.audio), None)
        codecs = (c.streams.video[0].codec_context.name, audio.codec_context.name if audio else None)
    return path.stat().st_size, video_duration(path) or 0.0, codecs


def run_ffmpeg(source: Path, plan: PrepPlan, out_dir: Path) -> Run:
    assert plan.job is not None
    with av.open(str(source)) as c:
        actx = c.streams.audio[0].codec_context
        rate, channels = actx.sample_rate, actx.channels
    dest = out_dir / "ffmpeg.mp4"
    command = ffmpeg_command(source, dest, plan.job, rate, channels)
    started = time.perf_counter()
    process = subprocess.Popen(command)
    with Peak(lambda: {"ffmpeg": process.pid}) as peak:
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status:
        raise SystemExit(f"ffmpeg failed ({status}): {' '.join(command)}")
    size, duration, codecs = read_back(dest)
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, cpu, size, duration, codecs, {"ffmpeg": peak.peak.get("ffmpeg", 0)})


def run_app(source: Path, plan: PrepPlan, sandbox: Sandbox, out_dir: Path) -> Run:
    clips = PreparedClips(out_dir / "prepared", sandbox=sandbox)  # fresh cache: real work
    (worker,) = sandbox.worker_pids()
    me = os.getpid()
    cpu_before = cpu_seconds(me) + cpu_seconds(worker)
    started = time.perf_counter()
    with Peak(lambda: {"app": me, "worker": worker}) as peak:
        clip = asyncio.run(clips.prepare(source, plan))
    seconds = time.perf_counter() - started
    cpu = cpu_seconds(me) + cpu_seconds(worker) - cpu_before
    assert sandbox.worker_pids() == [worker], "the worker was replaced: the run failed"
    size, duration, codecs = read_back(clip.path)
    return Run(seconds, cpu, size, duration, codecs, dict(peak.peak))


# ------------------------------------------------------------------ cases


@dataclass(frozen=True)
class Case:
    name: str
    what: str
    make: Callable[[], Path]
    start: float


CASES = {
    "trim": Case(
        "trim",
        "60 s 1080p30 H.264 clip -> its 30 s window (15-45 s)",
        lambda: make_source(CACHE / "take-60s-1080p.mp4", 60),
        15.0,
    ),
    "shrink": Case(
        "shrink",
        "150 MB 1080p30 clip of 20 s -> under 100 MB",
        # 66 rows of lossless noise a frame: about 150 MB over 20 s
        lambda: make_source(CACHE / "big-20s-1080p.mp4", 20, noise_rows=66),
        0.0,
    ),
}


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.seconds)


def check(run: Run, plan: PrepPlan) -> str:
    window = plan.window or 0.0
    ok = (
        abs(run.duration - window) <= 0.1
        and run.size <= plan.job.max_bytes  # type: ignore[union-attr]
        and run.codecs == ("h264", "aac")
    )
    return "ok" if ok else "WRONG"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parts", nargs="+", choices=sorted(CASES), default=list(CASES))
    parser.add_argument("--runs", type=int, default=2, help="runs of each side, alternated (best kept)")
    parser.add_argument("--make", choices=sorted(CASES), help=argparse.SUPPRESS)  # (the child's job)
    args = parser.parse_args()
    if args.make:
        CASES[args.make].make()
        return
    began = time.perf_counter()
    if shutil.which("ffmpeg") is None:
        raise SystemExit(
            "bench_prepare needs the `ffmpeg` command for its baseline: apt-get install -y ffmpeg "
            "(the app itself does not use it)"
        )
    CACHE.mkdir(exist_ok=True)
    for name in args.parts:  # made in a child process: this one stays as lean as the app's
        made = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--make", name], check=True)
        print(f"input for {name}: ready in {time.perf_counter() - made:.1f} s")
    sandbox = Sandbox(workers=1, memory_mb=PREPARE_MEMORY_MB)  # as `clips.prepare_sandbox()`
    sandbox.warm_up()
    (worker,) = sandbox.worker_pids()
    time.sleep(0.5)
    idle = {"app": rss(os.getpid()), "worker": rss(worker)}  # before any preparation
    print(
        f"idle RSS: app process {idle['app'] / 2**20:.0f} MB, sandbox worker {idle['worker'] / 2**20:.0f} MB"
    )
    verdicts: list[bool] = []
    try:
        for name in args.parts:
            case = CASES[name]
            source = case.make()  # found in the cache
            probe = probe_file(source, max_bytes=MAX_SOURCE_BYTES)
            plan = plan_preparation(probe, case.start)
            assert plan.job is not None, plan
            print(f"\n== {name}: {case.what}")
            print(
                f"   source {probe.size_bytes / MB:.1f} MB, {probe.duration:.1f} s, {probe.width}x{probe.height};"
                f" plan: {', '.join(plan.notes())}"
            )
            ff_runs: list[Run] = []
            app_runs: list[Run] = []
            for _ in range(args.runs):
                with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
                    ff_runs.append(run_ffmpeg(source, plan, Path(tmp)))
                with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
                    app_runs.append(run_app(source, plan, sandbox, Path(tmp)))
            ff, app = best(ff_runs), best(app_runs)
            ratio = app.seconds / ff.seconds
            cpu_ratio = min(r.cpu for r in app_runs) / min(r.cpu for r in ff_runs)
            # Memory: the highest peak of every run, over the idle before the first one.
            app_mb = (max(r.memory["app"] for r in app_runs) - idle["app"]) / 2**20
            worker_mb = (max(r.memory["worker"] for r in app_runs) - idle["worker"]) / 2**20
            for label, runs in (("ffmpeg", ff_runs), ("app   ", app_runs)):
                run = best(runs)
                times = ", ".join(f"{r.seconds:.1f}" for r in runs)
                cpus = ", ".join(f"{r.cpu:.1f}" for r in runs)
                print(
                    f"   {label} {run.seconds:6.1f} s wall (runs: {times}; CPU s: {cpus})  out {run.size / MB:.1f} MB,"
                    f" {run.duration:.2f} s, {run.codecs[0]}+{run.codecs[1]}: {check(run, plan)}"
                )
            print(
                f"   time: app {app.seconds:.1f} s vs ffmpeg {ff.seconds:.1f} s = {ratio:.2f}x wall,"
                f" {cpu_ratio:.2f}x CPU (target <= {TIME_TARGET}x)"
            )
            print(f"   the estimate said {about(plan.seconds_to_prepare)} to prepare (on an idle machine)")
            print(
                f"   memory over idle: app process {app_mb:+.0f} MB, sandbox worker {worker_mb:+.0f} MB"
                f" (target <= {MEMORY_TARGET_MB} MB; ffmpeg's peak RSS {ff.memory['ffmpeg'] / 2**20:.0f} MB)"
            )
            verdicts.append(
                ratio <= TIME_TARGET
                and max(app_mb, worker_mb) <= MEMORY_TARGET_MB
                and check(app, plan) == "ok"
            )
    finally:
        sandbox.close()
    print(
        f"\nbench time {time.perf_counter() - began:.0f} s. {'all targets met' if all(verdicts) else 'TARGET MISSED'} ({os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
