"""The studio's page actions in real Chromium (issue 20): a character saved to the cast from the
page and put into the next generation with its card's Use; three variations side by side, one
kept from its history card; a finished video used as the next reference from its history card.
English at 1280 px, Chinese at a 390 px phone's width. Screenshots go to tests/.artifacts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.videos import make_video
from wanvideo.messages import EN, ZH, t

from .conftest import Studio
from .test_journey import WAIT, open_studio

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _open(page, accordion: str) -> None:  # noqa: ANN001
    page.locator(f"#{accordion} button.label-wrap").first.click()  # the accordion's header


@pytest.mark.parametrize(
    ("locale", "lang", "width"), [("en-US", EN, 1280), ("zh-CN", ZH, 390)], ids=["en", "zh-phone"]
)
def test_cast_use_variations_keep_and_use_as_reference(
    browser,  # noqa: ANN001
    studio: Studio,
    artifacts: Path,
    tmp_path: Path,
    locale: str,
    lang: str,
    width: int,
) -> None:
    from playwright.sync_api import expect

    clip = make_video(tmp_path / f"mia-{lang}.mp4", 3, width=320, height=240, color=(90, 40, 160))
    context, page = open_studio(browser, studio, locale=locale, viewport={"width": width, "height": 1000})
    try:
        # The cast: saved from the page, shown as a card, put into the form with Use.
        name = f"Mia{lang[:2]}"
        _open(page, "cast")
        page.locator("#cast-name input, #cast-name textarea").first.fill(name)
        page.locator("#cast-video input[type=file]").set_input_files([str(clip)])
        page.locator("#cast-add").click()
        card = page.locator("#cast-cards .wan-cast", has_text=name)
        expect(card).to_be_visible(timeout=WAIT)
        card.get_by_role("button", name=t("cast.use", lang)).click()
        characters = page.locator("#characters textarea, #characters input").first
        expect(characters).to_have_value(name, timeout=WAIT)
        card.get_by_role("button", name=t("cast.use", lang)).click()  # once only
        expect(characters).to_have_value(name)
        cost = page.locator("#cost-estimate")
        expect(cost).to_contain_text(re.compile(r"character1 · ch_\w+\.mp4"), timeout=WAIT)  # its clip priced
        page.screenshot(path=str(artifacts / f"studio-{locale}-cast.png"), full_page=True)

        # Three variations, side by side.
        page.locator("#variations input[type=number]").fill("3")
        page.locator("#variations input[type=number]").press("Enter")
        page.locator("#prompt textarea").fill("character1 dances in the rain")
        page.locator("#generate").click()
        players = page.locator("#result-video .wan-variations video")
        expect(players).to_have_count(3, timeout=120_000)
        page.screenshot(path=str(artifacts / f"studio-{locale}-variations.png"), full_page=True)

        # Keep one from its history card: the card says it is kept, and offers Keep no more.
        history = page.locator("#history-list")
        keep = history.get_by_role("button", name=t("history.keep", lang), exact=True)
        expect(keep).to_have_count(3, timeout=WAIT)
        keep.first.click()
        expect(history.locator(".wan-chip-kept")).to_have_count(1, timeout=WAIT)
        expect(keep).to_have_count(2, timeout=WAIT)

        # Use a finished video as the next reference: a second reference card appears.
        history.get_by_role("button", name=t("history.use_ref", lang)).first.click()
        second = page.locator("#reference-card-2")
        expect(second).to_contain_text(re.compile(r"result-.*\.mp4"), timeout=WAIT)
        expect(second).to_contain_text("character2")
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1  # nothing wider
        page.screenshot(path=str(artifacts / f"studio-{locale}-reference.png"), full_page=True)
    finally:
        context.close()
