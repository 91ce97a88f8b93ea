"""The API simulator over real HTTP on 127.0.0.1: contract, dialects, uploads, faults.

One simulator per module (tasks take 0.4 s); each test reads `sim.stats` as deltas and
`clean_faults` disarms whatever a test left armed. The module's simulators may fetch links on
127.0.0.1 (`allow_private_urls=True`); the refusal of internal links is tested in
test_simulator_links.py.
"""

from __future__ import annotations

import asyncio
import base64
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import av
import httpx
import pytest

from tests.videos import make_video
from wanvideo.pricing import estimate
from wanvideo.providers import EVOLINK_PRICES, OUTPUT_SIZES
from wanvideo.simulator import Simulator

KEY = "sk-test-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
MODEL = "wan2.6-reference-video"


@pytest.fixture(scope="module")
def sim():
    with Simulator(task_seconds=0.4, allow_private_urls=True) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def sim_int():
    with Simulator(task_seconds=0.4, dialect="integer", api_keys={KEY}) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def clean_faults(request):
    yield
    for name in ("sim", "sim_int"):
        if name in request.fixturenames:
            request.getfixturevalue(name).faults.clear()


@pytest.fixture(scope="module")
def ref_video(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("refs") / "ref.mp4", seconds=3)


@pytest.fixture
async def api(sim):
    async with httpx.AsyncClient(base_url=sim.base_url, headers=AUTH, timeout=10) as client:
        yield client


async def upload(client: httpx.AsyncClient, path: Path) -> dict:
    with path.open("rb") as fh:
        response = await client.post(
            "/api/v1/files/upload/stream", files={"file": (path.name, fh, "video/mp4")}
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and body["code"] == 200
    return body["data"]


def create_body(url: str, **extra) -> dict:
    return {
        "model": MODEL,
        "prompt": "character1 dances on a rooftop",
        "video_urls": [url],
        "duration": 2,
        **extra,
    }


async def wait_final(client: httpx.AsyncClient, task_id: str, timeout: float = 30) -> tuple[dict, list[str]]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = await client.get(f"/v1/tasks/{task_id}")
        assert response.status_code == 200, response.text
        task = response.json()
        seen.append(task["status"])
        if task["status"] in ("completed", "failed"):
            return task, seen
        await asyncio.sleep(0.05)
    raise AssertionError(f"task {task_id} did not finish: {seen[-3:]}")


def settle(sim: Simulator, timeout: float = 30) -> None:
    """Wait until every task of `sim` is final (so charged credits stop changing)."""
    deadline = time.monotonic() + timeout
    while any(t.status not in ("completed", "failed") for t in list(sim.tasks.values())):
        assert time.monotonic() < deadline, "tasks did not settle"
        time.sleep(0.05)


def probe(path: Path) -> dict:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0]
        return {
            "duration": container.duration / av.time_base,
            "size": (video.width, video.height),
            "vcodec": video.codec_context.name,
            "acodec": audio.codec_context.name,
            "fps": float(video.average_rate),
        }


# ---------------------------------------------------------------- the happy path


async def test_create_poll_download_real_mp4(sim, api, ref_video, tmp_path):
    data = await upload(api, ref_video)
    created = await api.post("/v1/videos/generations", json=create_body(data["file_url"]))
    assert created.status_code == 200, created.text
    task = created.json()
    assert task["status"] == "pending" and task["progress"] == 0
    assert task["object"] == "video.generation.task" and task["type"] == "video" and task["model"] == MODEL
    assert task["id"].startswith("task-unified-")
    assert task["task_info"]["can_cancel"] is True
    expected = estimate([3.0], "720p", 2, EVOLINK_PRICES).credits
    assert Decimal(str(task["usage"]["credits_reserved"])) == expected.quantize(Decimal("0.01"))

    final, seen = await wait_final(api, task["id"])
    assert final["status"] == "completed", final
    assert "processing" in seen and seen[-1] == "completed"
    assert final["progress"] == 100
    assert (
        final["billing"]["charged_credits"]
        == final["usage"]["credits_used"]
        == task["usage"]["credits_reserved"]
    )
    url = final["results"][0]
    assert url.startswith(sim.base_url)

    response = await api.get(url)
    assert response.status_code == 200 and response.headers["content-type"] == "video/mp4"
    out = tmp_path / "result.mp4"
    out.write_bytes(response.content)
    info = probe(out)
    assert abs(info["duration"] - 2) <= 0.2
    assert info["size"] == OUTPUT_SIZES["720p"]["16:9"]
    assert (info["vcodec"], info["acodec"]) == ("h264", "aac")
    assert info["fps"] == 30
    record = sim.tasks[task["id"]]
    assert record.render_seconds is not None and record.render_seconds < 10

    # A media prober reads headers with Range requests.
    part = await api.get(url, headers={"Range": "bytes=0-1023"})
    assert part.status_code == 206 and len(part.content) == 1024
    assert part.headers["content-range"] == f"bytes 0-1023/{len(response.content)}"
    head = await api.head(url)
    assert head.status_code == 200 and int(head.headers["content-length"]) == len(response.content)


