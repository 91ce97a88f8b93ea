"""The official DashScope Python SDK (`dashscope`, pinned in requirements-dev.txt) against the
simulator's "dashscope" dialect: only `dashscope.base_http_api_url` points at 127.0.0.1.

Covered: `VideoSynthesis.async_call` with local files (the SDK's temporary upload: getPolicy,
the OSS form, ``oss://`` keys with X-DashScope-OssResourceResolve), `fetch`, `wait`, the
result download, `cancel`, `list` (filters and pages), `call` (create and wait in one), and a
refusal the SDK reports. The SDK always sends ``input.extend_prompt`` and ``input.function``;
before `simulator/dashscope_sdk.py` every create was refused for them, and before
`simulator/dashscope_list.py` `list` answered 404.
"""

from __future__ import annotations

import time
from http import HTTPStatus
from pathlib import Path

import av
import dashscope
import pytest
import requests
from dashscope import VideoSynthesis
from PIL import Image

from tests.videos import make_video
from wanvideo.simulator import Simulator

KEY = "sk-sdk-0123456789"
OTHER_KEY = "sk-sdk-other-0123"
MODEL = "wan2.6-r2v"


@pytest.fixture(scope="module")
def sim():
    with Simulator(task_seconds=0.4, dialect="dashscope") as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def sdk_base(sim, monkeypatch):
    """The SDK's one URL setting (its default is the Beijing host)."""
    monkeypatch.setattr(dashscope, "base_http_api_url", f"{sim.base_url}/api/v1")
    yield
    sim.release_queue()


@pytest.fixture(scope="module")
def refs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sdk-dash")
    photo = folder / "face.png"
    Image.new("RGB", (320, 320), (40, 120, 200)).save(photo)
    return {"video": make_video(folder / "walk.mp4", seconds=2), "photo": photo}


def cst(epoch: float) -> str:
    """YYYYMMDDhhmmss in China Standard Time (UTC+8), the zone DashScope writes its times in."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(epoch + 8 * 3600))


def create(refs: dict[str, Path], key: str = KEY, **extra):
    settings = {"size": "1280*720", "duration": 2, **extra}
    return VideoSynthesis.async_call(
        model=MODEL,
        prompt="character1 walks past character2",
        reference_urls=[str(refs["video"]), str(refs["photo"])],
        api_key=key,
        **settings,
    )


@pytest.fixture(scope="module")
def finished(sim, refs):
    """One task made with the SDK from local files and waited for (shared by the tests)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dashscope, "base_http_api_url", f"{sim.base_url}/api/v1")
        created = create(refs, seed=7, negative_prompt="blurry")
        assert created.status_code == HTTPStatus.OK, (created.code, created.message)
        polled = VideoSynthesis.fetch(created, api_key=KEY)
        done = VideoSynthesis.wait(created, api_key=KEY)
    return created, polled, done


def test_async_call_uploads_local_files_and_creates_a_task(sim, refs, finished):
    created, _, _ = finished
    assert created.output.task_status == "PENDING"
    record = sim.tasks[created.output.task_id]
    sent = record.extra["request"]["input"]
    # The SDK's own fields arrived (and were accepted), with its uploads as oss:// keys.
    assert sent["extend_prompt"] is True and sent["function"] == "video-synthesis"
    assert [url.split("://")[0] for url in sent["reference_urls"]] == ["oss", "oss"]
    assert record.extra["oss_resolve"] is True
    assert record.extra["seed"] == 7 and record.extra["negative_prompt"] == "blurry"
    stored = {f.upload_path.rsplit("/", 1)[1]: f.path.read_bytes() for f in sim.files.values()}
    assert stored["walk.mp4"] == refs["video"].read_bytes()
    assert stored["face.png"] == refs["photo"].read_bytes()
    assert record.extra["reference_kinds"] == ["video", "image"]


