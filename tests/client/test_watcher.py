"""TaskManager against the simulator: background runs, restart/resume, faults, isolation."""

from __future__ import annotations

import asyncio
import threading
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tests.client.helpers import SpyTransport
from tests.videos import make_video
from wanvideo.budget import Limit, SpendRefused
from wanvideo.client import CREATE_PATH
from wanvideo.events import Completed, Failed, FailureReason, Submitted
from wanvideo.schemas import GenerationRequest
from wanvideo.settings import Settings, load_settings
from wanvideo.simulator import Simulator
from wanvideo.store import (
    COMPLETED,
    DOWNLOADING,
    EXPIRED,
    FAILED,
    INTERRUPTED,
    NEEDS_KEY,
    SUBMITTED,
    TaskRecord,
    TaskStore,
)
from wanvideo.watcher import NEEDS_KEY_MESSAGE, TaskManager

OWNER = "anon:" + "a" * 32
OTHER = "anon:" + "b" * 32


@pytest.fixture
def sim():
    with Simulator(task_seconds=1.5) as s:
        yield s


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return make_video(tmp_path / "ref.mp4", seconds=3)


def _settings(sim: Simulator, data: Path, **extra: str) -> Settings:
    env = {
        "WAN_PROVIDER": "evolink",
        "WAN_API_KEY": "server-key",
        "WAN_API_BASE_URL": sim.base_url,
        "WAN_FILES_BASE_URL": sim.base_url,
        "WAN_DATA_DIR": str(data),
        "WAN_POLL_MIN_INTERVAL": "0.2",
        "WAN_RETRY_BASE_DELAY": "0.05",
        "WAN_RETRY_MAX_DELAY": "0.2",
        "WAN_MAX_RETRY_AFTER": "0.5",
        **extra,
    }
    return load_settings(env)


def _manager(settings: Settings, store: TaskStore | None = None, **kw) -> TaskManager:
    kw.setdefault("download_retry_delays", (0.1, 0.2, 0.3))
    kw.setdefault("rewatch_delay", 0.2)
    return TaskManager(settings, store or TaskStore(settings.data_dir / "tasks.sqlite3"), **kw)


def _request(clip: Path) -> GenerationRequest:
    return GenerationRequest(prompt="character1 dances in the rain", videos=(str(clip),), duration=5)


async def _collect(manager: TaskManager, record_id: str, owner: str = OWNER, timeout: float = 60) -> list:
    async def run() -> list:
        return [event async for event in manager.follow(record_id, owner)]

    return await asyncio.wait_for(run(), timeout)


