"""The simulator's "dashscope" dialect over real HTTP on 127.0.0.1 (PROVIDERS.md section A).

One Singapore simulator for the module (tasks take 0.4 s), plus short-lived ones for other
regions and the restart. Facts are checked against PROVIDERS.md's numbers, written out here,
never against the simulator's own tables.
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

KEY = "sk-dash-0123456789"
OTHER_KEY = "sk-dash-other-0123"
CREATE = "/api/v1/services/aigc/video-generation/video-synthesis"
ASYNC = {"X-DashScope-Async": "enable"}
OSS = {**ASYNC, "X-DashScope-OssResourceResolve": "enable"}
FINAL = ("SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN")


@pytest.fixture(scope="module")
def sim():
    with Simulator(task_seconds=0.4, dialect="dashscope", allow_private_urls=True) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def clean(request):
    yield
    if "sim" in request.fixturenames:
        simulator = request.getfixturevalue("sim")
        simulator.faults.clear()
        simulator.release_queue()


@pytest.fixture
async def api(sim):
    async with httpx.AsyncClient(
        base_url=sim.base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=15
    ) as client:
        yield client


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("dash-refs")
    return {
        "3s": make_video(folder / "three.mp4", seconds=3),
        "4s": make_video(folder / "four.mov", seconds=4, container="mov"),
        "1.5s": make_video(folder / "short.mp4", seconds=1.5),
    }


def image(path: Path, size: tuple[int, int], mode: str = "RGB") -> Path:
    Image.new(mode, size, (30, 120, 200, 128)[: len(mode)]).save(path)
    return path


def body(*urls: str, model: str = "wan2.6-r2v", **parameters) -> dict:
    return {
        "model": model,
        "input": {"prompt": "character1 waves at the camera", "reference_urls": list(urls)},
        "parameters": {"size": "1280*720", "duration": 2, **parameters},
    }


async def post_form(
    client: httpx.AsyncClient, path: Path, model: str = "wan2.6-r2v"
) -> tuple[httpx.Response, str]:
    """The temporary upload [D4]: getPolicy, then the OSS form with `file` last."""
    answer = await client.get("/api/v1/uploads", params={"action": "getPolicy", "model": model})
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    key = f"{data['upload_dir']}/{path.name}"
    form = {
        "OSSAccessKeyId": data["oss_access_key_id"],
        "Signature": data["signature"],
        "policy": data["policy"],
        "x-oss-object-acl": data["x_oss_object_acl"],
        "x-oss-forbid-overwrite": data["x_oss_forbid_overwrite"],
        "key": key,
        "success_action_status": "200",
    }
    with path.open("rb") as fh:
        # httpx writes the data fields first and the file last, as OSS needs.
        posted = await client.post(
            data["upload_host"], data=form, files={"file": (path.name, fh, "video/mp4")}
        )
    return posted, f"oss://{key}"


async def upload(client: httpx.AsyncClient, path: Path, model: str = "wan2.6-r2v") -> str:
    """A local file made an oss:// URL."""
    posted, url = await post_form(client, path, model)
    assert posted.status_code == 200 and posted.content == b"", posted.text
    return url


async def wait_final(client: httpx.AsyncClient, task_id: str, timeout: float = 30) -> tuple[dict, list[str]]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = await client.get(f"/api/v1/tasks/{task_id}")
        assert answer.status_code == 200, answer.text
        task = answer.json()
        seen.append(task["output"]["task_status"])
        if seen[-1] in FINAL:
            return task, seen
        await asyncio.sleep(0.05)
    raise AssertionError(f"task {task_id} did not finish: {seen[-3:]}")


async def wait_status(client: httpx.AsyncClient, task_id: str, wanted: str) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        task = (await client.get(f"/api/v1/tasks/{task_id}")).json()
        if task["output"]["task_status"] == wanted:
            return task
        await asyncio.sleep(0.02)
    raise AssertionError(f"task {task_id} never reached {wanted}")


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


