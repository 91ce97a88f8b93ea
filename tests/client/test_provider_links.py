"""Links a provider calls on the app, over real HTTP on 127.0.0.1 (`wanvideo/links.py`).

- DashScope Virginia has no upload: with a public address the app serves the reference itself
  and the simulator fetches it from there (through netguard, allowed onto 127.0.0.1 only by
  the simulator's and the app's test switch `allow_private_urls`).
- EvoLink's `callback_url` and fal's `fal_webhook` wake the watcher: the task is saved without
  waiting for the next scheduled poll; a forged token or body changes nothing.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from tests.client.appserver import AppServer
from tests.videos import make_video
from wanvideo.events import Completed
from wanvideo.links import REFERENCE_ROUTE, WAKE_ROUTE
from wanvideo.schemas import GenerationRequest
from wanvideo.settings import load_settings
from wanvideo.simulator import Simulator
from wanvideo.store import COMPLETED, LINK_REFERENCE, LINK_WAKE, TaskStore
from wanvideo.timings import REFERENCE_MARGIN
from wanvideo.watcher import TaskManager

OWNER = "anon:" + "e" * 32
DASHSCOPE_KEY = "sk-dashscope-0123456789abcdef"
FAL_KEY = "fal-key-0123456789abcdef"


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return make_video(tmp_path / "ref.mp4", seconds=3, fps=16)


def _settings(tmp_path: Path, app: AppServer | None, **extra: str):
    env = {
        "WAN_DATA_DIR": str(tmp_path / "data"),
        "WAN_ALLOW_PRIVATE_URLS": "true",  # the test switch: the app's address is 127.0.0.1
        "WAN_RETRY_BASE_DELAY": "0.05",
        "WAN_RETRY_MAX_DELAY": "0.2",
        **extra,
    }
    if app is not None:
        env["WAN_PUBLIC_URL"] = app.base_url
    return load_settings(env)


def _evolink_settings(tmp_path: Path, app: AppServer | None, sim: Simulator, **extra: str):
    """EvoLink on the server's key, pointed at `sim` (API and file host)."""
    return _settings(
        tmp_path,
        app,
        WAN_PROVIDER="evolink",
        WAN_API_KEY="server-key",
        WAN_API_BASE_URL=sim.base_url,
        WAN_FILES_BASE_URL=sim.base_url,
        **extra,
    )


def _manager(settings, app: AppServer | None) -> TaskManager:
    manager = TaskManager(settings, TaskStore(settings.data_dir / "tasks.sqlite3")).start()
    if app is not None:
        app.links = manager
    return manager


async def _final(manager: TaskManager, record_id: str, timeout: float = 60):
    async def run():
        last = None
        async for event in manager.follow(record_id, OWNER, refresh=0.2):
            last = event
        return last

    return await asyncio.wait_for(run(), timeout)


def _polls(sim: Simulator, task_id: str) -> int:
    """Reads of the task's status (EvoLink: /v1/tasks/<id>; fal: .../requests/<id>/status)."""
    return sum(
        1
        for method, path, _ in sim.stats.requests
        if method == "GET" and (path.endswith("/" + task_id) or path.endswith(f"/{task_id}/status"))
    )


# ---------------------------------------------------------------- served references


async def test_virginia_fetches_the_reference_the_app_serves(tmp_path, clip):
    with (
        AppServer() as app,
        Simulator(task_seconds=0.5, dialect="dashscope", region="virginia", allow_private_urls=True) as sim,
    ):
        settings = _settings(
            tmp_path,
            app,
            WAN_PROVIDER="dashscope",
            WAN_DASHSCOPE_REGION="virginia",
            WAN_API_KEY=DASHSCOPE_KEY,
            WAN_API_BASE_URL=sim.base_url,
            WAN_POLL_MIN_INTERVAL="0.1",
        )
        manager = _manager(settings, app)
        try:
            assert manager.profile.served_files and not manager.profile.local_files
            record = manager.submit(
                GenerationRequest(prompt="character1 waves", videos=(str(clip),), duration=5), owner=OWNER
            )
            final = await _final(manager, record.id)
            assert isinstance(final, Completed), final
            saved = manager.store.get(record.id)
            [sent] = sim.tasks[saved.task_id].video_urls
            assert sent.startswith(f"{app.base_url}/{REFERENCE_ROUTE}/")
            token = sent.rsplit("/", 1)[1]
            assert len(token) >= 40
            assert sim.stats.uploads == 0  # nothing went through an upload API
            # The simulator fetched it from the app (through netguard), the whole file.
            assert [h for h in app.hits if h[0] == "GET" and h[1].endswith(token)]
            # It works until the task's creation + the margin, for exactly that file, with Range.
            [link] = manager.store.links_for(record.id, LINK_REFERENCE)
            assert link.expires_at == pytest.approx(saved.submitted_at + REFERENCE_MARGIN, abs=1)
            data = clip.read_bytes()
            async with httpx.AsyncClient() as http:
                whole = await http.get(sent)
                assert whole.status_code == 200 and whole.content == data
                part = await http.get(sent, headers={"Range": "bytes=100-199"})
                assert part.status_code == 206 and part.content == data[100:200]
                assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
                wrong = await http.get(f"{app.base_url}/{REFERENCE_ROUTE}/{token[:-1]}x")
                assert wrong.status_code == 404
                # A wake token is no reference token (nor the other way round).
                for wake in manager.store.links_for(record.id, LINK_WAKE):
                    assert (
                        await http.get(f"{app.base_url}/{REFERENCE_ROUTE}/{wake.token}")
                    ).status_code == 404
                # After the margin: 404, the same answer as for a token that never existed.
                manager.links.clock = lambda: time.time() + REFERENCE_MARGIN + 5
                assert (await http.get(sent)).status_code == 404
        finally:
            manager.stop()


