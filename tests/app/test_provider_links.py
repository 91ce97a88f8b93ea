"""The routes providers call, mounted in the real app (`python app.py`): a completion callback
reaches Gradio's server and wakes the watch; unknown tokens answer 404."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx
from gradio_client import handle_file

from tests.apprunner import free_port, start_app, stop_app
from tests.videos import make_video
from wanvideo.simulator import Simulator


def test_a_callback_through_the_real_app_saves_the_task_at_once(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "alice.mp4", 3)
    port = free_port()
    with Simulator(task_seconds=1.0, dialect="string", allow_private_urls=True) as sim:
        env = {
            "WAN_PROVIDER": "evolink",
            "WAN_API_KEY": "test-key",
            "WAN_API_BASE_URL": sim.base_url,
            "WAN_FILES_BASE_URL": sim.base_url,
            "WAN_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "WAN_ALLOW_PRIVATE_URLS": "true",  # the test switch: the app's address is 127.0.0.1
            # Scheduled polls a minute apart: only the callback can save it quickly.
            "WAN_POLL_MIN_INTERVAL": "60",
            "WAN_POLL_MAX_INTERVAL": "120",
        }
        app = start_app(tmp_path / "app", env, simulator=sim, port=port)
        try:
            for path in ("wan/wake/unknown-token", "wan/ref/unknown-token"):
                method = "POST" if "wake" in path else "GET"
                assert httpx.request(method, f"{app.url}{path}", timeout=10).status_code == 404
            started = time.monotonic()
            job = app.client().submit(
                api_name="/generate",
                prompt="character1 waves",
                videos=[handle_file(str(clip))],
                video_urls="",
                quality="720p",
                aspect_ratio="16:9",
                duration=5,
                shot_type="single",
            )
            record = job.result(timeout=60)[-1]
            took = time.monotonic() - started
            assert record["status"] == "completed", record
            assert took < 30, f"saved after {took:.0f} s: the callback did not wake the watch"
            [(url, status)] = [(u, s) for _, u, s in sim.stats.callbacks]
            assert url.startswith(f"{app.url}wan/wake/") and status == 204
            with sqlite3.connect(app.data_dir / "tasks.sqlite3") as db:
                [(token,)] = db.execute("SELECT token FROM links WHERE kind = 'wake'").fetchall()
            assert url.endswith(token)
        finally:
            stop_app(app)
