"""Demo-ready, in real Chromium: one-click examples through to a playing video, history cards
with posters and their own actions (Remix), 25 generations paged, and the phone layout."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

import pytest

from components.history_cards import PAGE_SIZE
from tests.apprunner import free_port, start_app, stop_app
from wanvideo.examples import EXAMPLE_SETS
from wanvideo.identity import Identity
from wanvideo.settings import load_settings
from wanvideo.store import TaskRecord, TaskStore
from wanvideo.task_status import COMPLETED
from wanvideo.web.routes import COOKIE

from .conftest import Studio
from .test_journey import WAIT, open_studio
from .test_providers import pick_provider

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DUET, SOLO = EXAMPLE_SETS[0], EXAMPLE_SETS[1]
MIN_CONTROL_PX = 40

PLAYS_JS = """() => { const v = document.querySelector('#result-video video');
  return v && v.readyState >= 2 && v.currentTime > 0.3; }"""

# The app's own controls (text buttons, choices, text fields) that are on screen.
SHORT_CONTROLS_JS = """(min) => {
  const seen = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const controls = [...document.querySelectorAll(
    '.gradio-container button, .gradio-container fieldset label, .gradio-container textarea,'
    + ' .gradio-container input[type="text"], .gradio-container .wan-act')]
    .filter(seen)
    .filter((el) => !el.closest('footer'))  // Gradio's own footer links aside
    .filter((el) => el.tagName !== 'BUTTON' || el.innerText.trim() !== '');  // and its icon buttons
  return controls.filter((el) => el.getBoundingClientRect().height < min - 0.5)
    .map((el) => `${el.tagName} "${el.innerText.trim().slice(0, 30)}" ${el.getBoundingClientRect().height}px`);
}"""


def click_example(page, example) -> None:  # noqa: ANN001
    page.locator("#examples-slot").get_by_role("button", name=example.label).click()


def generate_example(page, example) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    click_example(page, example)
    expect(page.get_by_label("Prompt")).to_have_value(example.prompt)
    expect(page.locator("#cost-estimate")).to_contain_text("Cost estimate:")
    # The panel may still say "Done" for the previous run (and its last update may land after
    # any text read here): this run is done when the history has one more finished card and
    # the panel says Done.
    finished = page.locator("#history-list .wan-hist-card")
    before = finished.count()
    page.get_by_role("button", name="Generate").click()
    expect(finished).to_have_count(before + 1, timeout=WAIT)
    expect(page.locator("#status-panel")).to_contain_text("Done", timeout=WAIT)


def test_an_example_click_shows_its_cost_then_generates_a_playing_video(
    browser,  # noqa: ANN001
    studio: Studio,
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    context, page = open_studio(browser, studio)
    try:
        creates = studio.simulator.stats.creates
        click_example(page, DUET)
        # The form is filled: prompt, both clips in order, the settings.
        expect(page.get_by_label("Prompt")).to_have_value(DUET.prompt)
        cards = page.locator("#reference-cards .wan-ref")
        expect(cards).to_have_count(2)
        expect(cards.nth(0)).to_contain_text("ruby.mp4")
        expect(cards.nth(1)).to_contain_text("sky.mp4")
        expect(
            page.get_by_role("radiogroup", name="Aspect ratio").get_by_label(DUET.aspect_ratio)
        ).to_be_checked()
        # Its cost is shown before anything is spent: two 3 s clips (2.5 s billed each) + 5 s.
        cost = page.locator("#cost-estimate")
        expect(cost).to_contain_text("47.60 credits (about $0.70)")
        assert studio.simulator.stats.creates == creates
        page.screenshot(path=str(artifacts / "demo-1-example.png"), full_page=True)

        page.get_by_role("button", name="Generate").click()
        expect(page.locator("#status-panel")).to_contain_text("Done", timeout=WAIT)
        assert studio.simulator.stats.creates == creates + 1
        page.evaluate(
            "() => { const v = document.querySelector('#result-video video'); v.muted = true; v.play(); }"
        )
        page.wait_for_function(PLAYS_JS)
        assert page.evaluate("document.querySelector('#result-video video').error") is None
    finally:
        context.close()


def test_history_cards_have_posters_after_a_reload_and_remix_fills_the_form(
    browser,  # noqa: ANN001
    studio: Studio,
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    context, page = open_studio(browser, studio)
    try:
        generate_example(page, SOLO)
        generate_example(page, DUET)
        page.reload()
        cards = page.locator("#history-list .wan-hist-card")
        expect(cards).to_have_count(2)
        expect(cards.nth(0)).to_contain_text(DUET.prompt)  # newest first
        expect(cards.nth(1)).to_contain_text(SOLO.prompt)
        posters = page.locator("#history-list img.wan-poster")
        expect(posters).to_have_count(2)
        page.wait_for_function(
            "() => [...document.querySelectorAll('#history-list img.wan-poster')]"
            ".every((img) => img.complete && img.naturalWidth > 0)"
        )
        for i in range(2):
            card = cards.nth(i)
            expect(card.locator(".wan-chip")).to_have_text("Done")
            expect(card).to_contain_text("720p")
            expect(card).to_contain_text(re.compile(r"Estimate [\d.]+ credits \(about \$[\d.]+\) · Charged"))
            for name in ("Play", "Remix", "Delete local copy"):
                expect(card.get_by_role("button", name=name)).to_be_visible()
            expect(card.get_by_role("link", name="Download")).to_be_visible()
        expect(page.locator("#history-select")).to_have_count(0)  # no separate picker any more
        page.locator("#history-panel").scroll_into_view_if_needed()
        page.locator("#history-panel").screenshot(path=str(artifacts / "demo-2-history.png"))

        # Play swaps the poster for the player, in the card.
        cards.nth(1).get_by_role("button", name="Play").click()
        expect(cards.nth(1).locator("video")).to_have_count(1)

        # Remix the older card: its prompt and settings (the provider too) come back into the form,
        # and the references still in the form are priced on that provider again.
        click_example(page, DUET)
        page.get_by_label("Prompt").fill("something else")
        page.get_by_role("radiogroup", name="Aspect ratio").get_by_label("4:3").check()
        pick_provider(page, "fal (simulated)")
        expect(page.locator("#reference-hint")).to_contain_text("fal.ai takes")
        cost = page.locator("#cost-estimate")
        expect(cost).to_contain_text("Cost estimate: $0.50")
        cards.nth(1).get_by_role("button", name="Remix").click()
        expect(page.get_by_label("Prompt")).to_have_value(SOLO.prompt)
        expect(
            page.get_by_role("radiogroup", name="Aspect ratio").get_by_label(SOLO.aspect_ratio)
        ).to_be_checked()
        expect(page.get_by_role("combobox", name="Provider")).to_have_value("Demo (simulated)")
        expect(page.locator("#reference-hint")).to_contain_text("Demo (simulated) takes")
        # Same model, quality and duration: only the provider changed, and the cost follows it.
        expect(cost).to_contain_text("Cost estimate: 47.60 credits")
        expect(page.locator(".toast-body").filter(has_text="leaf.mp4").first).to_be_visible()
    finally:
        context.close()


def _owner_of(context, url: str, data_dir: Path) -> str:  # noqa: ANN001
    """The browser's owner id, from the signed cookie the history panel sets."""
    cookie = next(c for c in context.cookies(url) if c["name"] == COOKIE)
    ident = Identity.for_settings(load_settings({"WAN_DATA_DIR": str(data_dir)}))
    owner = ident.owner_from_token(unquote(cookie["value"]))
    assert owner
    return owner


