"""The owner's console in real Chromium (issue 19): with the token (entered in the box that
`/?owner` shows) the owner sees the Owner tab, its chart and its tables, in English and in
Chinese; a visitor sees no tab and no box, and a wrong token shows nothing.

The app runs in this process in demo mode with WAN_OWNER_TOKEN; its records are put in its
store directly (one task today, one three days ago, by a visitor at a documentation address),
since the test is about what the console shows, not about making videos."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from wanvideo.messages import CATALOGUE, EN, ZH, t
from wanvideo.store import COMPLETED, TaskRecord

from .conftest import Studio, _free_port
from .test_journey import WAIT, open_studio

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TOKEN = "browser-owner-token-0123456789"
ADDRESS = "203.0.113.9"  # the visitor's address: never on the page


@pytest.fixture(scope="module")
def owned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import app as studio_app
    from wanvideo.settings import load_settings

    settings = load_settings(
        {
            "WAN_PROVIDER": "demo",
            "WAN_DATA_DIR": str(tmp_path_factory.mktemp("owner-data")),
            "WAN_OWNER_TOKEN": TOKEN,
            "WAN_ALERT_CREDITS": "10",
        }
    )
    running = studio_app.create(settings)
    store = running.manager.store
    now = time.time()
    for age_days, estimate, charged in ((0, "38.08", "38.08"), (3, "47.60", "45.00")):
        record = TaskRecord.new(
            owner="anon:" + "a" * 32,
            provider="evolink",
            model="standard",
            request={"prompt": "x"},
            estimate={"credits": estimate, "unit": "credits"},
            now=now - age_days * 86400,
            visitor="ip:" + ADDRESS,
        )
        store.insert(record)
        store.update(
            record.id, status=COMPLETED, credits_charged=Decimal(charged), finished_at=record.created_at + 40
        )
    _, url, _ = running.launch(
        prevent_thread_lock=True, server_name="127.0.0.1", server_port=_free_port(), quiet=True
    )
    yield Studio(url=url, app=running)
    running.close()


def _open_console(browser, owned: Studio, locale: str):  # noqa: ANN001, ANN202
    from playwright.sync_api import expect

    context, page = open_studio(browser, Studio(url=owned.url + "?owner", app=owned.app), locale=locale)
    box = page.locator("#owner-token input")
    expect(box).to_be_visible()
    box.fill(TOKEN)
    box.press("Enter")
    return context, page, expect


@pytest.mark.parametrize(("locale", "lang"), [("en-US", EN), ("zh-CN", ZH)])
def test_the_owner_sees_the_tab_its_chart_and_table(
    browser,
    owned: Studio,
    artifacts: Path,
    locale: str,
    lang: str,  # noqa: ANN001
) -> None:
    context, page, expect = _open_console(browser, owned, locale)
    try:
        expect(page.get_by_role("tab", name=t("owner.tab", lang))).to_be_visible()
        expect(page.locator("#owner-token")).to_be_hidden()  # the box went away with the right token
        chart = page.locator("#owner-chart")
        expect(chart).to_contain_text(t("owner.series_charged", lang))  # the legend
        expect(chart.locator("canvas, svg").first).to_be_visible()
        tasks = page.locator("#owner-tasks")
        expect(tasks).to_contain_text("v-")  # the visitor's pseudonym
        expect(tasks).to_contain_text("evolink")
        expect(tasks).to_contain_text("38.08")
        expect(page.locator("#owner-differences")).to_contain_text("-2.6")  # 45.00 charged for 47.60
        expect(page.locator("#owner-alert")).to_contain_text(CATALOGUE["owner.alert"][lang].split("**")[1])
        expect(page.locator("#owner-limits")).to_contain_text(t("owner.limit_daily", lang))
        assert ADDRESS not in page.content()
        page.screenshot(path=str(artifacts / f"owner-{lang}.png"), full_page=True)
        if lang == EN:  # the switch and the CSV, once
            _pause_and_resume(page, owned.app.manager.store, expect)
            with page.expect_download() as download:
                page.locator("#owner-csv").click()
            lines = Path(download.value.path()).read_text().splitlines()
            assert lines[0].startswith("when,visitor,provider") and len(lines) == 3
            assert ADDRESS not in "".join(lines)
    finally:
        owned.app.manager.store.set_owner_controls(paused=False)
        context.close()


def _pause_and_resume(page, store, expect) -> None:  # noqa: ANN001
    page.locator("#owner-pause input").check()
    expect(page.locator("#owner-paused")).to_contain_text("Generation is paused")
    assert store.owner_controls().paused is True
    page.locator("#owner-pause input").uncheck()
    expect(page.locator("#owner-paused")).to_contain_text("Generation is on")
    assert store.owner_controls().paused is False


def test_a_visitor_sees_no_tab_and_a_wrong_token_shows_nothing(browser, owned: Studio) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    context, page = open_studio(browser, owned)
    try:
        expect(page.locator("#generate")).to_be_visible()
        assert page.get_by_role("tab", name="Owner").count() == 0
        assert page.locator("#owner-token").count() == 0 or not page.locator("#owner-token").is_visible()
        # Even with /?owner and a wrong token: the box empties, no tab, no message.
        page.goto(owned.url + "?owner")
        box = page.locator("#owner-token input")
        expect(box).to_be_visible()
        box.fill("not-the-token-0123456789")
        box.press("Enter")
        expect(box).to_have_value("", timeout=WAIT)
        assert page.get_by_role("tab", name="Owner").count() == 0
        assert page.locator("#owner-tabs").is_hidden()
        assert ADDRESS not in page.content() and "v-" not in page.locator("body").inner_text()
    finally:
        context.close()
