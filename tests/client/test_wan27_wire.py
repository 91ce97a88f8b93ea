"""Issue 17 over real HTTP: image references, voices, Wan 2.7 and the generation controls, each
run by `run_generation` against the simulator's dialect on 127.0.0.1 and checked in what the
simulator received (its task record's copy of the request), which it validated with its own
rules (`wanvideo/simulator`, independent of the app's profiles)."""

from __future__ import annotations

import math
import struct
import wave
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from PIL import Image

import wanvideo.transport as transport_mod
from tests.client.helpers import fast_settings
from tests.videos import make_video
from wanvideo.events import Completed, Failed, FailureReason, Submitted, Uploading
from wanvideo.job import run_generation
from wanvideo.providers import effective_profile, get_profile
from wanvideo.schemas import GenerationRequest
from wanvideo.simulator import Simulator
from wanvideo.store import TaskRecord, TaskStore
from wanvideo.watcher.recorder import EventRecorder

KEY = "sk-wan27-0123456789abcdef"


def make_png(path: Path, size: tuple[int, int] = (320, 240)) -> Path:
    Image.new("RGB", size, (200, 120, 40)).save(path, format="PNG")
    return path


def make_wav(path: Path, seconds: float = 2.0, rate: int = 16000) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = (int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(int(seconds * rate)))
        out.writeframes(b"".join(struct.pack("<h", f) for f in frames))
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("wan27-media")
    return {
        "video": make_video(folder / "alice.mp4", seconds=3, width=96, height=64, fps=24),
        "png": make_png(folder / "bob.png"),
        "wav": make_wav(folder / "bob.wav"),
        "long_wav": make_wav(folder / "long.wav", seconds=20),
    }


@pytest.fixture(autouse=True)
def no_sleeps(monkeypatch):
    async def fake_sleep(seconds: float) -> None:
        return None

    monkeypatch.setattr(transport_mod, "retry_sleep", fake_sleep)


@pytest.fixture(scope="module")
def dashscope():
    with Simulator(task_seconds=0.3, dialect="dashscope", allow_private_urls=True, api_keys={KEY}) as sim:
        yield sim


@pytest.fixture(scope="module")
def evolink():
    with Simulator(task_seconds=0.3, dialect="string", allow_private_urls=True, api_keys={KEY}) as sim:
        yield sim


@pytest.fixture(scope="module")
def fal():
    with Simulator(task_seconds=0.3, dialect="fal", allow_private_urls=True, api_keys={KEY}) as sim:
        yield sim


def dashscope_setup(sim: Simulator, tmp_path: Path):
    settings = fast_settings(
        tmp_path, WAN_PROVIDER="dashscope", WAN_API_KEY=KEY, WAN_API_BASE_URL=sim.base_url
    )
    return settings, effective_profile(settings)


def fal_setup(sim: Simulator, tmp_path: Path):
    settings = fast_settings(
        tmp_path,
        WAN_PROVIDER="fal",
        WAN_API_KEY=KEY,
        WAN_API_BASE_URL=sim.base_url,
        WAN_FILES_BASE_URL=sim.base_url,
    )
    return settings, effective_profile(settings)


def evolink_setup(sim: Simulator, tmp_path: Path):
    settings = fast_settings(tmp_path, WAN_ALLOW_PRIVATE_URLS="true")
    return settings, get_profile("evolink").with_overrides(
        api_base_url=sim.base_url, files_base_url=sim.base_url
    )


async def run(request: GenerationRequest, profile, settings, tmp_path: Path) -> list:
    gen = run_generation(request, profile=profile, settings=settings, api_key=KEY, dest_dir=tmp_path / "out")
    return [event async for event in gen]


def finished(events: list) -> Completed:
    done = events[-1]
    assert isinstance(done, Completed), done
    return done


# ------------------------------------------------------------------ DashScope wan2.6: video + PNG


async def test_dashscope_26_takes_a_video_and_a_png_with_seed_and_negative_prompt(dashscope, media, tmp_path):
    settings, profile = dashscope_setup(dashscope, tmp_path)
    request = GenerationRequest(
        prompt="character1 hands character2 a cup",
        videos=(str(media["video"]),),
        images=(str(media["png"]),),
        duration=2,
        seed=424242,
        negative_prompt="blurry",
        watermark=True,
    )
    events = await run(request, profile, settings, tmp_path)
    done = finished(events)
    assert sum(1 for e in events if isinstance(e, Uploading) and e.bytes_sent == 0) == 2  # both uploaded
    record = dashscope.tasks[done.task_id]
    sent = record.extra["request"]
    refs = sent["input"]["reference_urls"]
    assert len(refs) == 2 and all(u.startswith("oss://") for u in refs)
    assert record.extra["reference_kinds"] == ["video", "image"]  # the simulator read the PNG as an image
    assert sent["input"]["prompt"] == "character1 hands character2 a cup"  # one character1..N sequence
    assert sent["input"]["negative_prompt"] == "blurry"
    assert sent["parameters"]["seed"] == 424242 and sent["parameters"]["watermark"] is True
    submitted = next(e for e in events if isinstance(e, Submitted))
    assert submitted.seed == 424242  # recorded as asked: DashScope documents no seed in its answer