def _insert_generations(data_dir: Path, owner: str, count: int) -> None:
    store = TaskStore(data_dir / "tasks.sqlite3")
    try:
        for i in range(count):
            record = TaskRecord.new(
                owner=owner,
                provider="demo",
                request={
                    "prompt": f"stored generation {i:02d}",
                    "quality": "720p",
                    "aspect_ratio": "16:9",
                    "duration": 5,
                    "shot_type": "single",
                    "references": ["a.mp4"],
                },
                estimate={"credits": "23.80", "usd": "0.35"},
                now=1_767_225_600 + i * 60,
            )
            store.insert(replace(record, status=COMPLETED, finished_at=record.created_at))
    finally:
        store.close()


def test_25_generations_are_paged(browser, tmp_path: Path, artifacts: Path) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    port = free_port()
    app = start_app(tmp_path, {"WAN_PROVIDER": "demo"}, port=port)
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT)
        page.goto(app.url)
        expect(page.locator("#history-list")).to_contain_text("will appear here")
        page.wait_for_function(f"() => document.cookie.includes('{COOKIE}=')")
        owner = _owner_of(context, app.url, app.data_dir)
        stop_app(app)
        _insert_generations(app.data_dir, owner, 25)  # into the data folder, app stopped
        with sqlite3.connect(app.data_dir / "tasks.sqlite3") as db:
            assert db.execute("select count(*) from tasks").fetchone()[0] == 25
        app = start_app(tmp_path, {"WAN_PROVIDER": "demo"}, port=port)

        page.goto(app.url)
        cards = page.locator("#history-list .wan-hist-card")
        expect(cards).to_have_count(25)  # all listed, one page shown
        visible = page.locator("#history-list .wan-hist-card:visible")
        expect(visible).to_have_count(PAGE_SIZE)
        expect(visible.first).to_contain_text("stored generation 24")  # newest first
        pager = page.locator("#history-list .wan-pager")
        expect(pager).to_contain_text("Page 1 of 2 · 25 generations")
        expect(pager.get_by_role("button", name="‹ Newer")).to_be_disabled()
        pager.get_by_role("button", name="Older ›").click()
        expect(visible).to_have_count(5)
        expect(visible.first).to_contain_text("stored generation 04")
        expect(visible.last).to_contain_text("stored generation 00")
        expect(pager).to_contain_text("Page 2 of 2")
        expect(pager.get_by_role("button", name="Older ›")).to_be_disabled()
        page.locator("#history-panel").screenshot(path=str(artifacts / "demo-3-paged.png"))
        pager.get_by_role("button", name="‹ Newer").click()
        expect(visible).to_have_count(PAGE_SIZE)
    finally:
        context.close()
        stop_app(app)