def _wait(predicate, timeout: float = 60.0, step: float = 0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")


def _videos(settings: Settings) -> list[Path]:
    """The saved videos (each has its poster frame beside it, a .jpg)."""
    return sorted(p for p in settings.videos_dir.glob("*.mp4") if p.is_file())


async def test_runs_in_background_and_saves_before_saying_done(sim, clip, tmp_path):
    settings = _settings(sim, tmp_path / "data")
    store = TaskStore(settings.data_dir / "tasks.sqlite3")
    at_create: list[TaskRecord | None] = []
    record_ids: list[str] = []

    def on_request(request: httpx.Request) -> None:
        if request.method == "POST" and request.url.path == CREATE_PATH:
            stored = store.get(record_ids[0])
            assert stored is not None and stored.idempotency_key == request.headers["Idempotency-Key"]
            at_create.append(stored)

    manager = _manager(settings, store=store, transport=SpyTransport(on_request)).start()
    try:
        record = manager.submit(_request(clip), owner=OWNER)
        record_ids.append(record.id)
        events = await _collect(manager, record.id)
        done = events[-1]
        assert isinstance(done, Completed), events[-1]
        # Stored, with the key the create carried, before the paid call was sent.
        assert [r.status for r in at_create] == ["queued"] and at_create[0].task_id is None
        # the file is in the data folder under a random name, and the record says so
        assert done.video_path.resolve().parent == settings.videos_dir.resolve()
        assert done.video_path.is_file()
        assert len(done.video_path.stem) >= 32
        saved = manager.get(record.id, OWNER)
        assert saved.status == COMPLETED and saved.video_path == done.video_path.resolve()
        assert saved.credits_charged is not None and saved.estimate["credits"]
        assert "api_key" not in saved.request
        assert saved.result_url and saved.result_url.startswith(sim.base_url)
        assert sim.stats.tasks_created == 1
        assert _videos(settings) == [saved.video_path]
        # nothing of it is visible to anybody else
        assert manager.records(OTHER) == []
        assert manager.get(record.id, OTHER) is None
        assert manager.video_path(record.id, OTHER) is None
        assert not manager.delete_video(record.id, OTHER)
        assert [e async for e in manager.follow(record.id, OTHER)] == []
        # following a finished task yields its final state at once
        again = await _collect(manager, record.id)
        assert len(again) == 1 and isinstance(again[0], Completed)
        assert manager.delete_video(record.id, OWNER)
        assert _videos(settings) == [] and manager.get(record.id, OWNER).video_path is None
    finally:
        manager.stop()


async def test_task_id_is_stored_before_the_first_poll(sim, clip, tmp_path):
    """The store is read inside each task GET, before the provider answers it."""
    settings = _settings(sim, tmp_path / "data")
    store = TaskStore(settings.data_dir / "tasks.sqlite3")
    stored_at_poll: list[bool] = []  # per task GET: was the polled id already in the record?
    record_ids: list[str] = []

    def on_request(request: httpx.Request) -> None:
        if request.method == "GET" and request.url.path.startswith("/v1/tasks/"):
            polled = request.url.path.rsplit("/", 1)[1]
            stored_at_poll.append(store.get(record_ids[0]).task_id == polled)

    manager = _manager(settings, store=store, transport=SpyTransport(on_request)).start()
    try:
        record = manager.submit(_request(clip), owner=OWNER)
        record_ids.append(record.id)
        events = await _collect(manager, record.id)
        assert isinstance(events[-1], Completed)
    finally:
        manager.stop()
    assert stored_at_poll and all(stored_at_poll), stored_at_poll


def test_follow_works_from_other_threads_loops(sim, clip, tmp_path):
    settings = _settings(sim, tmp_path / "data")
    manager = _manager(settings).start()
    try:
        record = manager.submit(_request(clip), owner=OWNER)
        results: dict[int, list] = {}

        def follower(n: int) -> None:
            results[n] = asyncio.run(_collect(manager, record.id))

        threads = [threading.Thread(target=follower, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert all(isinstance(r[-1], Completed) for r in results.values()), results
    finally:
        manager.stop()


async def test_restart_resumes_without_a_second_create(sim, clip, tmp_path):
    sim.task_seconds = 3.0
    settings = _settings(sim, tmp_path / "data")
    manager = _manager(settings).start()
    record = manager.submit(_request(clip), owner=OWNER)
    _wait(lambda: manager.get(record.id, OWNER).task_id)
    manager.stop()  # the app goes away mid-task
    assert manager.get(record.id, OWNER).status in {SUBMITTED, "pending", "processing"}
    second = _manager(settings).start()
    try:
        events = await _collect(second, record.id)
        assert isinstance(events[-1], Completed)
    finally:
        second.stop()
    assert sim.stats.creates == 1 and sim.stats.tasks_created == 1
    assert len(_videos(settings)) == 1


async def test_visitor_key_is_not_kept_across_restart(sim, clip, tmp_path):
    sim.task_seconds = 3.0
    settings = _settings(sim, tmp_path / "data")
    manager = _manager(settings).start()
    record = manager.submit(_request(clip), owner=OWNER, api_key="visitor-key-123")
    _wait(lambda: manager.get(record.id, OWNER).task_id)
    manager.stop()
    assert b"visitor-key-123" not in (settings.data_dir / "tasks.sqlite3").read_bytes()
    second = _manager(settings).start()
    try:
        stalled = second.get(record.id, OWNER)
        assert stalled.status == NEEDS_KEY and stalled.message == NEEDS_KEY_MESSAGE
        events = await _collect(second, record.id)
        assert isinstance(events[-1], Failed) and events[-1].task_continues
        assert second.resume(record.id, OTHER, api_key="visitor-key-123") is None
        assert second.resume(record.id, OWNER, api_key="visitor-key-123") is not None
        events = await _collect(second, record.id)
        assert isinstance(events[-1], Completed)
    finally:
        second.stop()
    assert sim.stats.tasks_created == 1


def test_old_and_unconfirmed_tasks_are_settled_on_start(sim, tmp_path):
    settings = _settings(sim, tmp_path / "data")
    store = TaskStore(settings.data_dir / "tasks.sqlite3")
    old = TaskRecord.new(
        owner=OWNER, provider="evolink", request={"prompt": "x"}, now=time.time() - 25 * 3600
    )
    store.insert(old)
    store.update(old.id, task_id="task-old", status="processing", submitted_at=old.created_at)
    unconfirmed = store.insert(TaskRecord.new(owner=OWNER, provider="evolink", request={"prompt": "y"}))
    manager = TaskManager(settings, store).start()
    try:
        assert manager.get(old.id, OWNER).status == EXPIRED
        assert "24 hours" in manager.get(old.id, OWNER).message
        assert manager.get(unconfirmed.id, OWNER).status == INTERRUPTED
    finally:
        manager.stop()
    assert sim.stats.task_gets == 0


def test_a_server_key_task_on_another_provider_is_never_resumed_with_this_servers_key(sim, tmp_path):
    """The app used to run fal (or a visitor's demo pick) on the server's key and is now
    configured for EvoLink: that key is EvoLink's, so the task waits and Resume refuses."""
    from wanvideo.providers import get_profile

    settings = _settings(sim, tmp_path / "data")
    store = TaskStore(settings.data_dir / "tasks.sqlite3")
    record = store.insert(TaskRecord.new(owner=OWNER, provider="fal", request={"prompt": "x"}, model="flash"))
    store.update(record.id, task_id="req-1", status="processing", submitted_at=time.time())
    manager = TaskManager(settings, store).start()
    try:
        waiting = manager.get(record.id, OWNER)
        assert waiting.status == NEEDS_KEY and "started with fal" in waiting.message
        assert manager.resume(record.id, OWNER) is None
        assert manager.resume(record.id, OWNER, profile=get_profile("fal").with_model("flash")) is None
        assert manager.get(record.id, OWNER).status == NEEDS_KEY
    finally:
        manager.stop()


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "rate_limit", "route": "task", "times": 2, "retry_after": 0.2},
        {"kind": "server_error", "route": "task", "status": 502, "times": 3},
        {"kind": "drop", "route": "task", "times": 2},
        {"kind": "server_error", "route": "download", "status": 500, "times": 2, "match": "/results/"},
        {"kind": "truncate", "route": "download", "times": 2, "match": "/results/"},
        {"kind": "drop", "route": "download", "times": 7, "match": "/results/"},  # outlives client retries
    ],
    ids=["poll-429", "poll-502", "poll-drop", "download-500", "download-truncated", "download-drop-long"],
)
async def test_faults_end_with_the_video_saved_once(sim, clip, tmp_path, fault):
    settings = _settings(sim, tmp_path / "data", WAN_MAX_RETRIES="2")
    manager = _manager(settings).start()
    try:
        kind = fault.pop("kind")
        route = fault.pop("route")
        sim.faults.add(kind, route, **fault)
        record = manager.submit(_request(clip), owner=OWNER)
        events = await _collect(manager, record.id)
        assert isinstance(events[-1], Completed), events[-1]
        assert not any(isinstance(e, Failed) for e in events)
        assert sim.stats.faults[kind] >= 1
    finally:
        manager.stop()
    assert sim.stats.tasks_created == 1
    assert len(_videos(settings)) == 1
    assert list((settings.data_dir / "incoming").glob("*")) == []


