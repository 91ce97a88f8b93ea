"""Kill the app (SIGKILL) mid-task, start it again on the same data folder: the task
finishes, its video is saved once, and the provider saw exactly one create.

The simulator runs in this test process on a fixed port, so it outlives the app's kill.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.videos import make_video
from wanvideo.simulator import Simulator

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_app(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the app exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise AssertionError(f"the app did not start:\n{log.read_text()[-3000:]}")


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
    port = _free_port()
    log = tmp_path / "app.log"
    with Simulator(task_seconds=8.0, port=_free_port()) as sim:
        env = {
            **os.environ,
            "WAN_PROVIDER": "evolink",
            "WAN_API_KEY": "test-key",
            "WAN_API_BASE_URL": sim.base_url,
            "WAN_FILES_BASE_URL": sim.base_url,
            "WAN_DATA_DIR": str(data),
            "WAN_POLL_MIN_INTERVAL": "0.5",
            "GRADIO_SERVER_PORT": str(port),
            "GRADIO_SERVER_NAME": "127.0.0.1",
            "GRADIO_ANALYTICS_ENABLED": "False",
        }
        app = _start_app(env, port, log)
        try:
            client = Client(f"http://127.0.0.1:{port}/", verbose=False)
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
            app.send_signal(signal.SIGKILL)
            app.wait(10)
        del job
        assert [r["status"] for r in _rows(db)] != ["completed"], "the task finished before the kill"
        assert list((data / "videos").glob("*.mp4")) == []

        app = _start_app(env, port, log)
        try:
            done = _wait(
                lambda: next(
                    (r for r in _rows(db) if r["status"] in {"completed", "failed", "expired"}), None
                ),
                90,
                "the resumed task to finish",
            )
        finally:
            app.send_signal(signal.SIGTERM)
            try:
                app.wait(15)
            except subprocess.TimeoutExpired:
                app.kill()
        assert done["status"] == "completed", (done, log.read_text()[-3000:])
        videos = list((data / "videos").glob("*.mp4"))
        assert len(videos) == 1 and videos[0].name == done["video_path"].split("/")[-1]
        assert videos[0].stat().st_size > 0
        assert sim.stats.creates == 1 and sim.stats.tasks_created == 1
        result_downloads = [
            r for r in sim.stats.requests if r[0] == "GET" and "/results/" in r[1] and r[2] == 200
        ]
        assert len(result_downloads) == 1
        assert b"test-key" not in db.read_bytes()
