"""Memory bench: the app's peak memory while `/generate` handles three ~90 MB references.

    python bench/bench_memory.py                 # defaults: 3 references of ~90 MB
    python bench/bench_memory.py --mb 40         # smaller files for a quick look

Both servers run as subprocesses on 127.0.0.1 with a temporary data folder:

- the app (`python app.py` with `WAN_PROVIDER=evolink` pointed at the simulator, which runs in
  its own process as a real provider would: the app's whole process tree counts, its sandboxed
  media workers included, the provider does not);
- a bare `gr.Blocks` echo app whose endpoint takes the same files and inputs and returns
  their names (the baseline: what Gradio itself costs to receive the files).

Each gets one warm-up call with small files, then the measured call with the big ones. The
figure is the peak of the summed RSS of the server's whole process tree (sampled every 20 ms
from /proc) minus its RSS just before the call. Target: the app at most 16 MB more than the
echo app.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gradio_client import Client, handle_file  # noqa: E402

from bench.bench_app import launch, stop  # noqa: E402
from tests.apprunner import free_port  # noqa: E402
from tests.videos import make_video  # noqa: E402

ECHO_APP = """
import gradio as gr

async def echo(prompt, videos, video_urls, quality, aspect_ratio, duration, shot_type):
    return [str(v) for v in (videos or [])]

with gr.Blocks() as demo:
    prompt = gr.Textbox()
    videos = gr.File(file_count="multiple", file_types=["video"])
    urls = gr.Textbox()
    quality = gr.Radio(["720p", "1080p"], value="720p")
    ratio = gr.Radio(["16:9", "9:16"], value="16:9")
    duration = gr.Number(value=5)
    shot = gr.Radio(["single", "multi"], value="single")
    out = gr.JSON()
    gr.Button("Echo").click(echo, [prompt, videos, urls, quality, ratio, duration, shot], out,
                            api_name="generate", concurrency_limit=None)
demo.launch()
"""


def big_video(path: Path, megabytes: float, seed: int) -> Path:
    """A real H.264 MP4 of about `megabytes` (lossless noise frames, 8 s at 10 fps)."""
    rng = np.random.default_rng(seed)
    width, height, fps, frames = 1280, 720, 10, 80
    target = megabytes * 1e6
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "qp": "0"}
        # Noise compresses to ~1.7 MB a frame losslessly; mix in flat area to hit the target.
        noisy_rows = int(min(1.0, target / (frames * 1.72e6)) * height)
        for i in range(frames):
            img = np.full((height, width, 3), 90, dtype=np.uint8)
            img[:noisy_rows] = rng.integers(0, 256, (noisy_rows, width, 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def tree_rss(pid: int) -> int:
    """Summed RSS (bytes) of `pid` and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            pass
    return total


class PeakSampler:
    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            time.sleep(0.02)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measure(url: str, pid: int, small: list[Path], big: list[Path]) -> tuple[int, int]:
    """(idle RSS before the measured call, peak growth during it) for one server."""
    client = Client(url, verbose=False)

    def call(files: list[Path]) -> None:
        args = ("character1 waves", [handle_file(str(f)) for f in files], "", "720p", "16:9", 5, "single")
        client.predict(*args, api_name="/generate")

    call(small)  # warm-up: imports, workers, first upload
    time.sleep(1.0)
    idle = tree_rss(pid)
    with PeakSampler(pid) as sampler:
        call(big)
    return idle, sampler.peak - idle


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=float, default=90.0, help="size of each big reference")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        print(f"making 3 references of ~{args.mb:.0f} MB ...", flush=True)
        big = [big_video(tmp / f"big{i}.mp4", args.mb, seed=i) for i in range(3)]
        print("  sizes:", ", ".join(f"{p.stat().st_size / 1e6:.1f} MB" for p in big))
        small = [make_video(tmp / f"small{i}.mp4", 3) for i in range(3)]
        (tmp / "echo.py").write_text(ECHO_APP)

        sim_port = free_port()
        simulator = subprocess.Popen(
            [sys.executable, "-m", "wanvideo.simulator", "--port", str(sim_port), "--task-seconds", "2"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        provider = {
            "WAN_PROVIDER": "evolink",
            "WAN_API_KEY": "bench-key",
            "WAN_API_BASE_URL": f"http://127.0.0.1:{sim_port}",
            "WAN_FILES_BASE_URL": f"http://127.0.0.1:{sim_port}",
        }
        results = {}
        for name, cmd, env in (
            ("echo gr.Blocks", [str(tmp / "echo.py")], {}),
            ("app", ["app.py"], provider),
        ):
            proc, url, _ = launch(cmd, tmp / name.split()[0], env)
            try:
                results[name] = measure(url, proc.pid, small, big)
            finally:
                stop(proc)
            idle, growth = results[name]
            print(f"{name:16s} idle {idle / 1e6:7.1f} MB   peak growth {growth / 1e6:7.1f} MB", flush=True)
        stop(simulator)
        extra = results["app"][1] - results["echo gr.Blocks"][1]
        print(f"app - echo: {extra / 1e6:+.1f} MB (target <= +16 MB)")


if __name__ == "__main__":
    main()
