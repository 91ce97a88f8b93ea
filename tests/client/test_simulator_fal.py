"""The simulator's "fal" dialect over real HTTP on 127.0.0.1 (PROVIDERS.md section B).

One simulator for the module (tasks take 0.4 s). Facts are checked against PROVIDERS.md's
numbers, written out here, never against the simulator's own tables. Webhooks are tested in
test_simulator_callbacks.py.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import av
import httpx
import pytest
from PIL import Image

from tests.videos import make_video
from wanvideo.simulator import Simulator

KEY = "fal-key-0123456789"
OTHER_KEY = "fal-key-other-0123"
SUBMIT = "/wan/v2.6/reference-to-video"
FLASH = "/wan/v2.6/reference-to-video/flash"


@pytest.fixture(scope="module")
def sim():
    with Simulator(task_seconds=0.4, dialect="fal", allow_private_urls=True) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def clean(request):
    yield
    if "sim" in request.fixturenames:
        simulator = request.getfixturevalue("sim")
        simulator.faults.clear()
        simulator.release_queue()
        simulator.task_seconds = 0.4


@pytest.fixture
async def api(sim):
    async with httpx.AsyncClient(
        base_url=sim.base_url, headers={"Authorization": f"Key {KEY}"}, timeout=15
    ) as c:
        yield c


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("fal-refs")
    return {
        "ok": make_video(folder / "ok.mp4", seconds=3, fps=24),
        "slow": make_video(folder / "slow.mp4", seconds=3, fps=10),
        "short": make_video(folder / "short.mp4", seconds=1.5, fps=24),
        "webm": make_video(folder / "clip.webm", seconds=3, fps=24, container="webm"),
    }


@pytest.fixture(scope="module")
def ok_url(sim, videos) -> str:
    """A 3 s, 24 fps mp4 in the simulator's storage."""
    with httpx.Client(base_url=sim.base_url, headers={"Authorization": f"Key {KEY}"}) as client:
        urls = client.post(
            "/storage/upload/initiate", json={"content_type": "video/mp4", "file_name": "ok.mp4"}
        ).json()
        assert httpx.put(urls["upload_url"], content=videos["ok"].read_bytes()).status_code == 200
    return urls["file_url"]


async def upload(client: httpx.AsyncClient, path: Path, content_type: str = "video/mp4") -> str:
    """fal-js's storage upload [F3]: initiate, then PUT the bytes to upload_url; the file_url."""
    initiated = await client.post(
        "/storage/upload/initiate",
        params={"storage_type": "fal-cdn-v3"},
        json={"content_type": content_type, "file_name": path.name},
    )
    assert initiated.status_code == 200, initiated.text
    urls = initiated.json()
    async with httpx.AsyncClient() as bare:  # a presigned URL: no key
        put = await bare.put(
            urls["upload_url"], content=path.read_bytes(), headers={"Content-Type": content_type}
        )
    assert put.status_code == 200, put.text
    return urls["file_url"]


