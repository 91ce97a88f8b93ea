"""The official fal Python client (`fal-client`, pinned in requirements-dev.txt) against the
simulator's "fal" dialect. Only its URL settings point at 127.0.0.1: the client has no setting
for the scheme (FAL_RUN_HOST and FAL_QUEUE_RUN_HOST name a host it always reaches over https),
so its four URL constants are set here, `RUN_URL_FORMAT` (fal.run) to the simulator's
stand-in ``/fal-run/``, `QUEUE_URL_FORMAT` (queue.fal.run) and `REST_URL` (rest.fal.ai) to the
base, `CDN_URL` (v3.fal.media) to ``/fal-cdn``.

Covered: `upload_file` (the CDN token and upload, no fallback), `submit`, `status` (with
logs), `result` and `RequestHandle.get` (waiting), `subscribe` (queue updates), the result's
download, `cancel`, and `run`, the synchronous endpoint, which before `simulator/fal_run.py`
had no route (and, pointed at the queue's base, got an IN_QUEUE answer instead of the result).
"""

from __future__ import annotations

import logging
from pathlib import Path

import av
import fal_client
import fal_client.client as fal_urls
import httpx
import pytest
from fal_client import Completed, FalClientHTTPError, InProgress, Queued
from PIL import Image

from tests.videos import make_video
from wanvideo.simulator import Simulator

KEY = "fal-sdk-key-0123456789"
STANDARD = "wan/v2.6/reference-to-video"
FLASH = "wan/v2.6/reference-to-video/flash"


@pytest.fixture(scope="module")
def sim():
    with Simulator(task_seconds=0.3, dialect="fal") as simulator:
        yield simulator


@pytest.fixture
def client(sim, monkeypatch) -> fal_client.SyncClient:
    """`fal_client.SyncClient` (what `fal_client.run`, `submit`, ... are bound to) with a key."""
    monkeypatch.setattr(fal_urls, "RUN_URL_FORMAT", f"{sim.base_url}/fal-run/")
    monkeypatch.setattr(fal_urls, "QUEUE_URL_FORMAT", f"{sim.base_url}/")
    monkeypatch.setattr(fal_urls, "REST_URL", sim.base_url)
    monkeypatch.setattr(fal_urls, "CDN_URL", f"{sim.base_url}/fal-cdn")
    yield fal_client.SyncClient(key=KEY)
    sim.release_queue()


@pytest.fixture(scope="module")
def refs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sdk-fal")
    photo = folder / "face.png"
    Image.new("RGB", (320, 320), (200, 120, 40)).save(photo)
    return {"video": make_video(folder / "walk.mp4", seconds=3, fps=24), "photo": photo}


@pytest.fixture(scope="module")
def uploaded(sim, refs) -> dict[str, str]:
    """The references uploaded once with the client (checked in the first test)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fal_urls, "REST_URL", sim.base_url)
        patch.setattr(fal_urls, "CDN_URL", f"{sim.base_url}/fal-cdn")
        client = fal_client.SyncClient(key=KEY)
        return {name: client.upload_file(path) for name, path in refs.items()}


def arguments(uploaded: dict[str, str], **extra) -> dict:
    return {
        "prompt": "@Video1 walks in",
        "video_urls": [uploaded["video"]],
        "resolution": "720p",
        "duration": "5",
        **extra,
    }


def check_video(url: str, tmp_path: Path) -> None:
    answer = httpx.get(url, timeout=10)
    assert answer.status_code == 200 and answer.headers["content-type"] == "video/mp4"
    (tmp_path / "out.mp4").write_bytes(answer.content)
    with av.open(str(tmp_path / "out.mp4")) as video:
        stream = video.streams.video[0]
        assert (stream.width, stream.height) == (1280, 720)


def test_upload_file_puts_the_bytes_on_the_cdn(client, refs, caplog):
    with caplog.at_level(logging.WARNING, logger="fal_client"):
        url = client.upload_file(refs["video"])
    assert not [r for r in caplog.records if "falling back" in r.getMessage()]  # the v3 CDN took it
    assert url.endswith("/walk.mp4")
    assert httpx.get(url, timeout=10).content == refs["video"].read_bytes()


def test_submit_status_result_and_download(sim, client, uploaded, tmp_path):
    handle = client.submit(STANDARD, arguments(uploaded, seed=11))
    assert handle.status_url.endswith(f"/wan/v2.6/requests/{handle.request_id}/status")
    first = client.status(STANDARD, handle.request_id, with_logs=True)
    assert isinstance(first, Queued | InProgress | Completed)
    output = handle.get(interval=0.05)
    assert output["seed"] == 11 and output["video"]["duration"] == 5.0
    assert client.result(STANDARD, handle.request_id) == output  # by id, URLs built by the client
    done = handle.status(with_logs=True)
    assert isinstance(done, Completed) and done.error is None and done.logs
    assert sim.tasks[handle.request_id].extra["input"]["video_urls"] == [uploaded["video"]]
    check_video(output["video"]["url"], tmp_path)


def test_subscribe_reports_queue_updates_until_the_result(client, uploaded):
    updates: list[object] = []
    enqueued: list[str] = []
    output = client.subscribe(
        FLASH,
        arguments(uploaded, image_urls=[uploaded["photo"]], prompt="@Video1 meets @Image1"),
        with_logs=True,
        interval=0.05,
        on_enqueue=enqueued.append,
        on_queue_update=updates.append,
    )
    assert len(enqueued) == 1 and isinstance(updates[-1], Completed)
    assert output["video"]["url"].endswith(f"/results/{enqueued[0]}.mp4")


def test_cancel_a_queued_request(sim, client, uploaded):
    sim.hold_queue()
    handle = client.submit(STANDARD, arguments(uploaded))
    assert isinstance(handle.status(), Queued)
    client.cancel(STANDARD, handle.request_id)
    done = handle.status()
    assert isinstance(done, Completed) and done.error_type == "client_cancelled"
    with pytest.raises(FalClientHTTPError) as result:
        handle.get(interval=0.05)
    assert result.value.status_code == 499
    with pytest.raises(FalClientHTTPError) as again:
        handle.cancel()
    assert again.value.status_code == 400


def test_run_answers_the_result(sim, client, uploaded, tmp_path):
    before = sim.stats.creates
    output = client.run(STANDARD, arguments(uploaded, seed=5))
    assert output["seed"] == 5 and output["video"]["url"].startswith(sim.base_url)
    assert sim.stats.creates == before + 1
    check_video(output["video"]["url"], tmp_path)


def test_run_answers_the_models_refusal(client, uploaded):
    with pytest.raises(FalClientHTTPError) as refused:
        client.run(STANDARD, arguments(uploaded, duration="7"))  # "5" or "10" [F2]
    assert refused.value.status_code == 422
    assert refused.value.response.json()["detail"][0]["loc"] == ["body", "duration"]


def test_run_is_a_create_for_faults_and_the_client_retries_a_429(sim, client, uploaded):
    fault = sim.faults.add("rate_limit", route="create", times=1)
    try:
        with pytest.raises(FalClientHTTPError) as refused:
            client.run(STANDARD, arguments(uploaded, duration="7"))
    finally:
        sim.faults.clear()
    assert fault.hits == 1  # the run was rate limited once, retried by the client,
    assert refused.value.status_code == 422  # and then answered by the model