def test_phone_layout_one_thumb(browser, studio: Studio, artifacts: Path) -> None:  # noqa: ANN001
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
        generate_example(page, DUET)
        page.wait_for_function(PLAYS_JS.replace("v.currentTime > 0.3", "v.duration > 0"))
        expect(page.locator("#history-list .wan-hist-card img.wan-poster")).to_have_count(1)
        page.get_by_text("Advanced").click()
        expect(page.get_by_label("API key")).to_be_visible()
        layout = page.evaluate(
            """() => {
              const box = (sel) => document.querySelector(sel).getBoundingClientRect();
              return {scroll: document.documentElement.scrollWidth, body: document.body.scrollWidth,
                      inner: window.innerWidth, video: box('#result-video video'),
                      card: box('#history-list .wan-hist-card'), cost: box('#cost-estimate'),
                      status: box('#status-panel'), form: box('#form-column')};
            }"""
        )
        page.screenshot(path=str(artifacts / "demo-phone-390.png"), full_page=True)
        inner = layout["inner"]
        assert layout["scroll"] <= inner and layout["body"] <= inner, layout  # no sideways scroll
        for name in ("video", "card", "cost", "status", "form"):
            box = layout[name]
            assert box["left"] >= 0 and box["right"] <= inner + 0.5, (name, box)  # fits the width
        assert layout["video"]["height"] <= 844, layout["video"]  # the result fits the screen
        short = page.evaluate(SHORT_CONTROLS_JS, MIN_CONTROL_PX)
        assert short == [], short
    finally:
        context.close()
