"""Characters from photos and voices, and the generation controls, through gradio_client against
`python app.py` (issue 17): the app runs on DashScope's and on fal's dialect against a Simulator
started here, so the test reads what the provider received (the simulator's copy of each
create) and counts its creates."""

from __future__ import annotations

import math
import struct
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from tests.apprunner import RunningApp, start_app, stop_app
from tests.videos import make_video
from wanvideo.simulator import Simulator

from .conftest import FAST
from .test_api import files

KEY = "server-key-0123456789"


def _app(tmp: Path, sim: Simulator, provider: str) -> RunningApp:
    env = {
        "WAN_PROVIDER": provider,
        "WAN_API_KEY": KEY,
        "WAN_API_BASE_URL": sim.base_url,
        "WAN_FILES_BASE_URL": sim.base_url,
        **FAST,
    }
    return start_app(tmp, env, simulator=sim)


@pytest.fixture(scope="module")
def dashscope_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with Simulator(task_seconds=0.5, dialect="dashscope") as sim:
        app = _app(tmp_path_factory.mktemp("dashscope"), sim, "dashscope")
        yield app
        stop_app(app)


@pytest.fixture(scope="module")
def fal_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with Simulator(task_seconds=0.5, dialect="fal") as sim:
        app = _app(tmp_path_factory.mktemp("fal"), sim, "fal")
        yield app
        stop_app(app)


def _wav(path: Path, seconds: float) -> Path:
    rate = 16000
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(
            b"".join(struct.pack("<h", int(8000 * math.sin(i / 8))) for i in range(int(seconds * rate)))
        )
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("media")
    clear = Image.new("RGBA", (640, 480), (0, 0, 0, 0))
    clear.paste((200, 40, 40, 255), (160, 120, 480, 360))  # a red character on a transparent sheet
    clear.save(folder / "ghost.png")
    Image.new("RGB", (600, 800), (30, 120, 200)).save(folder / "bob.jpg", quality=90)
    (folder / "notes.png").write_text("not a picture at all\n" * 40)
    return {
        "video": make_video(folder / "alice.mp4", seconds=3, width=160, height=120, fps=24),
        "ghost": folder / "ghost.png",
        "photo": folder / "bob.jpg",
        "notes": folder / "notes.png",
        "voice": _wav(folder / "bob.wav", 3),
        "long_voice": _wav(folder / "long.wav", 20),
    }


def _args(**given: object) -> dict[str, object]:
    args: dict[str, object] = {"prompt": "character1 waves to character2", "duration": "5"}
    args.update(given)
    return args


def _last_sent(sim: Simulator) -> dict:
    """The body of the simulator's latest create (DashScope keeps it as `request`, fal as `input`)."""
    task = max(sim.tasks.values(), key=lambda t: t.created)
    return task.extra["request"] if "request" in task.extra else task.extra["input"]


def test_a_video_and_a_transparent_png_on_dashscope_with_seed_and_negative_prompt(
    dashscope_app: RunningApp, media: dict[str, Path]
) -> None:
    client = dashscope_app.client()
    est = client.predict(
        files(media["video"]), "", "720p", "5", True, "", "", "", files(media["ghost"]), api_name="/estimate"
    )
    assert est["ok"] is True, est["problems"]
    before = dashscope_app.simulator.stats.creates
    *_, record = client.predict(
        **_args(
            videos=files(media["video"]),
            images=files(media["ghost"]),
            seed=4242,
            negative_prompt="blurry, extra fingers",
        ),
        api_name="/generate",
    )
    assert record["status"] == "completed", record
    assert dashscope_app.simulator.stats.creates == before + 1
    sent = _last_sent(dashscope_app.simulator)
    refs = sent["input"]["reference_urls"]
    assert len(refs) == 2  # the video, then the photo (flattened: sent as a JPEG)
    assert sent["parameters"]["seed"] == 4242
    assert sent["input"]["negative_prompt"] == "blurry, extra fingers"


def test_a_photo_with_a_voice_on_wan27(dashscope_app: RunningApp, media: dict[str, Path]) -> None:
    client = dashscope_app.client()
    *_, record = client.predict(
        **_args(
            prompt="character1 says hello",
            images=files(media["photo"]),
            voices=files(media["voice"]),
            model="wan2.7",
            shot_type="single",
        ),
        api_name="/generate",
    )
    assert record["status"] == "completed", record
    sent = _last_sent(dashscope_app.simulator)
    assert sent["model"] == "wan2.7-r2v"
    media_items = sent["input"]["media"]
    assert [m["type"] for m in media_items] == ["reference_image"]
    assert media_items[0].get("reference_voice"), media_items  # the voice bound to its character


