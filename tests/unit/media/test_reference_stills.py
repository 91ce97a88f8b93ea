"""check_references with images (files and links) and voices: probed, fixed, carried in Probed
with their cards, and left out of the bill (only input video seconds are billed)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.images import make_photo, make_sound
from tests.unit.fileserver import ServerState, serve
from tests.videos import make_video
from wanvideo.events import Probed
from wanvideo.job import check_references
from wanvideo.media import PreparedClips, default_clips, use_clips
from wanvideo.providers import WAN27, get_profile
from wanvideo.settings import Settings, load_settings

IMAGES_PICK = get_profile("demo").with_model(WAN27)  # a pick that takes images and voices


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("stills")
    (d / "notes.png").write_text("not a picture\n" * 40)
    return {
        "clip.mp4": make_video(d / "clip.mp4", 3, width=64, height=48),
        "phone.heic": make_photo(d / "phone.heic", (640, 480)),
        "plain.jpg": make_photo(d / "plain.jpg", (640, 480)),
        "clear.png": make_photo(d / "clear.png", (640, 480), alpha=True),
        "notes.png": d / "notes.png",
        "hello.m4a": make_sound(d / "hello.m4a", 2),
        "long.wav": make_sound(d / "long.wav", 12, rate=16_000),
    }


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        {"WAN_PROVIDER": "demo", "WAN_DATA_DIR": str(tmp_path / "data"), "WAN_ALLOW_PRIVATE_URLS": "true"}
    )


@pytest.fixture
def clips(tmp_path: Path) -> Iterator[PreparedClips]:
    before = default_clips()
    mine = PreparedClips(tmp_path / "prepared")
    use_clips(mine)
    yield mine
    use_clips(before)


@pytest.fixture
def server(inputs: dict[str, Path]) -> ServerState:
    return ServerState(files={f"/{name}": path for name, path in inputs.items()})


@pytest.fixture
def site(server: ServerState) -> Iterator[str]:
    with serve(server) as base:
        yield base


def check(inputs: dict[str, Path], settings: Settings, **kwargs: object) -> Probed:
    kwargs.setdefault("fix", True)
    videos = [str(inputs["clip.mp4"])]
    return asyncio.run(check_references(videos, [], "720p", 5, IMAGES_PICK, settings, **kwargs))  # type: ignore[arg-type]


def ids(messages: tuple[str, ...]) -> list[str]:
    return [getattr(m, "id", m) for m in messages]


def test_images_and_a_voice_are_probed_fixed_and_not_billed(
    inputs: dict[str, Path], settings: Settings, clips: PreparedClips, site: str, server: ServerState
) -> None:
    alone = check(inputs, settings)
    probed = check(
        inputs,
        settings,
        images=[str(inputs["phone.heic"])],
        image_urls=[f"{site}/plain.jpg", f"{site}/clear.png"],
        voices=[None, str(inputs["hello.m4a"])],
    )
    assert probed.problems == () and len(probed.image_probes) == 3
    heic, plain, clear = probed.image_cards
    assert (heic.name, heic.format, heic.width, heic.height) == ("phone.heic", "JPEG", 640, 480)
    assert ids(heic.notes) == ["image.note_converted"] and heic.problem is None
    assert (plain.format, plain.notes, probed.prepared_images[1]) == (
        "JPEG",
        (),
        None,
    )  # the link is sent as is
    assert probed.image_probes[2].is_remote and ids(clear.notes) == ["image.note_flattened"]
    made = probed.prepared_images[2]
    assert (
        made is not None and made.path.is_file() and str(made.path) in clips.files
    )  # downloaded, fixed, cleaned later
    assert not any(p.name.startswith("link-") for p in clips.root.iterdir())  # the download was removed
    # Voices by reference index over all 4 references (1 video + 3 images).
    assert len(probed.prepared_voices) == 4 and probed.prepared_voices[0] is None
    voice = probed.prepared_voices[1]
    assert voice is not None and voice.path.suffix == ".wav" and abs(voice.seconds - 2) < 0.1
    assert probed.estimate == alone.estimate  # images and voices are not billed
    # The next estimate reads the link's header again but does not download it again.
    again = check(inputs, settings, image_urls=[f"{site}/clear.png"])
    assert again.prepared_images == (made,)
    downloads = [hit for hit in server.log if hit.path == "/clear.png" and hit.range is None]
    assert len(downloads) == 1


def test_unusable_images_and_voices_are_problems_that_say_what_to_change(
    inputs: dict[str, Path], settings: Settings, clips: PreparedClips, site: str
) -> None:
    probed = check(
        inputs,
        settings,
        fix=False,
        images=[str(inputs["notes.png"]), str(inputs["clear.png"])],
        image_urls=[f"{site}/notes.png"],
        voices=[str(inputs["long.wav"])],
    )
    assert ids(probed.problems) == ["image.not_image", "image.alpha_off", "image.not_image", "voice.too_long"]
    assert probed.image_cards[0].problem == probed.problems[0]
    assert probed.prepared_images == (None, None, None) and probed.prepared_voices == (None,) * 4
    assert probed.estimate is not None  # the video is still priced


def test_more_references_than_any_pick_takes_are_refused_before_probing(
    inputs: dict[str, Path], settings: Settings
) -> None:
    images = [str(inputs["plain.jpg"])] * 5
    probed = check(inputs, settings, images=images, voices=[])
    assert probed.image_probes == () and probed.probes == ()
    assert (
        "6 references were given (videos and images); at most 5 can be used: remove 1" in probed.problems[0]
    )
    probed = check(inputs, settings, images=[str(inputs["plain.jpg"])], voices=["a", "b", "c"])
    assert probed.image_probes == () and "3 voices were given for 2 references" in probed.problems[0]


def test_images_alone_are_priced_on_the_output_seconds(
    inputs: dict[str, Path], settings: Settings, clips: PreparedClips
) -> None:
    probed = asyncio.run(
        check_references([], [], "720p", 5, IMAGES_PICK, settings, images=[str(inputs["plain.jpg"])])
    )
    assert probed.problems == () and probed.estimate is not None
    assert probed.estimate.input_seconds == 0 and probed.estimate.output_seconds == 5