async def test_a_refused_create_revokes_the_served_reference(tmp_path, clip):
    with (
        AppServer() as app,
        Simulator(
            task_seconds=0.5,
            dialect="dashscope",
            region="virginia",
            allow_private_urls=True,
            api_keys={DASHSCOPE_KEY},
        ) as sim,
    ):
        settings = _settings(
            tmp_path,
            app,
            WAN_PROVIDER="dashscope",
            WAN_DASHSCOPE_REGION="virginia",
            WAN_API_KEY="sk-not-a-key-of-this-simulator",  # 401 InvalidApiKey: no task
            WAN_API_BASE_URL=sim.base_url,
        )
        manager = _manager(settings, app)
        try:
            record = manager.submit(
                GenerationRequest(prompt="character1 waves", videos=(str(clip),), duration=5), owner=OWNER
            )
            final = await _final(manager, record.id)
            assert not isinstance(final, Completed) and sim.stats.tasks_created == 0
            [link] = manager.store.links_for(record.id, LINK_REFERENCE)
            async with httpx.AsyncClient() as http:
                url = f"{app.base_url}/{REFERENCE_ROUTE}/{link.token}"
                assert (await http.get(url)).status_code == 404
        finally:
            manager.stop()


# ---------------------------------------------------------------- wake-up callbacks


@pytest.mark.parametrize("dialect", ["string", "fal"])
async def test_a_callback_saves_the_task_before_the_next_scheduled_poll(tmp_path, clip, dialect):
    with AppServer() as app, Simulator(task_seconds=1.0, dialect=dialect, allow_private_urls=True) as sim:
        provider = {"string": "evolink", "fal": "fal"}[dialect]
        settings = _settings(
            tmp_path,
            app,
            WAN_PROVIDER=provider,
            WAN_API_KEY=FAL_KEY,
            WAN_API_BASE_URL=sim.base_url,
            WAN_FILES_BASE_URL=sim.base_url,
            # Scheduled polls 60 s apart: only the callback can make this quick.
            WAN_POLL_MIN_INTERVAL="60",
            WAN_POLL_MAX_INTERVAL="120",
        )
        manager = _manager(settings, app)
        try:
            started = time.monotonic()
            record = manager.submit(
                GenerationRequest(prompt="character1 waves", videos=(str(clip),), duration=5), owner=OWNER
            )
            final = await _final(manager, record.id, timeout=30)
            took = time.monotonic() - started
            assert isinstance(final, Completed), final
            assert took < 20, f"saved after {took:.1f} s: the callback did not wake the watch"
            saved = manager.store.get(record.id)
            [wake] = manager.store.links_for(record.id, LINK_WAKE)
            task = sim.tasks[saved.task_id]
            assert task.callback_url == f"{app.base_url}/{WAKE_ROUTE}/{wake.token}"
            assert [s for _, url, s in sim.stats.callbacks if url == task.callback_url] == [204]
            assert _polls(sim, saved.task_id) <= 2
        finally:
            manager.stop()


async def test_a_visitors_own_callback_is_sent_instead(tmp_path, clip):
    with AppServer() as app, Simulator(task_seconds=0.5, dialect="string", allow_private_urls=True) as sim:
        settings = _evolink_settings(
            tmp_path,
            app,
            sim,
            WAN_POLL_MIN_INTERVAL="0.1",
        )
        manager = _manager(settings, app)
        try:
            own = "https://hooks.example.com/wan"
            record = manager.submit(
                GenerationRequest(
                    prompt="character1 waves", videos=(str(clip),), duration=5, callback_url=own
                ),
                owner=OWNER,
            )
            assert isinstance(await _final(manager, record.id), Completed)
            saved = manager.store.get(record.id)
            assert sim.tasks[saved.task_id].callback_url == own  # polled only
        finally:
            manager.stop()


