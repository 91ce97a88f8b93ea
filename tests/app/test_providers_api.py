"""The provider pick on the public API (`provider`, `model` on /estimate and /generate), the
price comparison in /estimate's `providers`, and `/cancel` for the task's owner only, through
gradio_client against `python app.py`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from tests.apprunner import RunningApp, start_app, stop_app
from tests.videos import make_video
from wanvideo.links import NO_PUBLIC_ADDRESS

from .test_api import PROMPT, files, generate

# Long simulated tasks: a DashScope task waits PENDING for 15 % of them (12 s) before it runs.
QUEUED = {"WAN_DEMO_TASK_SECONDS": "80", "WAN_POLL_MIN_INTERVAL": "0.3", "WAN_POLL_MAX_INTERVAL": "0.6"}
QUEUE_WAIT = 30.0


@pytest.fixture(scope="module")
def queued_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    app = start_app(tmp_path_factory.mktemp("queued-app"), QUEUED)
    yield app
    stop_app(app)


@pytest.fixture(scope="module")
def smooth(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two clips fal accepts (at least 16 fps)."""
    folder = tmp_path_factory.mktemp("smooth")
    return [
        make_video(folder / "ann.mp4", 3, fps=24),
        make_video(folder / "ben.mp4", 4, fps=24, color=(40, 90, 200)),
    ]


# ----------------------------------------------------------------------------- /estimate


def test_estimate_on_another_provider_and_model_with_every_provider_compared(
    demo_app: RunningApp, videos: dict[str, Path]
) -> None:
    client = demo_app.client()
    refs = files(videos["a3"], videos["b4"])
    est = client.predict(refs, "", "720p", 5, True, "", "dashscope-singapore", "flash", api_name="/estimate")
    assert est["ok"] is True, est["problems"]
    assert (est["provider"], est["model"], est["unit"]) == ("dashscope-singapore", "flash", "USD")
    assert est["total_billed_seconds"] == 10 and est["usd"] == pytest.approx(0.5)  # 10 s x $0.05
    rows = {(r["provider"], r["model"]): r for r in est["providers"]}
    assert set(rows) == {
        ("evolink", "standard"),
        ("odkkk", "standard"),
        ("dashscope-singapore", "standard"),
        ("dashscope-singapore", "flash"),
        ("dashscope-virginia", "standard"),
        ("dashscope-beijing", "standard"),
        ("dashscope-beijing", "flash"),
        ("fal", "standard"),
        ("fal", "flash"),
        # issue 17: Wan 2.7 where it is sold
        ("evolink", "wan2.7"),
        ("dashscope-singapore", "wan2.7"),
        ("dashscope-beijing", "wan2.7"),
    }
    for row in rows.values():
        assert {"provider", "model", "quality", "billed_seconds", "usd", "confirmed"} <= set(row)
        assert row["quality"] == "720p"
    assert (
        rows[("evolink", "standard")]["usd"] == pytest.approx(0.7)
        and rows[("evolink", "standard")]["confirmed"]
    )
    assert (
        rows[("fal", "standard")]["billed_seconds"] == 5 and rows[("fal", "standard")]["confirmed"] is False
    )
    assert rows[("dashscope-singapore", "flash")]["usd"] == est["usd"]

    # Empty provider and model: this app's provider (the demo's EvoLink contract).
    default = client.predict(refs, "", "720p", 5, api_name="/estimate")
    assert (default["provider"], default["model"], default["credits"]) == (
        "demo",
        "standard",
        pytest.approx(47.6),
    )


def test_estimate_follows_the_providers_rules_and_names_what_to_change(
    demo_app: RunningApp, videos: dict[str, Path]
) -> None:
    client = demo_app.client()
    refs = files(videos["a3"])
    fal = client.predict(refs, "", "720p", 7, True, "", "fal", "", api_name="/estimate")
    assert fal["ok"] is False
    assert fal["problems"] == ["Duration (s): 7 s is not offered by fal.ai; choose 5 or 10 seconds"]
    # The clip's 10 fps is under fal's 16: fixing raises it (prepared to the pick's limits) ...
    assert fal["references"][0]["steps"] == ["frame_rate"]
    assert "frame rate raised from 10 to 16 fps" in fal["references"][0]["will_be_done"]
    # ... and without fixing it is refused, saying what to change.
    as_is = client.predict(refs, "", "720p", 5, False, "", "fal", "", api_name="/estimate")
    assert any("fal.ai needs at least 16 fps" in p for p in as_is["problems"])
    evolink = client.predict(refs, "", "720p", 5, True, "", "", "", api_name="/estimate")
    assert evolink["ok"] and evolink["references"][0]["steps"] == []  # no such floor there
    virginia = client.predict(refs, "", "720p", 5, True, "", "dashscope-virginia", "", api_name="/estimate")
    assert virginia["problems"] == [  # the demo app has no public address to serve them from
        "Reference videos: "
        + NO_PUBLIC_ADDRESS.format(provider="Alibaba Cloud DashScope (Virginia)", urls="Reference video URLs")
    ]
    unknown = client.predict(refs, "", "720p", 5, True, "", "replicate", "", api_name="/estimate")
    assert unknown["problems"][0].startswith("Provider: 'replicate' is not offered here; choose one of demo")
    no_flash = client.predict(refs, "", "720p", 5, True, "", "", "flash", api_name="/estimate")
    assert "Model: Demo (simulated) has no model 'flash'; choose standard or wan2.7" in no_flash["problems"]