async def test_expired_result_link_ends_with_a_clear_final_status(sim, clip, tmp_path):
    settings = _settings(sim, tmp_path / "data", WAN_MAX_RETRIES="1")
    manager = _manager(settings).start()
    try:
        sim.faults.add("expired", "download", times=None, match="/results/")
        record = manager.submit(_request(clip), owner=OWNER)
        events = await _collect(manager, record.id)
        last = events[-1]
        # a link that is gone (404 even after reading the task again) is not retried for 24 h
        assert isinstance(last, Failed) and last.charged and last.reason is FailureReason.EXPIRED
        assert last.result_url and last.result_url.startswith(sim.base_url)
        assert not any(isinstance(e, Completed) for e in events)
        saved = manager.get(record.id, OWNER)
        assert saved.status == EXPIRED and "could not be saved" in saved.message
        assert saved.video_path is None and saved.result_url == last.result_url
    finally:
        manager.stop()
    assert _videos(settings) == []
    assert sim.stats.tasks_created == 1


async def test_a_failed_download_is_retried_on_request(sim, clip, tmp_path):
    settings = _settings(sim, tmp_path / "data", WAN_MAX_RETRIES="0")
    # The retries wait an hour: only "Retry download" (or a restart) tries again sooner.
    manager = _manager(settings, download_retry_delays=(3600.0,)).start()
    try:
        sim.faults.add("server_error", "download", status=500, times=None, match="/results/")
        record = manager.submit(_request(clip), owner=OWNER)
        waiting = _wait(
            lambda: (r := manager.get(record.id, OWNER)).status == DOWNLOADING and "again in" in r.message
        )
        assert waiting
        assert not manager.retry_download(record.id, OTHER)  # only the owner's
        sim.faults.clear()
        assert manager.retry_download(record.id, OWNER)
        events = await _collect(manager, record.id)
        assert isinstance(events[-1], Completed)
    finally:
        manager.stop()
    assert len(_videos(settings)) == 1
    assert not manager.retry_download(record.id, OWNER)  # saved: nothing to retry


