"""The public API of the running app (`/estimate`, `/generate`) through gradio_client."""

from __future__ import annotations

from pathlib import Path

import av
import httpx
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from tests.videos import make_video

from .conftest import RunningApp

PROMPT = "character1 waves while character2 sings on a sunny street"


def files(*paths: Path) -> list:
    return [handle_file(str(p)) for p in paths]


def video_seconds(path: str | Path) -> float:
    with av.open(str(path)) as container:
        return float(container.duration) / 1_000_000


def fetch_video(app: RunningApp, record: dict) -> Path:
    """Download the record's signed video link the way an API client would: no cookie."""
    assert record["video_url"].startswith(app.url), record["video_url"]
    response = httpx.get(record["video_url"], timeout=30)
    assert response.status_code == 200, response.text
    path = app.downloads / f"{record['record_id']}.mp4"
    path.write_bytes(response.content)
    return path


def generate(app: RunningApp, *refs: Path, **kwargs: object) -> tuple[list[tuple], tuple]:
    """Run /generate, returning every streamed value and the final one."""
    args = {
        "prompt": PROMPT,
        "videos": files(*refs),
        "video_urls": "",
        "quality": "720p",
        "aspect_ratio": "16:9",
        "duration": 5,
        "shot_type": "single",
        **kwargs,
    }
    job = app.client().submit(api_name="/generate", **args)
    final = job.result(timeout=120)
    return list(job.outputs()), final


# ----------------------------------------------------------------------------- /estimate


NEW_PARAMETERS = (
    "images",
    "image_urls",
    "voices",
    "seed",
    "negative_prompt",
    "prompt_extend",
    "audio",
    "watermark",
    "variations",
    "characters",
)


def test_view_api_names_the_contract(demo_app: RunningApp) -> None:
    info = demo_app.client().view_api(print_info=False, return_format="dict")
    named = info["named_endpoints"]
    assert set(named) == {
        "/estimate",
        "/generate",
        "/cancel",
        "/cast_add",
        "/cast_list",
        "/film",
        "/film_retry",
    }, "internal events must be private"
    estimate_params = [p["parameter_name"] for p in named["/estimate"]["parameters"]]
    assert estimate_params == [
        "videos",
        "video_urls",
        "quality",
        "duration",
        "fix_references",
        "reference_starts",
        "provider",
        "model",
        *NEW_PARAMETERS,  # issue 17 and 20, after the existing ones (today's callers keep working)
    ]
    film_params = [p["parameter_name"] for p in named["/film"]["parameters"]]
    generate_params = [p["parameter_name"] for p in named["/generate"]["parameters"]]
    # /film: /generate's fields but what each shot says (prompt, duration) and variations, then shots.
    assert film_params == [
        *(n for n in generate_params if n not in ("prompt", "duration", "variations")),
        "shots",
    ]
    retry_params = [p["parameter_name"] for p in named["/film_retry"]["parameters"]]
    assert retry_params == [*film_params[:-1], "film_id"]
    assert generate_params == [
        "prompt",
        "videos",
        "video_urls",
        "quality",
        "aspect_ratio",
        "duration",
        "shot_type",
        "callback_url",
        "api_key",
        "fix_references",
        "reference_starts",
        "provider",
        "model",
        *NEW_PARAMETERS,
    ]
    optional = {p["parameter_name"] for p in named["/generate"]["parameters"] if p["parameter_has_default"]}
    assert {"callback_url", "api_key", "fix_references", "reference_starts", "provider", "model"} <= optional
    assert set(NEW_PARAMETERS) <= optional  # all optional: a call without them works as before
    optional = {p["parameter_name"] for p in named["/estimate"]["parameters"] if p["parameter_has_default"]}
    assert {"fix_references", "reference_starts", "provider", "model"} <= optional
    assert [p["parameter_name"] for p in named["/cancel"]["parameters"]] == ["task_id", "api_key"]
    assert [p["parameter_has_default"] for p in named["/cancel"]["parameters"]] == [False, True]


