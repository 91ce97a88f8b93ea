"""The cost panel's markdown and the /estimate JSON (no gradio)."""

from __future__ import annotations

from components.cost_view import EMPTY, Assessment, as_json, as_markdown, money, seconds
from wanvideo.events import Probed
from wanvideo.media import ProbeResult
from wanvideo.pricing import estimate
from wanvideo.providers import EVOLINK_PRICES


def _assessment(durations: list[float | None], *, problems: list[str] | None = None) -> Assessment:
    probes = tuple(
        ProbeResult(name=f"c{i}|x.mp4", source=f"/tmp/c{i}.mp4", duration=d) for i, d in enumerate(durations)
    )
    est = estimate(durations, "720p", 5, EVOLINK_PRICES)
    other = estimate(durations, "1080p", 5, EVOLINK_PRICES)
    return Assessment(
        probed=Probed(probes=probes, estimate=est),
        duration=5,
        quality="720p",
        other=other,
        problems=problems or [],
    )


def test_markdown_of_the_worked_example() -> None:
    text = as_markdown(_assessment([3.0, 4.0]))
    assert text.startswith("### Cost estimate: 47.60 credits (about $0.70)")
    assert "| character1 · c0/x.mp4 | 3 s | 2.5 s |" in text  # a | in a name cannot break the table
    assert "Input 5 s + output 5 s = **10 s billed** × 4.76 credits/s at 720p." in text
    assert "At 1080p instead: 79.49 credits (about $1.17)." in text
    assert "Prices as of 2026-10-10" in text and "Fix before generating" not in text


def test_an_unknown_duration_is_a_range_and_problems_are_listed() -> None:
    a = _assessment([None], problems=["clip.mp4 could not be read."])
    text = as_markdown(a)
    assert text.startswith("### Cost once fixed: 23.80 credits (about $0.35) to 47.60 credits (about $0.70)")
    assert "| character1 · c0/x.mp4 | unknown | 0 to 5 s |" in text
    assert "**Fix before generating:**\n- clip.mp4 could not be read." in text
    assert money(a.estimate) == "23.80 credits (about $0.35) to 47.60 credits (about $0.70)"  # type: ignore[arg-type]


def test_the_empty_form_shows_only_the_hint() -> None:
    empty = Assessment(
        probed=Probed(probes=(), estimate=None), duration=5, quality="720p", problems=["Add one."]
    )
    assert as_markdown(empty) == EMPTY


def test_json_carries_numbers_not_sentences() -> None:
    data = as_json("demo", _assessment([3.0, 4.0]))
    assert data["ok"] is True and data["provider"] == "demo"
    assert data["credits"] == 47.6 and data["usd"] == 0.7 and data["total_billed_seconds"] == 10
    assert [r["billed_seconds"] for r in data["references"]] == [2.5, 2.5]
    assert data["references"][0]["source"] == "file"
    assert data["other_quality"] == {"quality": "1080p", "credits": 79.492, "usd": 1.17}


def test_seconds() -> None:
    assert [seconds(v) for v in (2.5, 5, 1.65, None)] == ["2.5 s", "5 s", "1.65 s", "unknown"]


class _Budget:
    def __init__(self, left, visitor_left, resets_at) -> None:
        self.left_today, self.visitor_left_today, self.resets_at = left, visitor_left, resets_at


def test_the_panel_says_what_is_left_today() -> None:
    from datetime import datetime, timezone
    from decimal import Decimal

    a = _assessment([3.0])
    a.budget = _Budget(Decimal("252.4"), Decimal("2.4"), datetime(2026, 1, 2, tzinfo=timezone.utc))
    text = as_markdown(a)
    assert (
        "Left today on this app's key: 2.40 credits for you and 252.40 credits for everyone (resets at 00:00 UTC)."
        in text
    )
    assert as_json("demo", a)["budget"] == {
        "left_today": 252.4,
        "visitor_left_today": 2.4,
        "resets_at": "00:00 UTC",
    }
    a.budget = _Budget(None, Decimal("10"), 1_767_312_000.0)  # epoch seconds work too
    assert "10.00 credits for you (resets at 00:00 UTC)" in as_markdown(a)
    a.budget = None
    assert "Left today" not in as_markdown(a) and as_json("demo", a)["budget"] is None
