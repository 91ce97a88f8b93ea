"""The page with WAN_STORAGE_URL on a real S3 server on 127.0.0.1 (`python app.py` in demo mode,
real Chromium): the result player plays the video from the bucket through the owner-only
route (the browser's Range requests), and the history card's poster loads from the bucket."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from tests.apprunner import RunningApp
from tests.engines.s3 import S3Server

from .test_journey import WAIT, open_studio


def test_the_player_and_the_history_poster_load_from_the_bucket(
    browser,  # noqa: ANN001
    s3_demo_app: tuple[RunningApp, str],  # noqa: F811
    s3_server: S3Server,  # noqa: F811
    clips: dict[str, Path],
) -> None:
    from playwright.sync_api import expect

    app, bucket = s3_demo_app
    context, page = open_studio(browser, SimpleNamespace(url=app.url))
    try:
        page.get_by_label("Reference videos").set_input_files([str(clips["a3"])])
        expect(page.locator("#reference-cards .wan-ref")).to_have_count(1)
        page.get_by_label("Prompt").fill("character1 on a rooftop in the bucket")
        page.get_by_role("button", name="Generate").click()
        expect(page.locator("#status-panel")).to_contain_text("Done", timeout=WAIT)
        assert any(key.endswith(".mp4") for key in s3_server.keys(bucket))

        page.wait_for_function(
            "() => { const v = document.querySelector('#result-video video');"
            " return v && v.readyState >= 1 && v.duration > 0; }"
        )
        page.evaluate(
            "() => { const v = document.querySelector('#result-video video'); v.muted = true; v.play(); }"
        )
        page.wait_for_function(
            "() => { const v = document.querySelector('#result-video video');"
            " return v.readyState >= 2 && v.currentTime > 0.3; }"
        )
        src = page.evaluate("document.querySelector('#result-video video').src")
        assert "/wan/video/" in src
        ranged = context.request.get(src, headers={"Range": "bytes=0-9"})
        assert ranged.status == 206 and len(ranged.body()) == 10

        card = page.locator("#history-list .wan-hist-card").filter(has_text="on a rooftop in the bucket")
        poster = card.locator("img.wan-poster")
        expect(poster).to_be_visible()
        poster.scroll_into_view_if_needed()  # a lazy image loads once it is on the screen
        page.wait_for_function(
            "(img) => img.complete && img.naturalWidth > 0", arg=poster.element_handle(), timeout=WAIT
        )
    finally:
        context.close()
    assert not list((app.data_dir / "videos").glob("*.mp4"))