async def test_portrait_three_references(sim, api, ref_video, tmp_path):
    data = await upload(api, ref_video)
    mov = await upload(api, make_video(tmp_path / "b.mov", seconds=2.5, container="mov"))
    body = create_body(data["file_url"], aspect_ratio="9:16", duration=3, model_params={"shot_type": "multi"})
    body["video_urls"] = [data["file_url"], mov["file_url"], data["file_url"]]
    created = await api.post("/v1/videos/generations", json=body)
    assert created.status_code == 200, created.text
    task = created.json()
    # Three references: each billed up to 1.65 s, plus 3 s of output, at 720p.
    expected = estimate([3.0, 2.5, 3.0], "720p", 3, EVOLINK_PRICES).credits
    assert Decimal(str(task["usage"]["credits_reserved"])) == expected.quantize(Decimal("0.01"))
    final, _ = await wait_final(api, task["id"])
    assert final["status"] == "completed"
    out = tmp_path / "r.mp4"
    out.write_bytes((await api.get(final["results"][0])).content)
    info = probe(out)
    assert info["size"] == (720, 1280) and abs(info["duration"] - 3) <= 0.2


async def test_1080p_charge_matches_the_client_estimate(sim, api, ref_video):
    data = await upload(api, ref_video)
    created = await api.post(
        "/v1/videos/generations", json=create_body(data["file_url"], quality="1080p", duration=10)
    )
    assert created.status_code == 200, created.text
    expected = estimate([3.0], "1080p", 10, EVOLINK_PRICES).credits
    assert Decimal(str(created.json()["usage"]["credits_reserved"])) == expected.quantize(Decimal("0.01"))


# ---------------------------------------------------------------- references the simulator refuses


def unusable_references(sim: Simulator) -> list[tuple[str, str]]:
    """(link, words the refusal must contain) for references no provider would accept."""
    return [
        (f"{sim.base_url}/files/missing/x.mp4", "HTTP 404"),
        ("http://127.0.0.1:9/gone.mp4", "could not be fetched"),
    ]


@pytest.mark.parametrize("position", [0, 2])
async def test_unusable_reference_refuses_the_create_for_free(sim, api, ref_video, position):
    data = await upload(api, ref_video)
    for link, words in unusable_references(sim):
        urls = [data["file_url"]] * 3
        urls[position] = link
        settle(sim)
        tasks, charged = sim.stats.tasks_created, sim.charged_credits()
        response = await api.post("/v1/videos/generations", json={**create_body(link), "video_urls": urls})
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert (error["code"], error["type"], error["param"]) == (
            "invalid_request",
            "invalid_request_error",
            "video_urls",
        )
        assert f"Reference video {position + 1}" in error["message"] and words in error["message"]
        assert sim.stats.tasks_created == tasks and sim.charged_credits() == charged


async def test_reference_rules_from_the_spec(sim, api, tmp_path):
    """Too short, too long and not mp4/mov: refused at create, naming the reference and the rule."""
    cases = [
        (make_video(tmp_path / "short.mp4", seconds=1), "must be 2 to 30 s long"),
        (make_video(tmp_path / "long.mp4", seconds=31, width=32, height=32, fps=2), "must be 2 to 30 s long"),
        (make_video(tmp_path / "c.webm", seconds=3, container="webm"), "not a readable mp4 or mov video"),
    ]
    for path, words in cases:
        data = await upload(api, path)
        tasks = sim.stats.tasks_created
        response = await api.post("/v1/videos/generations", json=create_body(data["file_url"]))
        assert response.status_code == 400, (path.name, response.text)
        assert response.json()["error"]["param"] == "video_urls"
        assert words in response.json()["error"]["message"], response.json()
        assert sim.stats.tasks_created == tasks