def test_fetch_wait_and_download(finished, tmp_path):
    created, polled, done = finished
    assert polled.status_code == HTTPStatus.OK
    assert polled.output.task_id == created.output.task_id
    assert polled.output.task_status in ("PENDING", "RUNNING", "SUCCEEDED")
    assert done.output.task_status == "SUCCEEDED"
    assert done.usage.output_video_duration == 2 and done.usage.size == "1280*720"
    answer = requests.get(done.output.video_url, timeout=10)
    assert answer.status_code == 200 and answer.headers["content-type"] == "video/mp4"
    (tmp_path / "out.mp4").write_bytes(answer.content)
    with av.open(str(tmp_path / "out.mp4")) as video:
        stream = video.streams.video[0]
        assert (stream.width, stream.height) == (1280, 720)


def test_call_creates_and_waits_in_one(refs):
    answer = VideoSynthesis.call(
        model=MODEL, prompt="character1 waves", reference_urls=[str(refs["video"])], duration=2, api_key=KEY
    )
    assert answer.status_code == HTTPStatus.OK
    assert answer.output.task_status == "SUCCEEDED" and answer.output.video_url.startswith("http://127.0.0.1")


def test_cancel_a_pending_task(sim, refs):
    sim.hold_queue()
    created = create(refs)
    assert created.status_code == HTTPStatus.OK, created.message
    cancelled = VideoSynthesis.cancel(created, api_key=KEY)
    assert cancelled.status_code == HTTPStatus.OK
    assert VideoSynthesis.fetch(created, api_key=KEY).output.task_status == "CANCELED"
    again = VideoSynthesis.cancel(created, api_key=KEY)  # only PENDING tasks [D5]
    assert again.status_code == HTTPStatus.BAD_REQUEST and again.code == "UnsupportedOperation"


def test_list_filters_and_pages(sim, refs, finished):
    done_id = finished[0].output.task_id
    sim.hold_queue()
    waiting = create(refs).output.task_id
    listed = VideoSynthesis.list(api_key=KEY)
    assert listed.status_code == HTTPStatus.OK
    ids = [item["task_id"] for item in listed.output["data"]]
    assert {done_id, waiting} <= set(ids) and ids[0] == waiting  # newest first
    assert listed.output["total"] == len(ids) and listed.output["page_no"] == 1
    done = next(item for item in listed.output["data"] if item["task_id"] == done_id)
    assert done["status"] == "SUCCEEDED" and done["model_name"] == MODEL
    assert done["request_id"] == finished[0].request_id
    assert done["gmt_create"] <= done["start_time"] <= done["end_time"]

    succeeded = VideoSynthesis.list(api_key=KEY, status="SUCCEEDED", model_name=MODEL)
    assert {item["status"] for item in succeeded.output["data"]} == {"SUCCEEDED"}
    assert done_id in [item["task_id"] for item in succeeded.output["data"]]
    paged = VideoSynthesis.list(api_key=KEY, page_size=1, page_no=2)
    assert len(paged.output["data"]) == 1 and paged.output["total_page"] == listed.output["total"]
    assert paged.output["data"][0]["task_id"] == ids[1]
    assert VideoSynthesis.list(api_key=OTHER_KEY).output["total"] == 0  # another account's
    hour_ago, hour_ahead = (cst(time.time() + shift) for shift in (-3600, 3600))
    since = VideoSynthesis.list(api_key=KEY, start_time=hour_ago)  # the 24 h after it
    assert done_id in [item["task_id"] for item in since.output["data"]]
    assert VideoSynthesis.list(api_key=KEY, start_time=hour_ahead).output["total"] == 0
    wide = VideoSynthesis.list(api_key=KEY, start_time="20261201000000", end_time="20261203000000")
    assert wide.status_code == HTTPStatus.BAD_REQUEST and wide.code == "InvalidParameter"  # > 24 h [D5]


def test_the_sdk_reports_a_refusal_and_nothing_is_created(sim, refs):
    before = len(sim.tasks)
    too_long = create(refs, duration=11)  # 2-10 s [D1]
    assert too_long.status_code == HTTPStatus.BAD_REQUEST and too_long.code == "InvalidParameter"
    assert "duration" in too_long.message
    other = create(refs, extra_input={"function": "image-synthesis"})
    assert other.status_code == HTTPStatus.BAD_REQUEST and "input.function" in other.message
    assert len(sim.tasks) == before
