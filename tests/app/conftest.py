"""The real app (`python app.py`) in a subprocess, driven with gradio_client.

def test_x(demo_app):            # demo mode (its own simulator inside the app)
    client = demo_app.client()
def test_y(evolink_app):         # WAN_PROVIDER=evolink against a Simulator started here
    evolink_app.simulator.stats.creates
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from tests.videos import make_video
from wanvideo.simulator import Simulator

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningApp:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    downloads: Path
    simulator: Simulator | None = None

    def client(self) -> Client:
        return Client(self.url, verbose=False, download_files=str(self.downloads))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_app(tmp: Path, env_overrides: dict[str, str], simulator: Simulator | None = None) -> RunningApp:
    """Run `python app.py` on a free port with a clean WAN_* environment; wait for HTTP 200."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAN_", "GRADIO_"))}
    env.update(
        {
            "GRADIO_SERVER_PORT": str(port),
            "GRADIO_SERVER_NAME": "127.0.0.1",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "GRADIO_TEMP_DIR": str(tmp / "gradio"),
            "WAN_DATA_DIR": str(tmp / "data"),
            "WAN_DEMO_TASK_SECONDS": "1",
            "WAN_POLL_MIN_INTERVAL": "0.2",
            "WAN_POLL_MAX_INTERVAL": "0.5",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(env_overrides)
    log_path = tmp / "app.log"
    downloads = tmp / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.terminate()
            raise RuntimeError(f"app.py did not answer within {START_TIMEOUT} s:\n{log_path.read_text()}")
        time.sleep(0.2)
    return RunningApp(url=url, process=process, log_path=log_path, downloads=downloads, simulator=simulator)


def stop_app(app: RunningApp) -> None:
    app.process.terminate()
    try:
        app.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        app.process.kill()
        app.process.wait(timeout=5)


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("videos")
    not_video = folder / "notes.mp4"
    not_video.write_text("these are notes, not a video\n" * 20)
    return {
        "a3": make_video(folder / "alice.mp4", 3),
        "b4": make_video(folder / "bob.mp4", 4, color=(40, 90, 200)),
        "c6": make_video(folder / "carol.mov", 6, color=(40, 160, 60), container="mov"),
        "long31": make_video(folder / "long.mp4", 31, width=64, height=48, fps=5),
        "not_video": not_video,
    }


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    app = start_app(tmp_path_factory.mktemp("demo-app"), {})
    yield app
    stop_app(app)


def _provider_app(tmp: Path, provider: str, dialect: str, extra: dict[str, str]) -> Iterator[RunningApp]:
    with Simulator(task_seconds=1.0, dialect=dialect) as sim:
        env = {
            "WAN_PROVIDER": provider,
            "WAN_API_KEY": "test-key",
            "WAN_API_BASE_URL": sim.base_url,
            "WAN_FILES_BASE_URL": sim.base_url,
            **extra,
        }
        app = start_app(tmp, env, simulator=sim)
        yield app
        stop_app(app)


@pytest.fixture(scope="session")
def evolink_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    yield from _provider_app(tmp_path_factory.mktemp("evolink-app"), "evolink", "string", {})


@pytest.fixture(scope="session")
def odkkk_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    # Also the "bring your own key" configuration: visitors must paste a key.
    yield from _provider_app(
        tmp_path_factory.mktemp("odkkk-app"), "odkkk", "integer", {"WAN_REQUIRE_USER_KEY": "true"}
    )
