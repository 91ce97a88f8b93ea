"""The whole journey in demo mode in real Chromium: references, live cost, Generate, the
streamed status, the result playing; bad references refused; a phone-sized screen."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.videos import make_video
from wanvideo.task_status import STATUS_LABELS

from .conftest import ROOT, Studio

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT = 60_000  # ms
WATCHING = re.compile(f"{STATUS_LABELS['pending']}|{STATUS_LABELS['processing']}")

# Keeps every text the status panel showed, so the test can assert what streamed by.
RECORD_STATUS_JS = """
() => {
  window.__status = [];
  const panel = document.querySelector('#status-panel');
  const note = () => { const t = panel.innerText; if (window.__status.at(-1) !== t) window.__status.push(t); };
  new MutationObserver(note).observe(panel, { childList: true, subtree: true, characterData: true });
  note();
}
"""


def open_studio(browser, studio: Studio, init_script: str | None = None, **context_args):  # noqa: ANN001, ANN201
    from playwright.sync_api import expect

    # en-US unless a test asks for another language (the accessible names below are English).
    defaults = {"viewport": {"width": 1280, "height": 1000}, "locale": "en-US"}
    context = browser.new_context(**{**defaults, **context_args})
    if init_script:  # runs in the page before Gradio's own scripts
        context.add_init_script(init_script)
    page = context.new_page()
    page.set_default_timeout(WAIT)
    page.goto(studio.url)
    # expect() has its own 5 s default, not the page's: on a loaded machine (two xdist workers
    # on 2 cores) Gradio's front end can take longer than that to render the form.
    expect(page.locator("#generate")).to_be_visible(timeout=WAIT)  # "Generate" in English, "生成" in Chinese
    return context, page


def test_journey_demo(browser, studio: Studio, tmp_path: Path, artifacts: Path) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    # Clips of its own (the same lengths as the package's): content another test sent is still
    # valid at the provider, and the upload cache would skip the upload steps this test watches.
    folder = tmp_path / "journey"
    folder.mkdir()
    clips = {
        "a3": make_video(folder / "alice.mp4", 3, width=320, height=240, color=(200, 120, 40)),
        "b4": make_video(folder / "bob.mp4", 4, width=320, height=240, color=(90, 40, 160)),
    }
    context, page = open_studio(browser, studio)
    try:
        expect(page.locator("#mode-banner")).to_contain_text("results are simulated")
        cost = page.locator("#cost-estimate")

        page.get_by_label("Reference videos").set_input_files([str(clips["a3"]), str(clips["b4"])])
        # 2 references at 720p, 5 s: 2.5 + 2.5 + 5 = 10 s x 4.76 = 47.6 credits
        expect(cost).to_contain_text("47.60 credits")
        expect(cost).to_contain_text("10 s billed")
        expect(cost).to_contain_text("At 1080p instead: 79.49 credits")
        expect(cost).to_contain_text("Prices as of 2026-10-10")
        cards = page.locator("#reference-cards .wan-ref")
        expect(cards).to_have_count(2)
        expect(cards.nth(0)).to_contain_text("character1")
        expect(cards.nth(0)).to_contain_text("alice.mp4")
        expect(cards.nth(0)).to_contain_text("3 s · billed 2.5 s")
        expect(cards.nth(1)).to_contain_text("4 s · billed 2.5 s")
        expect(page.locator("#reference-cards video")).to_have_count(2)

        # Character buttons match the uploaded order and write into the prompt.
        expect(page.get_by_role("button", name="character1", exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="character2", exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="character3", exact=True)).to_be_hidden()
        prompt = page.get_by_label("Prompt")
        prompt.fill("On a sunny street,")
        page.get_by_role("button", name="character1", exact=True).click()
        expect(prompt).to_have_value("On a sunny street, character1")
        prompt.press("End")
        prompt.press_sequentially(" waves at")
        page.get_by_role("button", name="character2", exact=True).click()
        expect(prompt).to_have_value("On a sunny street, character1 waves at character2")
        expect(page.locator("#prompt-count")).to_contain_text("49 / 1500 characters")

        # 1080p multiplies the charge by 1.67; back to 720p restores it.
        quality = page.get_by_role("radiogroup", name="Quality")
        quality.get_by_label("1080p").check()
        expect(cost).to_contain_text("79.49 credits")
        expect(cost).to_contain_text("At 720p instead: 47.60 credits")
        quality.get_by_label("720p").check()
        expect(cost).to_contain_text("Cost estimate: 47.60 credits")
        expect(page.get_by_role("radiogroup", name="Aspect ratio")).to_be_visible()
        expect(page.get_by_role("radiogroup", name="Shot type")).to_be_visible()
        expect(page.get_by_label("Duration (s)")).to_have_value("5")
        page.screenshot(path=str(artifacts / "journey-1-form.png"), full_page=True)

        creates = studio.simulator.stats.creates
        page.evaluate(RECORD_STATUS_JS)
        page.get_by_role("button", name="Generate").click()
        status = page.locator("#status-panel")
        expect(status).to_contain_text(re.compile(f"{WATCHING.pattern}|Done"))
        page.screenshot(path=str(artifacts / "journey-2-running.png"), full_page=True)
        expect(status).to_contain_text("Done", timeout=WAIT)
        assert studio.simulator.stats.creates == creates + 1

        seen = "\n---\n".join(page.evaluate("window.__status"))
        assert WATCHING.search(seen), seen  # every panel it showed (a loaded machine may poll past it)
        assert "Checking references" in seen
        assert re.search(r"Uploading file \d of 2", seen), seen
        assert re.search(STATUS_LABELS["processing"] + r": \d+%", seen), seen
        assert "Elapsed" in seen
        assert re.search(r"credits reserved", seen), seen
        assert "Downloading" in seen or "Video made" in seen

        # The result plays: metadata loaded, ~5 s long, and time advances when played.
        page.wait_for_function(
            "() => { const v = document.querySelector('#result-video video');"
            " return v && v.readyState >= 1 && v.duration > 0; }"
        )
        duration = page.evaluate("document.querySelector('#result-video video').duration")
        assert duration == pytest.approx(5, abs=0.5)
        page.evaluate(
            "() => { const v = document.querySelector('#result-video video'); v.muted = true; v.play(); }"
        )
        page.wait_for_function(
            "() => { const v = document.querySelector('#result-video video');"
            " return v.readyState >= 2 && v.currentTime > 0.3; }"
        )
        assert page.evaluate("document.querySelector('#result-video video').error") is None
        page.evaluate("() => document.querySelector('#result-video video').pause()")

        # It plays from the owner-only route: no cookie, no video; no public Gradio copy.
        src = page.evaluate("document.querySelector('#result-video video').src")
        assert "/wan/video/" in src and "gradio_api" not in src
        assert context.request.get(src).status == 200
        stranger = browser.new_context()
        try:
            assert stranger.request.get(src).status == 404
            data = Path(studio.app.ctx.settings.data_dir).resolve()  # type: ignore[attr-defined]
            for path in [data / "tasks.sqlite3", *sorted((data / "videos").glob("*.mp4"))]:
                assert stranger.request.get(f"{studio.url}gradio_api/file={path}").status in (403, 404)
        finally:
            stranger.close()
        expect(status).to_contain_text(re.compile("final charge", re.I))
        # Its history card has the poster and its own actions.
        card = page.locator("#history-list .wan-hist-card").filter(has_text="On a sunny street")
        expect(card.locator("img.wan-poster")).to_be_visible()
        expect(card.get_by_role("button", name="Remix")).to_be_visible()
        page.screenshot(path=str(artifacts / "journey-3-done.png"), full_page=True)
        if os.environ.get("WAN_UPDATE_SCREENSHOT"):  # tests never write into the repo by default
            shutil.copyfile(artifacts / "journey-3-done.png", ROOT / "docs" / "screenshot.png")
    finally:
        context.close()


def test_bad_references_are_refused_before_spending(
    browser,  # noqa: ANN001
    studio: Studio,
    clips: dict[str, Path],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    sim = studio.simulator
    creates, uploads = sim.stats.creates, sim.stats.uploads
    context, page = open_studio(browser, studio)
    try:
        # With fixing off, a clip the provider would refuse is refused here, as before fixing existed.
        page.get_by_label("Fix clips automatically (convert, trim to 30 s, shrink)").uncheck()
        page.get_by_label("Reference videos").set_input_files([str(clips["long31"]), str(clips["not_video"])])
        cost = page.locator("#cost-estimate")
        expect(cost).to_contain_text("Fix before generating")
        expect(cost).to_contain_text("long.mp4")
        expect(cost).to_contain_text("30 s")
        expect(cost).to_contain_text("notes.mp4")
        expect(page.locator("#reference-cards .wan-ref-problem")).to_have_count(2)

        page.get_by_label("Prompt").fill("character1 talks to character2")
        page.get_by_role("button", name="Generate").click()
        toast = page.locator(".toast-body").filter(has_text="Cannot generate yet")
        expect(toast.first).to_be_visible()
        expect(toast.first).to_contain_text("long.mp4")
        expect(page.locator("#status-panel")).to_contain_text("Fix the references first")
        expect(page.locator("#status-panel")).to_contain_text("none was created")
        page.screenshot(path=str(artifacts / "bad-references.png"), full_page=True)
        assert (sim.stats.creates, sim.stats.uploads) == (creates, uploads)
    finally:
        context.close()


def test_non_video_file_type_is_refused(
    browser, studio: Studio, clips: dict[str, Path], artifacts: Path
) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    sim = studio.simulator
    creates = sim.stats.creates
    context, page = open_studio(browser, studio)
    try:
        page.get_by_label("Reference videos").set_input_files([str(clips["text"])])
        message = page.get_by_text(re.compile(r"Invalid file type|not a video|video", re.I)).filter(
            has_text=re.compile("notes|type|video", re.I)
        )
        expect(page.locator(".toast-body").first).to_be_visible()
        page.screenshot(path=str(artifacts / "non-video.png"), full_page=True)
        assert message.count() >= 1
        assert sim.stats.creates == creates
    finally:
        context.close()


def test_phone_width_has_no_sideways_scroll(
    browser,  # noqa: ANN001
    studio: Studio,
    clips: dict[str, Path],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    context, page = open_studio(
        browser,
        studio,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    try:
        page.get_by_label("Reference videos").set_input_files([str(clips["a3"]), str(clips["b4"])])
        expect(page.locator("#cost-estimate")).to_contain_text("47.60 credits")
        page.get_by_text("Advanced").click()
        expect(page.get_by_label("API key")).to_be_visible()
        assert page.get_by_label("API key").get_attribute("type") == "password"
        widths = page.evaluate(
            "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth,"
            " body: document.body.scrollWidth})"
        )
        page.screenshot(path=str(artifacts / "phone-390.png"), full_page=True)
        assert widths["scroll"] <= widths["inner"], widths
        assert widths["body"] <= widths["inner"], widths
    finally:
        context.close()


def test_stop_stops_watching_but_the_task_continues(
    browser,  # noqa: ANN001
    studio: Studio,
    clips: dict[str, Path],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    sim = studio.simulator
    sim.task_seconds = 8.0
    try:
        context, page = open_studio(browser, studio)
        try:
            page.get_by_label("Reference videos").set_input_files([str(clips["a3"])])
            expect(page.locator("#cost-estimate")).to_contain_text("Cost estimate:")
            page.get_by_label("Prompt").fill("character1 walks away slowly")
            page.get_by_role("button", name="Generate").click()
            status = page.locator("#status-panel")
            expect(status).to_contain_text(WATCHING)
            task_id = re.search(r"task-[\w-]+", status.inner_text()).group(0)  # type: ignore[union-attr]
            page.get_by_role("button", name="Stop").click()
            expect(status).to_contain_text("Stopped watching")
            expect(status).to_contain_text("continues")
            expect(status).to_contain_text("will still be charged")
            expect(status).to_contain_text(task_id)
            page.screenshot(path=str(artifacts / "stopped.png"), full_page=True)
            # The app keeps following it in the background: the history shows it finished.
            card = page.locator("#history-list .wan-hist-card").filter(
                has_text="character1 walks away slowly"
            )
            expect(card).to_contain_text("Done", timeout=WAIT)
            assert sim.tasks[task_id].status == "completed"
        finally:
            context.close()
    finally:
        sim.task_seconds = 4.0
