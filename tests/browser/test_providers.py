"""The provider pick in real Chromium: switching the provider changes the estimate, Compare
providers lists every provider, and Cancel task on a queued DashScope task ends it with
"not charged" (in the panel and the history). Screenshots of the changed page (desktop and a
390 px phone) go to tests/.artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.apprunner import start_app, stop_app
from wanvideo.provider_choice import DEMO_DIALECTS
from wanvideo.providers import PROFILES

from .conftest import Studio
from .test_journey import WAIT, open_studio

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Long simulated tasks: a DashScope task waits PENDING for 15 % of them before it runs.
QUEUED_TASK_SECONDS = "240"  # the test cancels it while queued: 36 s of waiting, room on a loaded machine


@pytest.fixture(scope="module")
def queued_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    """A second app with long tasks, in a process (and a Gradio cache folder) of its own: an
    in-process app shutting down empties the cache folder it shares with the package's
    studio, which content-addresses the example clips to the same paths."""
    running = start_app(
        tmp_path_factory.mktemp("queued"),
        {
            "WAN_PROVIDER": "demo",
            "WAN_DEMO_TASK_SECONDS": QUEUED_TASK_SECONDS,
            "WAN_POLL_MIN_INTERVAL": "0.3",
            "WAN_POLL_MAX_INTERVAL": "0.6",
        },
    )
    try:
        yield Studio(url=running.url, app=None)
    finally:
        stop_app(running)


def pick_provider(page, label: str) -> None:  # noqa: ANN001
    advanced = page.locator("#advanced")
    if not page.get_by_role("combobox", name="Provider").is_visible():
        advanced.get_by_text("Advanced").first.click()
    page.get_by_role("combobox", name="Provider").click()
    page.get_by_role("option", name=label, exact=True).click()


def test_switching_the_provider_changes_the_estimate_and_all_are_compared(
    browser,  # noqa: ANN001
    studio: Studio,
    clips: dict[str, Path],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    context, page = open_studio(browser, studio)
    try:
        cost = page.locator("#cost-estimate")
        page.get_by_label("Reference videos").set_input_files([str(clips["a3"]), str(clips["b4"])])
        expect(cost).to_contain_text("Cost estimate: 47.60 credits")
        table = cost.locator("table").nth(1)  # the references' table, then Compare providers
        expect(cost).to_contain_text("Compare providers")
        compared = {PROFILES[name].short for name in DEMO_DIALECTS if name != "demo"} | {"EvoLink"}
        for label in compared:
            expect(table).to_contain_text(label)
        expect(table.locator("tbody tr")).to_have_count(
            12
        )  # every provider and model variant (Wan 2.7 on three)

        pick_provider(page, "DashScope Singapore (simulated)")
        expect(cost).to_contain_text("Cost estimate: $1.00")  # 10 s x $0.10
        expect(cost).to_contain_text("On Alibaba Cloud DashScope (Singapore), model wan2.6-r2v")
        expect(table.locator("tr", has_text="▸")).to_contain_text("DashScope Singapore")

        page.get_by_role("combobox", name="Model").click()
        page.get_by_role("option", name="Flash: $0.05/s at 720p").click()
        expect(cost).to_contain_text("Cost estimate: $0.50")

        pick_provider(page, "fal (simulated)")
        # fal bills output seconds only, and sells 5 or 10 s: the duration follows the pick.
        expect(cost).to_contain_text("Cost estimate: $0.50")
        expect(page.locator("#provider-facts")).to_contain_text("5 or 10 seconds")
        hint = page.locator("#reference-hint")  # the references' hint follows the pick (and model)
        expect(hint).to_contain_text("fal.ai takes mp4 or mov, 2 to 30 s, at most 30 MB, at least 16 fps")
        page.get_by_role("combobox", name="Model").click()
        page.get_by_role("option", name="Flash: $0.05/s at 720p").click()
        expect(hint).to_contain_text("at most 100 MB, at least 16 fps")
        expect(cost).to_contain_text("frame rate raised from 10 to 16 fps")  # fal's floor; the clips have 10
        page.screenshot(path=str(artifacts / "providers-desktop.png"), full_page=True)
    finally:
        context.close()


def test_phone_layout_keeps_the_comparison_on_screen(
    browser,  # noqa: ANN001
    studio: Studio,
    clips: dict[str, Path],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    context, page = open_studio(browser, studio, viewport={"width": 390, "height": 844})
    try:
        page.get_by_label("Reference videos").set_input_files([str(clips["a3"])])
        cost = page.locator("#cost-estimate")
        expect(cost).to_contain_text("Compare providers")
        pick_provider(page, "DashScope Beijing (simulated)")
        expect(cost).to_contain_text("Cost estimate: CNY 4.80 (about $0.65)")  # 8 s x CNY 0.60
        page.locator("#provider-facts").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "providers-phone-advanced.png"))
        table = cost.locator("table").nth(1)
        box = table.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 0.5, box
        cost.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "providers-phone.png"), full_page=True)
    finally:
        context.close()


def test_cancel_task_on_a_queued_dashscope_task_is_not_charged(
    browser,  # noqa: ANN001
    queued_studio: Studio,
    clips: dict[str, Path],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    context, page = open_studio(browser, queued_studio)
    try:
        page.get_by_label("Prompt").fill("character1 waves at character2")
        page.get_by_label("Reference videos").set_input_files([str(clips["a3"]), str(clips["b4"])])
        pick_provider(page, "DashScope Singapore (simulated)")
        expect(page.locator("#cost-estimate")).to_contain_text("Cost estimate: $1.00")
        page.get_by_role("button", name="Generate").click()
        status = page.locator("#status-panel")
        expect(status).to_contain_text("Queued at provider", timeout=WAIT)
        cancel = page.get_by_role("button", name="Cancel task")
        expect(cancel).to_be_visible()
        page.screenshot(path=str(artifacts / "providers-cancel.png"), full_page=False)
        cancel.click()
        expect(status).to_contain_text("Cancelled")
        expect(status).to_contain_text("not charged")
        expect(page.get_by_role("button", name="Stop", exact=True)).to_be_visible()
        card = page.locator("#history-panel .wan-card").first
        expect(card).to_contain_text("Not charged", timeout=WAIT)
        expect(card).to_contain_text("nothing was charged")
        expect(card).to_contain_text("Alibaba Cloud DashScope (Singapore) · wan2.6-r2v")
    finally:
        context.close()
