"""A public Space meets callers who want it to fetch things for them (issue 15, item 1): the
estimate probes at most as many references as the pick allows, refuses an oversized links box
before anything is fetched, and one visitor cannot run estimates without limit.

The links point at a file server on 127.0.0.1 that logs every request (WAN_ALLOW_PRIVATE_URLS:
the app may fetch it), so "nothing was fetched" is a count of requests that reached it.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from gradio_client.exceptions import AppError

from tests.apprunner import RunningApp, start_app, stop_app
from tests.unit.fileserver import ServerState, serve
from wanvideo.examples import CHARACTERS, clip_path
from wanvideo.limits import (
    ESTIMATES_AT_ONCE,
    ESTIMATES_WAITING,
    MAX_LINKS_BOX_CHARS,
    MAX_LINKS_BOX_LINES,
    MAX_REFERENCES,
)

from .conftest import FAST

CLIP = clip_path(CHARACTERS["ruby"])


@pytest.fixture(scope="module")
def files() -> Iterator[tuple[str, ServerState]]:
    state = ServerState(files={"/ruby.mp4": CLIP, "/slow.mp4": CLIP}, slow_seconds=1.5)
    with serve(state) as base:
        yield base, state


@pytest.fixture(scope="module")
def open_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    app = start_app(tmp_path_factory.mktemp("abuse-app"), {**FAST, "WAN_ALLOW_PRIVATE_URLS": "true"})
    yield app
    stop_app(app)


def estimate(app: RunningApp, video_urls: str) -> dict[str, Any]:
    return app.client().predict(
        videos=[], video_urls=video_urls, quality="720p", duration="5", api_name="/estimate"
    )


def hits(state: ServerState) -> int:
    with state.lock:
        return len(state.log)


def test_one_link_is_fetched(open_app: RunningApp, files: tuple[str, ServerState]) -> None:
    """The control: the server is reachable, so a count of zero below means something."""
    base, state = files
    before = hits(state)
    data = estimate(open_app, f"{base}/ruby.mp4")
    assert data["problems"] == [] and data["credits"] is not None
    assert hits(state) > before


def test_thousands_of_links_are_refused_before_anything_is_fetched(
    open_app: RunningApp, files: tuple[str, ServerState]
) -> None:
    base, state = files
    before = hits(state)
    text = "\n".join(f"{base}/ruby.mp4?n={n}" for n in range(5000))
    started = time.monotonic()
    data = estimate(open_app, text)
    took = time.monotonic() - started
    assert hits(state) == before, "the estimate fetched links it should have refused"
    assert took < 10, f"the refusal took {took:.1f} s"
    assert data["ok"] is False and data["credits"] is None and data["references"] == []
    assert len(data["problems"]) == 1, data["problems"][:3]
    [problem] = data["problems"]
    assert "Reference video URLs" in problem
    assert f"{MAX_LINKS_BOX_LINES} lines" in problem and f"{MAX_LINKS_BOX_CHARS:,}" in problem
    assert len(json.dumps(data)) < 20_000


def test_more_links_than_the_pick_allows_are_refused_before_anything_is_fetched(
    open_app: RunningApp, files: tuple[str, ServerState]
) -> None:
    base, state = files
    before = hits(state)
    count = MAX_REFERENCES + 2
    text = "\n".join(f"{base}/ruby.mp4?n={n}" for n in range(count))
    data = estimate(open_app, text)
    assert hits(state) == before, "the estimate fetched references beyond the limit"
    assert data["ok"] is False and data["credits"] is None
    assert any(f"at most {MAX_REFERENCES}" in p and "remove 2" in p for p in data["problems"]), data[
        "problems"
    ]


def test_generate_with_too_many_links_fetches_and_creates_nothing(
    open_app: RunningApp, files: tuple[str, ServerState]
) -> None:
    base, state = files
    before = hits(state)
    text = "\n".join(f"{base}/ruby.mp4?n={n}" for n in range(MAX_REFERENCES + 1))
    with pytest.raises(AppError) as refused:
        open_app.client().predict(
            prompt="character1 waves",
            videos=[],
            video_urls=text,
            quality="720p",
            aspect_ratio="16:9",
            duration="5",
            shot_type="single",
            api_name="/generate",
        )
    assert f"at most {MAX_REFERENCES}" in str(refused.value)
    huge = "\n".join(f"{base}/ruby.mp4?n={n}" for n in range(2000))
    with pytest.raises(AppError) as refused:
        open_app.client().predict(
            prompt="character1 waves",
            videos=[],
            video_urls=huge,
            quality="720p",
            aspect_ratio="16:9",
            duration="5",
            shot_type="single",
            api_name="/generate",
        )
    assert "Reference video URLs" in str(refused.value) and f"{MAX_LINKS_BOX_LINES} lines" in str(
        refused.value
    )
    assert len(str(refused.value)) < 2000
    assert hits(state) == before


def test_one_visitor_cannot_run_many_estimates_at_once(
    open_app: RunningApp, files: tuple[str, ServerState]
) -> None:
    """20 estimates at once from one address: a few run (or wait their turn), the rest are told
    to wait and try again, and only the admitted ones reach the server."""
    base, state = files
    slow = f"{base}/slow.mp4"
    before = len([h for h in state.log if h.path == "/slow.mp4"])
    clients = [open_app.client() for _ in range(4)]

    def one(i: int) -> dict[str, Any]:
        return clients[i % len(clients)].predict(
            videos=[], video_urls=slow, quality="720p", duration="5", api_name="/estimate"
        )

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(one, range(20)))
    served = [a for a in answers if a["problems"] == []]
    refused = [a for a in answers if a["problems"] and "try again" in a["problems"][0]]
    assert len(served) + len(refused) == 20, [a["problems"] for a in answers]
    assert 1 <= len(served) <= ESTIMATES_AT_ONCE + ESTIMATES_WAITING, len(served)
    assert len(refused) >= 20 - (ESTIMATES_AT_ONCE + ESTIMATES_WAITING)
    assert all(a["credits"] is None and a["references"] == [] and a["providers"] == [] for a in refused)
    assert all(isinstance(a["retry_after"], int) and a["retry_after"] >= 1 for a in refused)
    with state.lock:
        fetched = [h for h in state.log if h.path == "/slow.mp4"][before:]
    assert fetched, "no estimate was served"
    # Every refusal names the wait (seconds) and the limit it met.
    assert all("wait" in a["problems"][0] for a in refused)


def _refresh_fn(app: RunningApp) -> int:
    """The page's private cost refresh: the event whose first output is the cost panel."""
    config = httpx.get(f"{app.url}config", timeout=10).json()
    panel = next(
        c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "cost-estimate"
    )
    refreshes = [d for d in config["dependencies"] if d.get("outputs") and d["outputs"][0] == panel]
    assert refreshes and all(
        d.get("api_name") in (None, "", False) or d.get("api_visibility") == "private" for d in refreshes
    )
    return int(refreshes[0]["id"])