async def test_local_file_flow_upload_create_poll_download(sim, api, videos, tmp_path):
    settle(sim)
    charged = sim.charged_credits()
    url = await upload(api, videos["3s"])
    assert url.startswith("oss://dashscope-instant/")
    created = await api.post(CREATE, json=body(url), headers=OSS)
    assert created.status_code == 200, created.text
    answer = created.json()
    assert answer["output"]["task_status"] == "PENDING" and answer["request_id"]
    task_id = answer["output"]["task_id"]
    assert uuid.UUID(task_id)

    final, seen = await wait_final(api, task_id)
    assert seen[-1] == "SUCCEEDED" and "RUNNING" in seen, seen
    output = final["output"]
    assert output["orig_prompt"] == "character1 waves at the camera"
    for field in ("submit_time", "scheduled_time", "end_time"):
        assert len(output[field]) == len("2026-01-01 00:00:00.000"), output[field]
    # PROVIDERS.md A5/A6: one 3 s reference video (under the 5 s cap) + 2 s of output.
    assert final["usage"] == {
        "duration": 5.0,
        "size": "1280*720",
        "input_video_duration": 3,
        "output_video_duration": 2,
        "video_count": 1,
        "SR": 720,
    }
    # Singapore, wan2.6-r2v, 720P: USD 0.10 per billed second [D2].
    assert sim.currency == "USD"
    assert sim.charged_credits() == pytest.approx(charged + 0.5)

    video = await api.get(output["video_url"])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    out = tmp_path / "result.mp4"
    out.write_bytes(video.content)
    info = probe(out)
    assert info["size"] == (1280, 720) and abs(info["duration"] - 2) <= 0.2 and info["audio"] == 1


async def test_defaults_are_1080p_5s_single_shot(sim, api, videos):
    url = await upload(api, videos["3s"])
    payload = {"model": "wan2.6-r2v", "input": {"prompt": "character1 walks", "reference_urls": [url]}}
    created = await api.post(CREATE, json=payload, headers=OSS)
    assert created.status_code == 200, created.text
    record = sim.tasks[created.json()["output"]["task_id"]]
    assert (record.extra["size"], record.duration, record.shot_type) == ("1920*1080", 5, "single")
    # (3 + 5) s at USD 0.15 (1080P) [D2].
    assert record.credits_reserved == pytest.approx(1.2)


async def test_two_videos_and_an_image_split_the_input_cap(sim, api, videos, tmp_path):
    picture = image(tmp_path / "face.png", (320, 400))
    urls = [await upload(api, videos["4s"]), await upload(api, videos["4s"]), await upload(api, picture)]
    created = await api.post(CREATE, json=body(*urls, duration=3), headers=OSS)
    assert created.status_code == 200, created.text
    record = sim.tasks[created.json()["output"]["task_id"]]
    assert record.extra["reference_kinds"] == ["video", "video", "image"]
    # Two 4 s videos: 2.5 + 2.5 under EvoLink's split [D12]; the image is not billed (A6).
    assert (record.extra["input_video_duration"], record.extra["billed_seconds"]) == (5, 8.0)


async def test_long_prompts_are_truncated_silently(sim, api, videos):
    url = await upload(api, videos["3s"])
    payload = body(url)
    payload["input"]["prompt"] = "character1 " + "x" * 1600
    payload["input"]["negative_prompt"] = "n" * 600
    created = await api.post(CREATE, json=payload, headers=OSS)
    assert created.status_code == 200, created.text
    record = sim.tasks[created.json()["output"]["task_id"]]
    # 1500 characters for the model, 500 for the negative prompt; the original is kept [D1].
    assert len(record.prompt) == 1500 and record.extra["orig_prompt"] == payload["input"]["prompt"]
    assert len(record.extra["negative_prompt"]) == 500