async def submit(client: httpx.AsyncClient, body: dict, path: str = SUBMIT) -> dict:
    answer = await client.post(path, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def body(*urls: str, **extra) -> dict:
    return {"prompt": "@Video1 waves at the camera", "video_urls": list(urls), "resolution": "720p", **extra}


async def wait_completed(
    client: httpx.AsyncClient, submitted: dict, timeout: float = 30
) -> tuple[httpx.Response, list]:
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = await client.get(submitted["status_url"])
        seen.append((answer.json()["status"], answer.status_code))
        if seen[-1][0] == "COMPLETED":
            return answer, seen
        await asyncio.sleep(0.03)
    raise AssertionError(f"request did not complete: {seen[-3:]}")


def probe(path: Path) -> dict:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        return {
            "duration": container.duration / av.time_base,
            "size": (video.width, video.height),
            "audio": len(container.streams.audio),
        }


def settle(sim: Simulator) -> None:
    deadline = time.monotonic() + 30
    while any(t.status in ("pending", "processing") for t in list(sim.tasks.values())):
        assert time.monotonic() < deadline, "tasks did not settle"
        time.sleep(0.05)


# ---------------------------------------------------------------- the whole flow


async def test_upload_submit_poll_result_download(sim, api, videos, tmp_path):
    initiated = await api.post(
        "/storage/upload/initiate",
        params={"storage_type": "fal-cdn-v3"},
        json={"content_type": "video/mp4", "file_name": "ok.mp4"},
    )
    file_url = initiated.json()["file_url"]
    assert (await api.get(file_url)).status_code == 404  # nothing until the PUT
    async with httpx.AsyncClient() as bare:
        put = await bare.put(initiated.json()["upload_url"], content=videos["ok"].read_bytes())
    assert put.status_code == 200
    assert (await api.get(file_url)).content == videos["ok"].read_bytes()

    settle(sim)
    charged = sim.charged_credits()
    answer = await api.post(SUBMIT, json=body(file_url))
    assert answer.status_code == 200, answer.text
    submitted = answer.json()
    request_id = submitted["request_id"]
    assert answer.headers["x-fal-request-id"] == request_id and submitted["status"] == "IN_QUEUE"
    base = f"{sim.base_url}/wan/v2.6/requests/{request_id}"  # owner/app only, no subpath [F4]
    assert (submitted["status_url"], submitted["response_url"], submitted["cancel_url"]) == (
        f"{base}/status",
        base,
        f"{base}/cancel",
    )
    assert submitted["queue_position"] == 0

    final, seen = await wait_completed(api, submitted)
    assert all(code == 202 for state, code in seen if state != "COMPLETED") and final.status_code == 200
    status = final.json()
    assert "error" not in status and status["metrics"]["inference_time"] >= 0
    logged = (await api.get(submitted["status_url"], params={"logs": 1})).json()["logs"]
    assert logged and {"message", "level", "source", "timestamp"} <= set(logged[0])

    result = await api.get(submitted["response_url"])
    assert result.status_code == 200, result.text
    # 5 s of output is billed; the reference seconds are not (working assumption, B6).
    assert result.headers["x-fal-billable-units"] == "5"
    output = result.json()
    video = output["video"]
    assert (video["width"], video["height"], video["duration"], video["content_type"]) == (
        1280,
        720,
        5.0,
        "video/mp4",
    )
    assert isinstance(output["seed"], int) and output["actual_prompt"] == "@Video1 waves at the camera"
    # USD 0.10 per second at 720p [F1].
    assert sim.charged_credits() == pytest.approx(charged + 0.5)
    out = tmp_path / "result.mp4"
    out.write_bytes((await api.get(video["url"])).content)
    info = probe(out)
    assert info["size"] == (1280, 720) and abs(info["duration"] - 5) <= 0.2 and info["audio"] == 1
    assert video["file_size"] == out.stat().st_size


async def test_defaults_are_1080p_and_multi_shot(sim, api, ok_url):
    sim.hold_queue()  # never run: the record is enough
    submitted = await submit(api, {"prompt": "@Video1 walks", "video_urls": [ok_url]})
    record = sim.tasks[submitted["request_id"]]
    await api.put(submitted["cancel_url"])
    # fal's defaults [F2]: 1080p, "5", 16:9, multi-shot with prompt expansion.
    assert (record.quality, record.duration, record.aspect_ratio, record.shot_type) == (
        "1080p",
        5,
        "16:9",
        "multi",
    )
    assert record.credits_reserved == pytest.approx(0.75)  # 5 s at USD 0.15
    single = await submit(api, body(ok_url, multi_shots=False, duration="10"))
    assert (sim.tasks[single["request_id"]].shot_type, sim.tasks[single["request_id"]].duration) == (
        "single",
        10,
    )
    await api.put(single["cancel_url"])


# ---------------------------------------------------------------- the runner's refusals


REFUSED = [
    ({"duration": 5}, "duration", "literal_error"),
    ({"duration": "7"}, "duration", "literal_error"),
    ({"resolution": "480p"}, "resolution", "literal_error"),
    ({"aspect_ratio": "21:9"}, "aspect_ratio", "literal_error"),
    ({"prompt": "@Video1 " + "x" * 1500}, "prompt", "string_too_long"),
    ({"prompt": "@Video2 and @Video1"}, "prompt", "value_error"),
    ({"negative_prompt": "n" * 501}, "negative_prompt", "string_too_long"),
    ({"multi_shots": "yes"}, "multi_shots", "bool_type"),
    ({"fal_webhook": "https://example.com/hook"}, "fal_webhook", "extra_forbidden"),
    ({"generate_audio": False}, "generate_audio", "extra_forbidden"),  # flash only
]


@pytest.mark.parametrize(("change", "field", "kind"), REFUSED)
async def test_invalid_input_is_queued_then_refused_by_the_runner(sim, api, ok_url, change, field, kind):
    submitted = await submit(api, body(ok_url, **change))  # the queue takes any JSON [B1]
    status, _ = await wait_completed(api, submitted)
    assert status.json()["error_type"] == kind and status.json()["error"]
    result = await api.get(submitted["response_url"])
    assert result.status_code == 422 and result.headers["x-fal-retryable"] == "false"
    entry = result.json()["detail"][0]
    assert (entry["loc"], entry["type"]) == (["body", field], kind) and entry["msg"] and entry["url"]
    assert "x-fal-billable-units" not in result.headers
    assert sim.tasks[submitted["request_id"]].status == "failed"  # never charged


async def test_missing_fields_and_too_many_videos(sim, api, ok_url):
    for payload, field, kind in (
        ({"video_urls": [ok_url]}, "prompt", "missing"),
        ({"prompt": "@Video1"}, "video_urls", "missing"),
        ({"prompt": "@Video1", "video_urls": [ok_url] * 4}, "video_urls", "too_long"),
        ({"prompt": "@Video1", "video_urls": []}, "video_urls", "too_short"),
    ):
        submitted = await submit(api, payload)
        await wait_completed(api, submitted)
        result = await api.get(submitted["response_url"])
        assert result.status_code == 422
        assert (result.json()["detail"][0]["loc"][1], result.json()["detail"][0]["type"]) == (field, kind)


async def test_reference_rules(sim, api, videos, tmp_path):
    big = tmp_path / "big.mp4"
    big.write_bytes(b"\0" * 30_000_001)  # over 30 MB [B3]
    cases = [
        (await upload(api, videos["slow"]), "video_fps_too_low", "16 fps"),
        (await upload(api, videos["short"]), "video_duration_too_short", "2 to 30 s"),
        (await upload(api, videos["webm"], "video/webm"), "unsupported_video_format", "mp4 or mov"),
        (await upload(api, big), "file_too_large", "30 MB"),
        ("http://127.0.0.1:9/gone.mp4", "file_download_error", "could not be fetched"),
        ("data:video/mp4;base64,AAAA", "file_download_error", "not an http(s) link"),
    ]
    for url, kind, words in cases:
        submitted = await submit(api, body(url))
        await wait_completed(api, submitted)
        result = await api.get(submitted["response_url"])
        assert result.status_code == 422, (kind, result.text)
        entry = result.json()["detail"][0]
        assert entry["loc"] == ["body", "video_urls"] and entry["type"] == kind and words in entry["msg"], (
            entry
        )


async def test_character_names_are_accepted_with_a_note(sim, api, ok_url):
    submitted = await submit(api, body(ok_url, prompt="character1 waves"))
    status, _ = await wait_completed(api, submitted)
    assert "error" not in status.json()
    logs = (await api.get(submitted["status_url"], params={"logs": "1"})).json()["logs"]
    assert any(entry["level"] == "WARNING" and "@Video1" in entry["message"] for entry in logs)


# ---------------------------------------------------------------- queue and cancel


async def test_queue_positions_and_cancel_while_queued(sim, api, ok_url):
    settle(sim)
    charged = sim.charged_credits()
    sim.hold_queue()
    first, second, third = [await submit(api, body(ok_url)) for _ in range(3)]
    positions = [(await api.get(s["status_url"])).json()["queue_position"] for s in (first, second, third)]
    assert positions == [0, 1, 2]
    assert third["queue_position"] == 2

    cancelled = await api.put(second["cancel_url"])
    assert cancelled.status_code == 202 and cancelled.json() == {"status": "CANCELLATION_REQUESTED"}
    assert (await api.get(third["status_url"])).json()["queue_position"] == 1
    status = await api.get(second["status_url"])
    assert status.status_code == 200 and status.json()["status"] == "COMPLETED"
    assert status.json()["error_type"] == "client_cancelled"
    result = await api.get(second["response_url"])
    assert result.status_code == 499 and result.json()["error_type"] == "client_cancelled"

    sim.release_queue()
    for submitted in (first, third):
        final, _ = await wait_completed(api, submitted)
        assert "error" not in final.json()
    # Two results at 5 s x USD 0.10; the cancelled request costs nothing.
    assert sim.charged_credits() == pytest.approx(charged + 1.0)
    late = await api.put(first["cancel_url"])
    assert late.status_code == 400 and late.json() == {"status": "ALREADY_COMPLETED"}
    missing = await api.put(f"{sim.base_url}/wan/v2.6/requests/{uuid.uuid4()}/cancel")
    assert missing.status_code == 404 and missing.json() == {"status": "NOT_FOUND"}


async def test_cancel_while_running_is_too_late(sim, api, ok_url):
    sim.task_seconds = 8  # long enough to be caught IN_PROGRESS
    submitted = await submit(api, body(ok_url))
    deadline = time.monotonic() + 20
    while (await api.get(submitted["status_url"])).json()["status"] != "IN_PROGRESS":
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    late = await api.put(submitted["cancel_url"])
    assert late.status_code == 400 and late.json() == {"status": "ALREADY_COMPLETED"}
    assert (await api.get(submitted["status_url"])).json()["status"] == "IN_PROGRESS"
    sim.fail_task(submitted["request_id"], "service_error")  # end it now


async def test_two_run_at_once_the_third_waits(sim, api, ok_url):
    sim.hold_queue()
    records = [sim.tasks[(await submit(api, body(ok_url)))["request_id"]] for _ in range(3)]
    sim.release_queue()
    # A new account runs 2 requests at once [F7]: the third starts when one of them ends.
    assert records[2].start_time >= min(r.end_time for r in records[:2])
    assert records[1].start_time < records[0].end_time


async def test_scheduled_failures_in_fal_terms(sim, api, ok_url):
    sim.fail_next_task("content_policy_violation")
    submitted = await submit(api, body(ok_url))
    status, _ = await wait_completed(api, submitted)
    assert status.json()["error_type"] == "content_policy_violation"
    result = await api.get(submitted["response_url"])
    assert result.status_code == 422 and result.json()["detail"][0]["type"] == "content_policy_violation"

    sim.fail_next_task("service_error")
    submitted = await submit(api, body(ok_url))
    await wait_completed(api, submitted)
    result = await api.get(submitted["response_url"])
    assert result.status_code == 500
    assert result.json()["error_type"] == result.headers["x-fal-error-type"] == "runner_server_error"


# ---------------------------------------------------------------- keys, paths, faults


async def test_keys_and_model_paths(sim, api, ok_url):
    async with httpx.AsyncClient(base_url=sim.base_url, timeout=10) as anonymous:
        bare = await anonymous.post(SUBMIT, json=body(ok_url))
        bearer = await anonymous.post(SUBMIT, json=body(ok_url), headers={"Authorization": f"Bearer {KEY}"})
    assert bare.status_code == bearer.status_code == 401 and "Key" in bare.json()["detail"]
    # The IDs third parties use are not fal's [B1].
    for wrong in ("/fal-ai/wan-26/reference-to-video", "/fal-ai/wan/v2.6/reference-to-video"):
        assert (await api.post(wrong, json=body(ok_url))).status_code == 404
    sim.hold_queue()
    submitted = await submit(api, body(ok_url))
    async with httpx.AsyncClient(headers={"Authorization": f"Key {OTHER_KEY}"}, timeout=10) as other:
        assert (await other.get(submitted["status_url"])).status_code == 404
        assert (await other.get(submitted["response_url"])).status_code == 404
        assert (await other.put(submitted["cancel_url"])).json() == {"status": "NOT_FOUND"}
    early = await api.get(submitted["response_url"])
    assert early.status_code == 400 and early.json()["detail"] == "Request is still in progress"
    assert (await api.put(submitted["cancel_url"])).status_code == 202


async def test_faults_answer_in_fal_shapes(sim, api, ok_url, videos):
    sim.faults.add("rate_limit", route="create", retry_after=3)
    tasks = sim.stats.tasks_created
    limited = await api.post(SUBMIT, json=body(ok_url))
    assert limited.status_code == 429 and limited.headers["retry-after"] == "3" and limited.json()["detail"]
    assert sim.stats.tasks_created == tasks
    submitted = await submit(api, body(ok_url))

    sim.faults.add("server_error", route="task", status=503)
    busy = await api.get(submitted["status_url"])
    assert busy.status_code == 503
    assert busy.json()["error_type"] == busy.headers["x-fal-error-type"] == "runner_scheduling_failure"
    sim.faults.add("expired", route="result")
    assert (await api.get(submitted["response_url"])).status_code == 404
    sim.faults.add("server_error", route="cancel", status=504)
    timed_out = await api.put(submitted["cancel_url"])
    assert timed_out.status_code == 504 and timed_out.json()["error_type"] == "request_timeout"
    sim.faults.add("server_error", route="upload", match="/storage/upload/initiate")
    failed = await api.post(
        "/storage/upload/initiate", json={"content_type": "video/mp4", "file_name": "a.mp4"}
    )
    assert failed.status_code == 500 and failed.json()["error_type"] == "internal_error"
    assert sim.stats.routes["result"] >= 1 and sim.stats.routes["cancel"] >= 1


# ---------------------------------------------------------------- flash, images, audio


async def test_flash_takes_images_and_can_be_silent(sim, api, ok_url, tmp_path):
    picture = tmp_path / "face.png"
    Image.new("RGB", (300, 300), (200, 120, 40)).save(picture)
    image_url = await upload(api, picture, "image/png")
    payload = body(ok_url, image_urls=[image_url], generate_audio=False, prompt="@Video1 hands @Image1 a cup")
    submitted = await submit(api, payload, path=FLASH)
    record = sim.tasks[submitted["request_id"]]
    assert record.extra["render"]["labels"] == ["@Video1", "@Image1"]
    # Flash without audio: a quarter of standard, USD 0.025 per second at 720p [F11].
    assert record.credits_reserved == pytest.approx(0.125)
    await wait_completed(api, submitted)
    result = await api.get(submitted["response_url"])
    assert result.status_code == 200, result.text
    out = tmp_path / "flash.mp4"
    out.write_bytes((await api.get(result.json()["video"]["url"])).content)
    assert probe(out)["audio"] == 0

    # An image among the videos is refused.
    wrong = await submit(api, body(image_url), path=FLASH)
    await wait_completed(api, wrong)
    refused = await api.get(wrong["response_url"])
    assert refused.status_code == 422 and refused.json()["detail"][0]["type"] == "unsupported_video_format"


async def test_python_client_upload_flow(sim, api, videos):
    token = await api.post("/storage/auth/token", params={"storage_type": "fal-cdn-v3"}, json={})
    assert token.status_code == 200
    grant = token.json()
    assert grant["token_type"] == "Bearer" and grant["expires_at"]
    async with httpx.AsyncClient(timeout=10) as cdn:
        stored = await cdn.post(
            f"{grant['base_url']}/files/upload",
            content=videos["ok"].read_bytes(),
            headers={
                "Authorization": f"{grant['token_type']} {grant['token']}",
                "Content-Type": "video/mp4",
                "X-Fal-File-Name": "ok.mp4",
            },
        )
        assert stored.status_code == 200, stored.text
        assert (await cdn.get(stored.json()["access_url"])).content == videos["ok"].read_bytes()
        forged = await cdn.post(
            f"{grant['base_url']}/files/upload", content=b"x", headers={"Authorization": "Bearer nope"}
        )
        assert forged.status_code == 401


async def test_requests_survive_a_restart(videos, tmp_path):
    data_dir = tmp_path / "sim-data"
    headers = {"Authorization": f"Key {KEY}"}
    with Simulator(task_seconds=0.4, dialect="fal", data_dir=data_dir) as sim:
        async with httpx.AsyncClient(base_url=sim.base_url, headers=headers) as api:
            url = await upload(api, videos["ok"])
            sim.hold_queue()
            submitted = await submit(api, body(url))
    with Simulator(task_seconds=0.4, dialect="fal", data_dir=data_dir) as sim:
        # The links of the first run name its port; the paths stay the same.
        status_path = submitted["status_url"].split("/", 3)[3]
        async with httpx.AsyncClient(base_url=sim.base_url, headers=headers) as api:
            assert (await api.get("/" + status_path)).json()["status"] == "IN_QUEUE"
            sim.release_queue()
            deadline = time.monotonic() + 30
            while (await api.get("/" + status_path)).json()["status"] != "COMPLETED":
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            result = await api.get("/" + submitted["response_url"].split("/", 3)[3])
            assert result.status_code == 200 and result.headers["x-fal-billable-units"] == "5"