async def test_forged_tokens_and_bodies_change_nothing_and_a_flood_polls_little(tmp_path, clip):
    with AppServer() as app, Simulator(task_seconds=30.0, dialect="string", allow_private_urls=True) as sim:
        settings = _evolink_settings(
            tmp_path,
            app,
            sim,
            WAN_POLL_MIN_INTERVAL="60",
            WAN_POLL_MAX_INTERVAL="120",
        )
        manager = _manager(settings, app)
        try:
            record = manager.submit(
                GenerationRequest(prompt="character1 waves", videos=(str(clip),), duration=5), owner=OWNER
            )
            deadline = time.monotonic() + 30
            while (manager.store.get(record.id).task_id is None) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            task_id = manager.store.get(record.id).task_id
            assert task_id
            await asyncio.sleep(0.5)  # past the create's own first look
            [wake] = manager.store.links_for(record.id, LINK_WAKE)
            url = f"{app.base_url}/{WAKE_ROUTE}/{wake.token}"
            claim = {
                "id": task_id,
                "status": "completed",
                "progress": 100,
                "results": ["https://evil.test/x.mp4"],
            }
            async with httpx.AsyncClient() as http:
                before = _polls(sim, task_id)
                # Unknown and forged tokens: 404, no poll.
                for bad in ("nope", wake.token[:-2] + "xx", "../" + wake.token):
                    answer = await http.post(f"{app.base_url}/{WAKE_ROUTE}/{bad}", json=claim)
                    assert answer.status_code == 404
                await asyncio.sleep(0.5)
                assert _polls(sim, task_id) == before
                # The valid token with a body that says "completed": one poll, the truth wins.
                assert (await http.post(url, json=claim)).status_code == 204
                await _until(lambda: _polls(sim, task_id) == before + 1)
                await asyncio.sleep(0.3)
                saved = manager.store.get(record.id)
                assert saved.status != COMPLETED and not saved.is_final and saved.result_url is None
                # A flood within the rate window: answered, but no more polls.
                answers = await asyncio.gather(*(http.post(url, content=b"x" * 100) for _ in range(40)))
                assert {a.status_code for a in answers} == {204}
                await asyncio.sleep(0.5)
                assert _polls(sim, task_id) == before + 1
        finally:
            manager.stop()


async def _until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


# ---------------------------------------------------------------- prepared references, served


class _BookLinks:
    """The provider's routes answered from a LinkBook (what the TaskManager does)."""

    def __init__(self, book) -> None:  # noqa: ANN001
        self.book = book

    def served_reference(self, token: str) -> Path | None:
        return self.book.reference_path(token)

    def wake_by_token(self, token: str) -> bool:
        return self.book.wake_record(token)[0]


async def test_a_prepared_link_reference_is_served_or_refused_before_anything_is_sent(tmp_path):
    from tests.unit.fileserver import ServerState, serve
    from wanvideo.events import Failed, FailureReason, Preparing
    from wanvideo.job import run_generation
    from wanvideo.links import PREPARED_NOT_SERVABLE, LinkBook
    from wanvideo.media.clips import PreparedClips, default_clips, use_clips
    from wanvideo.providers import effective_profile

    long_take = make_video(tmp_path / "take.mkv", 35, width=64, height=48, fps=20)
    before = default_clips()
    use_clips(PreparedClips(tmp_path / "prepared"))
    try:
        with (
            serve(ServerState(files={"/take.mkv": long_take})) as files,
            AppServer() as app,
            Simulator(
                task_seconds=0.3, dialect="dashscope", region="virginia", allow_private_urls=True
            ) as sim,
        ):
            env = {
                "WAN_PROVIDER": "dashscope",
                "WAN_DASHSCOPE_REGION": "virginia",
                "WAN_API_KEY": DASHSCOPE_KEY,
                "WAN_API_BASE_URL": sim.base_url,
                "WAN_POLL_MIN_INTERVAL": "0.05",
            }
            request = GenerationRequest(
                prompt="character1 waves", video_urls=(f"{files}/take.mkv",), duration=5
            )

            # No public address: refused before preparing, uploading or creating anything.
            plain = _settings(tmp_path / "a", None, **env)
            events = [
                e
                async for e in run_generation(
                    request, profile=effective_profile(plain), settings=plain, api_key=DASHSCOPE_KEY
                )
            ]
            assert isinstance(events[-1], Failed) and events[-1].reason is FailureReason.REFUSED
            assert events[-1].suggestion == PREPARED_NOT_SERVABLE.format(
                provider=effective_profile(plain).label
            )
            assert not [e for e in events if isinstance(e, Preparing)] and sim.stats.creates == 0

            # With one: the prepared clip (trimmed to 30 s, MP4) is served to the provider.
            served = _settings(tmp_path / "b", app, **env)
            book = LinkBook(TaskStore(tmp_path / "links.sqlite3"), served.public_base_url)
            app.links = _BookLinks(book)
            events = [
                e
                async for e in run_generation(
                    request,
                    profile=effective_profile(served),
                    settings=served,
                    api_key=DASHSCOPE_KEY,
                    links=book.for_record("r1"),
                    dest_dir=tmp_path / "out",
                )
            ]
            assert isinstance(events[-1], Completed), events[-1]
            [task] = sim.tasks.values()
            [sent] = task.video_urls
            assert sent.startswith(f"{app.base_url}/{REFERENCE_ROUTE}/")
            assert 29 <= task.reference_durations[0] <= 30.5  # the simulator read the prepared clip
            path = book.reference_path(sent.rsplit("/", 1)[1])
            assert path is not None and path != long_take.resolve() and path.suffix == ".mp4"
    finally:
        use_clips(before)