async def test_flash_without_audio_is_silent_and_cheaper(sim, api, videos, tmp_path):
    url = await upload(api, videos["3s"], model="wan2.6-r2v-flash")
    created = await api.post(CREATE, json=body(url, model="wan2.6-r2v-flash", audio=False), headers=OSS)
    assert created.status_code == 200, created.text
    task_id = created.json()["output"]["task_id"]
    final, _ = await wait_final(api, task_id)
    assert final["output"]["task_status"] == "SUCCEEDED"
    # (3 + 2) s at USD 0.025 (flash, silent, 720P) [D2].
    assert sim.tasks[task_id].credits_reserved == pytest.approx(0.125)
    out = tmp_path / "silent.mp4"
    out.write_bytes((await api.get(final["output"]["video_url"])).content)
    assert probe(out)["audio"] == 0


# ---------------------------------------------------------------- refusals at create


REFUSED = [
    ({"parameters": {"size": "720P"}}, 400, "InvalidParameter", "size"),
    ({"parameters": {"size": "1280x720"}}, 400, "InvalidParameter", "size"),
    ({"parameters": {"duration": 11}}, 400, "InvalidParameter", "duration"),
    ({"parameters": {"duration": 1}}, 400, "InvalidParameter", "duration"),
    ({"parameters": {"duration": "5"}}, 400, "InvalidParameter", "duration"),
    ({"parameters": {"shot_type": "wide"}}, 400, "InvalidParameter", "shot_type"),
    ({"parameters": {"audio": False}}, 400, "InvalidParameter", "audio"),
    ({"parameters": {"seed": -1}}, 400, "InvalidParameter", "seed"),
    ({"parameters": {"resolution": "720P"}}, 400, "InvalidParameter", "resolution"),
    (
        {"input": {"prompt": "  ", "reference_urls": ["https://a.test/v.mp4"]}},
        400,
        "InvalidParameter",
        "prompt",
    ),
    ({"input": {"prompt": "x", "reference_urls": []}}, 400, "InvalidParameter", "reference_urls"),
    (
        {"input": {"prompt": "x", "reference_urls": ["https://a.test/v.mp4"] * 6}},
        400,
        "InvalidParameter",
        "1 to 5",
    ),
    ({"input": {"prompt": "x", "reference_urls": ["ftp://a.test/v.mp4"]}}, 400, "InvalidParameter", "http"),
    ({"input": {"prompt": "x"}}, 400, "InvalidParameter", "reference_urls"),
    ({"model": "wan2.5-r2v"}, 404, "ModelNotFound", "Model not exist"),
]


@pytest.mark.parametrize(("change", "status", "code", "words"), REFUSED)
async def test_body_rules_refuse_before_any_task(sim, api, change, status, code, words):
    payload = body("https://a.test/v.mp4")
    for part, value in change.items():
        payload[part] = (
            {**payload[part], **value} if isinstance(value, dict) and part == "parameters" else value
        )
    tasks = sim.stats.tasks_created
    answer = await api.post(CREATE, json=payload, headers=ASYNC)
    assert answer.status_code == status, answer.text
    error = answer.json()
    assert error["code"] == code and words in error["message"] and error["request_id"]
    assert sim.stats.tasks_created == tasks


async def test_the_async_header_and_the_key_are_required(sim, api):
    tasks = sim.stats.tasks_created
    sync = await api.post(CREATE, json=body("https://a.test/v.mp4"))
    assert sync.status_code == 403
    assert sync.json()["code"] == "AccessDenied"
    assert sync.json()["message"] == "current user api does not support synchronous calls"
    async with httpx.AsyncClient(base_url=sim.base_url, timeout=10) as anonymous:
        missing = await anonymous.post(CREATE, json=body("https://a.test/v.mp4"), headers=ASYNC)
    assert missing.status_code == 401
    assert missing.json()["code"] == "InvalidApiKey" and missing.json()["message"] == "No API-key provided."
    assert sim.stats.tasks_created == tasks


