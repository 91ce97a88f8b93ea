"""The generation job: the event sequence, laziness, failures as values, resume.

MockTransport tests pin the exact requests; simulator tests run the whole path over real HTTP
with real video files (tests/videos.py) uploaded, rendered and downloaded.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

import wanvideo.client as client_mod
import wanvideo.transport as transport_mod
from tests.client.helpers import fast_settings
from tests.videos import make_video
from wanvideo import media
from wanvideo.errors import TASK_ERROR_SUGGESTIONS
from wanvideo.events import (
    Completed,
    Downloading,
    Failed,
    FailureReason,
    Probed,
    Progress,
    Submitted,
    Uploading,
)
from wanvideo.job import check_references, resume_generation, run_generation
from wanvideo.media import ProbeResult
from wanvideo.providers import get_profile
from wanvideo.schemas import GenerationRequest

API = "http://api.test"
CDN = "http://cdn.test"
SECRET = "sk-live-JOB-SECRET-0123456789"


def make_settings(tmp_path: Path, **extra: str):
    return fast_settings(tmp_path, **{**{"WAN_MAX_RETRIES": "2", "WAN_ALLOW_PRIVATE_URLS": "true"}, **extra})


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path)


@pytest.fixture
def profile():
    return get_profile("evolink").with_overrides(api_base_url=API, files_base_url=API)


@pytest.fixture(autouse=True)
def sleeps(monkeypatch):
    waited: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr(transport_mod, "retry_sleep", fake_sleep)
    return waited


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    return {
        "a": make_video(folder / "alice.mp4", seconds=3, width=96, height=64),
        "b": make_video(folder / "bob.mov", seconds=2.5, width=96, height=64, container="mov"),
        "short": make_video(folder / "short.mp4", seconds=1, width=96, height=64),
    }


@pytest.fixture(scope="module")
def result_bytes(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("res") / "res.mp4", seconds=2, audio=False).read_bytes()


@pytest.fixture
def remote_probe(monkeypatch):
    """URL references are probed without the network: a 4 s mp4."""

    async def fake_probe_url(url, *, allow_private=False, timeout=20.0, max_bytes=None):
        return ProbeResult(
            name=url.rsplit("/", 1)[-1], source=url, duration=4.0, container="mp4", has_audio=True
        )

    monkeypatch.setattr(media, "probe_url", fake_probe_url)


def request(videos=(), urls=(), **kw) -> GenerationRequest:
    return GenerationRequest(
        prompt="character1 dances while character2 sings",
        videos=tuple(str(v) for v in videos),
        video_urls=tuple(urls),
        **kw,
    )


class FakeProvider:
    """A MockTransport provider: upload, create, polls from a script, CDN download."""

    def __init__(self, result: bytes, polls=None, create=None):
        self.result = result
        self.polls = list(polls or [])
        self.create = create
        self.log: list[tuple[str, str]] = []
        self.create_bodies: list[dict] = []
        self.create_keys: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.log.append((request.method, path))
        if path == "/api/v1/files/upload/stream":
            n = sum(1 for _, p in self.log if p == path)
            return httpx.Response(
                200, json={"success": True, "data": {"file_url": f"https://files.test/up{n}.mp4"}}
            )
        if path == "/v1/videos/generations":
            self.create_bodies.append(json.loads(request.content))
            self.create_keys.append(request.headers["Idempotency-Key"])
            if self.create is not None:
                answer = self.create.pop(0) if isinstance(self.create, list) else self.create
                if isinstance(answer, Exception):
                    raise answer
                if isinstance(answer, httpx.Response):
                    return answer
            return httpx.Response(
                200,
                json={
                    "id": "task-9",
                    "status": "pending",
                    "progress": 0,
                    "task_info": {"estimated_time": 2},
                    "usage": {"credits_reserved": 47.6},
                },
            )
        if path.startswith("/v1/tasks/"):
            answer = self.polls.pop(0) if len(self.polls) > 1 else self.polls[0]
            return (
                httpx.Response(200, json={"id": "task-9", **answer}) if isinstance(answer, dict) else answer
            )
        if request.url.host == "cdn.test":
            assert "Authorization" not in request.headers
            return httpx.Response(200, content=self.result)
        return httpx.Response(404, json={"error": {"message": "no route"}})

    def count(self, method: str, prefix: str) -> int:
        return sum(1 for m, p in self.log if m == method and p.startswith(prefix))


DONE = {
    "status": "completed",
    "progress": 100,
    "results": [CDN + "/task-9.mp4"],
    "billing": {"charged_credits": 47.6},
}


async def collect(gen):
    return [event async for event in gen]


async def generate(req, handler, profile, settings, **kwargs) -> list:
    """Every event of one run_generation against a MockTransport handler."""
    return await collect(
        run_generation(
            req,
            profile=profile,
            settings=settings,
            api_key=SECRET,
            transport=httpx.MockTransport(handler),
            **kwargs,
        )
    )


def kinds(events):
    out = []
    for e in events:
        if not out or out[-1] != e.kind:
            out.append(e.kind)
    return out


# ------------------------------------------------------------------ check_references


async def test_check_references_prices_real_files(clips, profile, settings):
    probed = await check_references([str(clips["a"])], [], "720p", 5, profile, settings)
    assert probed.problems == () and probed.probes[0].duration == pytest.approx(3, abs=0.2)
    assert probed.estimate is not None and probed.estimate.output_seconds == 5
    assert probed.estimate.references[0].billed == probed.estimate.references[0].duration


async def test_check_references_unknown_duration_gives_a_range(profile, settings, monkeypatch):
    async def unreadable(url, *, allow_private=False, timeout=20.0, max_bytes=None):
        return ProbeResult(name="x.mp4", source=url, warnings=("x.mp4 could not be read",))

    monkeypatch.setattr(media, "probe_url", unreadable)
    probed = await check_references([], ["https://example.com/x.mp4"], "720p", 5, profile, settings)
    assert probed.estimate.is_range and probed.warnings == ("x.mp4 could not be read",)


async def test_check_references_counts(profile, settings, remote_probe):
    none = await check_references([], [], "720p", 5, profile, settings)
    assert none.estimate is None and "at least one" in none.problems[0]
    four = await check_references(
        [], [f"https://e.com/{i}.mp4" for i in range(4)], "720p", 5, profile, settings
    )
    assert four.estimate is None and "at most 3" in four.problems[0] and "remove 1" in four.problems[0]
    three = await check_references(
        [], [f"https://e.com/{i}.mp4" for i in range(3)], "1080p", 5, profile, settings
    )
    assert three.problems == () and three.estimate.input_seconds == Decimal("4.95")


async def test_too_many_references_are_refused_before_any_is_probed(profile, settings, monkeypatch):
    """Issue 15: 20,000 links were each fetched; now none is when there are more than the pick takes."""
    probed_sources: list[str] = []

    async def counting_url(url, *, allow_private=False, timeout=20.0, max_bytes=None):
        probed_sources.append(url)
        return ProbeResult(name="x.mp4", source=url, duration=4.0, container="mp4")

    async def counting_local(path, name=None, max_bytes=None):
        probed_sources.append(path)
        return ProbeResult(name="x.mp4", source=path, duration=4.0, container="mp4")

    monkeypatch.setattr(media, "probe_url", counting_url)
    monkeypatch.setattr(media, "probe_local", counting_local)
    urls = [f"https://e.com/{i}.mp4" for i in range(2000)]
    many = await check_references(["/tmp/a.mp4", "/tmp/b.mp4"], urls, "720p", 5, profile, settings)
    assert probed_sources == []
    assert many.probes == () and many.estimate is None
    assert many.problems == ("2002 references given; the model takes at most 3: remove 1999.",)
    four = await check_references(["/tmp/a.mp4"], urls[:3], "720p", 5, profile, settings)
    assert probed_sources == [] and "remove 1" in four.problems[0]
    three = await check_references(["/tmp/a.mp4"], urls[:2], "720p", 5, profile, settings)
    assert len(probed_sources) == 3 and three.problems == ()


async def test_check_references_probe_crash_is_a_problem(profile, settings, monkeypatch):
    async def boom(path, name=None, max_bytes=None):
        raise RuntimeError("decoder exploded")

    monkeypatch.setattr(media, "probe_local", boom)
    probed = await check_references(["/tmp/x.mp4"], [], "720p", 5, profile, settings)
    assert probed.problems == ("x.mp4 could not be checked (RuntimeError).",)


# ------------------------------------------------------------------ run_generation, mocked provider


async def test_full_sequence(clips, profile, settings, remote_probe, result_bytes, tmp_path):
    provider = FakeProvider(
        result_bytes,
        polls=[{"status": "processing", "progress": 50, "task_info": {"estimated_time": 2}}, DONE],
    )
    dest = tmp_path / "videos"
    events = await generate(
        request([clips["a"], clips["b"]], ["https://example.com/carol.mp4"], duration=5),
        provider,
        profile,
        settings,
        dest_dir=dest,
    )
    assert kinds(events) == ["probed", "uploading", "submitted", "progress", "downloading", "completed"]
    probed = events[0]
    assert isinstance(probed, Probed) and len(probed.probes) == 3 and probed.estimate is not None
    uploads = [e for e in events if isinstance(e, Uploading)]
    assert {(e.index, e.count) for e in uploads} == {(1, 2), (2, 2)}
    assert uploads[0].name == "alice.mp4" and uploads[0].bytes_sent == 0
    assert uploads[-1].bytes_sent == uploads[-1].bytes_total == clips["b"].stat().st_size
    submitted = next(e for e in events if isinstance(e, Submitted))
    assert submitted.task_id == "task-9" and submitted.credits_reserved == Decimal("47.6")
    assert submitted.idempotency_key.startswith("wan-") and 16 <= len(submitted.idempotency_key) <= 96
    progress = [e for e in events if isinstance(e, Progress)]
    assert [p.status for p in progress] == ["pending", "processing", "completed"]
    assert progress[1].percent == 50 and progress[1].eta is not None and progress[-1].eta == 0
    done = events[-1]
    assert isinstance(done, Completed) and done.video_path == dest / "task-9.mp4"
    assert done.video_path.read_bytes() == result_bytes and done.credits_charged == Decimal("47.6")
    assert done.estimate == probed.estimate
    assert provider.create_bodies[0]["video_urls"] == [
        "https://files.test/up1.mp4",
        "https://files.test/up2.mp4",
        "https://example.com/carol.mp4",
    ]
    assert provider.create_bodies[0]["model_params"] == {"shot_type": "single"}
    assert provider.count("POST", "/v1/videos") == 1 and provider.count("GET", "/v1/tasks/") == 2


async def test_problems_stop_before_any_request(clips, profile, settings):
    provider = FakeProvider(b"")
    events = await generate(request([clips["short"]]), provider, profile, settings)
    assert kinds(events) == ["probed", "failed"]
    failed = events[-1]
    assert failed.charged is False and failed.task_id is None and failed.problems
    assert "short.mp4" in failed.problems[0]
    assert provider.log == []


async def test_generator_is_lazy_after_submitted(clips, profile, settings, result_bytes):
    provider = FakeProvider(result_bytes, polls=[DONE])
    gen = run_generation(
        request([clips["a"]]),
        profile=profile,
        settings=settings,
        api_key=SECRET,
        idempotency_key="my-key-0123456789abcdef",
        transport=httpx.MockTransport(provider),
    )
    async for event in gen:
        if isinstance(event, Submitted):
            break
    assert event.idempotency_key == "my-key-0123456789abcdef"
    assert provider.count("GET", "/v1/tasks/") == 0  # the consumer may persist the id first
    await gen.aclose()
    assert provider.count("GET", "/v1/tasks/") == 0 and provider.count("POST", "/v1/videos") == 1


async def test_create_answer_lost_is_never_resent(clips, profile, settings, sleeps):
    provider = FakeProvider(b"", create=httpx.ReadTimeout("no answer"))
    events = await generate(
        request([clips["a"]]), provider, profile, settings, idempotency_key="key-0123456789abcdef"
    )
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.task_continues and failed.task_id is None
    assert "may have been created" in failed.message and "key-0123456789abcdef" in failed.suggestion
    assert provider.count("POST", "/v1/videos") == 1 and sleeps == []


async def test_create_retried_once_with_the_same_key(clips, profile, settings, result_bytes, sleeps):
    busy = httpx.Response(503, json={"error": {"message": "busy"}}, headers={"Retry-After": "4"})
    provider = FakeProvider(result_bytes, polls=[DONE], create=[busy, None])
    events = await generate(request([clips["a"]]), provider, profile, settings)
    assert isinstance(events[-1], Completed)
    assert len(provider.create_keys) == 2 and len(set(provider.create_keys)) == 1
    assert sleeps == [4.0]


async def test_each_generation_gets_its_own_key(clips, profile, settings, result_bytes):
    provider = FakeProvider(result_bytes, polls=[DONE])
    for _ in range(2):
        await collect(
            run_generation(
                request([clips["a"]]),
                profile=profile,
                settings=settings,
                api_key=SECRET,
                transport=httpx.MockTransport(provider),
            )
        )
    assert len(set(provider.create_keys)) == 2


async def test_create_refused_is_failed_not_charged(clips, profile, settings):
    refused = httpx.Response(402, json={"error": {"code": "insufficient_quota", "message": "Top up."}})
    provider = FakeProvider(b"", create=refused)
    events = await generate(request([clips["a"]]), provider, profile, settings)
    failed = events[-1]
    assert isinstance(failed, Failed) and not failed.charged and not failed.task_continues
    assert "Top up." in failed.message and failed.code == "insufficient_quota"


async def test_failed_task_carries_code_and_suggestion(clips, profile, settings):
    bad = {"status": "failed", "error": {"code": "content_policy_violation", "message": "Refused."}}
    provider = FakeProvider(b"", polls=[bad])
    events = await generate(request([clips["a"]]), provider, profile, settings)
    failed = events[-1]
    assert (
        isinstance(failed, Failed)
        and failed.task_id == "task-9"
        and failed.code == "content_policy_violation"
    )
    assert failed.suggestion == TASK_ERROR_SUGGESTIONS["content_policy_violation"]
    assert failed.charged is False and failed.task_continues is False and "Refused." in failed.message


async def test_deadline_means_task_continues(clips, tmp_path, profile):
    settings = make_settings(tmp_path, WAN_POLL_DEADLINE="0.2")
    provider = FakeProvider(b"", polls=[{"status": "processing", "progress": 10}])
    events = await generate(request([clips["a"]]), provider, profile, settings)
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.task_continues and failed.task_id == "task-9"
    assert "may still finish" in failed.message


async def test_upload_failure_suggests_a_link(clips, profile, settings):
    def handler(request):
        return httpx.Response(200, json={"success": False, "msg": "quota of files exceeded"})

    events = await generate(request([clips["a"]]), handler, profile, settings)
    failed = events[-1]
    assert isinstance(failed, Failed) and not failed.charged and "quota of files exceeded" in failed.message
    assert "Reference video URLs" in failed.suggestion


async def test_expired_link_refreshed_once(clips, profile, settings, result_bytes, tmp_path):
    fresh = {**DONE, "results": [CDN + "/fresh.mp4"]}
    provider = FakeProvider(result_bytes, polls=[{**DONE, "results": [API + "/gone.mp4"]}, fresh])
    events = await generate(request([clips["a"]]), provider, profile, settings, dest_dir=tmp_path / "v")
    assert isinstance(events[-1], Completed)
    assert ("GET", "/gone.mp4") in provider.log and ("GET", "/fresh.mp4") in provider.log


async def test_bad_result_is_failed_charged_and_leaves_no_file(clips, profile, settings, tmp_path):
    provider = FakeProvider(b"<html>not a video</html>", polls=[DONE])
    dest = tmp_path / "v"
    events = await generate(request([clips["a"]]), provider, profile, settings, dest_dir=dest)
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.charged and failed.task_id == "task-9"
    assert failed.reason is FailureReason.DOWNLOAD_FAILED
    assert failed.result_url == CDN + "/task-9.mp4"  # a typed field, not a sentence to parse
    assert list(dest.iterdir()) == []


async def test_unexpected_errors_become_failed(clips, profile, settings, monkeypatch):
    async def broken_create(self, body, key):
        raise RuntimeError("bug")

    monkeypatch.setattr(client_mod.WanClient, "create_task", broken_create)
    provider = FakeProvider(b"")
    events = await generate(request([clips["a"]]), provider, profile, settings)
    assert isinstance(events[-1], Failed) and "RuntimeError" in events[-1].message


async def test_stopping_during_download_leaves_no_file(clips, profile, settings, tmp_path, result_bytes):
    import asyncio

    class Slow(httpx.AsyncByteStream):
        async def __aiter__(self):
            yield result_bytes[:1000]
            await asyncio.sleep(30)
            yield result_bytes[1000:]

    def handler(request):
        if request.url.host == "cdn.test":
            return httpx.Response(200, headers={"Content-Length": str(len(result_bytes))}, stream=Slow())
        return provider(request)

    provider = FakeProvider(result_bytes, polls=[DONE])
    dest = tmp_path / "v"
    gen = run_generation(
        request([clips["a"]]),
        profile=profile,
        settings=settings,
        api_key=SECRET,
        dest_dir=dest,
        transport=httpx.MockTransport(handler),
    )
    async for event in gen:
        if isinstance(event, Downloading) and event.bytes_received > 0:
            break
    assert list(dest.iterdir())  # the temporary file is being written
    await gen.aclose()
    assert list(dest.iterdir()) == []  # stopped mid-download: nothing that looks complete


async def test_resume_generation(profile, settings, result_bytes, tmp_path):
    import time

    provider = FakeProvider(result_bytes, polls=[{"status": "processing", "progress": 80}, DONE])
    events = await collect(
        resume_generation(
            "task-9",
            profile=profile,
            settings=settings,
            api_key=SECRET,
            started_at=time.time() - 60,
            dest_dir=tmp_path / "v",
            transport=httpx.MockTransport(provider),
        )
    )
    assert kinds(events) == ["progress", "downloading", "completed"]
    assert events[0].elapsed >= 60
    assert events[-1].video_path.read_bytes() == result_bytes
    assert provider.count("GET", "/v1/tasks/") == 2


async def test_resume_expired_task(profile, settings):
    provider = FakeProvider(
        b"", polls=[httpx.Response(404, json={"error": {"message": "Task not found or expired"}})]
    )
    events = await collect(
        resume_generation(
            "task-9",
            profile=profile,
            settings=settings,
            api_key=SECRET,
            transport=httpx.MockTransport(provider),
        )
    )
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert not events[0].task_continues and "expired" in events[0].message


# ------------------------------------------------------------------ run_generation against the simulator


@pytest.fixture
def sim():
    from wanvideo.simulator import Simulator

    with Simulator(task_seconds=0.5) as simulator:
        yield simulator


@pytest.fixture
def sim_profile(sim):
    return get_profile("demo").with_overrides(api_base_url=sim.base_url, files_base_url=sim.base_url)


async def test_sim_full_generation(sim, sim_profile, settings, clips, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")
    caplog.set_level(logging.DEBUG, logger="httpcore")
    dest = tmp_path / "videos"
    events = await collect(
        run_generation(
            request([clips["a"], clips["b"]], duration=2, aspect_ratio="1:1"),
            profile=sim_profile,
            settings=settings,
            api_key=SECRET,
            dest_dir=dest,
        )
    )
    assert kinds(events) == ["probed", "uploading", "submitted", "progress", "downloading", "completed"]
    done = events[-1]
    assert isinstance(done, Completed) and done.video_path.parent == dest
    assert list(dest.iterdir()) == [done.video_path]
    probe = media.probe_file(str(done.video_path))
    assert probe.duration and probe.duration > 1 and probe.video_codec
    assert done.credits_charged == Decimal(str(sim.charged_credits()))
    assert (sim.stats.uploads, sim.stats.creates, sim.stats.tasks_created) == (2, 1, 1)
    assert sorted(f.original_name for f in sim.files.values()) == ["alice.mp4", "bob.mov"]
    record = sim.tasks[done.task_id]
    assert record.idempotency_key == next(e for e in events if isinstance(e, Submitted)).idempotency_key
    assert len(record.video_urls) == 2 and all(u.startswith(sim.base_url) for u in record.video_urls)
    assert sim.stats.task_gets == len([e for e in events if isinstance(e, Progress)]) - 1
    assert SECRET not in caplog.text


async def test_sim_url_reference_passes_through(sim, sim_profile, settings, clips, tmp_path):
    async with client_mod.WanClient(sim_profile, None, settings) as client:
        url = await client.upload_file(clips["b"])
    events = await collect(
        run_generation(
            request([clips["a"]], [url], duration=2, aspect_ratio="1:1"),
            profile=sim_profile,
            settings=settings,
            api_key=None,
            dest_dir=tmp_path / "v",
        )
    )
    assert isinstance(events[-1], Completed)
    assert events[0].probes[1].duration == pytest.approx(2.5, abs=0.2)  # probed over HTTP
    uploads = [e for e in events if isinstance(e, Uploading)]
    assert {e.count for e in uploads} == {1} and sim.stats.uploads == 2  # one by hand, one by the job
    assert sim.tasks[events[-1].task_id].video_urls[1] == url


async def test_sim_failed_task(sim, sim_profile, settings, clips):
    sim.fail_next_task("invalid_parameters")
    events = await collect(
        run_generation(
            request([clips["a"]], duration=2),
            profile=sim_profile,
            settings=settings,
            api_key=SECRET,
        )
    )
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.code == "invalid_parameters" and not failed.charged
    assert failed.suggestion == TASK_ERROR_SUGGESTIONS["invalid_parameters"]
    assert sim.charged_credits() == 0 and sim.stats.downloads == 0


async def test_sim_expired_result_link(sim, sim_profile, settings, clips, tmp_path):
    sim.faults.add("expired", route="download", match="/results/", times=None)
    dest = tmp_path / "v"
    events = await collect(
        run_generation(
            request([clips["a"]], duration=2),
            profile=sim_profile,
            settings=settings,
            api_key=SECRET,
            dest_dir=dest,
        )
    )
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.charged and "could not be saved" in failed.message
    assert sim.stats.routes["download"] == 1  # the task was re-read once: same link, so no retry
    last_poll = [e for e in events if isinstance(e, Progress)][-1]
    assert sim.stats.task_gets == len([e for e in events if isinstance(e, Progress)])  # polls + the re-read
    assert last_poll.status == "completed"
    assert not dest.exists() or list(dest.iterdir()) == []


async def test_sim_create_dropped_after_handler_reports_task_may_exist(sim, sim_profile, settings, clips):
    sim.faults.add("drop_after", route="create")
    events = await collect(
        run_generation(
            request([clips["a"]], duration=2), profile=sim_profile, settings=settings, api_key=SECRET
        )
    )
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.task_continues and "may have been created" in failed.message
    assert sim.stats.creates == 1 and sim.stats.tasks_created == 1  # exactly one paid create


async def test_sim_interrupted_download_retried(sim, sim_profile, settings, clips, tmp_path, sleeps):
    sim.faults.add("truncate", route="download", match="/results/")
    events = await collect(
        run_generation(
            request([clips["a"]], duration=2),
            profile=sim_profile,
            settings=settings,
            api_key=SECRET,
            dest_dir=tmp_path / "v",
        )
    )
    assert isinstance(events[-1], Completed) and len(sleeps) == 1
    assert list((tmp_path / "v").iterdir()) == [events[-1].video_path]
    assert any(isinstance(e, Downloading) for e in events)


# ------------------------------------------------------------------ probe once per click


async def test_probed_once_is_not_probed_again_and_is_repriced(
    clips, profile, settings, result_bytes, monkeypatch
):
    probed = await check_references([str(clips["a"])], [], "720p", 5, profile, settings)

    def no_second_probe(*args, **kwargs):
        raise AssertionError("the job probed again")

    monkeypatch.setattr(media, "probe_local", no_second_probe)
    monkeypatch.setattr(media, "probe_url", no_second_probe)
    provider = FakeProvider(result_bytes, polls=[DONE])
    req = request([clips["a"]], duration=10, quality="1080p")
    events = await generate(req, provider, profile, settings, probed=probed)
    first = events[0]
    assert isinstance(first, Probed) and first.probes == probed.probes
    # priced for the request as sent (10 s at 1080p), not for the check's 5 s at 720p
    assert first.estimate.output_seconds == 10 and first.estimate.quality == "1080p"
    assert isinstance(events[-1], Completed)


async def test_probed_for_other_references_is_refused_before_anything_is_sent(clips, profile, settings):
    probed = await check_references([str(clips["a"])], [], "720p", 5, profile, settings)
    provider = FakeProvider(b"")
    events = await generate(request([clips["a"], clips["b"]]), provider, profile, settings, probed=probed)
    assert isinstance(events[-1], Failed) and events[-1].reason is FailureReason.UNEXPECTED
    assert not events[-1].charged and provider.log == []


# ------------------------------------------------------------------ callback addresses


@pytest.mark.parametrize(
    "callback",
    [
        "https://2130706433/cb",  # 127.0.0.1 as one number
        "https://127.1/cb",  # 127.0.0.1 shortened
        "https://0x7f.1/cb",  # 127.0.0.1 in hex
        "https://017700000001/cb",  # 127.0.0.1 in octal
    ],
)
async def test_numeric_callback_forms_are_refused_before_anything_is_sent(clips, profile, settings, callback):
    # Built without the schema's literal check: the job's own resolution check must refuse it.
    req = GenerationRequest.model_construct(
        prompt="character1 waves",
        videos=(str(clips["a"]),),
        video_urls=(),
        quality="720p",
        aspect_ratio="16:9",
        duration=5,
        shot_type="single",
        callback_url=callback,
    )
    provider = FakeProvider(b"")
    events = await generate(req, provider, profile, settings)
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.reason is FailureReason.REFUSED
    assert failed.suggestion.startswith("Callback URL: it points to a loopback address")
    assert provider.log == []  # nothing uploaded, nothing created


async def test_callback_name_that_resolves_inside_is_refused(clips, profile, settings, monkeypatch):
    import socket

    import wanvideo.urls as urls

    def resolver(host, port, *args, **kwargs):  # the resolver seam: this name points inside
        assert host == "hooks.example.com"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]

    monkeypatch.setattr(urls.socket, "getaddrinfo", resolver)
    provider = FakeProvider(b"")
    req = request([clips["a"]], callback_url="https://hooks.example.com/done")
    events = await generate(req, provider, profile, settings)
    assert isinstance(events[-1], Failed) and events[-1].reason is FailureReason.REFUSED
    assert "private or reserved address" in events[-1].suggestion and provider.log == []


async def test_public_callback_is_sent(clips, profile, settings, result_bytes, monkeypatch):
    import socket

    import wanvideo.urls as urls

    def resolver(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    monkeypatch.setattr(urls.socket, "getaddrinfo", resolver)
    provider = FakeProvider(result_bytes, polls=[DONE])
    req = request([clips["a"]], callback_url="https://hooks.example.com/done")
    events = await generate(req, provider, profile, settings)
    assert isinstance(events[-1], Completed)
    assert ("POST", "/v1/videos/generations") in provider.log
