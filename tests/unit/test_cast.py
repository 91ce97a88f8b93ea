"""The cast (wanvideo/cast.py): characters added from real files, checked and fixed as a
generation would (a clip converted, a photo fixed, a voice converted), names, the limit,
owner isolation and deletion, on both engines (`store`), and one on S3."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from tests.engines.s3 import S3Server, s3_server  # noqa: F401  (the fixture)
from tests.images import make_photo, make_sound
from tests.videos import make_video
from wanvideo import cast as cast_module
from wanvideo.cast import IMAGE, VIDEO, Cast, CastError, owner_folder
from wanvideo.media import PreparedClips, default_clips, use_clips
from wanvideo.providers import WAN27, get_profile
from wanvideo.settings import Settings, load_settings
from wanvideo.storage import LocalStorage, open_storage
from wanvideo.store import TaskStoreBase
from wanvideo.store.cast import Added, Character

PICK = get_profile("demo").with_model(WAN27)  # takes videos, images and voices


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cast")
    (d / "notes.mp4").write_text("not a video\n" * 40)
    return {
        "clip.mkv": make_video(d / "clip.mkv", 2, width=64, height=48),
        "clear.png": make_photo(d / "clear.png", (320, 240), alpha=True),
        "hello.m4a": make_sound(d / "hello.m4a", 2),
        "notes.mp4": d / "notes.mp4",
    }


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings({"WAN_PROVIDER": "demo", "WAN_DATA_DIR": str(tmp_path / "data")})


@pytest.fixture(autouse=True)
def clips(tmp_path: Path) -> Iterator[PreparedClips]:
    before = default_clips()
    mine = PreparedClips(tmp_path / "prepared")
    use_clips(mine)
    yield mine
    use_clips(before)


def add(cast: Cast, owner: str, name: str, path: Path, kind: str, voice: Path | None = None) -> Character:
    return asyncio.run(cast.add(owner, name, path, kind, voice, profile=PICK))


def refusal(exc: pytest.ExceptionInfo[CastError]) -> str:
    return str(getattr(exc.value.message, "id", exc.value.message))


def test_a_clip_and_a_photo_with_a_voice_are_kept_as_they_will_be_sent(
    store: TaskStoreBase, settings: Settings, inputs: dict[str, Path]
) -> None:
    storage = LocalStorage(settings.data_dir)
    cast = Cast(store, storage, settings)
    clip = add(cast, "anon:a", "Anna", inputs["clip.mkv"], VIDEO)
    assert clip.key.startswith(f"cast/{owner_folder('anon:a')}/{clip.id}") and clip.key.endswith(".mp4")
    [path] = cast.materialize("anon:a", ["anna"])  # by name, any case
    assert path == storage.path(clip.key) and path.is_file()
    with av.open(str(path)) as container:  # converted from Matroska: what a generation sends
        assert "mp4" in container.format.name
    photo = add(cast, "anon:a", "Bo", inputs["clear.png"], IMAGE, inputs["hello.m4a"])
    assert photo.key.endswith(".jpg") and photo.voice_key and photo.voice_key.endswith(".wav")
    assert [c.name for c in cast.list("anon:a")] == ["Anna", "Bo"]
    assert cast.materialize("anon:a", [photo.id, "ANNA"]) == [storage.path(photo.key), path]
    assert cast.voices("anon:a", ["Bo", "Anna"]) == [storage.path(photo.voice_key), None]


def test_names_the_limit_and_a_bad_file_are_refused(
    store: TaskStoreBase, settings: Settings, inputs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cast = Cast(store, LocalStorage(settings.data_dir), settings)
    for name, word in (("  ", "cast.name_empty"), ("x" * 41, "cast.name_too_long")):
        with pytest.raises(CastError) as exc:
            add(cast, "anon:a", name, inputs["clear.png"], IMAGE)
        assert refusal(exc) == word
    with pytest.raises(CastError) as exc:
        add(cast, "anon:a", "Notes", inputs["notes.mp4"], VIDEO)
    assert refusal(exc) == "cast.refused"
    monkeypatch.setattr(cast_module, "MAX_CAST_CHARACTERS", 1)
    add(cast, "anon:a", "Bo", inputs["clear.png"], IMAGE)
    with pytest.raises(CastError) as exc:
        add(cast, "anon:a", "bO", inputs["clear.png"], IMAGE)
    assert refusal(exc) == "cast.full"
    monkeypatch.setattr(cast_module, "MAX_CAST_CHARACTERS", 5)
    with pytest.raises(CastError) as exc:
        add(cast, "anon:a", " bO ", inputs["clear.png"], IMAGE)
    assert refusal(exc) == "cast.name_taken"
    assert [c.name for c in cast.list("anon:a")] == ["Bo"]
    kept = {p.name for p in (settings.data_dir / "cast").rglob("*")}
    assert kept == {Path(cast.list("anon:a")[0].key).name, owner_folder("anon:a")}  # no refused one


def test_the_store_adds_atomically_and_scopes_every_read(store: TaskStoreBase) -> None:
    one = Character.new("anon:a", "Anna", VIDEO, "cast/x/1.mp4", None)
    assert store.add_character(one, 2) is Added.ADDED
    assert store.add_character(Character.new("anon:a", "ANNA", VIDEO, "k", None), 2) is Added.NAME_TAKEN
    assert store.add_character(Character.new("anon:b", "Anna", VIDEO, "k", None), 2) is Added.ADDED
    assert store.add_character(Character.new("anon:a", "Bo", VIDEO, "k", None), 2) is Added.ADDED
    assert store.add_character(Character.new("anon:a", "Cy", VIDEO, "k", None), 2) is Added.FULL
    assert store.character("anon:b", one.id) is None and store.delete_character("anon:b", one.id) is None
    assert store.character("anon:a", one.id) == one


def test_owners_are_isolated_and_delete_removes_the_files(
    store: TaskStoreBase, settings: Settings, inputs: dict[str, Path]
) -> None:
    storage = LocalStorage(settings.data_dir)
    cast = Cast(store, storage, settings)
    mine = add(cast, "anon:a", "Bo", inputs["clear.png"], IMAGE, inputs["hello.m4a"])
    assert cast.list("anon:b") == []
    for attempt in (lambda: cast.get("anon:b", mine.id), lambda: cast.materialize("anon:b", ["Bo"])):
        with pytest.raises(CastError) as exc:
            attempt()
        assert refusal(exc) == "cast.not_found"
    assert cast.delete("anon:b", mine.id) is False and storage.exists(mine.key)
    assert cast.delete("anon:a", mine.id) is True
    assert not storage.exists(mine.key) and mine.voice_key and not storage.exists(mine.voice_key)
    assert cast.list("anon:a") == []


def test_on_s3_a_character_is_read_back_into_a_private_cache(
    s3_server: S3Server,  # noqa: F811
    settings: Settings,
    inputs: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wanvideo.store import TaskStore

    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    bucket = s3_server.new_bucket()
    storage = open_storage(f"s3://{bucket}/space", settings.data_dir)
    store = TaskStore(tmp_path / "tasks.sqlite3")
    cast = Cast(store, storage, settings)
    mine = add(cast, "anon:a", "Bo", inputs["clear.png"], IMAGE)
    assert storage.local_path(mine.key) is None and storage.exists(mine.key)
    [path] = cast.materialize("anon:a", ["Bo"])
    assert path.read_bytes()[:3] == b"\xff\xd8\xff"  # the fixed JPEG, downloaded
    assert (path.parent.stat().st_mode & 0o777) == 0o700
    assert cast.delete("anon:a", mine.id) and not storage.exists(mine.key) and not path.exists()
    store.close()
