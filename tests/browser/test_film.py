"""A film in real Chromium, in English and Chinese (issue 20): a clip, two shots written as
"seconds | prompt", the film's price before anything is spent, Make film, each shot's progress,
the join, and the film's player. The Chinese run is at a 390 px phone's width. Screenshots go
to tests/.artifacts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wanvideo.messages import CATALOGUE, EN, ZH, t

from .conftest import Studio
from .test_journey import WAIT, open_studio

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = "2 | character1 walks into the room\n2 | character1 waves at the camera"


def _prefix(message_id: str, lang: str) -> str:
    """The words of a catalogue text before its first placeholder (what any figures follow)."""
    return re.split(r"\{", CATALOGUE[message_id][lang], maxsplit=1)[0].strip()


def _shot_line(number: int, lang: str) -> str:
    """ "Shot 2 of 2:" (its status and percent follow)."""
    return t("film.line", lang, number=number, count=2, status="", percent="", seed="").split("%")[0].strip()


@pytest.mark.parametrize(
    ("locale", "lang", "width"), [("en-US", EN, 1280), ("zh-CN", ZH, 390)], ids=["en", "zh-phone"]
)
def test_a_film_of_two_shots_in_the_page(
    browser,  # noqa: ANN001
    studio: Studio,
    clips: dict[str, Path],
    artifacts: Path,
    locale: str,
    lang: str,
    width: int,
) -> None:
    from playwright.sync_api import expect

    context, page = open_studio(browser, studio, locale=locale, viewport={"width": width, "height": 1000})
    try:
        page.locator("#reference-videos input[type=file]").set_input_files([str(clips["a3"])])
        expect(page.locator("#reference-card-1")).to_contain_text("character1", timeout=WAIT)
        page.locator("#film-section button.label-wrap").first.click()  # the accordion's header
        page.locator("#film-shots textarea").fill(SHOTS)
        price = page.locator("#film-price")
        # "Film: 2 shots, 4 s in all: ..." before anything is spent.
        expect(price).to_contain_text(
            t("film.price", lang, count=2, seconds=4, money="").rstrip(), timeout=WAIT
        )
        page.screenshot(path=str(artifacts / f"film-{locale}-shots.png"), full_page=True)

        page.locator("#film-make").click()
        status = page.locator("#film-status")
        expect(status).to_contain_text(_shot_line(1, lang), timeout=WAIT)
        expect(status).to_contain_text(_shot_line(2, lang))
        expect(status).to_contain_text(_prefix("film.done", lang), timeout=120_000)
        player = page.locator("#film-player video")
        expect(player).to_be_visible(timeout=WAIT)
        # The film plays: the browser reads its length (two 2 s shots: about 4 s).
        page.wait_for_function(
            "() => { const v = document.querySelector('#film-player video');"
            " return v && v.readyState >= 1 && v.duration > 3 && v.duration < 5.5; }",
            timeout=WAIT,
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1  # nothing wider
        page.locator("#film-section").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"film-{locale}-done.png"), full_page=True)
        # The film is in the history with its shots.
        history = page.locator("#history-list")
        expect(history).to_contain_text("character1 walks into the room / character1 waves", timeout=WAIT)
    finally:
        context.close()