async def test_references_that_break_the_media_rules(sim, api, videos, tmp_path):
    cases = [
        (image(tmp_path / "alpha.png", (300, 300), "RGBA"), "alpha"),
        (image(tmp_path / "tiny.png", (100, 300)), "240 to 8000 px"),
        (make_video(tmp_path / "long.mp4", seconds=31, width=32, height=32, fps=2), "1 to 30 s"),
        (make_video(tmp_path / "clip.webm", seconds=2, container="webm"), "not a readable mp4 or mov"),
    ]
    for path, words in cases:
        url = await upload(api, path)
        tasks = sim.stats.tasks_created
        answer = await api.post(CREATE, json=body(url), headers=OSS)
        assert answer.status_code == 400, (path.name, answer.text)
        assert answer.json()["code"] == "InvalidParameter" and words in answer.json()["message"], (
            answer.json()
        )
        assert sim.stats.tasks_created == tasks
    # A 1.5 s video is fine in reference_urls (1-30 s) but not in the deprecated field (2-30 s).
    url = await upload(api, videos["1.5s"])
    assert (await api.post(CREATE, json=body(url), headers=OSS)).status_code == 200
    legacy = body()
    legacy["input"] = {"prompt": "character1 jumps", "reference_video_urls": [url]}
    answer = await api.post(CREATE, json=legacy, headers=OSS)
    assert answer.status_code == 400 and "2 to 30 s" in answer.json()["message"]


async def test_a_link_that_cannot_be_fetched_is_invalid_url(sim, api):
    answer = await api.post(CREATE, json=body("http://127.0.0.1:9/gone.mp4"), headers=ASYNC)
    assert answer.status_code == 400 and answer.json()["code"] == "InvalidURL", answer.text
    assert "could not be fetched" in answer.json()["message"]


# ---------------------------------------------------------------- oss:// URLs [D4]


async def test_oss_urls_need_the_resolve_header(sim, api, videos):
    url = await upload(api, videos["3s"])
    answer = await api.post(CREATE, json=body(url), headers=ASYNC)
    assert answer.status_code == 400
    assert answer.json()["code"] == "InvalidParameter.DataInspection"
    assert "X-DashScope-OssResourceResolve" in answer.json()["message"]


async def test_an_upload_is_bound_to_its_model_and_account(sim, api, videos):
    for_flash = await upload(api, videos["3s"], model="wan2.6-r2v-flash")
    answer = await api.post(CREATE, json=body(for_flash), headers=OSS)
    assert answer.status_code == 400 and answer.json()["code"] == "InvalidParameter.DataInspection"
    assert "wan2.6-r2v-flash" in answer.json()["message"]
    # The same file works with the model its policy named.
    assert (
        await api.post(CREATE, json=body(for_flash, model="wan2.6-r2v-flash"), headers=OSS)
    ).status_code == 200

    mine = await upload(api, videos["3s"])
    async with httpx.AsyncClient(
        base_url=sim.base_url, headers={"Authorization": f"Bearer {OTHER_KEY}"}, timeout=10
    ) as other:
        answer = await other.post(CREATE, json=body(mine), headers=OSS)
    assert answer.status_code == 400 and answer.json()["code"] == "InvalidParameter.DataInspection"


async def test_an_expired_upload_is_refused(videos):
    with Simulator(task_seconds=0.4, dialect="dashscope") as sim:
        async with httpx.AsyncClient(
            base_url=sim.base_url, headers={"Authorization": f"Bearer {KEY}"}
        ) as api:
            url = await upload(api, videos["3s"])
            sim.expire_files()  # past its 48 h
            answer = await api.post(CREATE, json=body(url), headers=OSS)
    assert answer.status_code == 400 and "expired" in answer.json()["message"]


def form_parts(fields: list[tuple[str, str]], file_at: int, content: bytes) -> tuple[bytes, str]:
    """A multipart body with the file at position `file_at` (httpx always puts it last)."""
    boundary = "simboundary" + uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields
    ]
    file_part = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n'
            f"Content-Type: video/mp4\r\n\r\n"
        ).encode()
        + content
        + b"\r\n"
    )
    parts.insert(file_at, file_part)
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


