"""Preparing references inside a generation, against the simulator over real HTTP: a WebM,
a rotated phone clip and a 45 s MKV link are prepared, uploaded and sent in one create, and
the simulator's own reference checks (every dialect) accept each prepared file."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.client.helpers import fast_settings
from tests.unit.fileserver import ServerState, serve
from tests.videos import make_video
from wanvideo.events import Completed, Failed, FailureReason, Preparing, Probed, Uploading
from wanvideo.job import check_references, run_generation
from wanvideo.media.clips import PreparedClips, default_clips, use_clips
from wanvideo.media.prepare import Step
from wanvideo.providers import get_profile
from wanvideo.schemas import GenerationRequest
from wanvideo.simulator import Simulator, dashscope_rules, fal_rules
from wanvideo.simulator.references import MediaLimits, _check

FPS = 20  # fal's dialect wants at least 16 fps


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("sources")
    small = {"width": 96, "height": 64, "fps": FPS}
    return {
        "webm": make_video(d / "screen.webm", 3, video_codec="libvpx-vp9", **small),
        "phone": make_video(d / "phone.mp4", 3, rotation=90, **small),
        "long": make_video(d / "take.mkv", 45, width=64, height=48, fps=FPS),
        "plain": make_video(d / "plain.mp4", 3, **small),
    }


@pytest.fixture
def clips(tmp_path: Path) -> Iterator[PreparedClips]:
    before = default_clips()
    mine = PreparedClips(tmp_path / "prepared")
    use_clips(mine)
    yield mine
    use_clips(before)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(task_seconds=0.3) as simulator:
        yield simulator


@pytest.fixture
def settings(tmp_path: Path):  # noqa: ANN201
    return fast_settings(tmp_path, WAN_ALLOW_PRIVATE_URLS="true")


@pytest.fixture
def files(sources: dict[str, Path]) -> Iterator[str]:
    with serve(ServerState(files={"/take.mkv": sources["long"]})) as base:
        yield base


async def collect(events) -> list:  # noqa: ANN001
    return [e async for e in events]


def test_every_dialect_accepts_the_prepared_files(
    sim: Simulator, clips: PreparedClips, settings, sources: dict[str, Path], files: str, tmp_path: Path
) -> None:  # noqa: ANN001
    profile = get_profile("demo").with_overrides(api_base_url=sim.base_url, files_base_url=sim.base_url)
    request = GenerationRequest(
        prompt="character1 talks to character2 while character3 listens",
        videos=(str(sources["webm"]), str(sources["phone"])),
        video_urls=(f"{files}/take.mkv",),
        duration=2,
        reference_starts=(0, 0, 12.5),
    )
    events = asyncio.run(
        collect(
            run_generation(request, profile=profile, settings=settings, api_key=None, dest_dir=tmp_path / "v")
        )
    )
    probed = events[0]
    assert isinstance(probed, Probed) and probed.problems == ()
    assert [p.notes() for p in probed.plans] == [
        ("converted from WebM",),
        ("rotated to portrait",),
        ("converted from MKV", "trimmed to 12.5-42.5 s"),
    ]
    assert probed.sent_durations == [pytest.approx(3.0, abs=0.05), pytest.approx(3.0, abs=0.05), 30.0]
    # Billed as sent: the 45 s take counts as its 30 s window, then the 3-reference cap.
    assert [r.billed for r in probed.estimate.references] == [Decimal("1.65")] * 3
    assert isinstance(events[-1], Completed), events[-1]

    preparing = [e for e in events if isinstance(e, Preparing)]
    assert {e.index for e in preparing} == {1, 2, 3}
    for index in (1, 2, 3):
        percents = [e.percent for e in preparing if e.index == index]
        assert percents[0] == 0 and percents[-1] == 100 and percents == sorted(percents)
    uploads = [e for e in events if isinstance(e, Uploading)]
    assert {e.count for e in uploads} == {3}  # the link was prepared, so it is uploaded like a file
    assert (sim.stats.uploads, sim.stats.creates) == (3, 1)
    task = sim.tasks[events[-1].task_id]
    assert all(u.startswith(sim.base_url) for u in task.video_urls)

    made = sorted(Path(p) for p in clips.files)
    assert len(made) == 3
    dialects = [
        MediaLimits.from_contract(sim.config),
        dashscope_rules.REFERENCE_LIMITS,
        dashscope_rules.LEGACY_REFERENCE_LIMITS,
        fal_rules.STANDARD.videos,
    ]
    for path in made:
        for limits in dialects:
            kind, seconds, _ = _check(0, path, limits)  # raises ReferenceRefused when refused
            assert kind == "video" and seconds <= 30.0


def test_stop_while_preparing_sends_nothing(
    sim: Simulator, clips: PreparedClips, settings, sources: dict[str, Path]
) -> None:  # noqa: ANN001
    profile = get_profile("demo").with_overrides(api_base_url=sim.base_url, files_base_url=sim.base_url)
    request = GenerationRequest(prompt="character1 waves", videos=(str(sources["webm"]),), duration=2)

    async def stop_at_first_preparing() -> list:
        seen = []
        events = run_generation(request, profile=profile, settings=settings, api_key=None)
        async with contextlib.aclosing(events):
            async for event in events:
                seen.append(event)
                if isinstance(event, Preparing):
                    break  # Stop: the consumer closes the job
        return seen

    seen = asyncio.run(stop_at_first_preparing())
    assert isinstance(seen[-1], Preparing)
    assert (sim.stats.uploads, sim.stats.creates) == (0, 0)


def test_fixing_off_refuses_as_before(
    sim: Simulator, clips: PreparedClips, settings, sources: dict[str, Path]
) -> None:  # noqa: ANN001
    profile = get_profile("demo").with_overrides(api_base_url=sim.base_url, files_base_url=sim.base_url)
    request = GenerationRequest(
        prompt="character1 waves", videos=(str(sources["webm"]),), duration=2, fix_references=False
    )
    events = asyncio.run(collect(run_generation(request, profile=profile, settings=settings, api_key=None)))
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.reason is FailureReason.REFUSED
    assert failed.problems == ("screen.webm is a WebM video; upload an MP4 or MOV file",)
    assert not any(isinstance(e, Preparing) for e in events)
    assert (sim.stats.uploads, sim.stats.creates) == (0, 0)
    assert clips.files == set()


def test_no_clip_is_prepared_under_the_free_disk_floor(
    sim: Simulator, clips: PreparedClips, tmp_path: Path, sources: dict[str, Path]
) -> None:  # noqa: ANN001
    """Issue 15 item 3: fixing a clip writes a new file; under WAN_MIN_FREE_DISK_MB it is
    refused by name before anything is written, uploaded or created."""
    settings = fast_settings(tmp_path, WAN_MIN_FREE_DISK_MB=str(10**12))  # more than any disk
    profile = get_profile("demo").with_overrides(api_base_url=sim.base_url, files_base_url=sim.base_url)
    request = GenerationRequest(prompt="character1 waves", videos=(str(sources["webm"]),), duration=2)
    events = asyncio.run(collect(run_generation(request, profile=profile, settings=settings, api_key=None)))
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.reason is FailureReason.PREPARE_FAILED
    assert "WAN_MIN_FREE_DISK_MB" in str(failed.message)
    assert (sim.stats.uploads, sim.stats.creates) == (0, 0)
    assert clips.files == set() and not any(clips.root.rglob("*.mp4"))


def test_a_clip_that_needs_nothing_is_not_prepared(
    clips: PreparedClips, settings, sources: dict[str, Path]
) -> None:  # noqa: ANN001
    profile = get_profile("demo")
    probed = asyncio.run(check_references([str(sources["plain"])], [], "720p", 5, profile, settings))
    assert probed.plans[0].steps == () and probed.to_prepare == ()
    assert Step.TRIM not in probed.plans[0].steps


def test_delete_local_copy_removes_the_prepared_clips(
    sim: Simulator, clips: PreparedClips, sources: dict[str, Path], tmp_path: Path
) -> None:
    from wanvideo.job import prepare_step
    from wanvideo.store import TaskStore
    from wanvideo.watcher import TaskManager

    settings = fast_settings(
        tmp_path,
        WAN_PROVIDER="evolink",
        WAN_API_KEY="server-key",
        WAN_API_BASE_URL=sim.base_url,
        WAN_FILES_BASE_URL=sim.base_url,
    )
    manager = TaskManager(settings, TaskStore(settings.data_dir / "tasks.sqlite3"))
    owner = "anon:" + "c" * 32
    request = GenerationRequest(prompt="character1 waves", videos=(str(sources["webm"]),), duration=2)

    async def prepared() -> Probed:
        probed = await check_references(request.videos, [], "720p", 2, manager.profile, settings)
        steps = [s async for s in prepare_step(probed, request.videos, "720p", 2, manager.profile, settings)]
        assert isinstance(steps[-1], Probed)
        return steps[-1]

    probed = asyncio.run(prepared())
    (clip,) = probed.prepared
    assert clip is not None and clip.path.exists()
    manager.start()
    try:
        record = manager.submit(request, owner=owner, probed=probed)

        async def follow() -> list:
            return [e async for e in manager.follow(record.id, owner)]

        events = asyncio.run(asyncio.wait_for(follow(), 60))
        assert isinstance(events[-1], Completed), events[-1]
        assert sim.stats.uploads == 1  # the prepared clip, uploaded by the runner
        assert [f.original_name for f in sim.files.values()] == ["screen.mp4"]
        stored = manager.get(record.id, owner)
        assert stored is not None and stored.request["prepared_files"] == [str(clip.path)]
        assert manager.delete_video(record.id, owner)
        assert not clip.path.exists() and str(clip.path) not in clips.files
    finally:
        manager.stop()
