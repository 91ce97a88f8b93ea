"""How much memory x264 itself needs at 1080p, whatever calls it: the floor under the sandboxed
worker's figure in `bench_prepare.py` (its target is 150 MB over idle).

    python bench/bench_x264_memory.py            # 240 frames of 1080p per setting

Each setting encodes the same synthetic 1080p30 frames (PyAV, preset veryfast, CRF 20, as the
app's preparation) in a fresh child process and prints that process's peak RSS over its RSS
before the encoder was opened. The first row is the app's setting (frame threads as ffmpeg
uses them); the others trade speed or quality for memory.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

SETTINGS = [
    ("app: frame threads (auto), lookahead 10", "auto", {}),
    ("one thread", "1", {}),
    ("two threads, lookahead 5", "2", {"rc-lookahead": "5"}),
    (
        "two threads, no lookahead, no mb-tree",
        "2",
        {"x264-params": "mbtree=0:rc-lookahead=0:sync-lookahead=0"},
    ),
]
FRAMES = 240


def encode(threads: str, options: dict[str, str]) -> None:
    """In the child: encode FRAMES frames, print peak-over-start MB and seconds as JSON."""
    import av
    import numpy as np

    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (1080, 1920, 3), dtype=np.uint8)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    with av.open("/dev/null", "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        stream.codec_context.thread_type = "AUTO"
        if threads != "auto":
            stream.codec_context.thread_count = int(threads)
        stream.options = {"preset": "veryfast", "crf": "20", **options}
        for index in range(FRAMES):
            # a moving picture, so the encoder has real work (a still frame costs nothing)
            moved = av.VideoFrame.from_ndarray(np.roll(image, 8 * index, axis=1), format="rgb24")
            for packet in stream.encode(moved.reformat(format="yuv420p")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"mb": (peak - before) / 1024, "seconds": time.perf_counter() - began}))


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        threads, options = json.loads(sys.argv[2])
        encode(threads, options)
        return
    print(f"x264 veryfast CRF 20, {FRAMES} frames of 1920x1080, each setting in a fresh process")
    baseline = None
    for label, threads, options in SETTINGS:
        done = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps([threads, options])],
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        baseline = baseline or figures["seconds"]
        print(
            f"  {label:42s} peak {figures['mb']:5.0f} MB over start,"
            f" {figures['seconds']:5.1f} s ({figures['seconds'] / baseline:.2f}x the app's time)"
        )


if __name__ == "__main__":
    main()
