"""Bench: the same concurrent generations on one replica with SQLite and on two replicas
sharing PostgreSQL (issue 18), side by side, each against its own simulator.

Prints per run the status polls each task needed, the delay from the task's completion on the
simulator to its video saved, and the creates the provider saw. Two replicas are two
`TaskManager`s in this process, each with its own `PostgresTaskStore` (its own connection
pool) and data folder, as two machines would have; submits alternate between them. The
PostgreSQL server is started here the way the tests start it (tests/engines/postgres.py:
Debian's initdb + pg_ctl in a temporary folder). Saved videos are local to each replica: S3
storage (WAN_STORAGE_URL) is a separate piece and not part of this run.

    python bench/bench_replicas.py                          # 20 tasks of 60 s per run
    python bench/bench_replicas.py --tasks 20 --seconds 20  # a quicker look

Measured (2 cores, 2026-12-04, 20 x 60 s, wall 74 s): SQLite 7 polls per task, completion to
saved 2.56-2.73 s, 20 creates; two replicas on PostgreSQL 7 polls, 2.49-2.76 s, 20 creates.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.apprunner import free_port  # noqa: E402
from tests.engines.postgres import PostgresServer, binaries, run_as_user  # noqa: E402
from tests.videos import make_video  # noqa: E402
from wanvideo.events import Completed  # noqa: E402
from wanvideo.schemas import GenerationRequest  # noqa: E402
from wanvideo.settings import load_settings  # noqa: E402
from wanvideo.simulator import Simulator  # noqa: E402
from wanvideo.store import TaskRecord  # noqa: E402
from wanvideo.store.factory import open_store  # noqa: E402
from wanvideo.watcher import TaskManager  # noqa: E402

OWNER = "anon:" + "0" * 32


@dataclass
class Run:
    name: str
    sim: Simulator
    managers: list[TaskManager]
    records: list[tuple[TaskManager, TaskRecord]] = field(default_factory=list)
    finals: list[object] = field(default_factory=list)

    def polls(self, task_id: str) -> int:
        return sum(1 for m, p, _ in self.sim.stats.requests if m == "GET" and p.endswith(f"/{task_id}"))


def start_run(stack: contextlib.ExitStack, name: str, replicas: int, url: str | None, args, tmp: Path) -> Run:
    sim = stack.enter_context(Simulator(task_seconds=args.seconds))
    managers = []
    for n in range(replicas):
        env = {
            "WAN_PROVIDER": "evolink",
            "WAN_API_KEY": "bench-key-0123456789",
            "WAN_API_BASE_URL": sim.base_url,
            "WAN_FILES_BASE_URL": sim.base_url,
            "WAN_DATA_DIR": str(tmp / f"{name}-{n}"),
            "WAN_VISITOR_MAX_ACTIVE": str(max(2, args.tasks)),  # one owner runs every task
            **({"WAN_DATABASE_URL": url} if url else {}),
        }
        settings = load_settings(env)
        manager = TaskManager(settings, open_store(settings)).start()
        stack.callback(manager.store.close)
        stack.callback(manager.stop)
        managers.append(manager)
    return Run(name, sim, managers)


async def drive(runs: list[Run], clip: Path, tasks: int, spread: float) -> None:
    async def follow(manager: TaskManager, record: TaskRecord) -> object:
        last = None
        async for event in manager.follow(record.id, OWNER):
            last = event
        return last

    followers: list[list[asyncio.Task[object]]] = [[] for _ in runs]
    step = spread / max(1, tasks * len(runs))
    for i in range(tasks):
        for r, run in enumerate(runs):
            manager = run.managers[i % len(run.managers)]  # submits alternate between replicas
            request = GenerationRequest(
                prompt=f"character1 dances, take {i}", videos=(str(clip),), duration=5
            )
            record = manager.submit(request, owner=OWNER)
            run.records.append((manager, record))
            followers[r].append(asyncio.ensure_future(follow(manager, record)))
            await asyncio.sleep(step)
    for r, run in enumerate(runs):
        run.finals = [await f for f in followers[r]]


def report(run: Run) -> None:
    polls, delays, failed = [], [], 0
    for (manager, record), final in zip(run.records, run.finals, strict=True):
        saved = manager.store.get(record.id)
        if not isinstance(final, Completed) or saved is None or saved.task_id is None:
            failed += 1
            continue
        polls.append(run.polls(saved.task_id))
        delays.append(saved.finished_at - run.sim.tasks[saved.task_id].end_time)
    print(f"{run.name}: {len(run.records)} tasks, failed {failed}, creates {run.sim.stats.creates}")
    if polls:
        print(f"  polls per task: min {min(polls)}  mean {statistics.mean(polls):.1f}  max {max(polls)}")
        print(
            f"  completion -> saved: min {min(delays):.2f} s  mean {statistics.mean(delays):.2f} s"
            f"  max {max(delays):.2f} s"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20, help="tasks per run (default 20)")
    parser.add_argument("--seconds", type=float, default=60.0, help="each task's length (default 60)")
    parser.add_argument("--spread", type=float, default=10.0, help="submits spread over this many s")
    args = parser.parse_args()
    bindir = binaries()
    if bindir is None:
        print("PostgreSQL is not installed (scripts/test.sh installs Debian's postgresql)")
        return 2
    with tempfile.TemporaryDirectory(prefix="wan-bench-") as tmp, contextlib.ExitStack() as stack:
        tmp_path = Path(tmp)
        server = PostgresServer(
            bindir=bindir, folder=Path(tempfile.mkdtemp()), port=free_port(), user=run_as_user()
        )
        server.start()
        stack.callback(server.stop)
        clip = make_video(tmp_path / "ref.mp4", seconds=3, fps=16)
        runs = [
            start_run(stack, "1 replica, SQLite", 1, None, args, tmp_path),
            start_run(stack, "2 replicas, PostgreSQL", 2, server.new_database(), args, tmp_path),
        ]
        started = time.time()
        asyncio.run(drive(runs, clip, args.tasks, args.spread))
        print(
            f"{args.tasks} tasks of {args.seconds:g} s per run, side by side, wall {time.time() - started:.1f} s"
        )
        for run in runs:
            report(run)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
