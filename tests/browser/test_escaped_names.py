"""Issue 15, item 5, as a visitor sees it in Chromium: a file or link whose name is Markdown
(`[a](elsewhere.example)`) is shown as typed in the cost panel, never as a link, and an
ordinary name with underscores reads without backslashes (Gradio's Markdown renders the escapes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.videos import make_video

from .conftest import Studio
from .test_journey import open_studio

pytestmark = [pytest.mark.browser]

# What survives Gradio's upload (it drops ":", "*", "$" from file names): a relative link and
# emphasis on the page unless escaped.
CRAFTED_FILE = "[a](elsewhere.example) _b_ ~~c~~.mp4"
ORDINARY_FILE = "my_clip_v2.mp4"
# A link the guard refuses at once (a loopback address): its name comes back in the problem.
CRAFTED_LINK = "http://127.0.0.1:9/clips/[c](https:elsewhere.example)_z_.mp4"
CRAFTED_LINK_NAME = "[c](https:elsewhere.example)_z_.mp4"


def test_crafted_names_are_text_in_the_cost_panel(browser, studio: Studio, tmp_path: Path) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    crafted = make_video(tmp_path / CRAFTED_FILE, 3, width=160, height=120)
    ordinary = make_video(tmp_path / ORDINARY_FILE, 3, width=160, height=120)
    context, page = open_studio(browser, studio)
    try:
        cost = page.locator("#cost-estimate")
        page.get_by_label("Reference videos").set_input_files([str(crafted), str(ordinary)])
        page.get_by_label("Reference video URLs").fill(CRAFTED_LINK)
        expect(cost).to_contain_text(CRAFTED_LINK_NAME)
        expect(cost).to_contain_text(CRAFTED_FILE)
        expect(cost).to_contain_text(ORDINARY_FILE)
        assert cost.locator("a").count() == 0, cost.inner_html()
        assert cost.locator("em, del, s").count() == 0, cost.inner_html()
        assert "\\" not in cost.inner_text()
    finally:
        context.close()