async def test_a_failed_download_is_resumed_at_start(sim, clip, tmp_path):
    settings = _settings(sim, tmp_path / "data", WAN_MAX_RETRIES="0")
    manager = _manager(settings, download_retry_delays=(3600.0,)).start()
    sim.faults.add("server_error", "download", status=500, times=None, match="/results/")
    record = manager.submit(_request(clip), owner=OWNER)
    _wait(lambda: (r := manager.get(record.id, OWNER)).status == DOWNLOADING and "again in" in r.message)
    manager.stop()  # the app restarts while the download waits for its next try
    sim.faults.clear()
    second = _manager(settings).start()
    try:
        assert isinstance((await _collect(second, record.id))[-1], Completed)
    finally:
        second.stop()
    assert len(_videos(settings)) == 1 and sim.stats.tasks_created == 1


async def test_a_download_that_gave_up_can_be_retried_while_the_link_lives(sim, clip, tmp_path):
    settings = _settings(sim, tmp_path / "data", WAN_MAX_RETRIES="0")
    manager = _manager(settings, download_retry_delays=()).start()  # give up at the first failure
    try:
        sim.faults.add("server_error", "download", status=500, times=None, match="/results/")
        record = manager.submit(_request(clip), owner=OWNER)
        events = await _collect(manager, record.id)
        assert isinstance(events[-1], Failed) and events[-1].reason is FailureReason.DOWNLOAD_FAILED
        assert manager.get(record.id, OWNER).status == FAILED
        sim.faults.clear()
        assert manager.retry_download(record.id, OWNER)
        events = await _collect(manager, record.id)
        assert isinstance(events[-1], Completed), events
        assert manager.get(record.id, OWNER).status == COMPLETED
    finally:
        manager.stop()
    assert sim.stats.tasks_created == 1


