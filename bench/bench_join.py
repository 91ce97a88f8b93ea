"""Joining a film's shots: the app's join (PyAV, in its sandboxed worker) vs `ffmpeg -f concat`
on the same files, in the same run.

    python bench/bench_join.py                   # both paths, 2 runs each (best of 2)
    python bench/bench_join.py --parts copy      # or: reencode
    python bench/bench_join.py --runs 3

Inputs (made here with PyAV, cached in the temp folder): 3 shots of 10 s, 1080p30 H.264 +
AAC stereo 48 kHz, about 8 Mb/s, as a provider returns them (`make_shot`).

- copy: the app's real path, `join.join_films` (the shots' headers read in the sandbox,
  `plan_join` finds they match, `splice.join_shots` copies the packets), vs
  `ffmpeg -f concat -safe 0 -i list.txt -c copy`;
- reencode: the same shots, planned as if the second one did not match (`plan_join` over
  probes whose second one has other codec parameters), so the app decodes and encodes every
  shot (H.264 `JOIN_ENCODING`: preset veryfast, CRF 20; AAC 128 kb/s) with the job
  `join_films` runs; vs `ffmpeg -f concat ... -c:v libx264 -preset veryfast -crf 20 -c:a aac`.

The baseline needs an `ffmpeg` command (the app never runs one): the one on PATH, else
imageio-ffmpeg's binary (`pip install imageio-ffmpeg`; a bench-only tool, deliberately not in
requirements.txt). Both outputs are read back (length, streams, decoded frames) so a fast but
wrong result shows.

Time: wall clock of the best run of each side (runs alternate, so load from other work hits
both), and CPU seconds (user + system of the processes doing the work). Memory: peak RSS
sampled every 20 ms from /proc, for ffmpeg, and for the app process (this one) and the
sandbox worker, reported over their idle RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from bench_prepare import Peak, cpu_seconds, rss  # noqa: E402

from wanvideo.media.join import (  # noqa: E402
    JOIN_ENCODING,
    JOIN_JOB,
    JOIN_MEMORY_MB,
    READ_JOB,
    JoinPlan,
    join_films,
    plan_join,
    timeout_for,
)
from wanvideo.media.sandbox import Sandbox  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "wan-bench-join"
SHOTS = 3
SHOT_SECONDS = 10
FPS = 30
MB = 1_000_000


def make_shot(path: Path, seconds: int, seed: int) -> Path:
    """A 1080p H.264 (x264 "fast", CRF 20) + AAC stereo 48 kHz MP4 like a provider's result: a
    panning colour field with film grain, about 8 Mb/s (a smooth pan alone compresses to a
    third of that, which would flatter a copy)."""
    if path.exists():
        return path
    part = path.with_suffix(".part.mp4")
    width, height = 1920, 1080
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (height // 16 + 1, width // 8 + 1, 3), dtype=np.uint8)
    base = np.repeat(np.repeat(small, 16, axis=0), 16, axis=1)[:height, : width * 2].astype(np.int16)
    grain = [rng.integers(-5, 6, (height, width, 3), dtype=np.int16) for _ in range(8)]
    with av.open(str(part), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "fast", "crf": "20"}
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "stereo"
        audio.bit_rate = 128_000
        samples = 0
        for i in range(seconds * FPS):
            shift = (i * 6) % width
            img = np.clip(base[:, shift : shift + width] + grain[i % len(grain)], 0, 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            out.mux(video.encode(frame))
            while samples < (i + 1) * 48000 // FPS:  # the sound interleaved, as a camera writes it
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


def ffmpeg_binary() -> str:
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError:
        raise SystemExit(
            "bench_join needs an `ffmpeg` command for its baseline: `pip install imageio-ffmpeg` "
            "(or apt-get install -y ffmpeg); the app itself does not use it"
        ) from None
    return imageio_ffmpeg.get_ffmpeg_exe()


@dataclass
class Run:
    seconds: float
    cpu: float
    duration: float
    streams: tuple[str, ...]
    frames: int
    size: int
    memory: dict[str, int]  # name -> peak RSS, bytes


def read_back(path: Path) -> tuple[float, tuple[str, ...], int]:
    with av.open(str(path)) as c:
        duration = c.duration / av.time_base
        streams = tuple(f"{s.type}:{s.codec_context.name}" for s in c.streams)
        frames = sum(1 for _ in c.demux(video=0) if _.size)
    return duration, streams, frames


def run_ffmpeg(ffmpeg: str, shots: list[Path], out_dir: Path, reencode: bool) -> Run:
    listing = out_dir / "list.txt"
    listing.write_text("".join(f"file '{p}'\n" for p in shots))
    dest = out_dir / "ffmpeg.mp4"
    command = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    command += ["-f", "concat", "-safe", "0", "-i", str(listing)]
    if reencode:
        enc = JOIN_ENCODING
        command += ["-c:v", "libx264", "-preset", enc.preset, "-crf", str(enc.crf), "-pix_fmt", "yuv420p"]
        command += ["-c:a", "aac", "-b:a", str(enc.audio_bitrate)]
    else:
        command += ["-c", "copy"]
    command += ["-movflags", "+faststart", str(dest)]
    started = time.perf_counter()
    process = subprocess.Popen(command)
    with Peak(lambda: {"ffmpeg": process.pid}) as peak:
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status:
        raise SystemExit(f"ffmpeg failed ({status}): {' '.join(command)}")
    duration, streams, frames = read_back(dest)
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, cpu, duration, streams, frames, dest.stat().st_size, dict(peak.peak))


def forced_reencode(sandbox: Sandbox, shots: list[Path]) -> JoinPlan:
    """The plan `plan_join` makes when the second shot does not match the first."""
    probes = sandbox.run_blocking(READ_JOB, [str(p) for p in shots], timeout=30)
    probes[1] = replace(probes[1], video_params="other", audio_params="other")
    plan = plan_join(probes)
    assert not plan.copy_video and not plan.copy_audio, plan
    return plan


def run_app(sandbox: Sandbox, shots: list[Path], out_dir: Path, plan: JoinPlan | None) -> Run:
    (worker,) = sandbox.worker_pids()
    me = os.getpid()
    dest = out_dir / "app.mp4"
    cpu_before = cpu_seconds(me) + cpu_seconds(worker)
    started = time.perf_counter()
    with Peak(lambda: {"app": me, "worker": worker}) as peak:
        if plan is None:  # the app's whole path: read, plan, join
            result = asyncio.run(join_films(shots, dest, sandbox=sandbox))
            assert result.copied, "the shots were expected to match"
        else:  # the join job `join_films` runs, with the re-encoding plan
            sources = [str(p) for p in shots]
            sandbox.run_blocking(JOIN_JOB, sources, str(dest), plan, timeout=timeout_for(plan))
    seconds = time.perf_counter() - started
    cpu = cpu_seconds(me) + cpu_seconds(worker) - cpu_before
    assert sandbox.worker_pids() == [worker], "the worker was replaced: the run failed"
    duration, streams, frames = read_back(dest)
    return Run(seconds, cpu, duration, streams, frames, dest.stat().st_size, dict(peak.peak))


def check(run: Run) -> str:
    total = SHOTS * SHOT_SECONDS
    ok = (
        abs(run.duration - total) <= 0.1
        and run.streams == ("video:h264", "audio:aac")
        and run.frames == total * FPS
    )
    return "ok" if ok else "WRONG"


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parts", nargs="+", choices=["copy", "reencode"], default=["copy", "reencode"])
    parser.add_argument("--runs", type=int, default=2, help="runs of each side, alternated (best kept)")
    parser.add_argument("--make", type=int, help=argparse.SUPPRESS)  # (the child's job)
    args = parser.parse_args()
    shots = [CACHE / f"shot{i + 1}-{SHOT_SECONDS}s-1080p.mp4" for i in range(SHOTS)]
    if args.make is not None:
        make_shot(shots[args.make], SHOT_SECONDS, seed=args.make)
        return
    began = time.perf_counter()
    ffmpeg = ffmpeg_binary()
    CACHE.mkdir(exist_ok=True)
    for index, path in enumerate(shots):  # made in a child process: this one stays as lean as the app's
        if not path.exists():
            made = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--make", str(index)], check=True)
            print(f"input {path.name}: ready in {time.perf_counter() - made:.1f} s")
    print(f"ffmpeg: {ffmpeg}")
    print(
        f"shots: {SHOTS} x {SHOT_SECONDS} s 1080p{FPS} H.264 + AAC, {sum(p.stat().st_size for p in shots) / MB:.1f} MB"
    )
    sandbox = Sandbox(workers=1, memory_mb=JOIN_MEMORY_MB)  # as `join.join_sandbox()`
    sandbox.warm_up()
    (worker,) = sandbox.worker_pids()
    time.sleep(0.5)
    idle = {"app": rss(os.getpid()), "worker": rss(worker)}
    print(
        f"idle RSS: app process {idle['app'] / 2**20:.0f} MB, sandbox worker {idle['worker'] / 2**20:.0f} MB"
    )
    all_ok = True
    try:
        for part in args.parts:
            reencode = part == "reencode"
            plan = forced_reencode(sandbox, shots) if reencode else None
            what = "decode + encode (libx264 veryfast CRF 20, AAC)" if reencode else "stream copy"
            print(f"\n== {part}: {what}")
            ff_runs: list[Run] = []
            app_runs: list[Run] = []
            for _ in range(args.runs):
                with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
                    ff_runs.append(run_ffmpeg(ffmpeg, shots, Path(tmp), reencode))
                with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
                    app_runs.append(run_app(sandbox, shots, Path(tmp), plan))
            ff, app = best(ff_runs), best(app_runs)
            for label, runs in (("ffmpeg", ff_runs), ("app   ", app_runs)):
                run = best(runs)
                times = ", ".join(f"{r.seconds:.2f}" for r in runs)
                cpus = ", ".join(f"{r.cpu:.2f}" for r in runs)
                print(
                    f"   {label} {run.seconds:7.2f} s wall (runs: {times}; CPU s: {cpus})  out {run.size / MB:.1f} MB,"
                    f" {run.duration:.2f} s, {run.frames} frames, {'+'.join(run.streams)}: {check(run)}"
                )
            ratio = app.seconds / ff.seconds
            cpu_ratio = min(r.cpu for r in app_runs) / min(r.cpu for r in ff_runs)
            app_mb = (max(r.memory["app"] for r in app_runs) - idle["app"]) / 2**20
            worker_mb = (max(r.memory["worker"] for r in app_runs) - idle["worker"]) / 2**20
            worker_peak = max(r.memory["worker"] for r in app_runs) / 2**20
            ff_peak = max(r.memory["ffmpeg"] for r in ff_runs) / 2**20
            print(
                f"   time: app {app.seconds:.2f} s vs ffmpeg {ff.seconds:.2f} s = {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU"
            )
            print(
                f"   peak RSS: ffmpeg {ff_peak:.0f} MB; sandbox worker {worker_peak:.0f} MB ({worker_mb:+.0f} MB over idle),"
                f" app process {app_mb:+.0f} MB over idle"
            )
            all_ok &= check(app) == "ok" and check(ff) == "ok"
    finally:
        sandbox.close()
    verdict = "both outputs right" if all_ok else "AN OUTPUT IS WRONG"
    print(f"\nbench time {time.perf_counter() - began:.0f} s. {verdict} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