def test_estimate_two_references(demo_app: RunningApp, videos: dict[str, Path]) -> None:
    client = demo_app.client()
    est = client.predict(files(videos["a3"], videos["b4"]), "", "720p", 5, api_name="/estimate")
    assert est["ok"] is True and est["problems"] == []
    assert [r["duration"] for r in est["references"]] == pytest.approx([3.0, 4.0], abs=0.15)
    assert [r["billed_seconds"] for r in est["references"]] == [2.5, 2.5]
    assert est["billed_input_seconds"] == 5
    assert est["output_seconds"] == 5
    assert est["total_billed_seconds"] == 10
    assert est["credits"] == pytest.approx(47.6)
    assert est["usd"] == pytest.approx(0.70)
    assert est["other_quality"] == {"quality": "1080p", "credits": pytest.approx(79.492), "usd": 1.17}
    assert est["prices_as_of"] and est["prices_source"]

    hd = client.predict(files(videos["a3"], videos["b4"]), "", "1080p", 5, api_name="/estimate")
    assert hd["credits"] == pytest.approx(47.6 * 1.67)


def test_estimate_three_references_and_minimum(demo_app: RunningApp, videos: dict[str, Path]) -> None:
    client = demo_app.client()
    est = client.predict(files(videos["a3"], videos["b4"], videos["c6"]), "", "720p", 2, api_name="/estimate")
    assert [r["billed_seconds"] for r in est["references"]] == [1.65, 1.65, 1.65]
    assert est["billed_input_seconds"] == pytest.approx(4.95)
    assert est["total_billed_seconds"] == pytest.approx(6.95)
    assert est["credits"] == pytest.approx(6.95 * 4.76)

    one = client.predict(files(videos["a3"]), "", "720p", 2, api_name="/estimate")
    # 3 + 2 = 5 s x 4.76 = 23.8 credits: above the 9-credit minimum
    assert one["credits"] == pytest.approx(23.8) and one["minimum_applied"] is False


def test_estimate_lists_problems_in_plain_words(demo_app: RunningApp, videos: dict[str, Path]) -> None:
    client = demo_app.client()
    est = client.predict(
        files(videos["long31"], videos["not_video"]), "", "720p", 5, False, api_name="/estimate"
    )
    assert est["ok"] is False
    text = " ".join(est["problems"])
    assert "long.mp4" in text and "30" in text
    assert "notes.mp4" in text
    none = client.predict(None, "", "720p", 5, api_name="/estimate")
    assert none["ok"] is False and none["credits"] is None
    assert "at least one reference" in none["problems"][0]
    four = client.predict(
        files(videos["a3"], videos["b4"], videos["c6"], videos["a3"]), "", "720p", 5, api_name="/estimate"
    )
    assert any("at most 3" in p for p in four["problems"])


# ----------------------------------------------------------------------------- /generate


def test_generate_demo_end_to_end(demo_app: RunningApp, tmp_path: Path) -> None:
    # Clips of their own: content another test sent is still valid at the provider, and the
    # upload cache would not send it again (no "Uploading" step to see).
    a3 = make_video(tmp_path / "a3.mp4", 3, color=(180, 60, 60))
    b4 = make_video(tmp_path / "b4.mp4", 4, color=(60, 60, 180))
    outputs, (status, video, record) = generate(demo_app, a3, b4, duration=4)
    statuses = [o[0] for o in outputs]
    assert any("Uploading file 1 of 2" in s for s in statuses)
    assert any("Submitted" in s for s in statuses)
    assert "Done" in status
    assert record["status"] == "completed"
    assert record["provider"] == "demo"
    assert record["task_id"] and record["task_id"] in status
    assert record["error"] is None
    assert record["estimate"]["credits"] == pytest.approx((2.5 + 2.5 + 4) * 4.76)
    assert record["video_path"].endswith(".mp4") and "/" not in record["video_path"]
    assert video_seconds(fetch_video(demo_app, record)) == pytest.approx(4, abs=0.5)


