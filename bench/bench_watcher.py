"""Bench: concurrent generations through the TaskManager against the simulator, per provider,
with and without completion callbacks.

Prints, per run, the status polls each task needed and the delay between the task's
completion on the simulator and its video being saved in the data folder. Targets: <= 12
polls per 60 s task and <= 5 s delay; with callbacks (EvoLink's `callback_url`, fal's
`fal_webhook` pointing at the app's wake-up route), <= 2 s delay. DashScope has no
per-request callback, so it runs without only.

All runs go side by side (one simulator, and for callbacks one app server, each), so the
whole bench takes about one task's length plus the staggered submits: about 80 s by default.
The default is 8 tasks per run (40 in all), fewer than the 20 of the single-provider bench,
so five runs at once fit this 2-core machine; submits are spread over `--spread` seconds.

    python bench/bench_watcher.py                          # 5 runs x 8 tasks of 60 s
    python bench/bench_watcher.py --tasks 3 --seconds 10   # a quick look
    python bench/bench_watcher.py --tasks 4 --waves 2      # a 2nd round paced by the 1st

The app is never told a task's length. DashScope and fal report no progress and no estimate,
so the watcher paces their polls by an expected generation time (`client.poll_interval`): the
profile's prior (`providers.GENERATION_TIME`: earliest end 30 s, typical 120 s, from the
documented 1-5 min) until the store holds 3 completed runs of that provider and model, then
the quickest of them x 0.8 and their median. One wait up to the earliest end (capped at
WAN_POLL_MAX_INTERVAL=15 s), then a poll every 4 s, counted from when the task was last seen
queued. Measured (2 cores, all five runs at once; EvoLink unchanged at 7 polls, 2.6-3.5 s):
- 60 s tasks, the prior: DashScope and fal 10 polls, 2.0-3.4 s to saved (was 11-12 polls and
  up to 15 s); a 2nd round (`--waves 2`), paced by the 1st: 7 polls, 2.0-2.6 s.
- 30 s tasks (`--seconds 30 --tasks 4`): 2 polls, 0.1-0.3 s (they end at the earliest end;
  any task of 30-240 s is seen within 4 s of its end: tests/unit/test_poll_schedule.py).
- 120 s tasks (`--seconds 120 --tasks 3`): 22 polls (FAIL on 12: the first tasks cannot
  know they are long; 11 a minute), 1.3-1.4 s; a 2nd round (`--waves 2`): 10 polls, 0.2-0.4 s.
The final read, download, check and poster take 0.1-0.9 s of the delay (the callback runs).
With callbacks, polling is only the fallback (every WAN_POLL_MAX_INTERVAL s), so those runs
also poll less.
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

from tests.client.appserver import AppServer  # noqa: E402
from tests.videos import make_video  # noqa: E402
from wanvideo.events import Completed  # noqa: E402
from wanvideo.schemas import GenerationRequest  # noqa: E402
from wanvideo.settings import load_settings  # noqa: E402
from wanvideo.simulator import Simulator  # noqa: E402
from wanvideo.store import TaskRecord, TaskStore  # noqa: E402
from wanvideo.watcher import TaskManager  # noqa: E402

MAX_POLLS = 12
MAX_DELAY = 5.0
MAX_DELAY_CALLBACK = 2.0
OWNER = "anon:" + "0" * 32

# (provider, simulator dialect, with callbacks)
RUNS = [
    ("evolink", "string", False),
    ("evolink", "string", True),
    ("dashscope", "dashscope", False),
    ("fal", "fal", False),
    ("fal", "fal", True),
]


@dataclass
class Run:
    provider: str
    dialect: str
    callbacks: bool
    sim: Simulator
    manager: TaskManager
    records: list[TaskRecord] = field(default_factory=list)
    finals: list[object] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.provider} ({'with' if self.callbacks else 'without'} callbacks)"

    def polls(self, task_id: str) -> int:
        """Status reads of one task (fal: its status_url; the others: the task query)."""
        suffix = f"/{task_id}/status" if self.dialect == "fal" else f"/{task_id}"
        return sum(1 for m, p, _ in self.sim.stats.requests if m == "GET" and p.endswith(suffix))


def start_run(
    stack: contextlib.ExitStack, provider: str, dialect: str, callbacks: bool, args, tmp: Path
) -> Run:
    sim = stack.enter_context(
        Simulator(task_seconds=args.seconds, dialect=dialect, allow_private_urls=callbacks)
    )
    if dialect in ("dashscope", "fal"):
        sim.concurrency = None  # no account queue: every task takes its 60 s
    env = {
        "WAN_PROVIDER": provider,
        "WAN_API_KEY": "bench-key-0123456789",
        "WAN_API_BASE_URL": sim.base_url,
        "WAN_DATA_DIR": str(tmp / f"{provider}-{callbacks}"),
        "WAN_VISITOR_MAX_ACTIVE": str(max(2, args.tasks)),  # one owner runs every task
    }
    if dialect != "dashscope":
        env["WAN_FILES_BASE_URL"] = sim.base_url
    app = None
    if callbacks:
        app = stack.enter_context(AppServer())
        env |= {"WAN_PUBLIC_URL": app.base_url, "WAN_ALLOW_PRIVATE_URLS": "true"}
    settings = load_settings(env)
    manager = TaskManager(settings, TaskStore(settings.data_dir / "tasks.sqlite3")).start()
    stack.callback(manager.stop)
    if app is not None:
        app.links = manager
    return Run(provider, dialect, callbacks, sim, manager)


async def drive(runs: list[Run], clip: Path, tasks: int, spread: float, waves: int) -> None:
    """`waves` rounds of `tasks` per run, each round after the previous one has ended (the
    app's store keeps the finished ones: what it learns from them paces the next round)."""
    for wave in range(waves):
        await drive_wave(runs, clip, tasks, spread, wave)


async def drive_wave(runs: list[Run], clip: Path, tasks: int, spread: float, wave: int) -> None:
    async def follow(run: Run, record: TaskRecord) -> object:
        last = None
        async for event in run.manager.follow(record.id, OWNER):
            last = event
        return last

    followers: dict[tuple[int, int], asyncio.Task[object]] = {}
    step = spread / max(1, tasks * len(runs))
    for i in range(tasks):
        for r, run in enumerate(runs):
            request = GenerationRequest(
                prompt=f"character1 dances, wave {wave}, take {i}", videos=(str(clip),), duration=5
            )
            record = run.manager.submit(request, owner=OWNER)
            run.records.append(record)
            followers[(r, i)] = asyncio.ensure_future(follow(run, record))
            await asyncio.sleep(step)
    for r, run in enumerate(runs):
        run.finals += [await followers[(r, i)] for i in range(tasks)]


def report(run: Run, tasks: int) -> bool:
    polls, delays, failed = [], [], 0
    waves: list[tuple[list[int], list[float]]] = []
    for n, (record, final) in enumerate(zip(run.records, run.finals, strict=True)):
        if n % tasks == 0:
            waves.append(([], []))
        saved = run.manager.store.get(record.id)
        if not isinstance(final, Completed) or saved is None or saved.task_id is None:
            failed += 1
            continue
        task = run.sim.tasks[saved.task_id]
        polls.append(run.polls(saved.task_id))
        delays.append(saved.finished_at - task.end_time)
        waves[-1][0].append(polls[-1])
        waves[-1][1].append(delays[-1])
    limit = MAX_DELAY_CALLBACK if run.callbacks else MAX_DELAY
    ok = not failed and bool(polls) and max(polls) <= MAX_POLLS and max(delays) <= limit
    print(f"{run.name}: {len(run.records)} tasks, failed {failed}")
    if polls:
        print(
            f"  polls per task: min {min(polls)}  mean {statistics.mean(polls):.1f}  max {max(polls)}"
            f"  (target <= {MAX_POLLS})"
        )
        print(
            f"  completion -> saved: min {min(delays):.2f} s  mean {statistics.mean(delays):.2f} s"
            f"  max {max(delays):.2f} s  (target <= {limit:g} s)"
        )
    if len(waves) > 1:
        for w, (p, d) in enumerate(waves, 1):
            if p:
                print(f"    wave {w}: polls max {max(p)}, completion -> saved max {max(d):.2f} s")
    if run.callbacks:
        delivered = sum(1 for _, _, status in run.sim.stats.callbacks if 200 <= status < 300)
        print(f"  callbacks delivered: {delivered} of {len(run.sim.stats.callbacks)} attempts")
    print("  PASS" if ok else "  FAIL")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=8, help="tasks per run (default 8)")
    parser.add_argument("--seconds", type=float, default=60.0, help="each task's length (default 60)")
    parser.add_argument("--spread", type=float, default=15.0, help="submits spread over this many s")
    parser.add_argument(
        "--waves", type=int, default=1, help="rounds of tasks, each after the last has ended (default 1)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="wan-bench-") as tmp, contextlib.ExitStack() as stack:
        tmp_path = Path(tmp)
        clip = make_video(tmp_path / "ref.mp4", seconds=3, fps=16)
        runs = [start_run(stack, p, d, c, args, tmp_path) for p, d, c in RUNS]
        started = time.time()
        asyncio.run(drive(runs, clip, args.tasks, args.spread, args.waves))
        wall = time.time() - started
        print(
            f"{len(runs)} runs side by side, {args.waves} x {args.tasks} x {args.seconds:g} s tasks each,"
            f" wall {wall:.1f} s"
        )
        results = [report(run, args.tasks) for run in runs]
    ok = all(results)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
