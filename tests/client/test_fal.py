"""The fal adapter against the simulator's fal dialect, over real HTTP on 127.0.0.1.

The job, the watcher and the events are EvoLink's; only the profile differs
(`WAN_PROVIDER=fal`). Each fact checked here is PROVIDERS.md section B's, read from what the
simulator received (`sim.tasks[...].extra["input"]`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

import wanvideo.transport as transport_mod
from tests.client.helpers import fast_settings
from tests.videos import make_video
from wanvideo.client import CancelOutcome, WanClient
from wanvideo.errors import (
    PROVIDER_SUGGESTIONS,
    TASK_ERROR_SUGGESTIONS,
    AuthenticationError,
    InsufficientQuotaError,
)
from wanvideo.events import Completed, Failed, FailureReason, Probed, Progress, Submitted
from wanvideo.job import run_generation
from wanvideo.providers import effective_profile, get_profile
from wanvideo.schemas import CreateTaskBody, GenerationRequest
from wanvideo.simulator import Simulator
from wanvideo.store import TaskStore
from wanvideo.watcher import TaskManager

KEY = "fal-key-0123456789abcdef"
OWNER = "anon:" + "f" * 32


@pytest.fixture(scope="module")
def sim():
    with Simulator(task_seconds=0.5, dialect="fal", allow_private_urls=True, api_keys={KEY}) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def clean(request):
    yield
    if "sim" in request.fixturenames:
        simulator = request.getfixturevalue("sim")
        simulator.faults.clear()
        simulator.release_queue()
        simulator.task_seconds = 0.5


@pytest.fixture(autouse=True)
def sleeps(monkeypatch):
    waited: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr(transport_mod, "retry_sleep", fake_sleep)
    return waited


def make_settings(sim: Simulator, tmp_path: Path, **extra: str):
    return fast_settings(
        tmp_path,
        WAN_PROVIDER="fal",
        WAN_API_KEY=KEY,
        WAN_API_BASE_URL=sim.base_url,
        WAN_FILES_BASE_URL=sim.base_url,
        WAN_MAX_RETRIES="2",
        **extra,
    )


@pytest.fixture
def settings(sim, tmp_path):
    return make_settings(sim, tmp_path)


@pytest.fixture
def profile(settings):
    return effective_profile(settings)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("fal-clips")
    return {
        "a": make_video(folder / "alice.mp4", seconds=3, width=96, height=64, fps=24),
        "b": make_video(folder / "bob.mov", seconds=2.5, width=96, height=64, fps=24, container="mov"),
        "slow": make_video(folder / "slow.mp4", seconds=3, width=96, height=64, fps=10),
    }


def request(*videos: Path, **kw) -> GenerationRequest:
    kw.setdefault("duration", 5)
    return GenerationRequest(
        prompt=kw.pop("prompt", "character1 dances while character2 sings"),
        videos=tuple(str(v) for v in videos),
        **kw,
    )


def create_body(profile, *urls: str, **kw) -> CreateTaskBody:
    data = {"prompt": "character1 waves", "video_urls": list(urls), "duration": 5, **kw}
    return CreateTaskBody.model_validate(data, context={"profile": profile})


async def collect(gen) -> list:
    return [event async for event in gen]


def generation(req, profile, settings, tmp_path, key=KEY):
    return run_generation(req, profile=profile, settings=settings, api_key=key, dest_dir=tmp_path / "out")


async def run(req, profile, settings, tmp_path, key=KEY) -> list:
    return await collect(generation(req, profile, settings, tmp_path, key))


async def uploaded(profile, settings, clip: Path) -> str:
    async with WanClient(profile, KEY, settings) as client:
        return await client.upload_file(clip)


# ---------------------------------------------------------------- the profile


def test_profile_rules_and_prices():
    fal = get_profile("fal")
    assert (fal.api_base_url, fal.files_base_url) == ("https://queue.fal.run", "https://rest.fal.ai")
    assert fal.durations == (5, 10) and fal.reference.max_bytes == 30_000_000 and fal.reference.min_fps == 16
    assert [v.wire for v in fal.variants] == [
        "wan/v2.6/reference-to-video",
        "wan/v2.6/reference-to-video/flash",
    ]
    assert fal.prices.credits_per_second("720p") == Decimal("0.10")
    assert fal.prices.credits_per_second("1080p") == Decimal("0.15")
    assert not fal.prices.bills_input and not fal.prices.input_rule_confirmed
    flash = fal.with_model("flash")
    assert (
        flash.prices.credits_per_second("1080p") == Decimal("0.075")
        and flash.reference.max_bytes == 100_000_000
    )
    assert (
        fal.prompt_as_sent("character1 hugs Character2; character4 waits", 2)
        == "@Video1 hugs @Video2; character4 waits"
    )


def test_wire_body_sends_the_defaults_fal_would_change(profile, settings):
    from wanvideo.adapters.fal import FalAdapter

    body = create_body(
        profile,
        "https://v3.fal.media/files/a.mp4",
        quality="720p",
        aspect_ratio="9:16",
        duration=10,
        model_params={"shot_type": "multi"},
    )
    wire = FalAdapter(profile, WanClient(profile, KEY, settings).transport).wire_body(body)
    assert wire == {
        "prompt": "@Video1 waves",
        "video_urls": ["https://v3.fal.media/files/a.mp4"],
        "aspect_ratio": "9:16",
        "resolution": "720p",  # fal's default is 1080p
        "duration": "10",  # a string
        "multi_shots": True,
        "enable_prompt_expansion": True,
        "enable_safety_checker": True,
    }


# ---------------------------------------------------------------- the whole flow


async def test_local_files_flow_with_queue_position(sim, profile, settings, clips, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    sim.hold_queue()
    events: list = []
    async with contextlib.aclosing(
        generation(request(clips["a"], clips["b"]), profile, settings, tmp_path)
    ) as gen:
        async for event in gen:
            events.append(event)
            if isinstance(event, Progress) and event.queue_position is not None:
                sim.release_queue()  # seen waiting in fal's queue: let it run
    kinds = list(dict.fromkeys(e.kind for e in events))
    assert kinds == ["probed", "uploading", "submitted", "progress", "downloading", "completed"]
    queued = [e for e in events if isinstance(e, Progress) and e.queue_position is not None]
    assert queued and queued[0].queue_position == 0 and queued[0].status == "queued"
    assert all(e.queue_position is None for e in events if isinstance(e, Progress) and e.status != "queued")
    submitted = next(e for e in events if isinstance(e, Submitted))
    assert submitted.sent_prompt == "@Video1 dances while @Video2 sings"
    assert submitted.model == "wan/v2.6/reference-to-video"

    done = events[-1]
    assert isinstance(done, Completed) and done.video_path.is_file()
    record = sim.tasks[done.task_id]
    sent = record.extra["input"]
    assert {k: v for k, v in sent.items() if k != "video_urls"} == {
        "prompt": "@Video1 dances while @Video2 sings",
        "aspect_ratio": "16:9",
        "resolution": "720p",
        "duration": "5",
        "multi_shots": False,
        "enable_prompt_expansion": True,
        "enable_safety_checker": True,
    }
    assert all(u.startswith(sim.base_url + "/files/") for u in sent["video_urls"])
    # 5 s of output at USD 0.10; x-fal-billable-units is the provider's own figure.
    assert done.billed_seconds == Decimal("5") and done.credits_charged == Decimal("0.50")
    assert done.estimate is not None and done.estimate.total_seconds == 5 and done.estimate.unit == "USD"
    assert not done.estimate.input_rule_confirmed  # whether fal bills reference seconds is open
    assert KEY not in caplog.text


async def test_flash_sends_audio_and_costs_half(sim, profile, settings, clips, tmp_path):
    events = await run(
        request(clips["a"], model="flash", prompt="character1 waves"), profile, settings, tmp_path
    )
    done = events[-1]
    assert isinstance(done, Completed), done
    record = sim.tasks[done.task_id]
    assert record.extra["model"] == "wan/v2.6/reference-to-video/flash"
    assert record.extra["input"]["generate_audio"] is True
    assert done.credits_charged == Decimal("0.25")  # 5 s at USD 0.05


async def test_a_webhook_is_passed_as_fal_webhook(sim, profile, settings, clips):
    url = await uploaded(profile, settings, clips["a"])
    sim.hold_queue()
    async with WanClient(profile, KEY, settings) as client:
        task = await client.create_task(
            create_body(profile, url, callback_url="https://hooks.example.com/fal"), "k"
        )
        assert task.status == "queued" and task.queue_position == 0
        assert sim.tasks[task.id].callback_url == "https://hooks.example.com/fal"
        assert "fal_webhook" not in sim.tasks[task.id].extra["input"]  # a query parameter, not a field
        assert (await client.cancel_task(task.id)).cancelled


# ---------------------------------------------------------------- rules checked before spending


async def test_a_slow_reference_is_refused_before_anything_is_sent(sim, profile, settings, clips, tmp_path):
    before = (sim.stats.uploads, sim.stats.creates)
    as_is = request(clips["slow"], prompt="character1 runs", fix_references=False)
    events = await run(as_is, profile, settings, tmp_path)
    probed, failed = events[0], events[-1]
    assert isinstance(probed, Probed) and any("16 fps" in p for p in probed.problems)
    assert isinstance(failed, Failed) and failed.reason is FailureReason.REFUSED
    assert (sim.stats.uploads, sim.stats.creates) == before


async def test_a_slow_reference_is_raised_to_16_fps_and_accepted(sim, profile, settings, clips, tmp_path):
    # With fixing on (the default) the clip is prepared to fal's limits: frames repeated to 16 fps.
    events = await run(request(clips["slow"], prompt="character1 runs"), profile, settings, tmp_path)
    probed = events[0]
    assert isinstance(probed, Probed) and probed.problems == () and probed.to_prepare == (0,)
    assert isinstance(events[-1], Completed), events[-1]  # the simulator's own 16 fps check passed


def test_durations_are_5_or_10(profile):
    with pytest.raises(ValueError, match="5 or 10 seconds"):
        GenerationRequest.model_validate(
            {"prompt": "character1", "video_urls": ["https://a.test/v.mp4"], "duration": 7},
            context={"profile": profile},
        )


# ---------------------------------------------------------------- documented errors


async def test_a_wrong_key_and_an_exhausted_balance(sim, profile, settings, clips):
    async with WanClient(profile, "fal-wrong-key-000000", settings) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.get_task("00000000-0000-0000-0000-000000000000")
    assert "fal-wrong-key" not in str(info.value) and info.value.suggestion
    url = await uploaded(profile, settings, clips["a"])
    sim.faults.add("error", route="create", status=403)  # fal's "User is locked ... balance"
    async with WanClient(profile, KEY, settings) as client:
        with pytest.raises(InsufficientQuotaError) as info:
            await client.create_task(create_body(profile, url), "k")
    assert (
        "balance" in info.value.message and info.value.suggestion == PROVIDER_SUGGESTIONS["exhausted_balance"]
    )


@pytest.mark.parametrize(
    ("failure", "code"),
    [("content_policy_violation", "content_policy_violation"), ("generation_timeout", "request_timeout")],
)
async def test_a_failed_request_ends_uncharged_with_a_suggestion(
    failure, code, sim, profile, settings, clips, tmp_path
):
    sim.fail_next_task(failure)
    events = await run(request(clips["a"], prompt="character1 waves"), profile, settings, tmp_path)
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.reason is FailureReason.PROVIDER_FAILED, failed
    assert failed.code == code and not failed.charged and not failed.task_continues
    assert failed.suggestion == TASK_ERROR_SUGGESTIONS[code]


async def test_the_runners_422_on_the_result_is_the_tasks_failure(sim, profile, settings, clips):
    # A reference fal cannot use is refused by its runner: COMPLETED, then a 422 result.
    url = await uploaded(profile, settings, clips["slow"])  # 10 fps: fal needs 16
    async with WanClient(profile, KEY, settings) as client:
        task = await client.create_task(create_body(profile, url), "k")
        async for snapshot in client.watch_task(task.id, initial=task):
            final = snapshot
    assert final.status == "failed" and final.error is not None
    assert final.error.code == "video_fps_too_low" and "16 fps" in (final.error.message or "")


async def test_status_errors_while_polling_are_tolerated(sim, profile, settings, clips, tmp_path):
    sim.faults.add("server_error", route="task", status=503, times=2)  # runner_scheduling_failure
    events = await run(request(clips["a"], prompt="character1 waves"), profile, settings, tmp_path)
    assert isinstance(events[-1], Completed), events[-1]


# ---------------------------------------------------------------- the paid submit under faults


async def test_a_throttled_submit_is_retried_once(sim, profile, settings, clips, sleeps):
    url = await uploaded(profile, settings, clips["a"])
    sim.faults.add("rate_limit", route="create", retry_after=3)
    before = sim.stats.tasks_created
    sim.hold_queue()
    async with WanClient(profile, KEY, settings) as client:
        task = await client.create_task(create_body(profile, url), "k")
        await client.cancel_task(task.id)
    assert sim.stats.tasks_created == before + 1 and sleeps == [3.0]


@pytest.mark.parametrize("kind", ["drop_after", "server_error"])
async def test_a_submit_that_may_have_reached_fal_is_never_sent_twice(
    kind, sim, profile, settings, clips, tmp_path
):
    sim.faults.add(kind, route="create")
    attempts = sim.stats.routes["create"]
    events = await run(request(clips["a"], prompt="character1 waves"), profile, settings, tmp_path)
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.task_continues and failed.task_id is None
    assert "no idempotency key" in failed.suggestion and "fal.ai" in failed.suggestion
    assert sim.stats.routes["create"] == attempts + 1


# ---------------------------------------------------------------- cancel


async def test_cancel_while_queued_too_late_and_unknown(sim, profile, settings, clips):
    url = await uploaded(profile, settings, clips["a"])
    sim.hold_queue()
    async with WanClient(profile, KEY, settings) as client:
        first = await client.create_task(create_body(profile, url), "k1")
        second = await client.create_task(create_body(profile, url), "k2")
        assert second.queue_position == 1
        result = await client.cancel_task(first.id)
        assert result.outcome is CancelOutcome.CANCELLED and result.charged is False
        assert (await client.get_task(first.id)).status == "cancelled"
        assert (await client.get_task(second.id)).queue_position == 0  # moved up

        sim.task_seconds = 30
        sim.release_queue()
        running = await client.create_task(create_body(profile, url), "k3")
        deadline = time.monotonic() + 30
        while (await client.get_task(running.id)).status != "in_progress":
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        late = await client.cancel_task(running.id)
        assert late.outcome is CancelOutcome.TOO_LATE and late.charged is None
        sim.fail_task(running.id)  # end it now
        gone = await client.cancel_task("00000000-0000-0000-0000-000000000000")
        assert gone.outcome is CancelOutcome.NOT_FOUND
    assert sim.tasks[first.id].status == "cancelled"


def _manager(settings) -> TaskManager:
    return TaskManager(
        settings,
        TaskStore(settings.data_dir / "tasks.sqlite3"),
        download_retry_delays=(0.1,),
        rewatch_delay=0.2,
    )


def _wait(predicate, timeout: float = 60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


async def _follow(manager: TaskManager, record_id: str) -> list:
    async def run() -> list:
        return [event async for event in manager.follow(record_id, OWNER)]

    return await asyncio.wait_for(run(), 60)


async def test_task_manager_cancels_a_queued_request(sim, settings, clips):
    sim.hold_queue()
    manager = _manager(settings).start()
    try:
        record = manager.submit(request(clips["a"], prompt="character1 waves"), owner=OWNER)
        _wait(lambda: manager.get(record.id, OWNER).task_id)
        # The history says where it waits (the queue is held: it stays first in line).
        _wait(lambda: manager.get(record.id, OWNER).message == "Queued at the provider, next in line")
        assert manager.get(record.id, OWNER).status == "pending"
        result = manager.cancel(record.id, OWNER)
        assert result is not None and result.outcome is CancelOutcome.CANCELLED
        failed = (await _follow(manager, record.id))[-1]
        assert isinstance(failed, Failed) and failed.reason is FailureReason.CANCELLED and not failed.charged
        stored = manager.get(record.id, OWNER)
        assert stored.request["sent"] == {"prompt": "@Video1 waves", "model": "wan/v2.6/reference-to-video"}
        assert stored.error["reason"] == "cancelled" and stored.is_final
    finally:
        manager.stop()


async def test_a_restart_resumes_from_the_request_id_alone(sim, settings, clips):
    sim.hold_queue()
    manager = _manager(settings).start()
    record = manager.submit(request(clips["a"], prompt="character1 waves"), owner=OWNER)
    _wait(lambda: manager.get(record.id, OWNER).task_id)
    manager.stop()
    creates = sim.stats.creates
    sim.release_queue()
    second = _manager(settings).start()  # a new client: the status URL is rebuilt from the id
    try:
        done = (await _follow(second, record.id))[-1]
        assert isinstance(done, Completed), done
        assert done.billed_seconds == 5 and second.get(record.id, OWNER).credits_charged == Decimal("0.50")
    finally:
        second.stop()
    assert sim.stats.creates == creates


# ---------------------------------------------------------------- the key goes to fal's hosts only


async def test_urls_on_other_hosts_are_not_followed_with_the_key(tmp_path):
    """A submit naming status/result URLs on another host: the documented paths on fal's own
    host are used instead, and the key (`Key ...`) never leaves it."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            assert json.loads(request.content)["duration"] == "5"
            return httpx.Response(
                200,
                json={
                    "request_id": "req-1",
                    "status": "IN_QUEUE",
                    "queue_position": 3,
                    "status_url": "https://elsewhere.test/status",
                    "response_url": "https://elsewhere.test/result",
                    "cancel_url": "https://elsewhere.test/cancel",
                },
            )
        if request.url.path.endswith("/status"):
            return httpx.Response(200, json={"status": "COMPLETED"})
        return httpx.Response(
            200,
            json={"video": {"url": "https://cdn.test/v.mp4"}, "seed": 1},
            headers={"x-fal-billable-units": "5"},
        )

    settings = fast_settings(tmp_path, WAN_PROVIDER="fal")
    profile = get_profile("fal")
    async with WanClient(profile, KEY, settings, transport=httpx.MockTransport(handler)) as client:
        task = await client.create_task(create_body(profile, "https://cdn.test/a.mp4"), "k")
        assert task.queue_position == 3
        final = await client.get_task(task.id)
    assert final.succeeded and final.video_url == "https://cdn.test/v.mp4" and final.billed_seconds == 5
    assert [str(r.url) for r in seen] == [
        "https://queue.fal.run/wan/v2.6/reference-to-video",
        "https://queue.fal.run/wan/v2.6/requests/req-1/status",
        "https://queue.fal.run/wan/v2.6/requests/req-1",
    ]
    assert all(r.headers["Authorization"] == f"Key {KEY}" for r in seen)


