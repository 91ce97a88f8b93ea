"""The poll schedule (`client.poll_interval`) and the generation time it is paced by
(`client.expected_generation_time`, `TaskStore.recent_run_seconds`): pure functions, a table."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from wanvideo.client import expected_generation_time, poll_interval
from wanvideo.providers import GENERATION_TIME, PROFILES, GenerationTime
from wanvideo.schemas import Task
from wanvideo.settings import Settings, load_settings
from wanvideo.store import COMPLETED, FAILED, TaskRecord, TaskStore
from wanvideo.timings import NEAR_INTERVAL

LEARNED = GenerationTime(earliest=48.0, typical=60.0)  # what 60 s runs teach (0.8 x 60, 60)


def settings_for(tmp_path: Path, low: str = "3", high: str = "15") -> Settings:
    return load_settings(
        {"WAN_DATA_DIR": str(tmp_path), "WAN_POLL_MIN_INTERVAL": low, "WAN_POLL_MAX_INTERVAL": high}
    )


# A task as each provider reports it (after its adapter): EvoLink with progress and an
# estimate, DashScope and fal with neither (fal's queue as "queued").
TASKS: dict[str, dict[str, Any]] = {
    "evolink-estimated": {"status": "processing", "progress": 1, "task_info": {"estimated_time": 120}},
    "evolink-progress": {"status": "processing", "progress": 90},
    "dashscope-running": {"status": "running"},
    "fal-queued": {"status": "queued", "queue_position": 3},
    "fal-in-progress": {"status": "in_progress"},
}


@pytest.mark.parametrize(
    ("shape", "elapsed", "running", "expected", "wait"),
    [
        # the provider's own estimate or progress wins: unchanged by an expected time
        ("evolink-estimated", 110, None, GENERATION_TIME, 5.0),  # half of the 10 s left
        ("evolink-progress", 90, None, GENERATION_TIME, 5.0),  # 10 s left by progress
        # no estimate, the prior (30 s earliest, 120 s typical): one wait to the earliest end...
        ("dashscope-running", 0, None, GENERATION_TIME, 15.0),  # capped at the max interval
        ("dashscope-running", 20, None, GENERATION_TIME, 10.0),  # exactly to the earliest end
        ("dashscope-running", 28, None, GENERATION_TIME, NEAR_INTERVAL),  # never shorter than near
        # ...then quick, whatever the length...
        ("dashscope-running", 45, None, GENERATION_TIME, NEAR_INTERVAL),
        ("fal-in-progress", 200, None, GENERATION_TIME, NEAR_INTERVAL),
        ("fal-in-progress", 239, None, GENERATION_TIME, NEAR_INTERVAL),
        # ...until twice the typical run: stuck, back off (a quarter of the overrun, up to 15)
        ("fal-in-progress", 260, None, GENERATION_TIME, 5.0),
        ("fal-in-progress", 600, None, GENERATION_TIME, 15.0),
        # counted from leaving the queue, not from the submit
        ("fal-queued", 300, 0, GENERATION_TIME, 15.0),
        ("fal-in-progress", 300, 25, GENERATION_TIME, 5.0),  # 5 s to the earliest end
        ("fal-in-progress", 300, 31, GENERATION_TIME, NEAR_INTERVAL),
        ("fal-in-progress", 300, 10, GENERATION_TIME, 15.0),
        # what the app learned from its 60 s runs: few polls until 48 s
        ("dashscope-running", 15, None, LEARNED, 15.0),
        ("dashscope-running", 40, None, LEARNED, 8.0),
        ("dashscope-running", 50, None, LEARNED, NEAR_INTERVAL),
        # no expected time at all: the old backoff on the elapsed time
        ("dashscope-running", 0, None, None, 3.0),
        ("dashscope-running", 40, None, None, 10.0),
    ],
)
def test_poll_schedule(tmp_path, shape, elapsed, running, expected, wait) -> None:
    task = Task.model_validate({"id": "t-1", **TASKS[shape]})
    assert poll_interval(task, elapsed, settings_for(tmp_path), expected, running=running) == pytest.approx(
        wait
    )


def test_schedule_keeps_to_the_configured_intervals(tmp_path) -> None:
    """Tests and deployments with other intervals: `near` stays inside min..max."""
    task = Task.model_validate({"id": "t-1", "status": "running"})
    assert poll_interval(task, 100, settings_for(tmp_path, "0.01", "0.05"), GENERATION_TIME) == 0.05
    assert poll_interval(task, 100, settings_for(tmp_path, "6", "30"), GENERATION_TIME) == 6.0


def walk(length: float, expected: GenerationTime, settings: Settings) -> tuple[int, float]:
    """Polls of a task that ends `length` s after its submit (no queue), and the seconds from
    its end to the poll that sees it: the schedule alone, without network or download."""
    task = Task.model_validate({"id": "t-1", "status": "running"})
    t, polls = 0.0, 0
    while t < length:
        t += poll_interval(task, t, settings, expected)
        polls += 1
    return polls, t - length


@pytest.mark.parametrize("length", [30, 37, 45, 60, 61, 90, 120, 180, 239])
def test_prior_catches_every_length_within_the_near_interval(tmp_path, length) -> None:
    """Tasks shorter and longer than the prior's typical 120 s: each end is seen within 4 s
    (the 5 s completion-to-saved target leaves ~1 s for the download)."""
    _, late = walk(length, GENERATION_TIME, settings_for(tmp_path))
    assert late <= NEAR_INTERVAL + 1e-9


def test_sixty_second_task_meets_the_poll_target(tmp_path) -> None:
    s = settings_for(tmp_path)
    polls, late = walk(60, GENERATION_TIME, s)
    assert polls <= 12 and late <= NEAR_INTERVAL
    learned_polls, learned_late = walk(60, LEARNED, s)
    assert learned_polls < polls and learned_late <= NEAR_INTERVAL  # learning saves polls
    long_polls, _ = walk(120, GENERATION_TIME, s)
    learned_long, late_long = walk(120, expected_generation_time([121, 122, 125], GENERATION_TIME), s)
    assert learned_long < long_polls and late_long <= NEAR_INTERVAL


# --------------------------------------------------------------- learned generation time


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        ([], GENERATION_TIME),
        ([61.0, 64.0], GENERATION_TIME),  # too few: the prior
        ([64.0, 61.0, 70.0], GenerationTime(earliest=0.8 * 61.0, typical=64.0)),
        ([0.0, -3.0, 61.0, 64.0], GENERATION_TIME),  # nonsense runs do not count
        ([200.0, 180.0, 190.0, 400.0], GenerationTime(earliest=0.8 * 180.0, typical=195.0)),
    ],
)
def test_expected_generation_time(runs, expected) -> None:
    assert expected_generation_time(runs, GENERATION_TIME) == expected


def test_every_profile_has_a_prior() -> None:
    for profile in PROFILES.values():
        assert profile.generation_time.earliest < profile.generation_time.typical


def test_store_lists_recent_run_seconds_of_one_provider_and_model(tmp_path) -> None:
    store = TaskStore(tmp_path / "tasks.sqlite3")
    now = time.time()

    def add(
        provider: str, model: str | None, seconds: float, status: str = COMPLETED, ago: float = 0
    ) -> None:
        record = store.insert(
            TaskRecord.new(owner="anon:a", provider=provider, request={"prompt": "p", "model": model})
        )
        end = now - ago
        store.update(record.id, status=status, submitted_at=end - seconds, finished_at=end)

    add("fal", None, 61, ago=30)
    add("fal", "standard", 65, ago=10)
    add("fal", None, 99, status=FAILED)  # failed: not a run
    add("fal", "flash", 40)  # another model
    add("dashscope-singapore", None, 70)  # another provider
    store.insert(TaskRecord.new(owner="anon:b", provider="fal", request={"prompt": "p"}))  # running
    try:
        # newest first; the default variant named or not
        assert store.recent_run_seconds("fal", (None, "standard")) == pytest.approx([65, 61])
        assert store.recent_run_seconds("fal", (None,)) == pytest.approx([61])
        assert store.recent_run_seconds("fal", ("flash",)) == pytest.approx([40])
        assert store.recent_run_seconds("fal", (None, "standard"), limit=1) == pytest.approx([65])
        assert store.recent_run_seconds("evolink", (None,)) == []
    finally:
        store.close()
