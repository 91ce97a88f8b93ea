"""Bench: N simultaneous demo generations on the simulator, by render workers.

Uploads one reference, sends N creates at once (5 s, 720p, 16:9, like the app's default) and
waits until every task is completed; prints the wall time per `render_workers` setting. The
simulator's tasks take `--seconds` (default 2), so the figure is mostly rendering.

    python bench/bench_simulator.py                 # 20 tasks, 1 then 2 workers
    python bench/bench_simulator.py --tasks 5 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.videos import make_video  # noqa: E402
from wanvideo.simulator import Simulator  # noqa: E402

AUTH = {"Authorization": "Bearer bench-key"}


async def run(sim: Simulator, reference: Path, tasks: int) -> float:
    async with httpx.AsyncClient(base_url=sim.base_url, headers=AUTH, timeout=120) as client:
        with reference.open("rb") as fh:
            upload = await client.post("/api/v1/files/upload/stream", files={"file": ("ref.mp4", fh)})
        url = upload.json()["data"]["file_url"]
        body = {
            "model": "wan2.6-reference-video",
            "prompt": "character1 dances",
            "video_urls": [url],
            "duration": 5,
        }
        started = time.perf_counter()
        created = await asyncio.gather(
            *(client.post("/v1/videos/generations", json=body) for _ in range(tasks))
        )
        pending = {r.json()["id"] for r in created}
        while pending:
            for task_id in list(pending):
                task = (await client.get(f"/v1/tasks/{task_id}")).json()
                if task["status"] in ("completed", "failed"):
                    assert task["status"] == "completed", task
                    pending.discard(task_id)
            await asyncio.sleep(0.1)
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=2.0, help="the simulator's task time")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wan-bench-") as tmp:
        reference = make_video(Path(tmp) / "ref.mp4", seconds=3)
        for workers in args.workers:
            with Simulator(task_seconds=args.seconds, render_workers=workers) as sim:
                elapsed = asyncio.run(run(sim, reference, args.tasks))
            print(
                f"{args.tasks} simultaneous generations, {workers} render worker(s): {elapsed:.1f} s",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
