"""The history cards, their actions and paging, and Remix values (no gradio)."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from components.history_cards import (
    DELETE,
    DOWNLOAD,
    KEEP,
    PAGE_SIZE,
    PLAY,
    REMIX,
    RESUME,
    RETRY,
    USE_REF,
    actions,
    can_retry_download,
    card,
    cost_line,
    remix_profile,
    remix_values,
    render_cards,
    uploaded_names,
    views,
)
from wanvideo.provider_choice import ProviderChoice
from wanvideo.providers import EVOLINK_PRICES as PRICES
from wanvideo.providers import PROFILES, get_profile
from wanvideo.store import TaskRecord
from wanvideo.task_status import COMPLETED, FAILED, NEEDS_KEY, PROCESSING, STATUS_LABELS
from wanvideo.watcher.triage import download_resumable

REQUEST = {
    "prompt": "character1 <dances>",
    "quality": "1080p",
    "aspect_ratio": "9:16",
    "duration": 7,
    "shot_type": "multi",
    "references": ["/up/alice.mp4", "https://cdn.example/bob.mp4"],
    "video_urls": ["https://cdn.example/bob.mp4"],
}


def _record(**changes) -> TaskRecord:
    base = TaskRecord.new(owner="anon:x", provider="demo", request=REQUEST, now=1_767_225_600)
    return replace(base, **changes)


def test_a_done_card_reads_at_a_glance(tmp_path: Path) -> None:
    video = tmp_path / "tok.mp4"
    video.write_bytes(b"....")
    record = _record(
        status=COMPLETED,
        video_path=video,
        estimate={"credits": 47.6, "usd": 0.7},
        credits_charged=Decimal("47.6"),
    )
    html = card(record, PRICES)
    assert f'src="wan/poster/{record.id}"' in html  # the poster, from the owner-only route
    assert f"wan/video/{record.id}?download=1" in html
    assert str(tmp_path) not in html  # never a server path
    assert "character1 &lt;dances&gt;" in html  # escaped
    assert '<span class="wan-chip wan-chip-done">Done</span>' in html
    assert "Estimate 47.60 credits (about $0.70) · Charged 47.60 credits (about $0.70)" in html
    assert "1080p · 9:16 · 7 s · Multi-shot" in html
    assert "References: alice.mp4, bob.mp4" in html
    assert "2026-01-01 00:00 UTC" in html
    assert actions(record) == [PLAY, DOWNLOAD, REMIX, USE_REF, DELETE]  # no Keep: not a variation
    for action in (PLAY, REMIX, USE_REF, DELETE):
        assert f'data-action="{action}"' in html
    assert 'data-action="retry"' not in html and 'data-action="resume"' not in html


def test_cards_without_a_video() -> None:
    deleted = _record(status=COMPLETED)
    assert "Local copy deleted" in card(deleted, PRICES) and "wan-poster" not in card(deleted, PRICES)
    assert actions(deleted) == [REMIX]
    running = _record(status=PROCESSING, progress=42)
    assert f"{STATUS_LABELS[PROCESSING]} · 42%" in card(running, PRICES)
    assert "wan-chip-running" in card(running, PRICES)
    failed = _record(
        status=FAILED, message="It failed.", error={"suggestion": "Try again.", "charged": False}
    )
    assert "wan-card-failed" in card(failed, PRICES) and "It failed. Try again." in card(failed, PRICES)
    assert cost_line(failed, PRICES) == "Not charged"
    waiting = _record(status=NEEDS_KEY)
    assert actions(waiting) == [REMIX, RESUME] and "wan-chip-attention" in card(waiting, PRICES)


def test_a_made_but_unsaved_video_can_be_downloaded_again(tmp_path: Path) -> None:
    now = time.time()
    lost = _record(
        status=FAILED,
        task_id="task-1",
        created_at=now - 60,
        submitted_at=now - 60,
        result_url="https://cdn.example/r.mp4",
        error={"charged": True},
    )
    assert can_retry_download(lost) and RETRY in actions(lost)
    assert 'data-action="retry"' in card(lost, PRICES) and "press Retry download" in card(lost, PRICES)
    # The card's rule is the manager's (`download_resumable`): they used to disagree.
    assert can_retry_download(lost, now) == download_resumable(lost, now)
    assert not can_retry_download(replace(lost, error={"charged": False}))  # nothing was made
    assert not can_retry_download(replace(lost, task_id=None))
    assert not can_retry_download(lost, now + 25 * 3600)  # the provider's link is gone
    assert not can_retry_download(replace(lost, status=COMPLETED))


def test_views_split_running_from_finished() -> None:
    a, b = _record(status=PROCESSING), _record(status=COMPLETED)
    running_html, done_html = views([a, b], PRICES)
    assert a.id in running_html and a.id not in done_html and b.id in done_html
    assert "will appear here" in render_cards([], PRICES)
    assert views([b], PRICES)[0] == ""  # nothing running: nothing shown


def test_more_than_a_page_is_paged() -> None:
    records = [_record(status=COMPLETED) for _ in range(PAGE_SIZE + 5)]
    html = render_cards(records, PRICES)
    assert html.count("<article") == PAGE_SIZE + 5
    assert len(re.findall(r"<article[^>]*>", html)) == PAGE_SIZE + 5
    assert len(re.findall(r"<article[^>]* hidden>", html)) == 5  # the first page shows
    assert 'data-pages="2"' in html and 'data-count="25"' in html
    assert "wan-pager" not in render_cards(records[:PAGE_SIZE], PRICES)


def test_remix_values_are_the_forms_and_stay_within_its_choices() -> None:
    assert remix_values(_record(), 5) == (
        "character1 <dances>",
        "https://cdn.example/bob.mp4",
        "1080p",
        "9:16",
        "7",
        "multi",
    )
    odd = _record(request={"quality": "8k", "duration": "x", "shot_type": None})
    assert remix_values(odd, 5) == ("", "", "720p", "16:9", "5", "single")
    assert uploaded_names(_record()) == ["/up/alice.mp4"]


def test_remix_picks_the_provider_and_model_the_record_ran_on_where_still_offered() -> None:
    demo = ProviderChoice(configured=PROFILES["demo"], demo=True)
    flash = remix_profile(_record(provider="dashscope-beijing", model="flash"), demo)
    assert (flash.name, flash.model) == ("dashscope-beijing", "flash")
    assert remix_profile(_record(provider="fal", model=None), demo).model == "standard"  # before v4
    gone = remix_profile(_record(provider="dashscope-virginia", model="flash"), demo)  # no flash there
    assert (gone.name, gone.model) == ("dashscope-virginia", "standard")
    real = ProviderChoice(configured=get_profile("evolink"))
    assert remix_profile(_record(provider="fal", model="flash"), real).model == "flash"  # on one's own key
    assert remix_profile(_record(provider="demo"), real).name == "evolink"  # not offered: this app's


def test_a_finished_variation_offers_keep_until_it_is_kept(tmp_path: Path) -> None:
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x")
    variation = _record(status=COMPLETED, video_path=video, group_id="g1", group_kind="variation")
    assert KEEP in actions(variation) and "wan-chip-kept" not in card(variation, PRICES)
    kept = replace(variation, kept=True)
    assert KEEP not in actions(kept)
    assert '<span class="wan-chip wan-chip-kept">Kept</span>' in card(kept, PRICES)
    shot = replace(variation, group_kind="shot")  # a film's shot is not chosen among others
    assert KEEP not in actions(shot) and USE_REF in actions(shot)