# ----------------------------------------------------------------------------- /generate


@pytest.mark.parametrize("clip_fps", ["smooth", "slow"])
def test_generate_on_fal_in_demo_runs_on_its_own_simulator(
    demo_app: RunningApp, smooth: list[Path], videos: dict[str, Path], clip_fps: str
) -> None:
    # 24 fps clips as they are, and 10 fps ones prepared to fal's 16 fps first.
    refs = smooth if clip_fps == "smooth" else [videos["a3"], videos["b4"]]
    outputs, (status, _player, record) = generate(demo_app, *refs, provider="fal", model="flash")
    assert record["status"] == "completed", record["error"]
    assert record["provider"] == "fal"
    assert record["estimate"]["unit"] == "USD" and record["estimate"]["total_billed_seconds"] == 5
    assert record["provider_billed_seconds"] == 5  # fal's x-fal-billable-units, as estimated
    assert "The provider billed **5 s**; the estimate said 5 s." in status
    assert "Demo mode: nothing was really charged." in status


def test_generate_refusals_name_what_to_change(demo_app: RunningApp, smooth: list[Path]) -> None:
    with pytest.raises(AppError, match=r"7 s is not offered by fal\.ai; choose 5 or 10 seconds"):
        generate(demo_app, *smooth, provider="fal", duration=7)
    with pytest.raises(AppError, match=r"Provider: 'nope' is not offered here"):
        generate(demo_app, *smooth, provider="nope")


def test_another_provider_needs_the_visitors_own_key(
    evolink_app: RunningApp, videos: dict[str, Path]
) -> None:
    sim = evolink_app.simulator
    creates = sim.stats.creates
    with pytest.raises(AppError, match=r"fal\.ai needs your own fal\.ai key: paste it under API key"):
        generate(evolink_app, videos["a3"], provider="fal")
    assert sim.stats.creates == creates  # refused before anything was sent
    est = evolink_app.client().predict(
        files(videos["a3"]), "", "720p", 5, True, "", "fal", "", api_name="/estimate"
    )
    assert est["ok"] is True and est["provider"] == "fal"  # pricing needs no key
    assert est["notes"] == ["Generating on fal.ai needs your own fal.ai key under API key (Advanced)."]


# ----------------------------------------------------------------------------- /cancel


def _until_queued(job) -> str:  # noqa: ANN001
    """The provider's task id, once the streamed task record says it can be cancelled."""
    deadline = time.monotonic() + QUEUE_WAIT
    while time.monotonic() < deadline:
        for status, _player, record in job.outputs():
            if isinstance(record, dict) and record.get("can_cancel"):  # (a skipped update has no fields)
                assert status.startswith(("### Queued at provider", "### Submitted")), status
                return record["task_id"]
        time.sleep(0.2)
    raise AssertionError(f"never queued: {job.outputs()[-1][0] if job.outputs() else 'no output'}")


def test_cancel_a_queued_dashscope_task_by_its_owner_only(
    queued_app: RunningApp, videos: dict[str, Path]
) -> None:
    owner = queued_app.client()
    job = owner.submit(
        PROMPT,
        [handle_file(str(videos["a3"])), handle_file(str(videos["b4"]))],
        "",
        "720p",
        "16:9",
        5,
        "single",
        "",
        "",
        True,
        "",
        "dashscope-singapore",
        "",
        api_name="/generate",
    )
    task_id = _until_queued(job)

    stranger = queued_app.client().predict(task_id, "", api_name="/cancel")
    assert stranger["outcome"] == "not_found" and stranger["cancelled"] is False
    assert stranger["record_id"] is None  # nothing about another visitor's task leaks

    done = owner.predict(task_id, "", api_name="/cancel")
    assert done["outcome"] == "cancelled" and done["cancelled"] is True and done["charged"] is False
    assert done["task_id"] == task_id and done["record_id"]

    status, _player, record = job.result(timeout=60)
    assert status.startswith("### ✗ Cancelled at the provider: not charged")
    assert record["status"] == "failed" and record["error"]["reason"] == "cancelled"
    assert record["error"]["charged"] is False

    again = owner.predict(task_id, api_name="/cancel")  # api_key is optional (README example)
    assert again["outcome"] == "too_late" and again["cancelled"] is False  # it has ended


def test_cancel_where_the_provider_cannot_says_the_task_continues(
    queued_app: RunningApp, videos: dict[str, Path]
) -> None:
    owner = queued_app.client()
    job = owner.submit(
        PROMPT, [handle_file(str(videos["a3"]))], "", "720p", "16:9", 5, "single", api_name="/generate"
    )
    deadline = time.monotonic() + QUEUE_WAIT
    task_id = None
    while task_id is None and time.monotonic() < deadline:
        records = [r for _status, _player, r in job.outputs() if isinstance(r, dict) and r.get("task_id")]
        task_id = records[-1]["task_id"] if records else None
        time.sleep(0.2)
    assert records[-1]["can_cancel"] is False  # EvoLink has no cancel
    assert task_id, "the EvoLink-contract task was never submitted"
    answer = owner.predict(task_id, "", api_name="/cancel")
    assert answer["outcome"] == "not_supported" and answer["cancelled"] is False and answer["charged"] is None
    assert "charged if it succeeds" in answer["message"]
    job.cancel()