async def test_unusable_reference_integer_dialect(sim_int):
    tasks = sim_int.stats.tasks_created
    async with httpx.AsyncClient(base_url=sim_int.base_url, headers=AUTH, timeout=10) as client:
        response = await client.post(
            "/v1/videos/generations",
            json=create_body(f"{sim_int.base_url}/files/missing/x.mp4", duration=5),
        )
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["type"], error["param"]) == (400, "invalid_request_error", "video_urls")
    assert sim_int.stats.tasks_created == tasks


# ---------------------------------------------------------------- validation and auth

INVALID = [
    ({"prompt": "   "}, "prompt"),
    ({"prompt": "x" * 1501}, "prompt"),
    ({"video_urls": []}, "video_urls"),
    ({"video_urls": ["http://a.test/1.mp4"] * 4}, "video_urls"),
    ({"video_urls": ["ftp://a.test/1.mp4"]}, "video_urls"),
    ({"aspect_ratio": "21:9"}, "aspect_ratio"),
    ({"quality": "4k"}, "quality"),
    ({"duration": 11}, "duration"),
    ({"duration": 1}, "duration"),
    ({"model_params": {"shot_type": "wide"}}, "model_params.shot_type"),
    ({"callback_url": "http://example.com/hook"}, "callback_url"),
    ({"callback_url": "https://192.168.1.5/hook"}, "callback_url"),
    ({"callback_url": "https://example.com/" + "a" * 2048}, "callback_url"),
    ({"model": "wan2.5"}, "model"),
]


@pytest.mark.parametrize(("change", "param"), INVALID)
async def test_validation_errors_string_dialect(sim, api, change, param):
    before = sim.stats.tasks_created
    response = await api.post("/v1/videos/generations", json={**create_body("http://a.test/v.mp4"), **change})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "invalid_request"
    assert error["param"] == param and error["message"]
    assert sim.stats.tasks_created == before


async def test_missing_fields_and_bad_json(api):
    for body, param in [
        ({"prompt": "x", "video_urls": ["http://a.test/v.mp4"]}, "model"),
        ({"model": MODEL}, "prompt"),
    ]:
        response = await api.post("/v1/videos/generations", json=body)
        assert response.status_code == 400 and response.json()["error"]["param"] == param
    response = await api.post(
        "/v1/videos/generations", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["error"]["type"] == "invalid_request_error"


async def test_integer_dialect(sim_int, ref_video):
    async with httpx.AsyncClient(base_url=sim_int.base_url, headers=AUTH, timeout=10) as client:
        bad = await client.post("/v1/videos/generations", json=create_body("http://a.test/v.mp4", duration=7))
        assert bad.status_code == 400
        assert bad.json()["error"] == {
            "code": 400,
            "message": bad.json()["error"]["message"],
            "type": "invalid_request_error",
            "param": "duration",
        }
        assert "5 or 10" in bad.json()["error"]["message"]
        model = await client.post(
            "/v1/videos/generations", json=create_body("http://a.test/v.mp4", model="x")
        )
        assert model.status_code == 404
        assert model.json()["error"]["code"] == 404 and model.json()["error"]["fallback_suggestion"] == MODEL
        wrong = await client.get("/v1/tasks/abc", headers={"Authorization": "Bearer other"})
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == 401
        assert wrong.json()["error"]["type"] == "authentication_error"
        # odkkk's base URL has an /apiv1 prefix; both paths work.
        data = await upload(client, ref_video)
        ok = await client.post("/apiv1/v1/videos/generations", json=create_body(data["file_url"], duration=5))
        assert ok.status_code == 200 and ok.json()["status"] == "pending"
        missing = await client.get("/v1/tasks/task-unified-0-nothing")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == 404


async def test_auth_required(sim, sim_int):
    async with httpx.AsyncClient(base_url=sim.base_url, timeout=10) as client:
        for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}):
            response = await client.post(
                "/v1/videos/generations", json=create_body("http://a.test/v.mp4"), headers=headers
            )
            assert response.status_code == 401
            assert response.json()["error"]["type"] == "authentication_error"
            assert response.json()["error"]["code"] == "unauthorized"
        response = await client.post("/api/v1/files/upload/base64", json={"base64_data": "aGk="})
        assert response.status_code == 401 and response.json() == {
            "success": False,
            "code": 401,
            "msg": response.json()["msg"],
        }
    async with httpx.AsyncClient(base_url=sim_int.base_url, timeout=10) as client:
        wrong = await client.post(
            "/v1/videos/generations",
            json=create_body("http://a.test/v.mp4"),
            headers={"Authorization": "Bearer nope"},
        )
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == 401


