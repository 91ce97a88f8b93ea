"""What fixing looks like in the pure views: the cost panel and /estimate JSON, the reference
cards and the status panel (no gradio, no files)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from components.cost_view import as_json, as_markdown
from components.reference_cards import CardState, card_html
from components.status_view import STOPPED_BEFORE_SENDING, View, stop_message
from wanvideo.events import Failed, FailureReason, Preparing, Probed
from wanvideo.job import price_probes
from wanvideo.media import ProbeResult
from wanvideo.media.prepare import PreparedClip, plan_preparation
from wanvideo.media.rules import validate
from wanvideo.providers import get_profile
from wanvideo.service import Assessment
from wanvideo.task_status import Phase

PROFILE = get_profile("evolink")


def _probe(name: str, **facts: object) -> ProbeResult:
    base = ProbeResult(
        name=name,
        source=f"/tmp/gradio/{name}",
        size_bytes=2_000_000,
        container="mp4",
        duration=10.0,
        video_codec="h264",
        width=640,
        height=360,
        fps=30.0,
        has_audio=True,
        audio_codec="aac",
        pixel_format="yuv420p",
        headers_read=True,
    )
    return validate(replace(base, **facts))  # type: ignore[arg-type]


def _probed(starts: tuple[float, float] = (0.0, 0.0)) -> Probed:
    probes = (
        _probe("screen.webm", container="webm", video_codec="vp9", audio_codec="opus", duration=3.0),
        _probe("take.mp4", duration=45.0),
    )
    plans = tuple(plan_preparation(p, s) for p, s in zip(probes, starts, strict=True))
    return price_probes(probes, "720p", 5, PROFILE, plans=plans)


def test_estimate_json_reports_each_reference_as_sent() -> None:
    a = Assessment(probed=_probed((0.0, 43.0)), duration=5, quality="720p")
    data = as_json("evolink", a)
    webm, take = data["references"]
    assert (webm["will_be_done"], webm["steps"], webm["window"]) == (
        ["converted from WebM"],
        ["convert"],
        [0, 3],
    )
    assert (take["source_duration"], take["duration"], take["window"]) == (45.0, 2.0, [43, 45])
    assert take["will_be_done"] == ["trimmed to 43-45 s"] and take["billed_seconds"] == 2
    assert data["billed_input_seconds"] == 4.5  # 2.5 + 2: the window, then the 2-reference cap
    assert data["prepare_seconds"] > 0 and data["fix_references"] is True
    assert webm["problems"] == [] and webm["prepared"] is False


def test_cost_panel_lists_what_is_fixed_and_the_window_moves_with_the_start() -> None:
    text = as_markdown(Assessment(probed=_probed(), duration=5, quality="720p"))
    assert "| character2 · take.mp4 | 45 s, sends 30 s | 2.5 s |" in text
    assert "- character1 · screen.webm: converted from WebM" in text
    assert "- character2 · take.mp4: trimmed to 0-30 s" in text
    assert "**Fixed before upload**, about " in text
    later = as_markdown(Assessment(probed=_probed((0.0, 12.5)), duration=5, quality="720p"))
    assert "trimmed to 12.5-42.5 s" in later and "trimmed to 0-30 s" not in later


def test_card_says_what_will_be_done_and_previews_the_prepared_clip() -> None:
    probed = _probed()
    card = card_html(probed, 0)
    assert "converted from WebM" in card and "Will be prepared (about" in card
    assert 'src="gradio_api/file=/tmp/gradio/screen.webm"' in card  # the original meanwhile
    assert "Preparing: 40%" in card_html(probed, 0, CardState(percent=40))
    sent = replace(probed.plans[0].sent, source="/tmp/gradio/wan-prepared/k/screen.mp4", size_bytes=900_000)
    clip = PreparedClip(path=Path(sent.source), probe=sent, plan=probed.plans[0])
    done = replace(probed, prepared=(clip, None))
    card = card_html(done, 0)
    assert 'src="gradio_api/file=/tmp/gradio/wan-prepared/k/screen.mp4"' in card
    assert "Prepared: the preview is what the model gets." in card
    assert "45 s, sends 30 s · billed 2.5 s" in card_html(done, 1)


def test_a_start_that_leaves_too_little_shows_on_its_card() -> None:
    probed = _probed((0.0, 44.0))
    card = card_html(probed, 1)
    assert "take.mp4 lasts 45 s: a start at 44 s leaves 1 s" in card
    assert "Will be prepared" not in card


def test_status_shows_preparing_and_stop_means_nothing_was_sent() -> None:
    view = View(provider="demo")
    view.apply(Preparing(index=2, count=2, name="take.mp4", percent=40, notes=("trimmed to 0-30 s",)))
    text = view.markdown()
    assert text.startswith("### Preparing character2: 40%")
    assert "take.mp4: trimmed to 0-30 s" in text
    assert view.phase == Phase.PREPARING
    assert stop_message(view.tracking()) == STOPPED_BEFORE_SENDING
    view.apply(Preparing(index=2, count=2, name="take.mp4", percent=100, notes=("trimmed to 0-30 s",)))
    assert view.done[-1] == "✓ Prepared character2 (take.mp4): trimmed to 0-30 s"
    view.apply(
        Failed(
            message="x could not be prepared. Nothing was sent or charged.",
            reason=FailureReason.PREPARE_FAILED,
        )
    )
    assert view.record()["error"]["reason"] == "prepare_failed"
    assert "**Task:** none was created." in view.markdown()