async def test_dashscope_flash_without_audio_is_estimated_and_sent_silent(dashscope, media, tmp_path):
    settings, profile = dashscope_setup(dashscope, tmp_path)
    request = GenerationRequest(
        prompt="character1 waves", videos=(str(media["video"]),), duration=2, model="flash", audio=False
    )
    done = finished(await run(request, profile, settings, tmp_path))
    record = dashscope.tasks[done.task_id]
    assert record.extra["request"]["parameters"]["audio"] is False
    assert record.extra["price_per_second"] == "0.025"  # the simulator's silent price [D2]
    assert done.estimate is not None and done.estimate.credits_per_second == Decimal("0.025")
    assert done.credits_charged == Decimal("0.025") * done.billed_seconds


async def test_a_sixth_reference_is_refused_before_anything_is_sent(dashscope, media, tmp_path):
    settings, profile = dashscope_setup(dashscope, tmp_path)
    before = (dashscope.stats.creates, len(dashscope.tasks))
    fields = {
        "prompt": "character1 and friends",
        "videos": (str(media["video"]),) * 3,
        "images": (str(media["png"]),) * 3,
        "duration": 2,
    }
    with pytest.raises(ValueError, match="6 references given.*at most 5 in all: remove 1"):
        GenerationRequest.model_validate(fields, context={"profile": profile})
    # The job checks again (a caller that skipped validation): refused before any upload.
    events = await run(GenerationRequest.model_construct(**fields), profile, settings, tmp_path)
    assert len(events) == 1 and isinstance(events[0], Failed) and events[0].reason is FailureReason.REFUSED
    assert "6 references given" in events[0].suggestion and "remove 1" in events[0].suggestion
    assert (dashscope.stats.creates, len(dashscope.tasks)) == before


# ------------------------------------------------------------------ Wan 2.7: a photo with a voice


async def test_dashscope_wan27_binds_the_voice_to_its_photo(dashscope, media, tmp_path):
    settings, profile = dashscope_setup(dashscope, tmp_path)
    request = GenerationRequest(
        prompt="character1 sings to the camera",
        images=(str(media["png"]),),
        voices=(str(media["wav"]),),
        duration=11,  # longer than 10: no reference video
        model="wan2.7",
        prompt_extend=False,
        seed=7,
    )
    events = await run(request, profile, settings, tmp_path)
    done = finished(events)
    sent = dashscope.tasks[done.task_id].extra["request"]
    assert sent["model"] == "wan2.7-r2v"
    [item] = sent["input"]["media"]
    assert item["type"] == "reference_image" and item["url"].startswith("oss://")
    assert item["reference_voice"].startswith("oss://")
    assert sent["input"]["prompt"] == "Image 1 sings to the camera"
    assert sent["parameters"] == {
        "resolution": "720P",
        "ratio": "16:9",
        "duration": 11,
        "watermark": False,
        "prompt_extend": False,
        "seed": 7,
    }
    assert next(e for e in events if isinstance(e, Submitted)).sent_prompt == "Image 1 sings to the camera"
    assert done.estimate is not None and done.estimate.input_seconds == 0 and done.billed_seconds == 11