async def test_tasks_are_private_to_their_key(sim, api, ref_video):
    data = await upload(api, ref_video)
    task = (await api.post("/v1/videos/generations", json=create_body(data["file_url"]))).json()
    other = await api.get(f"/v1/tasks/{task['id']}", headers={"Authorization": "Bearer someone-else"})
    assert other.status_code == 404 and other.json()["error"]["type"] == "not_found_error"


# ---------------------------------------------------------------- idempotency


async def test_idempotency_replay_charges_once(sim, api, ref_video):
    data = await upload(api, ref_video)
    body = create_body(data["file_url"])
    key = {"Idempotency-Key": "click-0123456789abcdef"}
    settle(sim)
    creates, tasks, charged = sim.stats.creates, sim.stats.tasks_created, sim.charged_credits()
    first = await api.post("/v1/videos/generations", json=body, headers=key)
    second = await api.post("/v1/videos/generations", json=body, headers=key)
    assert first.status_code == second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert "idempotency-replayed" not in first.headers
    assert second.headers["idempotency-replayed"] == "true"
    assert sim.stats.creates == creates + 2  # both reached the handler
    assert sim.stats.tasks_created == tasks + 1  # one task, one charge
    final, _ = await wait_final(api, first.json()["id"])
    assert sim.charged_credits() == pytest.approx(charged + final["billing"]["charged_credits"])

    reused = await api.post("/v1/videos/generations", json={**body, "duration": 3}, headers=key)
    assert reused.status_code == 400 and reused.json()["error"]["param"] == "Idempotency-Key"
    short = await api.post("/v1/videos/generations", json=body, headers={"Idempotency-Key": "short"})
    assert short.status_code == 400 and short.json()["error"]["param"] == "Idempotency-Key"


async def test_simultaneous_creates_with_one_key_make_one_task(sim, api, ref_video):
    """References are fetched outside the create lock; the key is settled inside it."""
    data = await upload(api, ref_video)
    body = create_body(data["file_url"])
    key = {"Idempotency-Key": "together-0123456789abcdef"}
    tasks, replays = sim.stats.tasks_created, sim.stats.replays
    answers = await asyncio.gather(
        *(api.post("/v1/videos/generations", json=body, headers=key) for _ in range(4))
    )
    assert [a.status_code for a in answers] == [200] * 4
    assert len({a.json()["id"] for a in answers}) == 1
    assert sim.stats.tasks_created == tasks + 1 and sim.stats.replays == replays + 3
    assert sorted(a.headers.get("idempotency-replayed", "") for a in answers) == ["", "true", "true", "true"]


# ---------------------------------------------------------------- faults


async def test_rate_limit_fault(sim, api):
    creates = sim.stats.creates
    sim.faults.add("rate_limit", route="create", retry_after=2)
    response = await api.post("/v1/videos/generations", json=create_body("http://a.test/v.mp4"))
    assert response.status_code == 429 and response.headers["retry-after"] == "2"
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("rate_limit_error", "rate_limit_exceeded")
    assert sim.stats.creates == creates  # the handler never ran
    assert sim.stats.requests[-1] == ("POST", "/v1/videos/generations", 429)
    assert sim.stats.faults["rate_limit"] >= 1


