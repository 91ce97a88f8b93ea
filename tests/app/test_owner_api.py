"""The owner's console through gradio_client (issue 19): `/owner_report` shows the generations
and their credits with the token and nothing without it; `/owner_pause` true makes the next
`/generate` refuse before anything reaches the provider, false lets it through.

The app runs on EvoLink's dialect against a Simulator started here (not demo mode), so the
test can count the provider's creates and uploads, and the tasks spend the server key's credits.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client.exceptions import AppError

from tests.apprunner import RunningApp, start_app, stop_app
from wanvideo.simulator import Simulator

from .conftest import FAST
from .test_api import PROMPT, files

TOKEN = "owner-token-for-tests-0123456789"


@pytest.fixture(scope="module")
def owner_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with Simulator(task_seconds=0.5) as sim:
        env = {
            "WAN_PROVIDER": "evolink",
            "WAN_API_KEY": "server-key",
            "WAN_API_BASE_URL": sim.base_url,
            "WAN_FILES_BASE_URL": sim.base_url,
            "WAN_OWNER_TOKEN": TOKEN,
            **FAST,
        }
        app = start_app(tmp_path_factory.mktemp("owner"), env, simulator=sim)
        yield app
        stop_app(app)


def _generate_args(video: Path) -> dict:
    return {
        "prompt": PROMPT,
        "videos": files(video),
        "video_urls": "",
        "quality": "720p",
        "aspect_ratio": "16:9",
        "duration": 5,
        "shot_type": "single",
    }


def test_report_shows_generations_only_with_the_token_and_pause_refuses_before_any_create(
    owner_app: RunningApp, videos: dict[str, Path]
) -> None:
    client = owner_app.client()
    sim = owner_app.simulator
    # Nothing without the right token, before and after there is something to see.
    for wrong in ("", "nope", TOKEN[:-1], TOKEN + "x"):
        assert client.predict(wrong, api_name="/owner_report") is None
    assert (
        client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        .keys()
        .isdisjoint({"/owner_report", "/owner_pause"})
    )  # undocumented: not in the API page (nor the MCP tools), still callable

    # Two generations at once.
    jobs = [client.submit(api_name="/generate", **_generate_args(videos["a3"])) for _ in range(2)]
    records = [job.result(timeout=120)[2] for job in jobs]
    assert [r["status"] for r in records] == ["completed", "completed"]

    for wrong in ("", "nope", TOKEN.upper()):
        assert client.predict(wrong, api_name="/owner_report") is None
        assert client.predict(wrong, True, api_name="/owner_pause") is None

    report = client.predict(TOKEN, api_name="/owner_report")
    assert set(report) >= {"days", "providers", "visitors", "tasks", "limits", "paused"}
    assert report["paused"] is False  # the wrong tokens above changed nothing
    estimate = records[0]["estimate"]["credits"]
    assert [t["status"] for t in report["tasks"]] == ["completed", "completed"]
    assert [t["estimate"] for t in report["tasks"]] == pytest.approx([float(estimate)] * 2)
    assert all(t["charged"] is not None and t["provider"] == "evolink" for t in report["tasks"])
    assert len(report["days"]) == 30 and report["days"][-1]["tasks"] == 2
    assert report["days"][-1]["estimate"] == pytest.approx(2 * float(estimate))
    assert report["providers"][0]["tasks"] == 2
    (visitor,) = report["visitors"]  # one address: one visitor, by pseudonym
    assert visitor["tasks"] == 2 and visitor["visitor"].startswith("v-")
    assert "127.0.0.1" not in json.dumps(report) and "ip:" not in json.dumps(report)
    daily = {u["limit"]: u for u in report["limits"]}["daily"]
    assert daily["used"] == pytest.approx(sum(t["charged"] for t in report["tasks"]))

    # Paused: the next /generate is refused before any upload or create, and stores nothing.
    assert client.predict(TOKEN, True, api_name="/owner_pause") == {"paused": True}
    creates, uploads = sim.stats.creates, sim.stats.uploads
    with pytest.raises(AppError, match="paused generation"):
        client.predict(api_name="/generate", **_generate_args(videos["a3"]))
    assert (sim.stats.creates, sim.stats.uploads) == (creates, uploads)
    paused = client.predict(TOKEN, api_name="/owner_report")
    assert paused["paused"] is True and len(paused["tasks"]) == 2

    # Resumed: it goes through.
    assert client.predict(TOKEN, False, api_name="/owner_pause") == {"paused": False}
    _, _, record = client.predict(api_name="/generate", **_generate_args(videos["a3"]))
    assert record["status"] == "completed"
    assert sim.stats.creates == creates + 1
    assert len(client.predict(TOKEN, api_name="/owner_report")["tasks"]) == 3


def _call_by_hand(app: RunningApp, elem_id: str, data: list) -> str:
    """Call the page's (private) event on the element `elem_id` the way its frontend does,
    in a new session: /queue/join, then the session's event stream until the event ends."""
    import uuid

    import httpx

    with httpx.Client(base_url=app.url, timeout=30) as http:
        config = http.get("config").json()
        ids = {c.get("props", {}).get("elem_id"): c["id"] for c in config["components"]}
        target = ids[elem_id]
        dep = next(d for d in config["dependencies"] if [target, "click"] in [list(t) for t in d["targets"]])
        session = uuid.uuid4().hex
        join = http.post(
            "gradio_api/queue/join",
            json={"data": data, "fn_index": dep["id"], "session_hash": session, "trigger_id": target},
        )
        assert join.status_code == 200, join.text
        with http.stream("GET", "gradio_api/queue/data", params={"session_hash": session}) as stream:
            lines = []
            for line in stream.iter_lines():
                lines.append(line)
                if "process_completed" in line:
                    break
        return "\n".join(lines)


def test_the_pages_owner_events_called_by_hand_give_nothing(owner_app: RunningApp) -> None:
    """A visitor who calls the tab's events directly (they exist in the page's config, hidden)
    gets no figure: the session never proved the token, so every output is left as it was."""
    owner_app.client().predict(TOKEN, False, api_name="/owner_pause")  # a known state
    answer = _call_by_hand(owner_app, "owner-refresh", [True])  # `ok` is the server's State: ignored
    assert '"success":true' in answer  # it ran, and answered nothing
    assert "Today" not in answer and "headers" not in answer  # no summary, no table
    assert "evolink" not in answer and "v-" not in answer and "credits" not in answer
    pause = _call_by_hand(owner_app, "owner-save", [True, 0, 0, 1, 0])
    assert "evolink" not in pause and "Saved" not in pause