async def test_the_upload_form_rules(sim, api, videos):
    answer = await api.get("/api/v1/uploads", params={"action": "getPolicy", "model": "wan2.6-r2v"})
    data = answer.json()["data"]
    assert data["expire_in_seconds"] == 300 and data["x_oss_forbid_overwrite"] == "true"
    assert data["upload_dir"].startswith("dashscope-instant/")
    fields = [
        ("OSSAccessKeyId", data["oss_access_key_id"]),
        ("Signature", data["signature"]),
        ("policy", data["policy"]),
        ("x-oss-forbid-overwrite", "true"),
        ("key", f"{data['upload_dir']}/a.mp4"),
        ("success_action_status", "200"),
    ]
    content = videos["3s"].read_bytes()
    async with httpx.AsyncClient(timeout=10) as bare:  # the upload host takes no API key

        async def post(fields: list[tuple[str, str]], file_at: int | None = None) -> httpx.Response:
            raw, ctype = form_parts(fields, len(fields) if file_at is None else file_at, content)
            return await bare.post(data["upload_host"], content=raw, headers={"Content-Type": ctype})

        first = await post(fields, file_at=0)  # the fields after the file are ignored
        assert first.status_code == 400 and b"<Code>InvalidArgument</Code>" in first.content
        forged = await post([(n, "AAAA" if n == "Signature" else v) for n, v in fields])
        assert forged.status_code == 403 and b"SignatureDoesNotMatch" in forged.content
        outside = await post([(n, "elsewhere/a.mp4" if n == "key" else v) for n, v in fields])
        assert outside.status_code == 403 and b"Policy Condition failed" in outside.content
        stored = await post(fields)
        assert stored.status_code == 200 and stored.content == b""
        again = await post(fields)
        assert again.status_code == 409 and b"FileAlreadyExists" in again.content
        sim.expire_policies()
        late = await post([(n, f"{data['upload_dir']}/b.mp4" if n == "key" else v) for n, v in fields])
        assert late.status_code == 403
        assert b"<Code>AccessDenied</Code>" in late.content and b"Policy expired" in late.content


