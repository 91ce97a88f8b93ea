"""Probe speed: in-process `wanvideo.media.probe_file` (PyAV) against the `ffprobe` command.

    python bench/bench_probe.py            # 15 runs per file
    python bench/bench_probe.py --runs 50

Makes its test files with tests/videos.py in a temporary folder, probes each one `--runs`
times both ways (after one warm-up run) and prints the median per file and the ratio.
Needs `ffprobe` on PATH (Debian: `apt-get install -y ffmpeg`); exits with status 2 without it.
"""

from __future__ import annotations

import argparse
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

from tests.videos import make_video  # noqa: E402
from wanvideo.media import probe_file  # noqa: E402


def _padded(src: Path, dst: Path, total: int) -> Path:
    """`src` grown to `total` bytes by a sparse `free` box before its trailing `moov` box."""
    data = src.read_bytes()
    pos = 0
    while data[pos + 4 : pos + 8] != b"moov":
        pos += int.from_bytes(data[pos : pos + 4], "big")
    pad = total - len(data)
    with open(dst, "wb") as fh:
        fh.write(data[:pos] + pad.to_bytes(4, "big") + b"free")
        fh.seek(pad - 8, 1)
        fh.write(data[pos:])
    return dst


def make_files(folder: Path) -> list[Path]:
    small = make_video(folder / "small_3s_160x120.mp4", 3)
    return [
        small,
        make_video(folder / "clip_10s_640x360.mov", 10, width=640, height=360, container="mov"),
        make_video(folder / "clip_30s_640x360.mp4", 30, width=640, height=360),
        make_video(folder / "clip_5s_320x240.webm", 5, width=320, height=240, container="webm"),
        _padded(small, folder / "padded_90MB.mp4", 90_000_000),
    ]


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up: imports, page cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per file and tool (default 15)")
    args = parser.parse_args()

    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        print(
            "ffprobe was not found on PATH. Install FFmpeg (Debian/Ubuntu: apt-get install -y ffmpeg) "
            "and run this benchmark again.",
            file=sys.stderr,
        )
        return 2
    version = subprocess.run([ffprobe, "-version"], capture_output=True, text=True).stdout.split("\n")[0]

    with tempfile.TemporaryDirectory(prefix="bench_probe_") as tmp:
        files = make_files(Path(tmp))
        print(f"probe_file (PyAV, in-process) vs {version}")
        print(f"median of {args.runs} runs per file, after one warm-up run\n")
        header = f"{'file':<24} {'size':>9} {'probe_file':>11} {'ffprobe':>10} {'ffprobe/probe_file':>19}"
        print(header)
        print("-" * len(header))
        ratios = []
        for path in files:
            result = probe_file(path)
            if not result.headers_read:  # (the WebM file is read, then refused by the API rules)
                print(f"{path.name}: not read: {result.problems}", file=sys.stderr)
                return 1
            command = [ffprobe, "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)]

            def run_ffprobe(command: list[str] = command) -> None:
                subprocess.run(command, capture_output=True, check=True)

            ours = median_seconds(lambda path=path: probe_file(path), args.runs)
            theirs = median_seconds(run_ffprobe, args.runs)
            ratios.append(theirs / ours)
            size = f"{path.stat().st_size / 1e6:.2f} MB"
            print(
                f"{path.name:<24} {size:>9} {ours * 1000:>8.2f} ms {theirs * 1000:>7.2f} ms "
                f"{theirs / ours:>18.1f}x"
            )
        spawn = median_seconds(lambda: subprocess.run([ffprobe, "-version"], capture_output=True), args.runs)
        print(f"\ngeometric mean: probe_file is {statistics.geometric_mean(ratios):.1f}x faster than ffprobe")
        print(f"(ffprobe -version alone, i.e. starting the process: {spawn * 1000:.2f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
