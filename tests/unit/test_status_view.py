"""The status panel's view model: events in, panel text and task record out (no gradio)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from components.status_view import (
    IDLE,
    STOPPED_BEFORE_SENDING,
    STOPPED_HANDED_OVER,
    View,
    progress_word,
    stop_message,
)
from wanvideo.events import (
    Completed,
    Downloading,
    Failed,
    FailureReason,
    Probed,
    Progress,
    Submitted,
    Uploading,
)
from wanvideo.media import ProbeResult
from wanvideo.pricing import estimate
from wanvideo.providers import EVOLINK_PRICES
from wanvideo.service import Started
from wanvideo.task_status import STATUS_LABELS, progress_status

EST = estimate([3.0, 4.0], "720p", 5, EVOLINK_PRICES)  # 10 s billed: 47.60 credits, $0.70


def _probed() -> Probed:
    probes = (
        ProbeResult(name="a.mp4", source="/x/a.mp4", duration=3.0),
        ProbeResult(name="b.mp4", source="/x/b.mp4", duration=4.0),
    )
    return Probed(probes=probes, estimate=EST)


def test_a_whole_run_reads_as_steps_in_the_one_money_format() -> None:
    view = View(provider="evolink")
    view.apply(_probed())
    assert view.done == ["✓ References checked: 2 (estimate 47.60 credits (about $0.70))"]
    view.apply(Started(record_id="rec1"))
    assert (view.phase, view.record_id) == ("starting", "rec1")
    view.apply(Uploading(index=1, count=1, name="<b>a.mp4", bytes_sent=2_000_000, bytes_total=2_000_000))
    assert "&lt;b&gt;a.mp4" not in view.markdown()  # finished upload: the detail line is cleared
    assert view.done[-1] == "✓ Uploaded 1 file"
    view.apply(Submitted(task_id="task-1", credits_reserved=Decimal("47.6"), idempotency_key="k"))
    assert "✓ Submitted: task `task-1`, 47.60 credits reserved" in view.markdown()
    view.apply(Progress(task_id="task-1", status="processing", percent=40, elapsed=65, eta=30))
    text = view.markdown()
    assert text.startswith(f"### {STATUS_LABELS['processing']}: 40%")
    assert "Elapsed 1:05 · about 0:30 left" in text and "Task `task-1` · 47.60 credits reserved" in text
    view.apply(Downloading(task_id="task-1", bytes_received=1_500_000, bytes_total=3_000_000))
    assert "1.5 MB of 3.0 MB received" in view.markdown()
    view.apply(
        Completed(
            task_id="task-1", video_path=Path("/srv/data/videos/tok.mp4"), credits_charged=Decimal("47.6")
        )
    )
    text = view.markdown()
    assert "Final charge: **47.60 credits**." in text and "✓ Video made by the provider" in text
    record = view.record()
    assert record["status"] == "completed" and record["video_path"] == "tok.mp4"
    assert "/srv" not in str(record)
    assert record["estimate"]["credits"] == 47.6 and record["credits_reserved"] == 47.6


def test_demo_mode_says_nothing_was_charged_and_falls_back_to_the_estimate() -> None:
    view = View(provider="demo")
    view.apply(_probed())
    view.apply(Completed(task_id="t", video_path=Path("v.mp4"), credits_charged=None))
    assert "estimated 47.60 credits (about $0.70)" in view.outcome
    assert view.outcome.endswith("Demo mode: nothing was really charged.")


def test_progress_words_come_from_task_status() -> None:
    assert progress_word("pending") == STATUS_LABELS["pending"] == "Queued at provider"
    # A provider's "queued" is its queue (fal's IN_QUEUE), not the app's own "Preparing": the
    # panel said "Preparing: 0%" for a task waiting in fal's queue while the record said queued.
    assert progress_word("QUEUED") == STATUS_LABELS["pending"]
    assert progress_word("downloading") == STATUS_LABELS["downloading"]  # a snapshot's record status
    assert progress_status("queued") == progress_status("pending") == "pending"
    assert progress_word("in_progress") == STATUS_LABELS["processing"]  # provider word -> record status
    assert progress_word("succeeded") == STATUS_LABELS["downloading"]


def test_a_failure_says_what_happened_and_what_it_costs() -> None:
    view = View(provider="evolink")
    view.apply(Submitted(task_id="t-9", credits_reserved=None, idempotency_key="k"))
    view.apply(
        Failed(
            message="The provider refused the content.",
            suggestion="Change the prompt.",
            task_id="t-9",
            reason=FailureReason.PROVIDER_FAILED,
        )
    )
    text = view.markdown()
    assert "**What happened:** The provider refused the content." in text
    assert "**What to do:** Change the prompt." in text
    assert "**Charge:** not charged" in text and "**Task:** `t-9`" in text
    assert view.record()["error"]["reason"] == "provider_failed"
    view.error["task_continues"] = True  # type: ignore[index]
    assert "may still be running" in view.markdown()
    view.error["charged"] = True  # type: ignore[index]
    assert "this task is billed" in view.markdown()


def test_stop_messages_follow_the_phase() -> None:
    assert stop_message(None) == IDLE
    assert stop_message({"phase": "done"}) == IDLE
    assert stop_message(View(provider="demo").tracking()) == STOPPED_BEFORE_SENDING
    view = View(provider="demo")
    view.apply(Started(record_id="r"))
    assert stop_message(view.tracking()) == STOPPED_HANDED_OVER
    view.apply(Submitted(task_id="task-7", credits_reserved=Decimal("9"), idempotency_key="k"))
    text = stop_message(view.tracking())
    assert "Task `task-7` **continues**" in text and "(about 9.00 credits)" in text
    assert "History" in text


def test_done_is_said_only_once_the_video_is_saved() -> None:
    """The provider's "completed" means made, not saved: the panel says it is downloading, and
    "Done" (what a person, and the browser tests, wait for) comes with the saved video only."""
    view = View(provider="demo")
    view.apply(Started(record_id="r1"))
    view.apply(Submitted(task_id="t1", credits_reserved=Decimal("47.60"), idempotency_key="k1"))
    for word in ("completed", "SUCCEEDED"):  # EvoLink's and DashScope's words
        view.apply(Progress(task_id="t1", status=word, percent=100, elapsed=60, eta=None))
        assert "Done" not in view.markdown()
        assert view.headline == "Downloading the video…"
    view.apply(Completed(task_id="t1", video_path=Path("/data/v.mp4"), estimate=EST, credits_charged=None))
    assert view.headline.startswith("✓ Done")


def test_one_status_vocabulary_for_the_panel_the_record_and_the_chips() -> None:
    from wanvideo.task_status import (
        COMPLETED,
        FAILED,
        NEEDS_KEY,
        PROCESSING,
        RUNNING_STATUSES,
        STATUS_LABELS,
        Chip,
        Phase,
        chip_for,
    )

    # A phase that is a record status is that very word; the record never says "done".
    assert {p.record_status for p in Phase} - {
        "checking",
        "preparing",
        "starting",
        "uploading",
        "running",
    } <= set(STATUS_LABELS)
    assert (Phase.DONE.record_status, Phase.FAILED.record_status) == (COMPLETED, FAILED)
    assert [p for p in Phase if p.before_hand_over] == [Phase.CHECKING, Phase.PREPARING]
    assert [p for p in Phase if p.final] == [Phase.DONE, Phase.FAILED]
    assert {chip_for(s, download_resumable=False) for s in RUNNING_STATUSES} == {Chip.RUNNING}
    assert chip_for(COMPLETED, download_resumable=False) is Chip.DONE
    assert chip_for(NEEDS_KEY, download_resumable=False) is Chip.ATTENTION
    assert chip_for(FAILED, download_resumable=True) is Chip.ATTENTION
    assert chip_for(FAILED, download_resumable=False) is Chip.FAILED
    assert chip_for(PROCESSING, download_resumable=True) is Chip.RUNNING
