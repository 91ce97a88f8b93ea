"""Probe speed per file: sandboxed probe vs in-process probe vs the `ffprobe` command.

    python bench/bench_probe.py            # 15 runs per file
    python bench/bench_probe.py --runs 50

Makes its test files with tests/videos.py in a temporary folder and times, per file, the
median of `--runs` runs (after one warm-up run) of:

- sandboxed: `wanvideo.media.probe_local` (the app's path for uploads: a warm worker
  process does the PyAV work; includes the pipe round trip and the event loop hand-off);
- in-process: `wanvideo.media.probe_file` (PyAV in this process, no isolation);
- ffprobe: `ffprobe -show_format -show_streams` as a subprocess, when it is on PATH
  (Debian: `apt-get install -y ffmpeg`); without it that column is left out.

Also prints the sandbox workers' resident memory, and a worker's start-up time (paid
once per worker, and again after a worker is killed).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.videos import make_video, pad_mp4  # noqa: E402
from wanvideo.media import Sandbox, probe_file, probe_local  # noqa: E402


def make_files(folder: Path) -> list[Path]:
    small = make_video(folder / "small_3s_160x120.mp4", 3)
    return [
        small,
        make_video(folder / "clip_10s_640x360.mov", 10, width=640, height=360, container="mov"),
        make_video(folder / "clip_30s_640x360.mp4", 30, width=640, height=360),
        make_video(folder / "clip_5s_320x240.webm", 5, width=320, height=240, container="webm"),
        pad_mp4(small, folder / "padded_90MB.mp4", 90_000_000),
    ]


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up: imports, page cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        line = next(line for line in fh if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per file and way (default 15)")
    args = parser.parse_args()

    ffprobe = shutil.which("ffprobe")
    version = "not installed"
    if ffprobe:
        version = subprocess.run([ffprobe, "-version"], capture_output=True, text=True).stdout.split("\n")[0]

    sandbox = Sandbox(workers=2)
    started = time.perf_counter()
    sandbox.warm_up()
    start_up = time.perf_counter() - started
    loop = asyncio.new_event_loop()

    def sandboxed(path: Path) -> object:
        return loop.run_until_complete(probe_local(path, sandbox=sandbox))

    try:
        with tempfile.TemporaryDirectory(prefix="bench_probe_") as tmp:
            files = make_files(Path(tmp))
            print(f"sandboxed probe_local vs in-process probe_file (PyAV) vs ffprobe ({version})")
            print(f"median of {args.runs} runs per file, after one warm-up run\n")
            header = (
                f"{'file':<24} {'size':>9} {'sandboxed':>10} {'in-process':>11} {'ffprobe':>10} "
                f"{'sandbox/in-proc':>16} {'ffprobe/sandbox':>16}"
            )
            print(header)
            print("-" * len(header))
            overheads, speedups = [], []
            for path in files:
                result = sandboxed(path)
                if not getattr(result, "headers_read", False):  # the WebM is read, then refused by the rules
                    print(f"{path.name}: not read: {getattr(result, 'problems', result)}", file=sys.stderr)
                    return 1
                boxed = median_seconds(lambda path=path: sandboxed(path), args.runs)
                local = median_seconds(lambda path=path: probe_file(path), args.runs)
                overheads.append(boxed / local)
                theirs_text = ratio_text = "-"
                if ffprobe:
                    command = [
                        ffprobe,
                        "-v",
                        "error",
                        "-show_format",
                        "-show_streams",
                        "-of",
                        "json",
                        str(path),
                    ]
                    theirs = median_seconds(
                        lambda c=command: subprocess.run(c, capture_output=True, check=True), args.runs
                    )
                    speedups.append(theirs / boxed)
                    theirs_text, ratio_text = f"{theirs * 1000:.2f} ms", f"{theirs / boxed:.1f}x"
                size = f"{path.stat().st_size / 1e6:.2f} MB"
                print(
                    f"{path.name:<24} {size:>9} {boxed * 1000:>7.2f} ms {local * 1000:>8.2f} ms {theirs_text:>10} "
                    f"{boxed / local:>15.2f}x {ratio_text:>16}"
                )
            print(
                f"\ngeometric mean: the sandbox costs {statistics.geometric_mean(overheads):.2f}x the in-process probe"
            )
            if speedups:
                print(
                    f"geometric mean: the sandboxed probe is {statistics.geometric_mean(speedups):.1f}x faster than ffprobe"
                )
            workers = ", ".join(f"{rss_mb(pid):.0f} MB" for pid in sandbox.worker_pids())
            print(
                f"sandbox workers' resident memory: {workers}; start-up of {sandbox.size} workers: {start_up * 1000:.0f} ms"
            )
    finally:
        loop.close()
        sandbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
