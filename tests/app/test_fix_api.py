"""Fixing references through the public API of the running app (`/estimate`, `/generate`):
each reference priced as it will be sent, what is done to it, and the prepared clips sent."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from components.context import PREPARED_FOLDER
from tests.videos import make_noise_video, make_video
from wanvideo.media.prepare import MAX_SOURCE_BYTES

from .conftest import RunningApp
from .test_api import files, generate


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("fix-clips")
    return {
        "webm": make_video(d / "screen.webm", 3, width=96, height=64, fps=10, video_codec="libvpx-vp9"),
        "long": make_video(d / "take.mp4", 31, width=64, height=48, fps=5),
        "phone": make_video(d / "phone.mp4", 3, width=96, height=64, fps=10, rotation=90),
    }


def test_estimate_bills_each_reference_as_it_will_be_sent(
    demo_app: RunningApp, clips: dict[str, Path]
) -> None:
    client = demo_app.client()
    est = client.predict(files(clips["long"]), "", "720p", 5, True, "27.5", api_name="/estimate")
    assert est["ok"] is True and est["fix_references"] is True
    (ref,) = est["references"]
    assert ref["source_duration"] == pytest.approx(31.0, abs=0.2)
    assert ref["duration"] == pytest.approx(ref["source_duration"] - 27.5, abs=0.01)
    assert ref["steps"] == ["trim"] and ref["window"][0] == 27.5
    assert ref["will_be_done"] == [f"trimmed to 27.5-{ref['window'][1]:g} s"]
    assert ref["prepare_seconds"] > 0 and est["prepare_seconds"] == ref["prepare_seconds"]
    # The window, not the whole clip, is billed: 3.5 s + 5 s output.
    assert ref["billed_seconds"] == pytest.approx(ref["duration"], abs=0.01)
    assert est["credits"] == pytest.approx((ref["duration"] + 5) * 4.76, abs=0.05)

    whole = client.predict(files(clips["long"]), "", "720p", 5, True, "", api_name="/estimate")
    assert whole["references"][0]["duration"] == 30 and whole["references"][0]["billed_seconds"] == 5

    too_late = client.predict(files(clips["long"]), "", "720p", 5, True, "30", api_name="/estimate")
    assert too_late["ok"] is False
    assert "take.mp4 lasts 31 s: a start at 30 s leaves 1 s" in too_late["problems"][0]

    unfixed = client.predict(files(clips["long"]), "", "720p", 5, False, "", api_name="/estimate")
    assert unfixed["ok"] is False and "trim it to 30 s" in unfixed["problems"][0]


def test_estimate_says_what_will_be_done(demo_app: RunningApp, clips: dict[str, Path]) -> None:
    est = demo_app.client().predict(files(clips["webm"]), "", "720p", 5, api_name="/estimate")
    assert est["ok"] is True
    (ref,) = est["references"]
    assert ref["will_be_done"] == ["converted from WebM"] and ref["steps"] == ["convert"]
    assert ref["container"] == "webm" and ref["prepared"] is False


def test_a_rotated_phone_clip_is_portrait_in_the_estimate(
    demo_app: RunningApp, clips: dict[str, Path]
) -> None:
    client = demo_app.client()
    est = client.predict(files(clips["phone"]), "", "720p", 5, api_name="/estimate")
    (ref,) = est["references"]
    assert ref["orientation"] == "portrait" and ref["will_be_done"] == ["rotated to portrait"]
    unfixed = client.predict(files(clips["phone"]), "", "720p", 5, False, "", api_name="/estimate")
    assert unfixed["references"][0]["orientation"] == "portrait"  # as a player shows it, fixing or not


def test_generate_prepares_and_sends_the_prepared_clip(demo_app: RunningApp, clips: dict[str, Path]) -> None:
    outputs, (status, _video, record) = generate(
        demo_app, clips["webm"], clips["long"], duration=3, reference_starts="0, 10"
    )
    statuses = [o[0] for o in outputs]
    assert any("Preparing character1" in s for s in statuses)
    assert any("Preparing character2" in s for s in statuses)
    assert any("converted from WebM" in s for s in statuses)
    assert record["status"] == "completed", status
    # 2 references (2.5 s cap each, the 10-31 s window is 21 s) + 3 s output
    assert record["estimate"]["credits"] == pytest.approx((2.5 + 2.5 + 3) * 4.76)
    assert "/" not in str(record["video_path"])  # no server path in the record


def test_uploads_are_accepted_up_to_the_fixable_size(demo_app: RunningApp) -> None:
    """Gradio refuses a larger upload, naming the limit (sent as a stream of zeros)."""

    def body():  # noqa: ANN202
        chunk = bytes(4 * 1024 * 1024)
        sent = 0
        while sent <= MAX_SOURCE_BYTES:
            yield chunk
            sent += len(chunk)

    boundary = "wanboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="huge.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()

    def stream():  # noqa: ANN202
        yield head
        yield from body()
        yield f"\r\n--{boundary}--\r\n".encode()

    try:
        response = httpx.post(
            f"{demo_app.url}gradio_api/upload",
            content=stream(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            timeout=120,
        )
    except httpx.HTTPError:
        pytest.fail("the app dropped the connection instead of answering")
    assert response.status_code == 413
    assert str(MAX_SOURCE_BYTES) in response.text


def test_stop_while_preparing_creates_and_charges_nothing(evolink_app: RunningApp, tmp_path: Path) -> None:
    """Cancelling /generate while it prepares (what the Stop button does) stops the worker: no
    upload, no task, and no prepared clip is left."""
    sim = evolink_app.simulator
    assert sim is not None
    source = make_noise_video(tmp_path / "busy.mp4", 20, width=480, height=270)  # a few seconds of work
    before = (sim.stats.uploads, sim.stats.creates)
    job = evolink_app.client().submit(
        prompt="character1 dances",
        videos=files(source),
        video_urls="",
        quality="720p",
        aspect_ratio="16:9",
        duration=5,
        shot_type="single",
        reference_starts="1",
        api_name="/generate",
    )
    deadline = time.monotonic() + 60
    transcoding = re.compile(r"Preparing character1: [1-9]")  # past 0%: the worker is at it
    while not any(transcoding.search(str(o[0])) for o in job.outputs()):
        assert time.monotonic() < deadline, job.outputs()
        assert not job.done(), job.outputs()
        time.sleep(0.05)
    assert "replaced" not in evolink_app.log()
    job.cancel()
    deadline = time.monotonic() + 20
    while "replaced" not in evolink_app.log():  # the sandbox logs "media worker <pid> replaced"
        assert time.monotonic() < deadline, evolink_app.log()[-2000:]
        time.sleep(0.1)
    prepared = evolink_app.data_dir.parent / "gradio" / PREPARED_FOLDER
    assert prepared.is_dir()
    deadline = time.monotonic() + 5
    while list(prepared.rglob("*.mp4*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(prepared.rglob("*.mp4*")) == []  # no clip, no half-written file
    time.sleep(1.0)
    assert (sim.stats.uploads, sim.stats.creates) == before


def test_prepared_clips_are_cleaned_with_gradios_cache(tmp_path: Path, clips: dict[str, Path]) -> None:
    """A prepared clip lives in Gradio's upload folder and goes when Gradio cleans its cache
    (here at shutdown by SIGTERM, as a Space or `docker stop` ends the app: the app shuts
    down as on Ctrl+C, which ends every `delete_cache` schedule)."""
    import signal

    from tests.apprunner import start_app, stop_app

    from .conftest import FAST

    app = start_app(tmp_path / "app", {"WAN_PROVIDER": "demo", **FAST})
    try:
        _, (_status, _video, record) = generate(app, clips["webm"], duration=2)
        assert record["status"] == "completed"
        prepared = tmp_path / "app" / "gradio" / PREPARED_FOLDER
        made = list(prepared.rglob("*.mp4"))
        assert [p.name for p in made] == ["screen.mp4"]
    finally:
        stop_app(app, signal.SIGTERM)
    assert app.process.returncode is not None
    assert list(prepared.rglob("*.mp4*")) == []
    assert not list((tmp_path / "app" / "gradio").rglob("screen.webm"))  # as the upload itself
