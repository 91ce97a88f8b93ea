"""Batches against the simulator (issue 20): variations with their own seeds, a batch refused
whole before anything is sent, a failed member leaving the others to complete, one member
retried alone, the kept variation, and `follow_group` ending when all are final."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from tests.client.helpers import fast_settings
from tests.videos import make_video
from wanvideo.batch import KIND_SHOT, variation_requests
from wanvideo.budget import Limit, SpendRefused
from wanvideo.events import Completed, Failed, FailureReason
from wanvideo.providers import effective_profile
from wanvideo.schemas import GenerationRequest
from wanvideo.simulator import Simulator
from wanvideo.store import COMPLETED, FAILED, TaskStore
from wanvideo.watcher import TaskManager

KEY = "sk-dashscope-0123456789abcdef"
OWNER = "anon:" + "f" * 32


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("batch") / "alice.mp4", seconds=3, width=96, height=64)


def _request(clip: Path, **kw) -> GenerationRequest:
    kw.setdefault("prompt", "character1 dances")
    kw.setdefault("duration", 2)
    return GenerationRequest(videos=(str(clip),), **kw)


def _manager(settings) -> TaskManager:
    store = TaskStore(settings.data_dir / "tasks.sqlite3")
    return TaskManager(settings, store, download_retry_delays=(0.1, 0.2), rewatch_delay=0.2).start()


async def _follow_group(manager: TaskManager, group: str) -> list[tuple[str, object]]:
    async def run() -> list[tuple[str, object]]:
        return [item async for item in manager.follow_group(group, OWNER, refresh=0.5)]

    return await asyncio.wait_for(run(), 30)


def _last(events: list[tuple[str, object]]) -> dict[str, object]:
    last: dict[str, object] = {}
    for record_id, event in events:
        last[record_id] = event
    return last


async def test_three_variations_give_three_creates_with_three_seeds_sharing_their_group(clip, tmp_path):
    with Simulator(task_seconds=0.5, dialect="dashscope", allow_private_urls=True, api_keys={KEY}) as sim:
        # WAN_VISITOR_MAX_ACTIVE 2: two run at once, the third waits its turn (and still runs)
        settings = fast_settings(
            tmp_path, WAN_PROVIDER="dashscope", WAN_API_KEY=KEY, WAN_API_BASE_URL=sim.base_url
        )
        manager = _manager(settings)
        try:
            requests = variation_requests(_request(clip, seed=7), 3, effective_profile(settings))
            records = manager.submit_batch(requests, owner=OWNER)
            group = records[0].group_id
            assert group and {r.group_id for r in records} == {group}
            # two free slots: the third waits its turn, and its record says so
            assert [r.message.id for r in records] == ["rec.checking", "rec.checking", "rec.waiting_turn"]
            assert [(r.group_kind, r.group_position, r.group_size) for r in records] == [
                ("variation", 1, 3),
                ("variation", 2, 3),
                ("variation", 3, 3),
            ]
            last = _last(await _follow_group(manager, group))
            assert set(last) == {r.id for r in records}  # the merged follow ended: all final
            assert all(isinstance(e, Completed) for e in last.values()), last
            saved = manager.group(group, OWNER)
            assert [r.status for r in saved] == [COMPLETED] * 3
            assert len({r.video_path for r in saved}) == 3 and all(r.has_video for r in saved)
            assert [r.seed for r in saved] == [7, 8, 9]
            # keep one variation, then another: one kept at a time; a failed or foreign one: no
            assert manager.keep(saved[1].id, OWNER).kept
            assert manager.keep(saved[0].id, "anon:" + "0" * 32) is None
            manager.keep(saved[2].id, OWNER)
            assert [r.kept for r in manager.group(group, OWNER)] == [False, False, True]
        finally:
            manager.stop()
        assert sim.stats.creates == 3
        seeds = sorted(sim.tasks[r.task_id].extra["seed"] for r in saved)
        assert seeds == [7, 8, 9]  # what the provider received: three different seeds
        form_posts = [r for r in sim.stats.requests if r[:2] == ("POST", "/dashscope-file")]
        assert len(form_posts) == 1  # the shared reference uploaded once for the three


async def test_a_batch_over_the_daily_limit_creates_none_and_says_so(clip, tmp_path):
    with Simulator(task_seconds=0.5) as sim:
        # EvoLink, unprobed: each reserves its most, (5 s input cap + 5 s) x 4.76 = 47.60
        settings = fast_settings(
            tmp_path,
            WAN_PROVIDER="evolink",
            WAN_API_KEY="server-key",
            WAN_API_BASE_URL=sim.base_url,
            WAN_FILES_BASE_URL=sim.base_url,
            WAN_DAILY_CREDIT_LIMIT="100",
        )
        manager = _manager(settings)
        try:
            with pytest.raises(SpendRefused) as refused:  # 142.80 of 100: room for two, not three
                manager.submit_batch([_request(clip, duration=5)] * 3, owner=OWNER)
            assert refused.value.limit is Limit.DAILY
            assert "these 3 generations" in str(refused.value) and "142.80" in str(refused.value)
            assert manager.records(OWNER) == []
            assert manager.budget_status(OWNER).left_today == Decimal(100)
        finally:
            manager.stop()
        assert sim.stats.creates == 0 and sim.stats.uploads == 0  # nothing sent


async def test_a_failed_shot_leaves_the_others_and_is_retried_alone(clip, tmp_path):
    with Simulator(task_seconds=0.5) as sim:
        settings = fast_settings(
            tmp_path,
            WAN_PROVIDER="evolink",
            WAN_API_KEY="server-key",
            WAN_API_BASE_URL=sim.base_url,
            WAN_FILES_BASE_URL=sim.base_url,
            WAN_DAILY_CREDIT_LIMIT="150",  # 3 x 47.60 fit; a fourth reservation would not
            WAN_VISITOR_MAX_ACTIVE="3",
        )
        manager = _manager(settings)
        shots = [_request(clip, duration=5, prompt=f"character1 shot {n}") for n in (1, 2, 3)]
        try:
            sim.faults.add("error", route="create", status=400, times=1)  # the first create refused
            records = manager.submit_batch(shots, owner=OWNER, kind=KIND_SHOT)
            group = records[0].group_id
            last = _last(await _follow_group(manager, group))
            failed = [rid for rid, e in last.items() if isinstance(e, Failed)]
            assert len(failed) == 1 and last[failed[0]].reason is FailureReason.REJECTED
            assert sum(isinstance(e, Completed) for e in last.values()) == 2  # the others completed
            before = manager.get(failed[0], OWNER)
            assert before.status == FAILED and before.group_kind == "shot"
            # Retried alone: only its own reservation (the others are not reserved again).
            again = manager.retry_record(failed[0], shots[before.group_position - 1], owner=OWNER)
            assert again is not None and again.id != before.id
            assert (again.group_id, again.group_position, again.group_size) == (
                group,
                before.group_position,
                3,
            )
            assert again.spend_credits == Decimal("47.60")
            assert manager.retry_record(failed[0], shots[0], owner=OWNER) is None  # already replaced
            last = _last(await _follow_group(manager, group))
            assert set(last) == {r.id for r in manager.group(group, OWNER)} and again.id in last
            assert all(isinstance(e, Completed) for e in last.values())
            assert [r.status for r in manager.group(group, OWNER)] == [COMPLETED] * 3
            assert len(manager.records(OWNER)) == 4  # the failed shot stays in the history
        finally:
            manager.stop()
        # the refused create, the two that completed and the retried one: no other shot sent again
        assert sim.stats.faults["error"] == 1 and sim.stats.tasks_created == 3
        # The reference once: the batch shares its upload, and the retry finds it in the upload
        # cache (still valid at the provider), so it is not sent again.
        assert sim.stats.uploads == 1


async def test_simultaneous_batches_from_two_app_processes_create_only_what_fits(clip, tmp_path):
    """Two managers on one data folder (two app processes), a batch of 2 from each at the same
    moment, 100 credits a day: 2 x 47.60 fit once, so exactly one batch is created."""
    import threading

    with Simulator(task_seconds=0.5) as sim:
        settings = fast_settings(
            tmp_path,
            WAN_PROVIDER="evolink",
            WAN_API_KEY="server-key",
            WAN_API_BASE_URL=sim.base_url,
            WAN_FILES_BASE_URL=sim.base_url,
            WAN_DAILY_CREDIT_LIMIT="100",
        )
        managers = [_manager(settings), _manager(settings)]
        owners = ["anon:" + "1" * 32, "anon:" + "2" * 32]
        barrier = threading.Barrier(2)
        accepted: list[list] = []
        refused: list[SpendRefused] = []

        def click(i: int) -> None:
            barrier.wait()
            try:
                accepted.append(managers[i].submit_batch([_request(clip, duration=5)] * 2, owner=owners[i]))
            except SpendRefused as exc:
                refused.append(exc)

        try:
            threads = [threading.Thread(target=click, args=(i,)) for i in (0, 1)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert len(accepted) == 1 and len(refused) == 1 and refused[0].limit is Limit.DAILY
            owner = accepted[0][0].owner
            manager = managers[owners.index(owner)]

            async def run() -> list:
                return [item async for item in manager.follow_group(accepted[0][0].group_id, owner)]

            last = _last(await asyncio.wait_for(run(), 30))
            assert len(last) == 2 and all(isinstance(e, Completed) for e in last.values())
        finally:
            for manager in managers:
                manager.stop()
        assert sim.stats.tasks_created == 2