@pytest.mark.parametrize(
    ("status", "kind"), [(500, "api_error"), (502, "upstream_error"), (503, "service_unavailable_error")]
)
async def test_server_error_faults(sim, api, status, kind):
    fault = sim.faults.add("server_error", route="task", status=status, times=2)
    for _ in range(2):
        response = await api.get("/v1/tasks/whatever")
        assert response.status_code == status and response.json()["error"]["type"] == kind
    assert (await api.get("/v1/tasks/whatever")).status_code == 404  # fault used up
    assert fault.hits == 2


async def test_server_error_integer_dialect(sim_int):
    sim_int.faults.add("server_error", route="*", status=503)
    async with httpx.AsyncClient(base_url=sim_int.base_url, headers=AUTH) as client:
        response = await client.get("/v1/tasks/x")
    error = response.json()["error"]
    assert (
        response.status_code == 503 and error["code"] == 503 and error["type"] == "service_unavailable_error"
    )
    assert error["fallback_suggestion"]


async def test_skip_and_generic_error_fault(sim, api):
    sim.faults.add("error", route="create", status=402, skip=1)
    bad = create_body("http://a.test/v.mp4", duration=99)
    assert (await api.post("/v1/videos/generations", json=bad)).status_code == 400  # skipped
    response = await api.post("/v1/videos/generations", json=bad)
    assert response.status_code == 402 and response.json()["error"]["code"] == "insufficient_quota"
    with pytest.raises(ValueError):
        sim.faults.add("explode")
    with pytest.raises(ValueError):
        sim.faults.add("error", route="create")  # needs a status


# A connection closed with no (complete) response: a FIN shows as RemoteProtocolError, an
# RST (abort with unread data) as ReadError; both are what a real dropped connection looks like.
DROPPED = (httpx.RemoteProtocolError, httpx.ReadError)


async def test_drop_closes_connection_before_handler(sim, api):
    creates, tasks = sim.stats.creates, sim.stats.tasks_created
    sim.faults.add("drop", route="create")
    with pytest.raises(DROPPED):
        await api.post("/v1/videos/generations", json=create_body("http://a.test/v.mp4"))
    assert (sim.stats.creates, sim.stats.tasks_created) == (creates, tasks)
    assert sim.stats.requests[-1] == ("POST", "/v1/videos/generations", 0)
    # The server is still fine afterwards.
    assert (await api.get("/health")).status_code == 200


async def test_drop_after_creates_the_task_but_loses_the_response(sim, api, ref_video):
    data = await upload(api, ref_video)
    tasks = sim.stats.tasks_created
    sim.faults.add("drop_after", route="create")
    with pytest.raises(DROPPED):
        await api.post("/v1/videos/generations", json=create_body(data["file_url"]))
    assert sim.stats.tasks_created == tasks + 1


async def test_slow_fault_fires_client_timeout(sim, api):
    sim.faults.add("slow", route="task", delay=1.0)
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        await api.get("/v1/tasks/x", timeout=0.3)
    assert time.monotonic() - started < 0.9


async def test_download_faults_truncate_stall_expired(sim, api, ref_video):
    data = await upload(api, ref_video)
    task = (await api.post("/v1/videos/generations", json=create_body(data["file_url"]))).json()
    final, _ = await wait_final(api, task["id"])
    url = final["results"][0]
    full = (await api.get(url)).content

    sim.faults.add("truncate", route="download")
    with pytest.raises(DROPPED):
        await api.get(url)
    sim.faults.add("stall", route="download", delay=1.0)
    with pytest.raises(httpx.ReadTimeout):
        await api.get(url, timeout=httpx.Timeout(5, read=0.3))
    sim.faults.add("stall", route="download", delay=0.2)
    assert (await api.get(url)).content == full  # a short stall still delivers everything
    sim.faults.add("expired", route="download", match="/results/")
    expired = await api.get(url)
    assert expired.status_code == 404 and expired.json()["error"]["type"] == "not_found_error"
    assert (await api.get(url)).status_code == 200

    sim.expire_results(task["id"])
    assert (await api.get(url)).status_code == 404
    sim.expire_task(task["id"])
    gone = await api.get(f"/v1/tasks/{task['id']}")
    assert gone.status_code == 404 and gone.json()["error"]["message"] == "Task not found or expired"


