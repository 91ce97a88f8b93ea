"""Two browsers, one app: each sees only its own history and videos; a reload keeps the
history and re-attaches to a running task. Real Chromium through Playwright.

With CI=true a missing Chromium (or Playwright) is a failure, not a skip.
"""

from __future__ import annotations

import pytest

from tests.apprunner import start_app, stop_app
from tests.videos import make_video

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("isolation")
    app = start_app(
        tmp, {"WAN_PROVIDER": "demo", "WAN_DEMO_TASK_SECONDS": "12", "WAN_POLL_MIN_INTERVAL": "0.5"}
    )
    try:
        yield app.url.rstrip("/"), tmp
    finally:
        stop_app(app)


def test_two_browsers_see_only_their_own_history(app_url, browser, artifacts) -> None:
    from playwright.sync_api import expect

    url, tmp = app_url
    clip = make_video(tmp / "dancer.mp4", seconds=3)

    try:
        alice = browser.new_context(viewport={"width": 1280, "height": 1600})
        bob = browser.new_context(viewport={"width": 1280, "height": 1600})
        page = alice.new_page()
        page.goto(url)
        page.get_by_label("Prompt").fill("character1 dances in the rain")
        page.locator("#reference-videos input[type=file]").set_input_files(str(clip))
        page.wait_for_timeout(1500)  # let the upload land
        page.get_by_role("button", name="Generate").click()

        running = page.locator("#history-running .wan-hist-card")
        expect(running).to_have_count(1, timeout=30_000)

        # A reload keeps the history and re-attaches to the running task.
        page.reload()
        expect(page.locator("#history-running .wan-hist-card")).to_have_count(1, timeout=30_000)
        poster = page.locator("#history-list .wan-hist-card img.wan-poster")
        expect(poster).to_have_count(1, timeout=60_000)  # it kept streaming until done
        expect(page.locator("#history-running .wan-hist-card")).to_have_count(0)
        expect(page.locator("#history-list .wan-hist-card")).to_contain_text("character1 dances in the rain")
        expect(page.locator("#history-list .wan-hist-card")).to_contain_text("Done")
        page.locator("#history-panel").scroll_into_view_if_needed()
        page.wait_for_timeout(1000)
        page.locator("#history-panel").screenshot(path=str(artifacts / "history-panel.png"))

        poster_url = f"{url}/{poster.get_attribute('src').lstrip('/')}"
        page.locator("#history-list .wan-hist-card").get_by_role("button", name="Play").click()
        video = page.locator("#history-list .wan-hist-card video")
        expect(video).to_have_count(1)
        src = video.get_attribute("src")
        assert src
        video_url = f"{url}/{src.lstrip('/')}"
        mine = alice.request.get(video_url)
        assert mine.status == 200 and mine.headers["content-type"].startswith("video/mp4")
        assert mine.body()[4:8] == b"ftyp"
        assert alice.request.get(poster_url).status == 200

        # Bob: a different browser sees nothing of it and cannot fetch it.
        other = bob.new_page()
        other.goto(url)
        expect(other.locator("#history-list")).to_contain_text("will appear here", timeout=30_000)
        expect(other.locator(".wan-hist-card")).to_have_count(0)
        assert "character1 dances" not in other.content()
        assert bob.request.get(video_url).status == 404
        assert bob.request.get(poster_url).status == 404
        # nor through Gradio's file route: not the database, not the folder
        data = tmp / "data"
        for path in (data / "tasks.sqlite3", data / "session_secret", data / "videos"):
            assert bob.request.get(f"{url}/gradio_api/file={path}").status in (403, 404)

        # Alice again in a fresh tab (same browser profile): same history.
        again = alice.new_page()
        again.goto(url)
        expect(again.locator("#history-list .wan-hist-card img.wan-poster")).to_have_count(1, timeout=30_000)

        # "Delete local copy" (after a confirmation) removes the only copy: the owner's own
        # link stops working too.
        again.once("dialog", lambda dialog: dialog.accept())
        again.get_by_role("button", name="Delete local copy").click()
        expect(again.locator("#history-list .wan-hist-card")).to_contain_text(
            "Local copy deleted", timeout=30_000
        )
        assert alice.request.get(video_url).status == 404
        assert alice.request.get(poster_url).status == 404
        assert list((data / "videos").glob("*")) == []  # the poster went with the video
    finally:
        alice.close()
        bob.close()
