"""The DashScope adapter against the simulator's dashscope dialect, over real HTTP on 127.0.0.1.

The job (`run_generation`), the watcher (`TaskManager`) and the events are the same as for
EvoLink; only the profile differs (`WAN_PROVIDER=dashscope`). Each fact checked here is
PROVIDERS.md section A's, read from what the simulator received (`sim.tasks[...].extra`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from decimal import Decimal
from pathlib import Path

import pytest

import wanvideo.transport as transport_mod
from tests.client.helpers import fast_settings
from tests.videos import make_video
from wanvideo.client import CancelOutcome, WanClient
from wanvideo.errors import (
    PROVIDER_SUGGESTIONS,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UploadError,
)
from wanvideo.events import Completed, Failed, FailureReason, Progress, Submitted, Uploading
from wanvideo.job import resume_generation, run_generation
from wanvideo.providers import effective_profile
from wanvideo.schemas import CreateTaskBody, GenerationRequest
from wanvideo.simulator import Simulator
from wanvideo.store import TaskStore
from wanvideo.watcher import TaskManager

KEY = "sk-dashscope-0123456789abcdef"
OTHER_KEY = "sk-dashscope-other-0123456789"
OWNER = "anon:" + "d" * 32


@pytest.fixture(scope="module")
def sim():
    with Simulator(
        task_seconds=0.5, dialect="dashscope", allow_private_urls=True, api_keys={KEY, OTHER_KEY}
    ) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def clean(request):
    yield
    if "sim" in request.fixturenames:
        simulator = request.getfixturevalue("sim")
        simulator.faults.clear()
        simulator.release_queue()


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
        WAN_PROVIDER="dashscope",
        WAN_API_KEY=KEY,
        WAN_API_BASE_URL=sim.base_url,
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
    folder = tmp_path_factory.mktemp("dash-clips")
    return {
        "a": make_video(folder / "alice.mp4", seconds=3, width=96, height=64),
        "b": make_video(folder / "bob.mov", seconds=4, width=96, height=64, container="mov"),
    }


def request(*videos: Path, **kw) -> GenerationRequest:
    kw.setdefault("duration", 2)
    return GenerationRequest(
        prompt=kw.pop("prompt", "character1 dances while character2 sings"),
        videos=tuple(str(v) for v in videos),
        **kw,
    )


async def collect(gen) -> list:
    return [event async for event in gen]


def kinds(events) -> list[str]:
    return list(dict.fromkeys(e.kind for e in events))


async def run(req, profile, settings, tmp_path, key=KEY) -> list:
    return await collect(
        run_generation(req, profile=profile, settings=settings, api_key=key, dest_dir=tmp_path / "out")
    )


def create_body(profile, *urls: str, **kw) -> CreateTaskBody:
    """A create for `profile` (its model; oss:// URLs are allowed where its uploads give them)."""
    data = {"prompt": "character1 waves", "video_urls": list(urls), "duration": 2, **kw}
    return CreateTaskBody.model_validate(data, context={"profile": profile})


def settle(sim: Simulator) -> None:
    deadline = time.monotonic() + 30
    while any(t.status in ("pending", "processing") for t in list(sim.tasks.values())):
        assert time.monotonic() < deadline, "the simulator's tasks did not settle"
        time.sleep(0.05)


# ---------------------------------------------------------------- settings and profile


def test_region_picks_host_rules_and_prices(tmp_path):
    base = {"WAN_DATA_DIR": str(tmp_path)}
    singapore = effective_profile(fast_settings(tmp_path, WAN_PROVIDER="dashscope", **base))
    assert singapore.name == "dashscope-singapore"
    assert singapore.api_base_url == singapore.files_base_url == "https://dashscope-intl.aliyuncs.com"
    assert singapore.prices.unit == "USD" and singapore.prices.credits_per_second("1080p") == Decimal("0.15")
    assert [v.wire for v in singapore.variants] == ["wan2.6-r2v", "wan2.6-r2v-flash", "wan2.7-r2v"]
    virginia = effective_profile(
        fast_settings(tmp_path, WAN_PROVIDER="dashscope", WAN_DASHSCOPE_REGION="virginia", **base)
    )
    assert virginia.api_base_url == "https://dashscope-us.aliyuncs.com"
    assert virginia.durations == (5, 10) and not virginia.local_files
    assert [v.id for v in virginia.variants] == ["standard"]
    beijing = effective_profile(
        fast_settings(
            tmp_path,
            WAN_PROVIDER="dashscope",
            WAN_DASHSCOPE_REGION="beijing",
            WAN_API_BASE_URL="http://127.0.0.1:1",
            **base,
        )
    )
    # The override moves the API host, and with it the upload API (getPolicy lives there).
    assert beijing.api_base_url == beijing.files_base_url == "http://127.0.0.1:1"
    assert beijing.prices.unit == "CNY" and beijing.region == "beijing"


def test_wire_body_sizes_durations_and_explicit_defaults(profile, settings):
    from wanvideo.adapters.dashscope import DashScopeAdapter

    cases = [("720p", "16:9", "1280*720"), ("720p", "3:4", "832*1088"), ("1080p", "1:1", "1440*1440")]
    for quality, ratio, size in cases:
        body = CreateTaskBody.model_validate(
            {
                "prompt": "character1 waves",
                "video_urls": ["oss://dir/a.mp4"],
                "quality": quality,
                "aspect_ratio": ratio,
                "duration": 7,
                "model_params": {"shot_type": "multi"},
            },
            context={"profile": profile},
        )
        wire = DashScopeAdapter(profile, WanClient(profile, KEY, settings).transport).wire_body(body)
        assert wire == {
            "model": "wan2.6-r2v",
            "input": {"prompt": "character1 waves", "reference_urls": ["oss://dir/a.mp4"]},
            "parameters": {"size": size, "duration": 7, "shot_type": "multi", "watermark": False},
        }
    flash = profile.with_model("flash")
    body = CreateTaskBody.model_validate(
        {"prompt": "character1", "video_urls": ["https://a.test/v.mp4"], "duration": 5},
        context={"profile": flash},
    )
    wire = DashScopeAdapter(flash, WanClient(flash, KEY, settings).transport).wire_body(body)
    assert wire["model"] == "wan2.6-r2v-flash" and wire["parameters"]["audio"] is True


# ---------------------------------------------------------------- the whole flow


async def test_local_files_flow_through_the_same_job(sim, profile, settings, clips, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    settle(sim)
    before = (sim.stats.creates, sim.charged_credits())
    events = await run(request(clips["a"], clips["b"]), profile, settings, tmp_path)
    assert kinds(events) == ["probed", "uploading", "submitted", "progress", "downloading", "completed"]
    uploads = [e for e in events if isinstance(e, Uploading)]
    assert {(e.index, e.name) for e in uploads} == {(1, "alice.mp4"), (2, "bob.mov")}
    submitted = next(e for e in events if isinstance(e, Submitted))
    assert submitted.sent_prompt == "character1 dances while character2 sings"
    assert submitted.model == "wan2.6-r2v" and submitted.credits_reserved is None
    statuses = [e.status for e in events if isinstance(e, Progress)]
    assert set(statuses[:-1]) <= {"pending", "running"} and statuses[-1] == "succeeded", statuses

    done = events[-1]
    assert isinstance(done, Completed) and done.video_path.is_file()
    record = sim.tasks[done.task_id]
    sent = record.extra["request"]
    # PROVIDERS.md A2: exact pixel size, integer duration, the shot type, explicit defaults.
    assert sent["parameters"] == {
        "size": "1280*720",
        "duration": 2,
        "shot_type": "single",
        "watermark": False,
    }
    assert sent["model"] == "wan2.6-r2v"
    assert [u.split("/")[0] for u in sent["input"]["reference_urls"]] == ["oss:", "oss:"]
    assert record.extra["oss_resolve"] is True  # X-DashScope-OssResourceResolve: enable was sent
    # Two videos of 3 s and 4 s: 2.5 + 2.5 input seconds + 2 output seconds; usage.duration is billed.
    assert done.billed_seconds == Decimal("7")
    assert done.estimate is not None and done.estimate.total_seconds == Decimal("7")
    assert done.credits_charged == Decimal("0.70") and done.estimate.unit == "USD"
    assert sim.stats.creates == before[0] + 1
    assert sim.charged_credits() == pytest.approx(before[1] + 0.70)
    assert KEY not in caplog.text


async def test_flash_uploads_for_its_own_model(sim, profile, settings, clips, tmp_path):
    events = await run(
        request(clips["a"], model="flash", prompt="character1 waves"), profile, settings, tmp_path
    )
    done = events[-1]
    assert isinstance(done, Completed), done
    record = sim.tasks[done.task_id]
    assert (
        record.extra["model"] == "wan2.6-r2v-flash" and record.extra["request"]["parameters"]["audio"] is True
    )
    # flash: USD 0.05 per second at 720P [D2]: (3 + 2) s.
    assert done.credits_charged == Decimal("0.25")


async def test_an_upload_for_one_model_is_not_sent_for_another(sim, profile, settings, clips):
    async with WanClient(profile.with_model("flash"), KEY, settings) as client:
        url = await client.upload_file(clips["a"])
        creates = sim.stats.creates
        with pytest.raises(BadRequestError) as info:
            await client.create_task(create_body(profile, url), "key-1")  # the standard model
    assert "wan2.6-r2v-flash" in info.value.message and info.value.suggestion
    assert sim.stats.creates == creates  # refused here, nothing sent


# ---------------------------------------------------------------- rules checked before spending


async def test_virginia_refuses_local_files_and_flash_before_anything_is_sent(tmp_path, clips):
    with Simulator(task_seconds=0.5, dialect="dashscope", region="virginia") as virginia:
        settings = make_settings(virginia, tmp_path, WAN_DASHSCOPE_REGION="virginia")
        profile = effective_profile(settings)
        events = await run(request(clips["a"], duration=5), profile, settings, tmp_path)
        failed = events[-1]
        assert isinstance(failed, Failed) and failed.reason is FailureReason.REFUSED
        assert (
            "no upload for local files" in failed.suggestion
            and "WAN_PUBLIC_URL" in failed.suggestion
            and "Reference video URLs" in failed.suggestion
        )
        with pytest.raises(ValueError, match="no model 'flash'"):
            GenerationRequest.model_validate(
                {"prompt": "character1", "video_urls": ["https://a.test/v.mp4"], "model": "flash"},
                context={"profile": profile},
            )
        with pytest.raises(ValueError, match="5 or 10 seconds"):
            GenerationRequest.model_validate(
                {"prompt": "character1", "video_urls": ["https://a.test/v.mp4"], "duration": 7},
                context={"profile": profile},
            )
        assert (virginia.stats.uploads, virginia.stats.creates) == (0, 0)

        # Singapore's rules sent to Virginia's host (a region left unset): DashScope's own
        # refusals come back with what to do.
        wrong = effective_profile(make_settings(virginia, tmp_path))
        async with WanClient(wrong, KEY, settings) as client:
            with pytest.raises(PermissionDeniedError) as info:  # no temporary upload there
                await client.upload_file(clips["a"])
            assert (
                info.value.code == "AccessDenied"
                and info.value.suggestion == PROVIDER_SUGGESTIONS["AccessDenied"]
            )
        flash = wrong.with_model("flash")
        async with WanClient(flash, KEY, settings) as client:
            with pytest.raises(NotFoundError) as info:  # wan2.6-r2v-flash is not deployed there
                await client.create_task(create_body(flash, "https://a.test/v.mp4", duration=5), "k")
            assert info.value.code == "ModelNotFound" and "region" in info.value.suggestion


def test_no_callback_and_prompt_length(profile):
    base = {"prompt": "character1", "video_urls": ["https://a.test/v.mp4"]}
    with pytest.raises(ValueError, match="no per-request callback"):
        GenerationRequest.model_validate(
            {**base, "callback_url": "https://hooks.example.com/x"}, context={"profile": profile}
        )
    with pytest.raises(ValueError, match="at most 1500"):
        GenerationRequest.model_validate({**base, "prompt": "x" * 1501}, context={"profile": profile})


# ---------------------------------------------------------------- documented errors


async def test_a_wrong_key_says_check_the_key_and_its_region(sim, profile, settings, clips, tmp_path):
    events = await run(request(clips["a"]), profile, settings, tmp_path, key="sk-not-a-key-000000")
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.reason is FailureReason.UPLOAD_FAILED  # getPolicy said 401
    assert "WAN_DASHSCOPE_REGION" in failed.suggestion and "sk-not-a-key" not in str(failed)
    async with WanClient(profile, "sk-not-a-key-000000", settings) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.get_task("any")
    assert (
        info.value.code == "InvalidApiKey" and info.value.suggestion == PROVIDER_SUGGESTIONS["InvalidApiKey"]
    )


async def test_link_and_upload_errors_are_mapped_with_suggestions(sim, profile, settings, clips):
    async with WanClient(profile, KEY, settings) as client:
        with pytest.raises(BadRequestError) as info:
            await client.create_task(create_body(profile, "http://127.0.0.1:9/gone.mp4"), "k")
        assert info.value.code == "InvalidURL" and "public" in info.value.suggestion

        url = await client.upload_file(clips["a"])
        sim.expire_files()  # the temporary upload is past its 48 h
        with pytest.raises(BadRequestError) as info:
            await client.create_task(create_body(profile, url), "k")
        assert info.value.code == "InvalidParameter.DataInspection"
        assert "upload the file again" in info.value.suggestion

        # The upload host (OSS) answers XML: a refusal is an UploadError with its code.
        sim.faults.add("error", route="upload", status=403, match="/dashscope-file", message="Access denied")
        with pytest.raises(UploadError, match="AccessDenied"):
            await client.upload_file(clips["a"])


async def test_a_failed_task_ends_uncharged_with_a_suggestion(sim, profile, settings, clips, tmp_path):
    sim.fail_next_task("content_policy_violation")
    events = await run(request(clips["a"]), profile, settings, tmp_path)
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.reason is FailureReason.PROVIDER_FAILED
    assert failed.code == "DataInspectionFailed" and not failed.charged
    assert failed.suggestion == PROVIDER_SUGGESTIONS["DataInspectionFailed"]


# ---------------------------------------------------------------- the paid create under faults


async def test_a_throttled_create_is_retried_once_and_creates_one_task(sim, profile, settings, clips, sleeps):
    sim.faults.add("rate_limit", route="create", retry_after=2)
    tasks = sim.stats.tasks_created
    async with WanClient(profile, KEY, settings) as client:
        url = await client.upload_file(clips["a"])
        task = await client.create_task(create_body(profile, url), "k")
    assert task.status == "pending" and sim.stats.tasks_created == tasks + 1
    assert sleeps == [2.0]


@pytest.mark.parametrize("kind", ["drop_after", "server_error"])
async def test_a_create_that_may_have_reached_dashscope_is_never_sent_twice(
    kind, sim, profile, settings, clips, tmp_path
):
    sim.faults.add(kind, route="create")
    attempts = sim.stats.routes["create"]
    events = await run(request(clips["a"]), profile, settings, tmp_path)
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.task_continues and failed.task_id is None
    assert "no idempotency key" in failed.suggestion
    assert sim.stats.routes["create"] == attempts + 1  # one attempt, never a second


async def test_a_throttled_create_gives_up_with_a_clear_error(sim, profile, settings, clips):
    sim.faults.add("rate_limit", route="create", times=None, retry_after=1)
    async with WanClient(profile, KEY, settings) as client:
        url = await client.upload_file(clips["a"])
        with pytest.raises(RateLimitError) as info:
            await client.create_task(create_body(profile, url), "k")
    assert info.value.code == "Throttling.RateQuota" and "5 tasks at once" in info.value.suggestion


# ---------------------------------------------------------------- UNKNOWN and cancel


async def test_unknown_means_gone(sim, profile, settings, clips, tmp_path):
    sim.hold_queue()
    async with WanClient(profile, KEY, settings) as client:
        url = await client.upload_file(clips["a"])
        task = await client.create_task(create_body(profile, url), "k")
    sim.expire_task(task.id)  # older than 24 h
    events = await collect(
        resume_generation(task.id, profile=profile, settings=settings, api_key=KEY, dest_dir=tmp_path)
    )
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.reason is FailureReason.EXPIRED
    assert not failed.task_continues and failed.code == "UNKNOWN"
    assert "no longer knows" in failed.message and "WAN_DASHSCOPE_REGION" in failed.suggestion
    # Another account's task reads UNKNOWN too: it is never taken for a running one.
    sim.release_queue()
    async with WanClient(profile, OTHER_KEY, settings) as other:
        assert (await other.get_task(task.id)).status == "unknown"


async def test_cancel_while_pending_and_too_late(sim, profile, settings, clips):
    sim.hold_queue()
    async with WanClient(profile, KEY, settings) as client:
        url = await client.upload_file(clips["a"])
        task = await client.create_task(create_body(profile, url), "k")
        result = await client.cancel_task(task.id)
        assert result.outcome is CancelOutcome.CANCELLED and result.charged is False
        assert (await client.get_task(task.id)).status == "canceled"
        # Asked again (a lost answer): the task itself says it is cancelled.
        assert (await client.cancel_task(task.id)).outcome is CancelOutcome.CANCELLED

        sim.release_queue()
        running = await client.create_task(create_body(profile, url), "k2")
        async for snapshot in client.watch_task(running.id, initial=running):
            if snapshot.is_final:
                break
        late = await client.cancel_task(running.id)
        assert late.outcome is CancelOutcome.TOO_LATE and "already ended" in late.message
        gone = await client.cancel_task("00000000-0000-0000-0000-000000000000")
        assert gone.outcome is CancelOutcome.NOT_FOUND
    assert sim.tasks[task.id].status == "cancelled"


# ---------------------------------------------------------------- the watcher: cancel, restart


def _manager(settings, store=None) -> TaskManager:
    return TaskManager(
        settings,
        store or TaskStore(settings.data_dir / "tasks.sqlite3"),
        download_retry_delays=(0.1, 0.2),
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


async def test_task_manager_cancels_a_pending_task(sim, settings, clips):
    sim.hold_queue()
    manager = _manager(settings).start()
    try:
        record = manager.submit(request(clips["a"]), owner=OWNER)
        _wait(lambda: manager.get(record.id, OWNER).task_id)
        assert manager.cancel(record.id, "anon:" + "e" * 32) is None  # not the owner's
        result = manager.cancel(record.id, OWNER)
        assert result is not None and result.outcome is CancelOutcome.CANCELLED
        events = await _follow(manager, record.id)
        failed = events[-1]
        assert isinstance(failed, Failed) and failed.reason is FailureReason.CANCELLED and not failed.charged
        stored = manager.get(record.id, OWNER)
        assert stored.is_final and stored.error["reason"] == "cancelled"
        assert stored.request["sent"] == {
            "prompt": "character1 dances while character2 sings",
            "model": "wan2.6-r2v",
        }
        assert manager.store.usage(None, 0).spent == 0  # the reservation is freed
        assert manager.cancel(record.id, OWNER).outcome is CancelOutcome.TOO_LATE
    finally:
        manager.stop()
    assert sim.tasks[stored.task_id].status == "cancelled"


async def test_a_restart_resumes_the_task_without_a_second_create(sim, settings, clips):
    sim.hold_queue()
    manager = _manager(settings).start()
    record = manager.submit(request(clips["a"]), owner=OWNER)
    _wait(lambda: manager.get(record.id, OWNER).task_id)
    manager.stop()  # the app goes away while the task waits at DashScope
    creates = sim.stats.creates
    sim.release_queue()
    second = _manager(settings).start()
    try:
        events = await _follow(second, record.id)
        done = events[-1]
        assert isinstance(done, Completed), done
        assert done.billed_seconds == Decimal("5")  # 3 s reference + 2 s output
        stored = second.get(record.id, OWNER)
        assert stored.credits_charged == Decimal("0.50")
        assert Decimal(stored.estimate["provider_billed_seconds"]) == 5
    finally:
        second.stop()
    assert sim.stats.creates == creates