def test_generate_refuses_bad_input_readably(demo_app: RunningApp, videos: dict[str, Path]) -> None:
    with pytest.raises(AppError, match="Prompt"):
        generate(demo_app, videos["a3"], prompt="   ")
    with pytest.raises(AppError, match="1500"):
        generate(demo_app, videos["a3"], prompt="x" * 1501)
    with pytest.raises(AppError, match="at least one reference"):
        generate(demo_app)
    with pytest.raises(AppError, match=r"long\.mp4.*30|30.*long\.mp4"):
        generate(demo_app, videos["long31"], fix_references=False)
    with pytest.raises(AppError, match="Start at"):
        generate(demo_app, videos["a3"], reference_starts="soon")
    with pytest.raises(AppError, match="https"):
        generate(demo_app, videos["a3"], callback_url="http://127.0.0.1/hook")


def test_generate_evolink_end_to_end(evolink_app: RunningApp, videos: dict[str, Path]) -> None:
    sim = evolink_app.simulator
    assert sim is not None
    before = sim.stats.creates
    _, (status, video, record) = generate(evolink_app, videos["c6"], duration=3, quality="1080p")
    assert record["status"] == "completed", status
    assert record["provider"] == "evolink"
    assert sim.stats.creates == before + 1
    assert record["task_id"] in sim.tasks
    assert video_seconds(fetch_video(evolink_app, record)) == pytest.approx(3, abs=0.5)
    assert "Final charge" in status


def test_generate_evolink_task_failure_is_a_record(evolink_app: RunningApp, videos: dict[str, Path]) -> None:
    sim = evolink_app.simulator
    assert sim is not None
    sim.fail_next_task("content_policy_violation")
    _, (status, video, record) = generate(evolink_app, videos["a3"])
    assert record["video_url"] is None and record["video_path"] is None
    assert record["status"] == "failed"
    assert record["task_id"]
    assert record["error"]["charged"] is False
    assert "content policy" in record["error"]["suggestion"]
    assert "not charged" in status and record["task_id"] in status


def test_generate_evolink_bad_reference_sends_nothing(
    evolink_app: RunningApp, videos: dict[str, Path]
) -> None:
    sim = evolink_app.simulator
    assert sim is not None
    creates, uploads = sim.stats.creates, sim.stats.uploads
    with pytest.raises(AppError, match="notes.mp4"):
        generate(evolink_app, videos["a3"], videos["not_video"])
    assert (sim.stats.creates, sim.stats.uploads) == (creates, uploads)


def test_generate_odkkk_duration_rule(odkkk_app: RunningApp, videos: dict[str, Path]) -> None:
    sim = odkkk_app.simulator
    assert sim is not None
    creates = sim.stats.creates
    with pytest.raises(AppError, match="5 or 10"):
        generate(odkkk_app, videos["a3"], duration=7, api_key="visitor-key")
    assert sim.stats.creates == creates
    est = odkkk_app.client().predict(files(videos["a3"]), "", "720p", 7, api_name="/estimate")
    assert any("5 or 10" in p for p in est["problems"])


def test_generate_odkkk_requires_visitor_key(odkkk_app: RunningApp, videos: dict[str, Path]) -> None:
    sim = odkkk_app.simulator
    assert sim is not None
    with pytest.raises(AppError, match="API key"):
        generate(odkkk_app, videos["a3"], duration=5)
    _, (status, video, record) = generate(odkkk_app, videos["a3"], duration=10, api_key="visitor-key-123")
    assert record["status"] == "completed", status
    assert record["provider"] == "odkkk"
    assert video_seconds(fetch_video(odkkk_app, record)) == pytest.approx(10, abs=0.5)
    assert "visitor-key-123" not in str(record) + status
    assert "visitor-key-123" not in odkkk_app.log()