async def test_the_wake_token_works_after_a_restart(tmp_path, clip):
    with AppServer() as app, Simulator(task_seconds=4.0, dialect="fal", allow_private_urls=True) as sim:
        settings = _settings(
            tmp_path,
            app,
            WAN_PROVIDER="fal",
            WAN_API_KEY=FAL_KEY,
            WAN_API_BASE_URL=sim.base_url,
            WAN_FILES_BASE_URL=sim.base_url,
            WAN_POLL_MIN_INTERVAL="60",
            WAN_POLL_MAX_INTERVAL="120",
        )
        first = _manager(settings, app)
        record = first.submit(
            GenerationRequest(prompt="character1 waves", videos=(str(clip),), duration=5), owner=OWNER
        )
        await _until(lambda: first.store.get(record.id).task_id is not None, timeout=30)
        first.stop()  # before the task ends: its callback reaches the next process
        second = _manager(settings, app)
        try:
            started = time.monotonic()
            final = await _final(second, record.id, timeout=40)
            assert isinstance(final, Completed), final
            assert time.monotonic() - started < 20  # not the 60 s scheduled poll
            [wake] = second.store.links_for(record.id, LINK_WAKE)
            assert [s for _, url, s in sim.stats.callbacks] == [204]
            assert sim.tasks[second.store.get(record.id).task_id].callback_url.endswith(wake.token)
        finally:
            second.stop()


async def test_a_visitor_chosen_provider_without_upload_gets_its_references_served(tmp_path, clip):
    from wanvideo.providers import get_profile

    with (
        AppServer() as app,
        Simulator(task_seconds=0.3, dialect="dashscope", region="virginia", allow_private_urls=True) as sim,
    ):
        settings = _settings(tmp_path, app, WAN_PROVIDER="evolink", WAN_API_KEY="server-key")
        manager = _manager(settings, app)
        try:
            chosen = get_profile("dashscope", "virginia").with_overrides(api_base_url=sim.base_url)
            assert not chosen.served_files  # the bare profile knows nothing of this app
            record = manager.submit(
                GenerationRequest(prompt="character1 waves", videos=(str(clip),), duration=5),
                owner=OWNER,
                api_key=DASHSCOPE_KEY,
                profile=chosen,
            )
            assert isinstance(await _final(manager, record.id), Completed)
            [task] = sim.tasks.values()
            assert task.video_urls[0].startswith(f"{app.base_url}/{REFERENCE_ROUTE}/")
        finally:
            manager.stop()


async def test_with_a_callback_expected_polling_is_only_the_fallback(tmp_path, clip):
    """Same task, same schedule bounds: with the app's wake-up sent, polls come at most every
    WAN_POLL_MAX_INTERVAL; without it, the adaptive schedule polls more often."""
    polls = {}
    for callbacks in (False, True):
        with (
            AppServer() as app,
            Simulator(task_seconds=3.0, dialect="string", allow_private_urls=True) as sim,
        ):
            settings = _evolink_settings(
                tmp_path / str(callbacks),
                app if callbacks else None,
                sim,
                WAN_POLL_MIN_INTERVAL="0.1",
                WAN_POLL_MAX_INTERVAL="2.5",
            )
            manager = _manager(settings, app if callbacks else None)
            try:
                record = manager.submit(
                    GenerationRequest(prompt="character1 waves", videos=(str(clip),), duration=5), owner=OWNER
                )
                assert isinstance(await _final(manager, record.id), Completed)
                polls[callbacks] = _polls(sim, manager.store.get(record.id).task_id)
            finally:
                manager.stop()
    assert polls[True] <= 2 < polls[False], polls