# ---------------------------------------------------------------- a visitor's choice of provider


async def test_a_visitor_runs_fal_with_their_own_key_on_a_server_configured_for_another(
    sim, profile, clips, tmp_path
):
    """The server is configured for DashScope (its host unused here); a visitor picks fal and
    pastes their key. After a restart the task waits for that key and the choice again."""
    settings = fast_settings(
        tmp_path,
        WAN_PROVIDER="dashscope",
        WAN_API_KEY="sk-server-dashscope-0000",
        WAN_API_BASE_URL="http://127.0.0.1:9",
    )
    sim.hold_queue()
    manager = _manager(settings).start()
    req = request(clips["a"], prompt="character1 waves")
    with pytest.raises(ValueError, match="needs your own API key"):
        manager.submit(req, owner=OWNER, profile=profile)  # the server's key is DashScope's
    record = manager.submit(req, owner=OWNER, api_key=KEY, profile=profile)
    assert record.provider == "fal" and record.key_source == "visitor"
    _wait(lambda: manager.get(record.id, OWNER).task_id)
    manager.stop()

    sim.release_queue()
    second = _manager(settings).start()
    try:
        assert second.get(record.id, OWNER).status == "needs_key"
        assert second.get(record.id, OWNER).model == "standard"  # with "fal": what rebuilds the profile
        assert second.resume(record.id, OWNER, profile=profile) is None  # the visitor's key is not kept
        assert second.resume(record.id, OWNER, api_key=KEY, profile=profile) is not None
        done = (await _follow(second, record.id))[-1]
        assert isinstance(done, Completed), done
        assert second.get(record.id, OWNER).credits_charged == Decimal("0.50")
    finally:
        second.stop()
