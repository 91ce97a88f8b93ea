"""Kill the app (SIGKILL) mid-task, start it again on the same data folder: the task
finishes, its video is saved once, and the provider saw exactly one create.

The simulator runs in this test process on a fixed port, so it outlives the app's kill.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.apprunner import free_port, start_app, stop_app
from tests.videos import make_video
from wanvideo.simulator import Simulator
from wanvideo.task_status import RUNNING_STATUSES

pytestmark = pytest.mark.slow


def _rows(db: Path) -> list[dict]:
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM tasks")]
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def _wait(predicate, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_sigkill_mid_task_then_restart_finishes_it_once(tmp_path: Path) -> None:
    from gradio_client import Client, handle_file

    clip = make_video(tmp_path / "ref.mp4", seconds=3)
    data = tmp_path / "data"
    db = data / "tasks.sqlite3"
    port = free_port()
    with Simulator(task_seconds=8.0, port=free_port()) as sim:
        env = {
            "WAN_PROVIDER": "evolink",
            "WAN_API_KEY": "test-key",
            "WAN_API_BASE_URL": sim.base_url,
            "WAN_FILES_BASE_URL": sim.base_url,
            "WAN_POLL_MIN_INTERVAL": "0.5",
        }
        app = start_app(tmp_path, env, port=port)
        try:
            client = Client(app.url, verbose=False)
            job = client.submit(
                "character1 dances on the roadside",
                [handle_file(str(clip))],
                "",
                "720p",
                "16:9",
                "5",
                "single",
                None,
                None,
                api_name="/generate",
            )
            row = _wait(lambda: next((r for r in _rows(db) if r["task_id"]), None), 60, "the task id")
            assert row["status"] in {"submitted", "pending", "processing"}
            assert sim.stats.creates == 1
        finally:
            stop_app(app, signal.SIGKILL)
        del job
        assert [r["status"] for r in _rows(db)] != ["completed"], "the task finished before the kill"
        assert list((data / "videos").glob("*.mp4")) == []

        app = start_app(tmp_path, env, port=port)
        try:
            done = _wait(
                lambda: next(
                    (r for r in _rows(db) if r["status"] in {"completed", "failed", "expired"}), None
                ),
                90,
                "the resumed task to finish",
            )
        finally:
            stop_app(app)
        assert done["status"] == "completed", (done, app.log()[-3000:])
        videos = list((data / "videos").glob("*.mp4"))
        assert len(videos) == 1 and videos[0].name == done["video_path"].split("/")[-1]
        assert videos[0].stat().st_size > 0
        assert sim.stats.creates == 1 and sim.stats.tasks_created == 1
        result_downloads = [
            r for r in sim.stats.requests if r[0] == "GET" and "/results/" in r[1] and r[2] == 200
        ]
        assert len(result_downloads) == 1
        assert b"test-key" not in db.read_bytes()


def test_a_demo_task_on_another_provider_finishes_after_a_restart_without_any_key(tmp_path: Path) -> None:
    """Demo mode, a visitor picks fal (flash): the app is killed after the create; started
    again, it rebuilds the task's profile from the record (provider and model, no key) on a
    fresh fal simulator and saves the video. The simulator's state lives in the data folder."""
    from gradio_client import Client, handle_file

    clip = make_video(tmp_path / "ref.mp4", seconds=3)
    data = tmp_path / "data"
    db = data / "tasks.sqlite3"
    port = free_port()
    env = {"WAN_DEMO_TASK_SECONDS": "8", "WAN_POLL_MIN_INTERVAL": "0.5"}  # demo mode: no key at all
    app = start_app(tmp_path, env, port=port)
    try:
        Client(app.url, verbose=False).submit(
            "character1 dances on the roadside",
            [handle_file(str(clip))],
            "",
            "720p",
            "16:9",
            "5",
            "single",
            "",
            "",
            True,
            "",
            "fal",
            "flash",
            api_name="/generate",
        )
        row = _wait(lambda: next((r for r in _rows(db) if r["task_id"]), None), 60, "the task id")
        assert (row["provider"], row["model"], row["key_source"]) == ("fal", "flash", "server")
    finally:
        stop_app(app, signal.SIGKILL)
    assert [r["status"] for r in _rows(db)] != ["completed"], "the task finished before the kill"

    app = start_app(tmp_path, env, port=port)
    try:
        done = _wait(
            lambda: next((r for r in _rows(db) if r["status"] not in RUNNING_STATUSES), None),
            90,
            "the resumed task to end",
        )
    finally:
        stop_app(app)
    assert done["status"] == "completed", (done, app.log()[-3000:])
    assert done["task_id"] == row["task_id"]
    videos = list((data / "videos").glob("*.mp4"))
    assert len(videos) == 1 and videos[0].name == done["video_path"].split("/")[-1]
    fal_state = json.loads((data / "simulators" / "fal" / "state.json").read_text())
    assert [t["id"] for t in fal_state["tasks"]] == [row["task_id"]]  # one create, before the kill