def _raw_refresh(app: RunningApp, fn_index: int, video_urls: str) -> str:
    """What a raw /gradio_api/queue/join of the refresh answers: the panel's markdown."""
    session = uuid.uuid4().hex[:10]
    config = httpx.get(f"{app.url}config", timeout=10).json()
    inputs = next(d for d in config["dependencies"] if d["id"] == fn_index)["inputs"]
    values = {c["id"]: c.get("props", {}).get("value") for c in config["components"]}
    data = [None, video_urls, "720p", "5", True, "", "demo", "standard"]
    data += [values.get(i) for i in inputs[len(data) :]]  # the rest as the page starts (photos...)
    with httpx.Client(base_url=app.url, timeout=60) as http:
        joined = http.post(
            "gradio_api/queue/join",
            json={"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None},
        )
        assert joined.status_code == 200, joined.text
        with http.stream("GET", "gradio_api/queue/data", params={"session_hash": session}) as events:
            for line in events.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    assert message.get("success"), (message, app.log()[-3000:])
                    return message["output"]["data"][0]
    raise AssertionError("the refresh never completed")


def test_the_pages_private_refresh_refuses_too_many_links_before_fetching(
    open_app: RunningApp, files: tuple[str, ServerState]
) -> None:
    base, state = files
    fn_index = _refresh_fn(open_app)
    before = hits(state)
    panel = _raw_refresh(open_app, fn_index, "\n".join(f"{base}/ruby.mp4?n={n}" for n in range(5000)))
    assert "Reference video URLs" in panel and f"{MAX_LINKS_BOX_LINES} lines" in panel
    panel = _raw_refresh(
        open_app, fn_index, "\n".join(f"{base}/ruby.mp4?n={n}" for n in range(MAX_REFERENCES + 1))
    )
    assert f"at most {MAX_REFERENCES}" in panel
    assert hits(state) == before
    assert "38.08 credits" in _raw_refresh(
        open_app, fn_index, f"{base}/ruby.mp4"
    )  # the control: it is the refresh
    assert hits(state) > before


def test_the_pages_refresh_answers_a_refusal_in_the_panel_when_one_visitor_floods_it(
    open_app: RunningApp, files: tuple[str, ServerState]
) -> None:
    base, _ = files
    fn_index = _refresh_fn(open_app)
    with ThreadPoolExecutor(20) as pool:
        panels = list(pool.map(lambda _: _raw_refresh(open_app, fn_index, f"{base}/slow.mp4"), range(20)))
    refused = [p for p in panels if "try again" in p]
    served = [p for p in panels if "38.08 credits" in p]
    assert len(refused) + len(served) == 20, panels
    assert refused and served, (len(refused), len(served))
    assert all(p.startswith("### Cost estimate\n") for p in refused)
