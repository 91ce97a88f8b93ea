"""Fixing clips in real Chromium: a dropped WebM's card says it will be converted and then
previews the prepared MP4; a card's start control moves the window the estimate bills; and
Generate shows the preparation as a status step."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.videos import make_video
from wanvideo.media.clips import default_clips
from wanvideo.media.local import video_duration

from .conftest import Studio
from .test_journey import RECORD_STATUS_JS, WAIT, open_studio

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def window_clips() -> dict[str, int]:
    """The app's prepared clips of take.mp4's 42-45 s window (the studio runs in this
    process, so its cache is `default_clips()`): path -> modification time."""
    found = {}
    for path in map(Path, list(default_clips().files)):
        if path.name == "take.mp4" and path.exists() and abs((video_duration(path) or 0) - 3.0) < 0.2:
            found[str(path)] = path.stat().st_mtime_ns
    return found


@pytest.fixture(scope="module")
def fix_clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("fix-clips")
    return {
        "webm": make_video(
            folder / "screen.webm", 3, width=160, height=120, fps=10, video_codec="libvpx-vp9"
        ),
        "long": make_video(folder / "take.mp4", 45, width=64, height=48, fps=5),
    }


def test_dropped_webm_is_converted_and_previewed(
    browser,  # noqa: ANN001
    studio: Studio,
    fix_clips: dict[str, Path],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    context, page = open_studio(browser, studio)
    try:
        expect(page.get_by_label("Fix clips automatically (convert, trim to 30 s, shrink)")).to_be_checked()
        page.get_by_label("Reference videos").set_input_files([str(fix_clips["webm"])])
        card = page.locator("#reference-cards .wan-ref")
        expect(card).to_have_count(1)
        expect(card).to_contain_text("screen.webm")
        expect(card).to_contain_text("converted from WebM")
        expect(page.locator("#cost-estimate")).to_contain_text("converted from WebM")
        # Then the card plays the prepared clip: what the model will get.
        expect(card).to_contain_text("Prepared: the preview is what the model gets.")
        video = card.locator("video")
        expect(video).to_have_attribute("src", re.compile(r"wan-prepared/.+\.mp4$"))
        page.wait_for_function(
            "() => { const v = document.querySelector('#reference-cards .wan-ref video');"
            " return v && v.readyState >= 1 && v.duration > 2.5; }"
        )
        page.screenshot(path=str(artifacts / "fix-webm.png"), full_page=True)
    finally:
        context.close()


def test_start_control_moves_the_window_and_generate_prepares(
    browser,  # noqa: ANN001
    studio: Studio,
    fix_clips: dict[str, Path],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    sim = studio.simulator
    creates = sim.stats.creates
    context, page = open_studio(browser, studio)
    try:
        page.get_by_label("Reference videos").set_input_files([str(fix_clips["long"])])
        cost = page.locator("#cost-estimate")
        expect(cost).to_contain_text("trimmed to 0-30 s")
        expect(cost).to_contain_text("45 s, sends 30 s")
        start = page.locator("#reference-start-1 input")
        expect(start).to_be_visible()
        start.fill("12.5")
        start.press("Enter")
        expect(cost).to_contain_text("trimmed to 12.5-42.5 s")
        expect(page.locator("#reference-cards .wan-ref")).to_contain_text("trimmed to 12.5-42.5 s")
        # A start near the end leaves only 3 s: billed as sent (3 s + 5 s output).
        start.fill("42")
        start.press("Enter")
        expect(cost).to_contain_text("45 s, sends 3 s")
        expect(cost).to_contain_text("Input 3 s + output 5 s = 8 s billed")
        # The estimate prepares the clip for the card's preview...
        expect(page.locator("#reference-cards .wan-ref")).to_contain_text(
            "Prepared: the preview is what the model gets.", timeout=WAIT
        )
        page.screenshot(path=str(artifacts / "fix-start.png"), full_page=True)
        made = window_clips()
        assert len(made) == 1, made

        page.get_by_label("Prompt").fill("character1 walks along the beach")
        page.evaluate(RECORD_STATUS_JS)
        page.get_by_role("button", name="Generate").click()
        status = page.locator("#status-panel")
        expect(status).to_contain_text("Done", timeout=WAIT)
        seen = "\n---\n".join(page.evaluate("window.__status"))
        assert "Prepared character1 (take.mp4): trimmed to 42-45 s" in seen, seen
        assert sim.stats.creates == creates + 1
        # ...and Generate reuses it: no clip made again, none rewritten.
        assert window_clips() == made
    finally:
        context.close()