async def test_fail_next_task(sim, api, ref_video):
    data = await upload(api, ref_video)
    sim.fail_next_task("content_policy_violation", "Refused by the content policy")
    task = (await api.post("/v1/videos/generations", json=create_body(data["file_url"]))).json()
    final, _ = await wait_final(api, task["id"])
    assert final["status"] == "failed"
    assert final["error"] == {"code": "content_policy_violation", "message": "Refused by the content policy"}
    assert final["billing"]["charged_credits"] == 0
    assert final["billing"]["refunded_credits"] == task["usage"]["credits_reserved"]
    assert "results" not in final
    assert (await api.get(f"{sim.base_url}/results/{task['id']}.mp4")).status_code == 404


async def test_upload_faults_use_files_envelope(sim, api):
    sim.faults.add("server_error", route="upload", status=502)
    response = await api.post("/api/v1/files/upload/base64", json={"base64_data": "aGk="})
    assert response.status_code == 502
    assert response.json()["success"] is False and response.json()["code"] == 502


# ---------------------------------------------------------------- files host


async def test_upload_stream_and_download_with_range(sim, api, ref_video):
    data = await upload(api, ref_video)
    raw = ref_video.read_bytes()
    assert data["file_size"] == len(raw) and data["mime_type"] == "video/mp4"
    assert data["original_name"] == "ref.mp4" and data["download_url"] == data["file_url"]
    for field in ("file_id", "file_name", "upload_path", "upload_time", "expires_at"):
        assert field in data
    assert (await api.get(data["file_url"])).content == raw
    part = await api.get(data["file_url"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == raw[100:200]


async def test_upload_stream_form_fields_and_errors(api, ref_video):
    with ref_video.open("rb") as fh:
        response = await api.post(
            "/api/v1/files/upload/stream",
            files={"file": ("x.mp4", fh, "video/mp4")},
            data={"upload_path": "refs", "file_name": "dance.mp4"},
        )
    data = response.json()["data"]
    assert (data["file_name"], data["upload_path"], data["original_name"]) == ("dance.mp4", "refs", "x.mp4")
    missing = await api.post("/api/v1/files/upload/stream", files={"other": ("a.txt", b"hi", "text/plain")})
    assert missing.status_code == 400 and missing.json()["success"] is False
    not_multipart = await api.post("/api/v1/files/upload/stream", content=b"raw")
    assert not_multipart.status_code == 400


async def test_upload_base64_data_url_and_raw(api, ref_video):
    raw = ref_video.read_bytes()
    encoded = base64.b64encode(raw).decode()
    as_data_url = await api.post(
        "/api/v1/files/upload/base64",
        json={"base64_data": f"data:video/mp4;base64,{encoded}", "file_name": "a.mp4"},
    )
    data = as_data_url.json()["data"]
    assert data["mime_type"] == "video/mp4" and data["file_size"] == len(raw)
    assert (await api.get(data["file_url"])).content == raw
    plain = await api.post("/api/v1/files/upload/base64", json={"base64_data": encoded})
    assert plain.json()["success"] is True and plain.json()["data"]["file_size"] == len(raw)
    bad = await api.post("/api/v1/files/upload/base64", json={"base64_data": "%%%"})
    assert bad.status_code == 400 and bad.json() == {"success": False, "code": 400, "msg": bad.json()["msg"]}


async def test_upload_url_fetches(sim, api, ref_video):
    source = await upload(api, ref_video)
    response = await api.post("/api/v1/files/upload/url", json={"file_url": source["file_url"]})
    data = response.json()["data"]
    assert data["file_size"] == source["file_size"] and data["file_id"] != source["file_id"]
    assert (await api.get(data["file_url"])).content == ref_video.read_bytes()
    missing = await api.post(
        "/api/v1/files/upload/url", json={"file_url": f"{sim.base_url}/files/none/x.mp4"}
    )
    assert missing.status_code == 400 and "404" in missing.json()["msg"]
    bad = await api.post("/api/v1/files/upload/url", json={"file_url": "file:///etc/passwd"})
    assert bad.status_code == 400


async def test_upload_100_mb_streams_quickly(sim, api):
    size = 100 * 1000 * 1000
    chunk = b"\0" * (1 << 20)

    async def body():
        left = size
        while left > 0:
            yield chunk[: min(left, len(chunk))]
            left -= len(chunk)

    boundary = "simboundary123"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    async def multipart():
        yield head
        async for part in body():
            yield part
        yield tail

    started = time.monotonic()
    response = await api.post(
        "/api/v1/files/upload/stream",
        content=multipart(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        timeout=60,
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["file_size"] == size
    assert sim.files[data["file_id"]].path.stat().st_size == size
    assert elapsed < 20
    sim.files[data["file_id"]].path.unlink()  # free the disk at once


def test_upload_too_large_is_413(tmp_path):
    with (
        Simulator(task_seconds=0, max_upload_bytes=1000, data_dir=tmp_path) as small,
        httpx.Client(base_url=small.base_url, headers=AUTH) as client,
    ):
        response = client.post("/api/v1/files/upload/stream", files={"file": ("a.bin", b"x" * 5000)})
        assert response.status_code == 413 and response.json()["code"] == 413
        assert not list((tmp_path / "uploads").iterdir())
        ok = client.post("/api/v1/files/upload/stream", files={"file": ("a.bin", b"x" * 500)})
        assert ok.status_code == 200


# ---------------------------------------------------------------- bookkeeping and CLI


async def test_stats_count_routes(sim, api):
    routes = dict(sim.stats.routes)
    gets = sim.stats.task_gets
    await api.get("/v1/tasks/none")
    await api.get(f"{sim.base_url}/files/none/x.mp4")
    assert sim.stats.routes["task"] == routes.get("task", 0) + 1
    assert sim.stats.routes["download"] == routes.get("download", 0) + 1
    assert sim.stats.task_gets == gets + 1
    assert sim.stats.requests[-2:] == [("GET", "/v1/tasks/none", 404), ("GET", "/files/none/x.mp4", 404)]


async def test_stats_record_which_key_by_its_owner_id(sim, api):
    await api.get("/v1/tasks/none")
    await api.get("/v1/tasks/none", headers={"Authorization": "Bearer another-key-987"})
    async with httpx.AsyncClient(base_url=sim.base_url) as anonymous:
        await anonymous.get("/v1/tasks/none")
    assert sim.stats.keys[-3:] == [
        ("GET", "/v1/tasks/none", sim.key_owner(KEY)),
        ("GET", "/v1/tasks/none", sim.key_owner("another-key-987")),
        ("GET", "/v1/tasks/none", None),
    ]
    assert sim.key_owner(KEY) != KEY and KEY not in repr(sim.stats)


def test_command_line_runs_standalone():
    proc = subprocess.Popen(
        [sys.executable, "-m", "wanvideo.simulator", "--port", "0", "--task-seconds", "1"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        base_url = line.split(" on ")[-1].strip()
        assert base_url.startswith("http://127.0.0.1:")
        for _ in range(50):
            try:
                response = httpx.get(f"{base_url}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert response.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_state_survives_restart_with_data_dir(tmp_path, ref_video):
    key = {"Idempotency-Key": "restart-0123456789abcdef"}
    with (
        Simulator(task_seconds=0.2, data_dir=tmp_path) as first,
        httpx.Client(headers=AUTH, timeout=10) as client,
    ):
        with ref_video.open("rb") as fh:
            data = client.post(
                f"{first.base_url}/api/v1/files/upload/stream", files={"file": ("r.mp4", fh)}
            ).json()["data"]
        task = client.post(
            f"{first.base_url}/v1/videos/generations", json=create_body(data["file_url"]), headers=key
        ).json()
    assert (tmp_path / "state.json").exists()
    with (
        Simulator(task_seconds=0.2, data_dir=tmp_path) as second,
        httpx.Client(headers=AUTH, timeout=10) as client,
    ):
        second.wait_rendered(task["id"])
        final = client.get(f"{second.base_url}/v1/tasks/{task['id']}").json()
        assert final["status"] == "completed" and final["results"][0].startswith(second.base_url)
        assert client.get(final["results"][0]).status_code == 200
        assert (
            client.get(f"{second.base_url}/files/{data['file_id']}/r.mp4").content == ref_video.read_bytes()
        )
        again = client.post(
            f"{second.base_url}/v1/videos/generations", json=create_body(data["file_url"]), headers=key
        )
        assert again.json()["id"] == task["id"] and again.headers["idempotency-replayed"] == "true"
        assert second.stats.tasks_created == 0
