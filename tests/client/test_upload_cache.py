"""The provider upload cache over real HTTP: `run_generation` against the simulator (EvoLink's
contract) with the same clip twice uploads it once while the upload stays valid (on both
engines, the second run on another store object as another replica or a restart has), again
after it expires, again under another key, and keeps no key in the store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import wanvideo.transport as transport_mod
from tests.client.helpers import fast_settings
from tests.videos import make_video
from wanvideo.events import Completed
from wanvideo.job import run_generation
from wanvideo.job.uploads import REUSE_MARGIN, UploadCache, key_fingerprint, upload_scope
from wanvideo.providers import WAN27, get_profile
from wanvideo.schemas import GenerationRequest
from wanvideo.simulator import Simulator
from wanvideo.store import TaskStoreBase

KEY = "sk-upload-cache-0123456789abcdef"
OTHER_KEY = "sk-upload-cache-other-0123456789"


@pytest.fixture(autouse=True)
def no_sleeps(monkeypatch: pytest.MonkeyPatch) -> None:
    async def fake_sleep(seconds: float) -> None:
        return None

    monkeypatch.setattr(transport_mod, "retry_sleep", fake_sleep)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("reuse") / "alice.mp4", seconds=2, width=96, height=64, fps=24)


@pytest.fixture
def sim() -> Simulator:
    with Simulator(
        task_seconds=0.2, dialect="string", allow_private_urls=True, api_keys={KEY, OTHER_KEY}
    ) as sim:
        yield sim


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def generate(
    sim: Simulator, clip: Path, tmp_path: Path, cache: UploadCache, key: str = KEY
) -> list[str]:
    """One generation with `clip`; the video URLs the simulator's create received."""
    settings = fast_settings(tmp_path, WAN_ALLOW_PRIVATE_URLS="true")
    profile = get_profile("evolink").with_overrides(api_base_url=sim.base_url, files_base_url=sim.base_url)
    request = GenerationRequest(prompt="character1 waves", videos=(str(clip),), duration=5)
    events = [
        event
        async for event in run_generation(
            request, profile=profile, settings=settings, api_key=key, dest_dir=tmp_path / "out", uploads=cache
        )
    ]
    done = events[-1]
    assert isinstance(done, Completed), done
    return list(sim.tasks[done.task_id].extra["request"]["video_urls"])


async def test_the_same_clip_is_uploaded_once_while_valid_then_again(
    sim: Simulator, clip: Path, tmp_path: Path, open_store: Callable[[], TaskStoreBase]
) -> None:
    clock = Clock()
    one, two = open_store(), open_store()  # two replicas (or before and after a restart)
    first = await generate(sim, clip, tmp_path, UploadCache(one, clock=clock))
    assert sim.stats.uploads == 1
    second = await generate(sim, clip, tmp_path, UploadCache(two, clock=clock))
    assert sim.stats.uploads == 1 and second == first  # not uploaded again: the same URL sent
    lifetime = get_profile("evolink").upload_lifetime
    clock.now += lifetime - REUSE_MARGIN + 1  # it would expire too soon after this create
    third = await generate(sim, clip, tmp_path, UploadCache(two, clock=clock))
    assert sim.stats.uploads == 2 and third != first
    await generate(sim, clip, tmp_path, UploadCache(one, clock=clock), key=OTHER_KEY)
    assert sim.stats.uploads == 3  # another key's account: its own upload


async def test_without_a_cache_or_with_another_file_each_is_uploaded(
    sim: Simulator, clip: Path, tmp_path: Path, store: TaskStoreBase
) -> None:
    cache = UploadCache(store, clock=Clock())
    await generate(sim, clip, tmp_path, cache)
    other = make_video(tmp_path / "alice.mp4", seconds=2, width=96, height=64, fps=24, color=(10, 200, 10))
    await generate(sim, other, tmp_path, cache)
    assert sim.stats.uploads == 2  # same name, other content: uploaded
    await generate(sim, clip, tmp_path, None)  # type: ignore[arg-type]
    assert sim.stats.uploads == 3
    rows = store.db.conn().execute("SELECT * FROM uploads").fetchall()
    assert len(rows) == 2 and all(KEY not in " ".join(map(str, row)) for row in rows)


def test_an_upload_is_scoped_to_its_profile_and_where_bound_its_model() -> None:
    """DashScope's oss:// upload is usable only with the model of its policy [D4]; EvoLink's
    with any; a provider with no documented lifetime is never reused."""
    dashscope = get_profile("dashscope")
    assert upload_scope(dashscope) != upload_scope(dashscope.with_model(WAN27))
    evolink = get_profile("evolink")
    assert upload_scope(evolink) == upload_scope(evolink.with_model(WAN27)) == "evolink"
    assert upload_scope(evolink.model_copy(update={"upload_lifetime": 0.0})) is None
    assert KEY not in key_fingerprint(KEY) and key_fingerprint(KEY) != key_fingerprint(OTHER_KEY)


async def test_a_characters_clip_is_uploaded_once_across_two_generations(
    sim: Simulator, tmp_path: Path, store: TaskStoreBase
) -> None:
    """The cast and the cache together: a character added from a Matroska clip (converted as a
    generation would) feeds two generations by name; its prepared file is uploaded once."""
    from wanvideo.cast import VIDEO, Cast
    from wanvideo.storage import LocalStorage

    settings = fast_settings(tmp_path, WAN_ALLOW_PRIVATE_URLS="true")
    cast = Cast(store, LocalStorage(settings.data_dir), settings)
    source = make_video(tmp_path / "anna.mkv", seconds=2, width=96, height=64, fps=24)
    await cast.add("anon:a", "Anna", source, VIDEO, profile=get_profile("evolink"))
    cache = UploadCache(store, clock=Clock())
    [path] = cast.materialize("anon:a", ["anna"])
    first = await generate(sim, path, tmp_path, cache)
    [again] = cast.materialize("anon:a", ["Anna"])
    assert await generate(sim, again, tmp_path, cache) == first
    assert (sim.stats.uploads, sim.stats.creates) == (1, 2)
