"""The real app (`python app.py`) in a subprocess, driven with gradio_client.

def test_x(demo_app):            # demo mode (its own simulator inside the app)
    client = demo_app.client()
def test_y(evolink_app):         # WAN_PROVIDER=evolink against a Simulator started here
    evolink_app.simulator.stats.creates
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.apprunner import RunningApp, start_app, stop_app
from tests.videos import make_video
from wanvideo.simulator import Simulator

__all__ = ["RunningApp"]

FAST = {"WAN_DEMO_TASK_SECONDS": "1", "WAN_POLL_MIN_INTERVAL": "0.2", "WAN_POLL_MAX_INTERVAL": "0.5"}


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
    app = start_app(tmp_path_factory.mktemp("demo-app"), FAST)
    yield app
    stop_app(app)


def _provider_app(tmp: Path, provider: str, dialect: str, extra: dict[str, str]) -> Iterator[RunningApp]:
    with Simulator(task_seconds=1.0, dialect=dialect) as sim:
        env = {
            "WAN_PROVIDER": provider,
            "WAN_API_KEY": "test-key",
            "WAN_API_BASE_URL": sim.base_url,
            "WAN_FILES_BASE_URL": sim.base_url,
            **FAST,
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
