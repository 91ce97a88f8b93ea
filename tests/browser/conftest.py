"""Real Chromium (Debian's /usr/bin/chromium) through Playwright against the app in demo mode.

The app runs in this process (`app.create(settings).launch(prevent_thread_lock=True)`) so
tests can read its simulator's counters (`studio.simulator.stats.creates`).
With CI=true a missing Chromium fails the tests instead of skipping them.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.videos import make_video

CHROMIUM = Path(os.environ.get("WAN_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / ".artifacts"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        message = f"Chromium is missing at {CHROMIUM} (Debian package `chromium`; .ci/run installs it)"
        if _in_ci():
            pytest.fail(message + ": browser tests must run in CI", pytrace=False)
        pytest.skip(message)
    return CHROMIUM


# What a page shows after a server round trip (a re-price probes clips in the media sandbox)
# may take seconds on a loaded 2-core machine: every `expect` waits up to this long for its
# condition (Playwright's own default is 5 s), as a person would wait for the panel.
EXPECT_TIMEOUT_MS = 60_000


@pytest.fixture(scope="package")
def browser(chromium_path: Path) -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class Studio:
    url: str
    app: object  # app.App

    @property
    def simulator(self):  # noqa: ANN201
        return self.app.simulator  # type: ignore[attr-defined]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="package")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import app as studio_app
    from wanvideo.settings import load_settings

    data = tmp_path_factory.mktemp("browser-data")
    settings = load_settings(
        {
            "WAN_PROVIDER": "demo",
            "WAN_DATA_DIR": str(data),
            "WAN_DEMO_TASK_SECONDS": "4",
            "WAN_POLL_MIN_INTERVAL": "0.3",
            "WAN_POLL_MAX_INTERVAL": "0.6",
        }
    )
    running = studio_app.create(settings)
    _, url, _ = running.launch(
        prevent_thread_lock=True, server_name="127.0.0.1", server_port=_free_port(), quiet=True
    )
    yield Studio(url=url, app=running)
    running.close()


@pytest.fixture(scope="package")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    notes = folder / "notes.mp4"
    notes.write_text("meeting notes, not a video\n" * 40)
    text = folder / "notes.txt"
    text.write_text("plain text\n")
    return {
        "a3": make_video(folder / "alice.mp4", 3, width=320, height=240),
        "b4": make_video(folder / "bob.mp4", 4, width=320, height=240, color=(40, 90, 200)),
        "long31": make_video(folder / "long.mp4", 31, width=64, height=48, fps=5),
        "not_video": notes,
        "text": text,
    }


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