async def test_provider_failure_is_final_and_not_charged(sim, clip, tmp_path):
    settings = _settings(sim, tmp_path / "data")
    manager = _manager(settings).start()
    try:
        sim.fail_next_task(code="content_policy_violation")
        record = manager.submit(_request(clip), owner=OWNER)
        events = await _collect(manager, record.id)
        assert any(isinstance(e, Submitted) for e in events)
        assert isinstance(events[-1], Failed) and not events[-1].charged
        saved = manager.get(record.id, OWNER)
        assert saved.status == FAILED and saved.error["code"] == "content_policy_violation"
    finally:
        manager.stop()


# ------------------------------------------------------------------ spend guard


def _clicks(
    manager: TaskManager, clip: Path, owners: list[str]
) -> tuple[list[TaskRecord], list[SpendRefused]]:
    """Submit from several threads at the same moment, as simultaneous clicks would; each
    with a clip of its own content (so each accepted click uploads once: the same content
    under the same key would be uploaded once for both, `job/uploads.py`)."""
    clips = [clip] + [
        make_video(clip.with_name(f"ref{n}.mp4"), seconds=3, color=(40 * n, 90, 200))
        for n in range(1, len(owners))
    ]
    barrier = threading.Barrier(len(owners))
    accepted: list[TaskRecord] = []
    refused: list[SpendRefused] = []

    def click(owner: str, mine: Path) -> None:
        barrier.wait()
        try:
            accepted.append(manager.submit(_request(mine), owner=owner))
        except SpendRefused as exc:
            refused.append(exc)

    threads = [threading.Thread(target=click, args=(o, c)) for o, c in zip(owners, clips, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return accepted, refused


async def test_simultaneous_submits_create_only_what_fits_the_daily_budget(sim, clip, tmp_path):
    # Unprobed, each reserves the most it could cost: (5 s input cap + 5 s) x 4.76 = 47.60.
    settings = _settings(sim, tmp_path / "data", WAN_DAILY_CREDIT_LIMIT="100")
    manager = _manager(settings).start()
    try:
        accepted, refused = _clicks(manager, clip, [OWNER, OTHER, "anon:" + "c" * 32])
        assert len(accepted) == 2 and len(refused) == 1
        assert refused[0].limit is Limit.DAILY and "resets at 00:00 UTC" in str(refused[0])
        for record in accepted:
            assert isinstance((await _collect(manager, record.id, record.owner))[-1], Completed)
        status = manager.budget_status(OWNER)
        # the provider's charges replaced the reservations
        charged = sum(manager.get(r.id, r.owner).credits_charged for r in accepted)
        assert status.left_today == Decimal(100) - charged
    finally:
        manager.stop()
    assert sim.stats.tasks_created == 2 and sim.stats.uploads == 2  # the refused click sent nothing
    owners = [OWNER, OTHER, "anon:" + "c" * 32]
    assert sum(len(manager.store.list_for_owner(o)) for o in owners) == 2  # nothing stored for it


async def test_a_failed_task_releases_its_reservation_and_own_keys_are_not_limited(sim, clip, tmp_path):
    settings = _settings(sim, tmp_path / "data", WAN_DAILY_CREDIT_LIMIT="50")
    manager = _manager(settings).start()
    try:
        sim.fail_next_task(code="content_policy_violation")
        first = manager.submit(_request(clip), owner=OWNER)
        with pytest.raises(SpendRefused):  # 47.60 reserved of 50: no room for a second
            manager.submit(_request(clip), owner=OTHER)
        assert isinstance((await _collect(manager, first.id))[-1], Failed)
        assert manager.budget_status(OTHER).left_today == 50  # failed uncharged: released
        second = manager.submit(_request(clip), owner=OTHER)
        with pytest.raises(SpendRefused):
            manager.submit(_request(clip), owner=OWNER)
        own = manager.submit(_request(clip), owner=OWNER, api_key="visitor-key-123")  # counts nothing
        for record in (second, own):
            assert isinstance((await _collect(manager, record.id, record.owner))[-1], Completed)
        assert manager.get(own.id, OWNER).spend_credits is None
    finally:
        manager.stop()
    assert sim.stats.tasks_created == 3


def test_budget_status_only_where_the_server_key_spends(sim, tmp_path):
    demo = load_settings({"WAN_DATA_DIR": str(tmp_path / "demo")})
    assert TaskManager(demo, TaskStore(tmp_path / "demo.sqlite3")).budget_status("v") is None
    settings = _settings(sim, tmp_path / "data", WAN_VISITOR_DAILY_CREDIT_LIMIT="20")
    status = _manager(settings).budget_status("v")
    assert status.left_today is None and status.visitor_left_today == 20 and status.visitor_max_active == 2


# ------------------------------------------------------------------ races


async def test_own_key_task_never_falls_back_to_the_server_key(sim, clip, tmp_path):
    """Sweeps that run between submit's insert and the job's start (window widened by holding
    the manager's loop) leave the task alone; every request carries the visitor's key."""
    settings = _settings(sim, tmp_path / "data")
    seen: list[str | None] = []
    seen_by_other: list[str | None] = []
    manager = _manager(
        settings, transport=SpyTransport(lambda r: seen.append(r.headers.get("Authorization")))
    )
    manager.start()
    other = _manager(
        settings, transport=SpyTransport(lambda r: seen_by_other.append(r.headers.get("Authorization")))
    )
    gate = threading.Event()
    try:
        manager._thread.call_soon(lambda: gate.wait(20))  # the loop is stuck: the job cannot start yet
        record = manager.submit(_request(clip), owner=OWNER, api_key="visitor-key-123")
        manager._sweep()  # this process's periodic sweep fires inside the window
        other.start()  # another worker starts (its start-up sweep) inside the window
        assert manager.get(record.id, OWNER).status == "queued"
        gate.set()
        events = await _collect(manager, record.id)
        assert isinstance(events[-1], Completed), events[-1]
    finally:
        gate.set()
        other.stop()
        manager.stop()
    assert seen and set(seen) == {"Bearer visitor-key-123"}
    assert seen_by_other == []
    assert sim.stats.tasks_created == 1


async def test_a_lost_lease_stops_the_watch(sim, clip, tmp_path):
    sim.task_seconds = 30.0
    settings = _settings(sim, tmp_path / "data")
    manager = _manager(settings).start()
    try:
        record = manager.submit(_request(clip), owner=OWNER)
        _wait(lambda: manager.get(record.id, OWNER).task_id)
        assert manager.is_watching(record.id)
        # Another worker took the task over (our lease lapsed during a stall).
        manager.store.update(record.id, lease_owner="elsewhere:1:x", lease_expires=time.time() + 600)
        manager._thread.call_soon(manager._renew_leases)
        _wait(lambda: not manager.is_watching(record.id))
        polls = sim.stats.task_gets
        time.sleep(1.0)  # a watch still running would poll again within this (poll interval 0.2 s)
        assert sim.stats.task_gets == polls
        assert manager.get(record.id, OWNER).lease_owner == "elsewhere:1:x"
    finally:
        manager.stop()


async def test_visitor_in_flight_limit_counts_generations_on_every_key(sim, clip, tmp_path):
    """Issue 15 item 4: WAN_VISITOR_MAX_ACTIVE applies on a visitor's own key too (it used to
    count server-key generations only), and an own-key generation in flight counts."""
    settings = _settings(sim, tmp_path / "data", WAN_VISITOR_MAX_ACTIVE="1")
    manager = _manager(settings).start()
    try:
        first = manager.submit(_request(clip), owner=OWNER, visitor="ip:203.0.113.7")
        with pytest.raises(SpendRefused) as refused:  # same visitor, another browser/owner
            manager.submit(_request(clip), owner=OTHER, visitor="ip:203.0.113.7")
        assert refused.value.limit is Limit.VISITOR_ACTIVE and refused.value.resets_at is None
        with pytest.raises(SpendRefused) as refused:  # the visitor's own key: limited as well
            manager.submit(_request(clip), owner=OTHER, api_key="visitor-key-123", visitor="ip:203.0.113.7")
        assert refused.value.limit is Limit.VISITOR_ACTIVE and "WAN_VISITOR_MAX_ACTIVE" in str(refused.value)
        assert manager.budget_status("ip:203.0.113.7").visitor_active == 1
        assert isinstance((await _collect(manager, first.id, first.owner))[-1], Completed)
        assert manager.budget_status("ip:203.0.113.7").visitor_active == 0
        own = manager.submit(_request(clip), owner=OTHER, api_key="visitor-key-123", visitor="ip:203.0.113.7")
        with pytest.raises(SpendRefused):  # the own-key generation in flight counts
            manager.submit(_request(clip), owner=OTHER, visitor="ip:203.0.113.7")
        assert isinstance((await _collect(manager, own.id, own.owner))[-1], Completed)
        manager.submit(_request(clip), owner=OTHER, visitor="ip:203.0.113.7")  # room again
    finally:
        manager.stop()


async def test_a_demo_task_on_a_dashscope_region_resumes_after_a_restart_on_a_new_simulator(clip, tmp_path):
    """Demo mode: a task on DashScope Beijing (flash) survives a restart of the app and of its
    simulators (new port): the profile comes back from the record, no key anywhere. A task on
    a visitor's own key still waits for that key (it is never stored)."""
    from wanvideo.provider_choice import ProviderChoice
    from wanvideo.simulator.pool import SimulatorPool

    settings = load_settings(
        {"WAN_PROVIDER": "demo", "WAN_DATA_DIR": str(tmp_path / "data"), "WAN_POLL_MIN_INTERVAL": "0.2"}
    )
    sims = tmp_path / "simulators"
    pool = SimulatorPool(task_seconds=4.0, data_dir=sims)
    manager = _manager(settings, base_url_for=pool.base_url).start()
    choice = ProviderChoice(configured=manager.profile, demo=True)
    beijing = choice.for_run(choice.pick("dashscope-beijing", "flash").profile, pool.base_url)
    request = _request(clip).model_copy(update={"model": "flash"})
    served = manager.submit(request, owner=OWNER, profile=beijing)
    own = manager.submit(request, owner=OWNER, profile=beijing, api_key="sk-visitor-0001")
    _wait(lambda: manager.get(served.id, OWNER).task_id and manager.get(own.id, OWNER).task_id)
    first = pool.get("dashscope", "beijing")
    first_url = first.base_url
    manager.stop()
    pool.stop()
    assert (served.provider, served.model) == ("dashscope-beijing", "flash")

    pool = SimulatorPool(task_seconds=4.0, data_dir=sims)
    second = _manager(settings, base_url_for=pool.base_url).start()
    try:
        assert pool.base_url("dashscope", "beijing") != first_url  # nothing of the old profile is reused
        events = await _collect(second, served.id)
        assert isinstance(events[-1], Completed), events[-1]
        assert second.get(own.id, OWNER).status == NEEDS_KEY  # the visitor's key is not kept
        assert second.resume(own.id, OWNER, api_key="sk-visitor-0001") is not None
        assert isinstance((await _collect(second, own.id))[-1], Completed)
    finally:
        second.stop()
        simulator = pool.get("dashscope", "beijing")
        pool.stop()
    assert first.stats.creates == 2 and simulator.stats.creates == 0  # no create after the restart
    assert len(_videos(settings)) == 2