async def test_get_policy_refusals(sim, api):
    unknown = await api.get("/api/v1/uploads", params={"action": "getPolicy", "model": "wan9"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "ModelNotFound"
    no_action = await api.get("/api/v1/uploads", params={"model": "wan2.6-r2v"})
    assert no_action.status_code == 400 and no_action.json()["code"] == "InvalidParameter"
    async with httpx.AsyncClient(base_url=sim.base_url) as anonymous:
        denied = await anonymous.get("/api/v1/uploads", params={"action": "getPolicy", "model": "wan2.6-r2v"})
    assert denied.status_code == 401 and denied.json()["code"] == "InvalidApiKey"


# ---------------------------------------------------------------- query, UNKNOWN and cancel


async def test_unknown_expired_and_other_accounts_tasks_are_unknown(sim, api, videos):
    gone = await api.get(f"/api/v1/tasks/{uuid.uuid4()}")
    assert gone.status_code == 200 and gone.json()["output"]["task_status"] == "UNKNOWN"
    url = await upload(api, videos["3s"])
    task_id = (await api.post(CREATE, json=body(url), headers=OSS)).json()["output"]["task_id"]
    async with httpx.AsyncClient(
        base_url=sim.base_url, headers={"Authorization": f"Bearer {OTHER_KEY}"}, timeout=10
    ) as other:
        theirs = await other.get(f"/api/v1/tasks/{task_id}")
    assert theirs.json()["output"] == {"task_id": task_id, "task_status": "UNKNOWN"}
    assert (await api.get(f"/api/v1/tasks/{task_id}")).json()["output"]["task_status"] != "UNKNOWN"
    sim.expire_task(task_id)  # older than 24 h
    assert (await api.get(f"/api/v1/tasks/{task_id}")).json()["output"]["task_status"] == "UNKNOWN"


async def test_cancel_while_pending_costs_nothing(sim, api, videos):
    url = await upload(api, videos["3s"])
    sim.hold_queue()
    first = (await api.post(CREATE, json=body(url), headers=OSS)).json()["output"]["task_id"]
    second = (await api.post(CREATE, json=body(url), headers=OSS)).json()["output"]["task_id"]
    assert (await api.get(f"/api/v1/tasks/{first}")).json()["output"]["task_status"] == "PENDING"
    cancelled = await api.post(f"/api/v1/tasks/{first}/cancel")
    assert cancelled.status_code == 200 and set(cancelled.json()) == {"request_id"}
    task = (await api.get(f"/api/v1/tasks/{first}")).json()
    assert task["output"]["task_status"] == "CANCELED" and "usage" not in task
    again = await api.post(f"/api/v1/tasks/{first}/cancel")
    assert again.status_code == 400 and again.json()["code"] == "UnsupportedOperation"

    sim.release_queue()
    final, _ = await wait_final(api, second)
    assert final["output"]["task_status"] == "SUCCEEDED"
    assert sim.tasks[first].status == "cancelled" and sim.tasks[first].credits_reserved > 0
    # Cancelled tasks are never charged.
    charged = sum(t.credits_reserved for t in sim.tasks.values() if t.status == "completed")
    assert sim.charged_credits() == pytest.approx(round(charged, 2))


async def test_cancel_too_late(sim, api, videos):
    url = await upload(api, videos["3s"])
    task_id = (await api.post(CREATE, json=body(url), headers=OSS)).json()["output"]["task_id"]
    await wait_status(api, task_id, "SUCCEEDED")
    late = await api.post(f"/api/v1/tasks/{task_id}/cancel")
    assert late.status_code == 400 and late.json()["code"] == "UnsupportedOperation"
    assert late.json()["message"] == (
        "Failed to cancel the task, please confirm if the task is in PENDING status."
    )
    unknown = await api.post(f"/api/v1/tasks/{uuid.uuid4()}/cancel")
    assert unknown.status_code == 400 and unknown.json()["code"] == "UnsupportedOperation"


async def test_the_account_queue_runs_five_per_model(sim, api, videos):
    """Six tasks at once: five run, the sixth waits for the first slot [D3]."""
    url = await upload(api, videos["3s"])
    sim.hold_queue()
    ids = [
        (await api.post(CREATE, json=body(url), headers=OSS)).json()["output"]["task_id"] for _ in range(6)
    ]
    records = [sim.tasks[i] for i in ids]
    assert all(r.held for r in records)
    sim.release_queue()
    starts = [r.start_time for r in records]
    assert starts[:5] == sorted(starts[:5]) and starts[5] >= min(r.end_time for r in records[:5])
    assert all(r.status in ("pending", "processing", "completed") for r in records)
    for task_id in ids:
        final, _ = await wait_final(api, task_id)
        assert final["output"]["task_status"] == "SUCCEEDED"


async def test_a_scheduled_failure_ends_failed_uncharged(sim, api, videos):
    url = await upload(api, videos["3s"])
    sim.fail_next_task("content_policy_violation")
    task_id = (await api.post(CREATE, json=body(url), headers=OSS)).json()["output"]["task_id"]
    final, _ = await wait_final(api, task_id)
    output = final["output"]
    assert output["task_status"] == "FAILED" and output["code"] == "DataInspectionFailed", output
    assert output["message"] and "usage" not in final
    assert sim.tasks[task_id].status == "failed"
    sim.fail_next_task("InvalidParameter", "The size is not match xxxxxx")
    task_id = (await api.post(CREATE, json=body(url), headers=OSS)).json()["output"]["task_id"]
    final, _ = await wait_final(api, task_id)
    assert (final["output"]["code"], final["output"]["message"]) == (
        "InvalidParameter",
        "The size is not match xxxxxx",
    )


# ---------------------------------------------------------------- faults


async def test_faults_answer_in_dashscope_shapes(sim, api, videos):
    url = await upload(api, videos["3s"])
    sim.faults.add("rate_limit", route="create", retry_after=2)
    tasks = sim.stats.tasks_created
    limited = await api.post(CREATE, json=body(url), headers=OSS)
    assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
    assert limited.json()["code"] == "Throttling.RateQuota" and limited.json()["request_id"]
    assert sim.stats.tasks_created == tasks
    created = await api.post(CREATE, json=body(url), headers=OSS)  # the fault fired once
    task_id = created.json()["output"]["task_id"]

    sim.faults.add("server_error", route="task")
    broken = await api.get(f"/api/v1/tasks/{task_id}")
    assert broken.status_code == 500 and broken.json()["code"] == "InternalError"
    sim.faults.add("expired", route="task")
    assert (await api.get(f"/api/v1/tasks/{task_id}")).json()["output"]["task_status"] == "UNKNOWN"
    sim.faults.add("server_error", route="cancel", status=503)
    assert (await api.post(f"/api/v1/tasks/{task_id}/cancel")).status_code == 503

    final, _ = await wait_final(api, task_id)
    sim.faults.add("expired", route="download")
    gone = await api.get(final["output"]["video_url"])
    assert gone.status_code == 403 and b"Request has expired" in gone.content
    sim.expire_results(task_id)
    assert (await api.get(final["output"]["video_url"])).status_code == 403

    sim.faults.add("error", route="upload", status=403, match="/dashscope-file")
    refused, _ = await post_form(api, videos["3s"])
    assert refused.status_code == 403 and b"<Code>AccessDenied</Code>" in refused.content
    sim.faults.add("drop", route="create")
    tasks = sim.stats.tasks_created
    with pytest.raises(httpx.TransportError):
        await api.post(CREATE, json=body(url), headers=OSS)
    assert sim.stats.tasks_created == tasks
    assert sim.stats.routes["cancel"] >= 1


# ---------------------------------------------------------------- regions


async def test_virginia_rules(videos, tmp_path):
    with Simulator(task_seconds=0.4, dialect="dashscope", region="virginia", allow_private_urls=True) as sim:
        assert sim.currency == "CNY"
        async with httpx.AsyncClient(
            base_url=sim.base_url, headers={"Authorization": f"Bearer {KEY}"}
        ) as api:
            policy = await api.get("/api/v1/uploads", params={"action": "getPolicy", "model": "wan2.6-r2v"})
            assert policy.status_code == 403 and policy.json()["code"] == "AccessDenied"
            flash = await api.post(
                CREATE, json=body("https://a.test/v.mp4", model="wan2.6-r2v-flash"), headers=ASYNC
            )
            assert flash.status_code == 404 and flash.json()["code"] == "ModelNotFound"
            seven = await api.post(CREATE, json=body("https://a.test/v.mp4", duration=7), headers=ASYNC)
            assert seven.status_code == 400 and "5 or 10" in seven.json()["message"]

            # Links instead of uploads: served by a little site on 127.0.0.1.
            site = tmp_path / "site"
            site.mkdir()
            image(site / "face.png", (300, 300))
            make_video(site / "clip.mp4", seconds=3)
            with serve_folder(site) as base:
                pictured = await api.post(CREATE, json=body(f"{base}/face.png", duration=5), headers=ASYNC)
                assert pictured.status_code == 400 and "video references only" in pictured.json()["message"]
                created = await api.post(CREATE, json=body(f"{base}/clip.mp4", duration=5), headers=ASYNC)
                assert created.status_code == 200, created.text
            record = sim.tasks[created.json()["output"]["task_id"]]
            # (3 + 5) s at CNY 0.6 (Global, 720P) [D2].
            assert record.credits_reserved == pytest.approx(4.8)


def serve_folder(folder: Path):
    """A static file server on 127.0.0.1 for `folder` (a context manager giving its base URL)."""
    import contextlib
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    @contextlib.contextmanager
    def running():
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()

    return running()


async def test_beijing_prices_in_cny(videos):
    with Simulator(task_seconds=0.4, dialect="dashscope", region="beijing") as sim:
        async with httpx.AsyncClient(
            base_url=sim.base_url, headers={"Authorization": f"Bearer {KEY}"}
        ) as api:
            url = await upload(api, videos["3s"])
            created = await api.post(CREATE, json=body(url, size="1920*1080", duration=10), headers=OSS)
            record = sim.tasks[created.json()["output"]["task_id"]]
    # (3 + 10) s at CNY 1.0 (Beijing, 1080P) [D2].
    assert (sim.currency, record.credits_reserved) == ("CNY", pytest.approx(13.0))


def test_region_and_dialect_arguments_are_checked():
    with pytest.raises(ValueError, match="region"):
        Simulator(dialect="dashscope", region="frankfurt")
    with pytest.raises(ValueError, match="dashscope dialect only"):
        Simulator(dialect="string", region="beijing")


# ---------------------------------------------------------------- restart


async def test_tasks_and_uploads_survive_a_restart(videos, tmp_path):
    data_dir = tmp_path / "sim-data"
    with Simulator(task_seconds=0.4, dialect="dashscope", data_dir=data_dir) as sim:
        async with httpx.AsyncClient(
            base_url=sim.base_url, headers={"Authorization": f"Bearer {KEY}"}
        ) as api:
            url = await upload(api, videos["3s"])
            sim.hold_queue()
            task_id = (await api.post(CREATE, json=body(url), headers=OSS)).json()["output"]["task_id"]
    with Simulator(task_seconds=0.4, dialect="dashscope", data_dir=data_dir) as sim:
        async with httpx.AsyncClient(
            base_url=sim.base_url, headers={"Authorization": f"Bearer {KEY}"}
        ) as api:
            # Held before the restart: it waits until the queue is released.
            assert (await api.get(f"/api/v1/tasks/{task_id}")).json()["output"]["task_status"] == "PENDING"
            sim.release_queue()
            final, _ = await wait_final(api, task_id)
            assert final["output"]["task_status"] == "SUCCEEDED"
            # The oss:// file is still usable after the restart.
            again = await api.post(CREATE, json=body(url), headers=OSS)
            assert again.status_code == 200, again.text


def test_silent_render_has_no_audio_stream(tmp_path):
    """The render itself: `audio=False` writes a video with no audio stream."""
    from wanvideo.simulator.render import render_video

    out = tmp_path / "silent.mp4"
    render_video(out, [None], "character1", (320, 180), 1, audio=False)
    info = probe(out)
    assert info["audio"] == 0 and abs(info["duration"] - 1) <= 0.2


# ---------------------------------------------------------------- PROVIDERS.md A6, worked examples


@pytest.mark.parametrize(
    ("references", "size", "output", "usd"),
    [
        ([10.0], "1280*720", 5, 1.00),  # (5 + 5) x 0.10
        ([3.0], "1280*720", 5, 0.80),  # (3 + 5) x 0.10
        ([4.0, 4.0], "1280*720", 5, 1.00),  # (2.5 + 2.5 + 5) x 0.10 under EvoLink's split
        ([6.0], "1920*1080", 10, 2.25),  # (5 + 10) x 0.15
    ],
)
def test_billing_matches_the_worked_examples(references, size, output, usd):
    from wanvideo.simulator import dashscope_rules as rules

    billed = rules.billed_seconds(references, output)
    tier = 1080 if size == "1920*1080" else 720
    rate = rules.price_per_second(rules.REGIONS["singapore"], "wan2.6-r2v", audio=True, tier=tier)
    assert float(rate) * billed.total == pytest.approx(usd)
    assert billed.total == billed.input + billed.output


@pytest.mark.parametrize(("dialect", "words"), [("dashscope", "X-DashScope-Async"), ("fal", "Key")])
def test_command_line_runs_the_new_dialects(dialect, words):
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "wanvideo.simulator", "--port", "0", "--dialect", dialect],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]
        assert f"({dialect} dialect" in lines[0] and words in lines[1], lines
        base_url = lines[0].split(" on ")[-1].strip()
        response = None
        for _ in range(50):
            try:
                response = httpx.get(f"{base_url}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert response is not None and response.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
