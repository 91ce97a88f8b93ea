"""The history cards and Remix values (no gradio)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from components.history_cards import (
    can_retry_download,
    card,
    choice_label,
    cost_line,
    remix_values,
    render_cards,
    uploaded_names,
    views,
)
from wanvideo.store import TaskRecord
from wanvideo.task_status import COMPLETED, FAILED, PROCESSING, STATUS_LABELS

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


def test_a_done_card_plays_from_the_owner_route(tmp_path: Path) -> None:
    video = tmp_path / "tok.mp4"
    video.write_bytes(b"....")
    record = _record(
        status=COMPLETED,
        video_path=video,
        estimate={"credits": 47.6, "usd": 0.7},
        credits_charged=Decimal("47.6"),
    )
    html = card(record)
    assert f'src="wan/video/{record.id}"' in html and f"wan/video/{record.id}?download=1" in html
    assert str(tmp_path) not in html  # never a server path
    assert "character1 &lt;dances&gt;" in html  # escaped
    assert "estimate 47.60 credits (about $0.70) · charged 47.60 credits" in html
    assert "1080p · 9:16 · 7 s · multi shot · references: alice.mp4, bob.mp4" in html
    assert "2026-01-01 00:00 UTC" in html


def test_cards_without_a_video() -> None:
    deleted = _record(status=COMPLETED)
    assert "Local copy deleted" in card(deleted) and "<video" not in card(deleted)
    running = _record(status=PROCESSING, progress=42)
    assert f"{STATUS_LABELS[PROCESSING]} · 42%" in card(running)
    failed = _record(
        status=FAILED, message="It failed.", error={"suggestion": "Try again.", "charged": False}
    )
    assert "wan-hist-failed" in card(failed) and "It failed. Try again." in card(failed)
    assert cost_line(failed) == "not charged"


def test_a_made_but_unsaved_video_can_be_downloaded_again(tmp_path: Path) -> None:
    lost = _record(status=FAILED, result_url="https://cdn.example/r.mp4", error={"charged": True})
    assert can_retry_download(lost) and "Retry download" in card(lost)
    assert not can_retry_download(replace(lost, result_url=None))
    assert not can_retry_download(replace(lost, status=COMPLETED))


def test_views_split_running_from_finished() -> None:
    a, b = _record(status=PROCESSING), _record(status=COMPLETED)
    running_html, done_html, choices = views([a, b])
    assert a.id in running_html and a.id not in done_html and b.id in done_html
    assert [c[1] for c in choices] == [a.id, b.id]
    assert choice_label(a).endswith("character1 <dances>")
    assert "will appear here" in render_cards([])


def test_remix_values_are_the_forms_and_stay_within_its_choices() -> None:
    assert remix_values(_record(), 5) == (
        "character1 <dances>",
        "https://cdn.example/bob.mp4",
        "1080p",
        "9:16",
        7,
        "multi",
    )
    odd = _record(request={"quality": "8k", "duration": "x", "shot_type": None})
    assert remix_values(odd, 5) == ("", "", "720p", "16:9", 5, "single")
    assert uploaded_names(_record()) == ["/up/alice.mp4"]
