"""Bench: N concurrent generations through the TaskManager against the simulator.

Prints, per run, the polls each task needed and the delay between the task's completion
on the simulator and its video being saved in the data folder (targets: <= 12 polls per
task and <= 5 s delay for 20 tasks of 60 s).

    python bench/bench_watcher.py                    # 20 tasks of 60 s (about 70 s)
    python bench/bench_watcher.py --tasks 5 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.videos import make_video  # noqa: E402
from wanvideo.events import Completed  # noqa: E402
from wanvideo.schemas import GenerationRequest  # noqa: E402
from wanvideo.settings import load_settings  # noqa: E402
from wanvideo.simulator import Simulator  # noqa: E402
from wanvideo.store import TaskStore  # noqa: E402
from wanvideo.watcher import TaskManager  # noqa: E402

MAX_POLLS = 12
MAX_DELAY = 5.0


async def follow_all(manager: TaskManager, records: list, owner: str) -> list:
    async def one(record_id: str):
        last = None
        async for event in manager.follow(record_id, owner):
            last = event
        return last

    return await asyncio.gather(*(one(r.id) for r in records))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="wan-bench-") as tmp:
        tmp_path = Path(tmp)
        clip = make_video(tmp_path / "ref.mp4", seconds=3)
        with Simulator(task_seconds=args.seconds) as sim:
            settings = load_settings(
                {
                    "WAN_PROVIDER": "evolink",
                    "WAN_API_KEY": "bench-key",
                    "WAN_API_BASE_URL": sim.base_url,
                    "WAN_FILES_BASE_URL": sim.base_url,
                    "WAN_DATA_DIR": str(tmp_path / "data"),
                    # one owner runs every task: lift the per-visitor limit for the bench
                    "WAN_VISITOR_MAX_ACTIVE": str(max(2, args.tasks)),
                }
            )
            manager = TaskManager(settings, TaskStore(settings.data_dir / "tasks.sqlite3")).start()
            owner = "anon:" + "0" * 32
            started = time.time()
            try:
                records = [
                    manager.submit(
                        GenerationRequest(prompt=f"character1 dances, take {i}", videos=(str(clip),)),
                        owner=owner,
                    )
                    for i in range(args.tasks)
                ]
                finals = asyncio.run(follow_all(manager, records, owner))
            finally:
                manager.stop()
            wall = time.time() - started

            polls, delays, failed = [], [], 0
            for record, final in zip(records, finals, strict=True):
                saved = manager.store.get(record.id)
                if not isinstance(final, Completed) or saved is None or saved.task_id is None:
                    failed += 1
                    continue
                task = sim.tasks[saved.task_id]
                done_at = task.created + task.task_seconds
                polls.append(
                    sum(1 for m, p, _ in sim.stats.requests if m == "GET" and p.endswith(saved.task_id))
                )
                delays.append(saved.finished_at - done_at)

    print(f"tasks: {args.tasks} x {args.seconds:g} s, wall {wall:.1f} s, failed {failed}")
    if polls:
        print(
            f"polls per task: min {min(polls)}  mean {statistics.mean(polls):.1f}  max {max(polls)}"
            f"  (target <= {MAX_POLLS})"
        )
        print(
            f"completion -> saved delay: min {min(delays):.2f} s  mean {statistics.mean(delays):.2f} s"
            f"  max {max(delays):.2f} s  (target <= {MAX_DELAY:g} s)"
        )
        print(f"creates seen by the provider: {sim.stats.creates}")
    ok = not failed and polls and max(polls) <= MAX_POLLS and max(delays) <= MAX_DELAY
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
