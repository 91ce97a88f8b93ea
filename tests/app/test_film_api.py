"""Issue 20: `/film` through gradio_client against the running app on EvoLink's simulator:
shots generated one by one, joined into one video with its sound; refusals before any create."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from tests.apprunner import RunningApp, start_app, stop_app
from tests.videos import make_video
from wanvideo.simulator import Simulator

from .conftest import FAST

# Credits per visitor per day (every client here is one visitor, 127.0.0.1): this file's films
# fit (about 190 credits), six 10 s shots (371.28) do not.
LIMIT = 250


def _evolink(sim: Simulator, daily_limit: int) -> dict[str, str]:
    """EvoLink on the server's key against `sim`, with a visitor's daily credit limit."""
    return {
        "WAN_PROVIDER": "evolink",
        "WAN_API_KEY": "server-key",
        "WAN_API_BASE_URL": sim.base_url,
        "WAN_FILES_BASE_URL": sim.base_url,
        "WAN_VISITOR_DAILY_CREDIT_LIMIT": str(daily_limit),
        **FAST,
    }


@pytest.fixture(scope="module")
def film_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with Simulator(task_seconds=1.0) as sim:
        app = start_app(tmp_path_factory.mktemp("film"), _evolink(sim, LIMIT), simulator=sim)
        yield app
        stop_app(app)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("film-clips") / "alice.mp4", 3, color=(200, 90, 40))


def shots(*durations: int) -> str:
    return json.dumps(
        [{"prompt": f"character1 does thing {n}", "duration": d} for n, d in enumerate(durations, 1)]
    )


def film(app: RunningApp, clip: Path, shots_json: str) -> tuple[list, dict]:
    job = app.client().submit(
        videos=[handle_file(str(clip))], quality="720p", shots=shots_json, api_name="/film"
    )
    *_, record = job.result(timeout=180)
    return list(job.outputs()), record


def streams(path: Path) -> tuple[float, set[str]]:
    with av.open(str(path)) as container:
        return float(container.duration) / 1_000_000, {s.type for s in container.streams}


def test_a_three_shot_film_is_three_creates_and_one_video_with_sound(
    film_app: RunningApp, clip: Path, tmp_path: Path
) -> None:
    sim = film_app.simulator
    before = sim.stats.creates
    outputs, record = film(film_app, clip, shots(2, 2, 2))
    assert sim.stats.creates == before + 3
    assert record["status"] == "completed", record
    assert [s["status"] for s in record["shots"]] == ["completed"] * 3
    assert all(s["task_id"] and s["video_url"] for s in record["shots"])
    assert len({s["task_id"] for s in record["shots"]}) == 3
    # The film, downloaded as an API client would (the signed link, no cookie).
    response = httpx.get(record["video_url"], timeout=30)
    assert response.status_code == 200
    path = tmp_path / "film.mp4"
    path.write_bytes(response.content)
    seconds, kinds = streams(path)
    shot_seconds = []
    for shot in record["shots"]:
        one = tmp_path / f"{shot['record_id']}.mp4"
        one.write_bytes(httpx.get(shot["video_url"], timeout=30).content)
        shot_seconds.append(streams(one)[0])
    assert seconds == pytest.approx(sum(shot_seconds), abs=0.5)
    assert seconds == pytest.approx(6, abs=0.6)
    assert {"video", "audio"} <= kinds
    assert record["duration"] == pytest.approx(seconds, abs=0.3)
    # The status streamed each shot and the join before the end.
    panels = [o[0] for o in outputs if isinstance(o, list | tuple) and o]
    assert any("Shot 2 of 3" in p for p in panels)
    assert any("Joining the shots" in p for p in panels)


def _films(app: RunningApp) -> list[sqlite3.Row]:
    """The film records in the app's store (read-only: the app keeps writing)."""
    conn = sqlite3.connect(f"file:{app.data_dir / 'tasks.sqlite3'}?mode=ro", uri=True, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM tasks WHERE group_kind = 'film'").fetchall()
    finally:
        conn.close()


def test_the_film_is_joined_when_nobody_watches_any_more(film_app: RunningApp, clip: Path) -> None:
    """The caller goes away once the shots are handed over: the shots still run, the film is
    still joined and saved as a completed record."""
    known = {row["id"] for row in _films(film_app)}
    job = film_app.client().submit(
        videos=[handle_file(str(clip))], quality="720p", shots=shots(2, 2), api_name="/film"
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(  # until the shots are reserved
        isinstance(o, list | tuple) and isinstance(o[-1], dict) and o[-1].get("shots") for o in job.outputs()
    ):
        time.sleep(0.1)
    job.cancel()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        new = [row for row in _films(film_app) if row["id"] not in known]
        if new and new[0]["status"] in ("completed", "failed"):
            break
        time.sleep(0.5)
    assert len(new) == 1 and new[0]["status"] == "completed", [dict(r) for r in new]
    assert new[0]["video_path"]
    time.sleep(2)  # had the stream gone on, it would have said the film was done by now
    records = [o[-1] for o in job.outputs() if isinstance(o, list | tuple) and isinstance(o[-1], dict)]
    assert records and not any(r.get("duration") for r in records), "the caller had gone"


def test_a_failed_shot_is_retried_alone_and_the_film_then_completes(film_app: RunningApp, clip: Path) -> None:
    sim = film_app.simulator
    sim.fail_next_task("content_policy_violation")  # the film's first shot
    creates = sim.stats.creates
    client = film_app.client()
    args = {"videos": [handle_file(str(clip))], "quality": "720p"}
    *_, failed = client.predict(**args, shots=shots(2, 2), api_name="/film")
    assert sim.stats.creates == creates + 2
    assert failed["status"] == "failed" and failed["video_url"] is None
    assert "Shot 1" in failed["error"] and "retry" in failed["error"]
    assert [s["status"] for s in failed["shots"]] == ["failed", "completed"]
    done_shot = failed["shots"][1]["record_id"]
    *_, film = client.predict(**args, film_id=failed["record_id"], api_name="/film_retry")
    assert sim.stats.creates == creates + 3  # only the failed shot again
    assert film["record_id"] == failed["record_id"] and film["status"] == "completed", film
    assert film["shots"][1]["record_id"] == done_shot  # the made shot was kept, not made again
    assert film["duration"] == pytest.approx(4, abs=0.6)
    with pytest.raises(AppError, match="no film of yours"):  # completed now: nothing to retry
        client.predict(**args, film_id=failed["record_id"], api_name="/film_retry")
    other = film_app.client()  # another caller (its own owner cookie) cannot retry it either
    with pytest.raises(AppError, match="no film of yours"):
        other.predict(**args, film_id=failed["record_id"], api_name="/film_retry")
    assert sim.stats.creates == creates + 3


def test_a_film_over_the_daily_limit_is_refused_before_any_create(film_app: RunningApp, clip: Path) -> None:
    """Six 10 s shots on a 3 s reference reserve 6 x 61.88 = 371.28 credits: over the visitor's
    LIMIT whatever this file's other films (about 190 credits in all) have spent today."""
    sim = film_app.simulator
    creates, uploads = sim.stats.creates, sim.stats.uploads
    with pytest.raises(AppError, match=r"(?i)limit|resets") as refused:
        film(film_app, clip, shots(10, 10, 10, 10, 10, 10))
    assert "Traceback" not in str(refused.value)
    assert (sim.stats.creates, sim.stats.uploads) == (creates, uploads)


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("[not json", "JSON list"),
        ("character1 waves", "give its seconds first"),
        (json.dumps([{"prompt": "x", "duration": 2}] * 7), "7 shots given"),
        (json.dumps([{"prompt": "character1 waves", "duration": 11}]), "Shot 1"),
        (json.dumps([{"prompt": "", "duration": 2}]), "write its prompt"),
    ],
)
def test_bad_shots_are_refused_by_name_with_nothing_created(
    film_app: RunningApp, clip: Path, given: str, said: str
) -> None:
    sim = film_app.simulator
    creates = sim.stats.creates
    with pytest.raises(AppError) as refused:
        film(film_app, clip, given)
    assert said in str(refused.value)
    assert sim.stats.creates == creates