def test_bad_photos_voices_and_counts_are_refused_before_anything_is_created(
    dashscope_app: RunningApp, media: dict[str, Path]
) -> None:
    client = dashscope_app.client()
    sim = dashscope_app.simulator
    before = (sim.stats.creates, len(sim.tasks))
    cases = [
        (dict(images=files(media["notes"])), "is a text file, not an image"),
        (
            dict(images=files(media["photo"]), voices=files(media["long_voice"]), model="wan2.7"),
            "long.wav lasts 20.0 s; a voice must last 1 to 10 s",
        ),
        (
            dict(videos=files(media["video"]), images=files(*[media["photo"]] * 5)),
            "at most 5 in all: remove 1",
        ),
    ]
    for given, said in cases:
        with pytest.raises(AppError) as refused:
            client.predict(**_args(**given, fix_references=False), api_name="/generate")
        assert said in str(refused.value), str(refused.value)
    assert (sim.stats.creates, len(sim.tasks)) == before


def test_flash_without_audio_is_priced_and_sent_silent_with_an_image_on_fal(
    fal_app: RunningApp, media: dict[str, Path]
) -> None:
    client = fal_app.client()
    loud = client.predict(files(media["video"]), "", "720p", "5", True, "", "", "flash", api_name="/estimate")
    quiet = client.predict(
        files(media["video"]), "", "720p", "5", True, "", "", "flash", audio=False, api_name="/estimate"
    )
    assert loud["ok"] and quiet["ok"], (loud["problems"], quiet["problems"])
    assert 0 < quiet["usd"] < loud["usd"]
    *_, record = client.predict(
        **_args(
            videos=files(media["video"]),
            images=files(media["photo"]),
            model="flash",
            audio=False,
            seed=7,
        ),
        api_name="/generate",
    )
    assert record["status"] == "completed", record
    sent = _last_sent(fal_app.simulator)
    assert sent["generate_audio"] is False
    assert len(sent["image_urls"]) == 1 and len(sent["video_urls"]) == 1
    assert sent["seed"] == 7


def test_three_variations_are_priced_together_and_made_with_three_seeds(
    dashscope_app: RunningApp, media: dict[str, Path]
) -> None:
    """Issue 20: the estimate prices the batch (3 times one), /generate makes 3 tasks with
    3 different seeds, each with its own video."""
    client = dashscope_app.client()
    sim = dashscope_app.simulator
    one = client.predict(files(media["video"]), "", "720p", "5", api_name="/estimate")
    three = client.predict(files(media["video"]), "", "720p", "5", variations=3, api_name="/estimate")
    assert one["ok"] and three["ok"], (one["problems"], three["problems"])
    assert three["variations"] == 3 and three["usd"] == pytest.approx(3 * one["usd"])
    before = sim.stats.creates
    *_, record = client.predict(
        **_args(videos=files(media["video"]), seed=100, variations=3), api_name="/generate"
    )
    assert sim.stats.creates == before + 3
    assert record["status"] == "completed" and len(record["variations"]) == 3, record
    assert [v["seed"] for v in record["variations"]] == [100, 101, 102]
    assert all(v["status"] == "completed" and v["video_url"] for v in record["variations"])
    sent = sorted(sim.tasks.values(), key=lambda t: t.created)[-3:]
    assert sorted(t.extra["request"]["parameters"]["seed"] for t in sent) == [100, 101, 102]


def test_a_saved_character_is_used_by_name_and_uploaded_once_across_two_generations(
    dashscope_app: RunningApp, tmp_path: Path
) -> None:
    """Issue 20: /cast_add from a clip, /cast_list, then two generations naming it: two creates,
    its clip uploaded once (the provider's upload stays valid for 48 h)."""
    client = dashscope_app.client()
    sim = dashscope_app.simulator
    # A clip of its own: content another test uploaded would already be in the upload cache.
    clip = make_video(tmp_path / "alice.mp4", seconds=3, width=160, height=120, fps=24, color=(30, 160, 90))
    added, _cards = client.predict("Alice", handle_file(str(clip)), None, None, api_name="/cast_add")
    assert added["name"] == "Alice" and added["kind"] == "video"
    listed = client.predict(api_name="/cast_list")["characters"]
    assert [c["character_id"] for c in listed] == [added["character_id"]]
    est = client.predict(characters="alice", api_name="/estimate")
    assert est["ok"] is True and len(est["references"]) == 1, est["problems"]
    creates, seen = sim.stats.creates, len(sim.stats.requests)
    for _ in range(2):
        *_, record = client.predict(
            **_args(prompt="character1 waves", characters="Alice"), api_name="/generate"
        )
        assert record["status"] == "completed", record
    assert sim.stats.creates == creates + 2
    files_sent = [r for r in sim.stats.requests[seen:] if r[1] == "/dashscope-file"]  # the OSS POSTs
    assert len(files_sent) == 1  # (stats.uploads counts the getPolicy call too)
    with pytest.raises(AppError) as refused:  # a name that is not in the cast
        client.predict(**_args(characters="Bob"), api_name="/generate")
    assert "Your cast has no character 'Bob'" in str(refused.value)
    assert sim.stats.creates == creates + 2