async def test_dashscope_wan27_refuses_what_27_does_not_take(dashscope, media, tmp_path):
    """The simulator's own words for shapes of 2.6 sent to 2.7, a long voice and a long video task."""
    headers = {"Authorization": f"Bearer {KEY}", "X-DashScope-Async": "enable"}
    base = {
        "model": "wan2.7-r2v",
        "input": {
            "prompt": "Video 1",
            "media": [{"type": "reference_video", "url": "https://example.com/a.mp4"}],
        },
    }
    url = dashscope.base_url + "/api/v1/services/aigc/video-generation/video-synthesis"
    async with httpx.AsyncClient() as http:
        for parameters, words in (
            ({"shot_type": "multi"}, "Unknown parameter: parameters.shot_type"),
            ({"audio": False}, "Unknown parameter: parameters.audio"),
            ({"duration": 12}, "from 2 to 10 with a reference video"),
        ):
            answer = await http.post(url, headers=headers, json={**base, "parameters": parameters})
            assert answer.status_code == 400 and words in answer.json()["message"], answer.text
    settings, profile = dashscope_setup(dashscope, tmp_path)
    creates = dashscope.stats.creates
    request = GenerationRequest(
        prompt="character1 sings",
        images=(str(media["png"]),),
        voices=(str(media["long_wav"]),),
        model="wan2.7",
        fix_references=False,  # with fixing on, the app cuts the voice to 10 s (tests/unit/media)
    )
    failed = (await run(request, profile, settings, tmp_path))[-1]
    assert isinstance(failed, Failed) and any("20.0 s" in str(p) for p in failed.problems), failed
    assert dashscope.stats.creates == creates  # refused by the app's own check: nothing created


async def test_evolink_wan27_sends_the_photo_and_its_voice(evolink, media, tmp_path):
    settings, profile = evolink_setup(evolink, tmp_path)
    request = GenerationRequest(
        prompt="character1 says hello",
        images=(str(media["png"]),),
        voices=(str(media["wav"]),),
        model="wan2.7",
        negative_prompt="text, watermark",
        duration=2,
    )
    done = finished(await run(request, profile, settings, tmp_path))
    sent = evolink.tasks[done.task_id].extra["request"]
    assert sent["model"] == "wan2.7-reference-video"
    assert sent["prompt"] == "Image 1 says hello" and sent["negative_prompt"] == "text, watermark"
    assert len(sent["image_urls"]) == 1 and len(sent["audio_urls"]) == 1
    assert "video_urls" not in sent and "model_params" not in sent and "seed" not in sent
    # 2 output seconds at the simulator's 2.7 rate ($0.086/s at 68 credits per $), no input video
    assert done.credits_charged == Decimal("11.70")
    assert done.estimate is not None and done.estimate.credits == Decimal("11.696")


async def test_evolink_refuses_27_fields_it_does_not_document(evolink):
    headers = {"Authorization": f"Bearer {KEY}"}
    body = {
        "model": "wan2.7-reference-video",
        "prompt": "Image 1",
        "image_urls": ["https://example.com/a.png"],
    }
    async with httpx.AsyncClient() as http:
        for extra, words in (
            ({"seed": 1}, "Unknown parameter: seed"),
            ({"model_params": {"shot_type": "multi"}}, "Unknown parameter: model_params.shot_type"),
            ({"image_urls": ["https://example.com/a.png"] * 6}, "at most 5"),
        ):
            answer = await http.post(
                evolink.base_url + "/v1/videos/generations", headers=headers, json={**body, **extra}
            )
            assert answer.status_code == 400 and words in answer.text, answer.text
        v26 = {"model": "wan2.6-reference-video", "prompt": "x", "video_urls": ["https://example.com/a.mp4"]}
        answer = await http.post(
            evolink.base_url + "/v1/videos/generations", headers=headers, json={**v26, "image_urls": []}
        )
        assert answer.status_code == 400 and "image_urls" in answer.text  # 2.6 has no image field


# ------------------------------------------------------------------ fal flash: video + image, seed


async def test_fal_flash_takes_a_video_and_an_image_and_its_seed_is_recorded(fal, media, tmp_path):
    settings, profile = fal_setup(fal, tmp_path)
    request = GenerationRequest(
        prompt="character1 throws the ball to character2",
        videos=(str(media["video"]),),
        images=(str(media["png"]),),
        model="flash",
        seed=99,
        negative_prompt="low quality",
    )
    done = finished(await run(request, profile, settings, tmp_path))
    sent = fal.tasks[done.task_id].extra["input"]
    assert sent["prompt"] == "@Video1 throws the ball to @Image1"
    assert len(sent["video_urls"]) == 1 and len(sent["image_urls"]) == 1
    assert (sent["seed"], sent["negative_prompt"], sent["generate_audio"]) == (99, "low quality", True)
    assert done.seed == 99  # fal's output names the seed it used [B2]
    store = TaskStore(tmp_path / "tasks.sqlite3")
    try:
        recorder = EventRecorder(store, tmp_path / "videos")
        record = store.insert(TaskRecord.new(owner="anon:" + "a" * 32, provider="fal", request={}))
        recorder.record(record.id, done)
        assert store.get(record.id).seed == 99  # on the task record, typed
    finally:
        store.close()
