"""The status panel's view model: what one Generate click shows, step by step.

Pure (no gradio import): `View.apply(event)` folds the domain's typed events into the panel's
state, `View.markdown()` renders it, `View.record()` is the task record `/generate` returns, and
`stop_message(tracking)` says what pressing Stop means at the current step.

    view = View(provider="demo")
    view.apply(Started(record_id="ab12"))
    view.apply(Submitted(task_id="task-1", credits_reserved=Decimal("47.6"), idempotency_key="k"))
    view.markdown()   # "### Submitted: waiting for the provider…" ...

Money goes through `wanvideo.pricing.format_amount` and status words through
`wanvideo.task_status`: this module only arranges them.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from wanvideo.events import (
    Completed,
    Downloading,
    Event,
    Failed,
    FailureReason,
    Preparing,
    Probed,
    Progress,
    Submitted,
    Uploading,
)
from wanvideo.pricing import Estimate, billed_difference, estimated_seconds, format_amount, seconds_text
from wanvideo.task_status import (
    COMPLETED,
    FAILED,
    PENDING,
    STATUS_LABELS,
    record_status_for,
    status_label,
)

from .cost_view import estimate_summary

IDLE = "### Status\nNothing running. Fill in the form and press **Generate**."

# Phases of one click, in order; DONE and FAILED are final.
CHECKING = "checking"
PREPARING = "preparing"  # references being fixed, before the job is handed over: Stop stops it
STARTING = "starting"
UPLOADING = "uploading"
SUBMITTED = "submitted"
RUNNING = "running"
DOWNLOADING = "downloading"
DONE = "done"
FAILED_PHASE = "failed"
WATCHING_PHASES = (SUBMITTED, RUNNING, DOWNLOADING)
FINAL_PHASES = (DONE, FAILED_PHASE)

# The Stop button's two faces: Stop (stop following) and Cancel task (the provider can still
# cancel it: DashScope while PENDING, fal while queued).
STOP_LABEL = "Stop"
CANCEL_LABEL = "Cancel task"
CANCELLED = (
    "### Cancelled\nTask `{task_id}` was cancelled at the provider before it started: **not charged**. "
    "Generate again when you are ready."
)
NEXT_IN_LINE = "next in the provider's queue"
AHEAD = "{count} ahead in the provider's queue"
HEADLINE_FAILED = "✗ The generation failed"
HEADLINE_CANCELLED = "✗ Cancelled at the provider: not charged"
CANCEL_FAILED = "{stopped}\n\n**Why it was not cancelled:** {why}"
BILLED = "The provider billed **{seconds} s**; the estimate said {expected} s."
BILLED_DIFFERS = "⚠ Not as estimated: {difference}. This is logged so the price rules can be corrected."

STOPPED_BEFORE_SENDING = (
    "### Stopped\nStopped before anything was sent: no task was created and nothing will be charged."
)
STOPPED_HANDED_OVER = (
    "### Stopped watching\nYour request was already handed to the app's background runner: it "
    "**will still be submitted and charged** if the video is made. It appears under History when done."
)


def stopped_task(task_id: str, reserved: Decimal | None, unit: str = "credits") -> str:
    cost = f" (about {format_amount(reserved, unit)})" if reserved else ""
    return (
        f"### Stopped watching\nTask `{task_id}` **continues** at the provider and **will still be "
        f"charged{cost}** if the video is made. The app keeps following it in the background and "
        "saves the video: find it under History."
    )


@dataclass(frozen=True)
class Started:
    """The request was handed to the TaskManager (it survives the browser closing)."""

    record_id: str


def _clock(seconds: float | None) -> str:
    s = int(max(0, seconds or 0))
    return f"{s // 60}:{s % 60:02d}"


def _bar(percent: float) -> str:
    filled = int(round(max(0.0, min(100.0, percent)) / 5))
    return "`" + "█" * filled + "░" * (20 - filled) + f"` {percent:.0f}%"


def _mb(n: int | None) -> str:
    n = n or 0
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def progress_word(provider_or_record_status: str) -> str:
    """The headline word for a Progress event's status (a record status or a provider word)."""
    status = provider_or_record_status.lower()
    if status not in STATUS_LABELS:
        status = record_status_for(status)
    return status_label(status)


@dataclass
class View:
    """What one click shows: steps done, the current step and, at the end, the outcome."""

    provider: str
    simulated: bool = False  # demo mode: every provider is the simulator
    cancel: str = "none"  # when the provider can cancel a task (ProviderProfile.cancel)
    phase: str = CHECKING
    headline: str = "Checking references…"
    detail: str = ""
    done: list[str] = field(default_factory=list)
    task_id: str | None = None
    record_id: str | None = None
    credits_reserved: Decimal | None = None
    estimate: Estimate | None = None
    video_name: str | None = None
    video_url: str | None = None
    video_url_expires: int | None = None
    error: dict[str, Any] | None = None
    outcome: str = ""
    queued: bool = True  # not yet seen running at the provider (it may still be cancelled)
    billed_seconds: Decimal | None = None  # the provider's own billed figure (DashScope, fal)

    @property
    def unit(self) -> str:
        return self.estimate.unit if self.estimate is not None else "credits"

    def money(self, amount: Decimal, usd: Decimal | None = None) -> str:
        return format_amount(amount, self.unit, usd)

    @property
    def can_cancel(self) -> bool:
        """The provider can still cancel the task: it is created and waits in the queue."""
        return self.cancel != "none" and self.phase in (SUBMITTED, RUNNING) and self.queued

    def apply(self, event: Started | Event) -> None:
        if isinstance(event, Started):
            self.record_id, self.phase, self.headline = event.record_id, STARTING, "Starting…"
        elif isinstance(event, Probed):
            self.estimate = event.estimate or self.estimate
            if not event.problems:
                cost = (
                    f" (estimate {self.money(event.estimate.credits, event.estimate.usd)})"
                    if event.estimate
                    else ""
                )
                self.done.append(f"✓ References checked: {len(event.probes)}{cost}")
        elif isinstance(event, Preparing):
            self.phase = PREPARING
            self.headline = f"Preparing character{event.index}: {event.percent:.0f}%"
            what = f": {html.escape(', '.join(event.notes))}" if event.notes else ""
            self.detail = f"{html.escape(event.name)}{what}\n\n{_bar(event.percent)}"
            if event.percent >= 100:
                self.done.append(f"✓ Prepared character{event.index} ({html.escape(event.name)}){what}")
                self.detail = ""
        elif isinstance(event, Uploading):
            self.phase = UPLOADING
            self.headline = f"Uploading file {event.index} of {event.count}: {event.percent:.0f}%"
            self.detail = f"{html.escape(event.name)}: {_mb(event.bytes_sent)} of {_mb(event.bytes_total)}"
            if event.index == event.count and event.bytes_total and event.bytes_sent >= event.bytes_total:
                self.done.append(f"✓ Uploaded {event.count} file{'s' if event.count > 1 else ''}")
                self.detail = ""
        elif isinstance(event, Submitted):
            self.phase, self.task_id = SUBMITTED, event.task_id
            self.credits_reserved = event.credits_reserved
            reserved = f", {self.money(event.credits_reserved)} reserved" if event.credits_reserved else ""
            self.done.append(f"✓ Submitted: task `{event.task_id}`{reserved}")
            self.headline, self.detail = "Submitted: waiting for the provider…", ""
        elif isinstance(event, Progress) and not event.task_id:
            pass  # the runner's snapshot before the task exists: still starting
        elif isinstance(event, Progress):
            self.phase, self.task_id = RUNNING, event.task_id
            self.queued = self.queued and record_status_for(event.status) == PENDING
            self.headline = f"{progress_word(event.status)}: {event.percent:.0f}%"
            eta = f" · about {_clock(event.eta)} left" if event.eta else ""
            self.detail = f"{_bar(event.percent)}\n\nElapsed {_clock(event.elapsed)}{eta}"
            if event.queue_position is not None:  # fal: 0 = next in line
                place = (
                    NEXT_IN_LINE if event.queue_position == 0 else AHEAD.format(count=event.queue_position)
                )
                self.detail += f" · {place}"
        elif isinstance(event, Downloading):
            self.phase, self.task_id = DOWNLOADING, event.task_id
            if self.done and not self.done[-1].startswith("✓ Video made"):
                self.done.append("✓ Video made by the provider")
            total = f" of {_mb(event.bytes_total)}" if event.bytes_total else ""
            self.headline = "Downloading the video…"
            self.detail = f"{_mb(event.bytes_received)}{total} received"
        elif isinstance(event, Completed):
            self.phase, self.task_id = DONE, event.task_id
            self.video_name = event.video_path.name
            self.estimate = event.estimate or self.estimate
            self.headline, self.detail = "✓ Done: the video is saved", ""
            self.billed_seconds = event.billed_seconds
            demo = self.simulated or self.provider == "demo"
            if event.credits_charged is not None:
                word = "Simulated final charge" if demo else "Final charge"
                self.outcome = f"{word}: **{self.money(event.credits_charged)}**."
            elif self.estimate is not None:
                self.outcome = (
                    "Final charge not reported yet; estimated "
                    f"{self.money(self.estimate.credits, self.estimate.usd)}."
                )
            self.outcome += billed_lines(self.estimate, event.billed_seconds)
            if demo:
                self.outcome += " Demo mode: nothing was really charged."
        elif isinstance(event, Failed):
            self.phase, self.task_id = FAILED_PHASE, event.task_id or self.task_id
            cancelled = event.reason is FailureReason.CANCELLED
            self.headline, self.detail = (HEADLINE_CANCELLED if cancelled else HEADLINE_FAILED), ""
            self.error = {
                "message": event.message,
                "suggestion": event.suggestion,
                "code": event.code,
                "reason": event.reason.value,
                "problems": list(event.problems),
                "charged": event.charged,
                "task_continues": event.task_continues,
            }

    def markdown(self) -> str:
        parts = [f"### {self.headline}"]
        if self.detail:
            parts.append(self.detail)
        if self.task_id and self.phase in WATCHING_PHASES:
            reserved = f" · {self.money(self.credits_reserved)} reserved" if self.credits_reserved else ""
            parts.append(f"Task `{self.task_id}`{reserved}")
        if self.error is not None:
            parts.append(f"**What happened:** {self.error['message']}")
            if self.error["suggestion"]:
                parts.append(f"**What to do:** {self.error['suggestion']}")
            if len(self.error["problems"]) > 1:
                parts.append("\n".join(f"- {p}" for p in self.error["problems"]))
            parts.append(f"**Task:** `{self.task_id}`" if self.task_id else "**Task:** none was created.")
            if self.error["charged"]:
                parts.append("**Charge:** the video was made, so this task is billed.")
            elif self.error["task_continues"]:
                parts.append(
                    "**Charge:** the task may still be running at the provider and would be billed if it succeeds."
                )
            else:
                parts.append("**Charge:** not charged (the provider bills only videos that are made).")
        if self.outcome:
            parts.append(self.outcome)
        if self.done:
            parts.append("\n".join(f"- {step}" for step in self.done))
        return "\n\n".join(parts)

    def record(self) -> dict[str, Any]:
        """The task record returned by `/generate`. No server path: the video is a file name
        and a signed link that works for a few minutes (`video_url`, `video_url_expires_at`)."""
        status = {DONE: COMPLETED, FAILED_PHASE: FAILED}.get(self.phase, self.phase)
        return {
            "task_id": self.task_id,
            "record_id": self.record_id,
            "status": status,
            "provider": self.provider,
            "video_path": self.video_name,
            "video_url": self.video_url,
            "video_url_expires_at": self.video_url_expires,
            "estimate": estimate_summary(self.estimate),
            "credits_reserved": float(self.credits_reserved) if self.credits_reserved is not None else None,
            "can_cancel": self.can_cancel,
            "provider_billed_seconds": float(self.billed_seconds)
            if self.billed_seconds is not None
            else None,
            "error": self.error,
        }

    def tracking(self) -> dict[str, Any]:
        """What Stop needs to know (kept in gr.State for this browser tab)."""
        return {
            "phase": self.phase,
            "task_id": self.task_id,
            "record_id": self.record_id,
            "credits_reserved": str(self.credits_reserved) if self.credits_reserved is not None else None,
            "unit": self.unit,
            "cancel": self.can_cancel,
        }


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def billed_lines(priced: Estimate | None, billed: Decimal | None) -> str:
    """The provider's own billed seconds beside the estimate, and a flag when they differ."""
    if billed is None or priced is None:
        return ""
    text = " " + BILLED.format(seconds=seconds_text(billed), expected=estimated_seconds(priced))
    difference = billed_difference(priced, billed)
    return text + (" " + BILLED_DIFFERS.format(difference=difference) if difference else "")


def stop_label(tracking: dict[str, Any] | None) -> str:
    """Stop, or Cancel task while the provider can still cancel the tracked task."""
    return CANCEL_LABEL if (tracking or {}).get("cancel") else STOP_LABEL


def cancel_message(outcome: str | None, why: str, tracking: dict[str, Any] | None) -> str:
    """The panel after Cancel task: cancelled (not charged), or what Stop says plus why not."""
    task_id = (tracking or {}).get("task_id") or ""
    if outcome == "cancelled":
        return CANCELLED.format(task_id=task_id)
    return CANCEL_FAILED.format(stopped=stop_message(tracking), why=why)


def cancel_json(result: Any, task_id: str, record_id: str | None = None) -> dict[str, Any]:
    """The `/cancel` answer from a `CancelResult` (None: no such task of the caller's)."""
    if result is None:
        return {
            "task_id": task_id,
            "record_id": None,
            "outcome": "not_found",
            "cancelled": False,
            "charged": None,
            "message": NO_SUCH_TASK,
        }
    return {
        "task_id": result.task_id or task_id,
        "record_id": record_id,
        "outcome": result.outcome.value,
        "cancelled": result.cancelled,
        "charged": result.charged,
        "message": result.message,
    }


NO_SUCH_TASK = "No task of yours has this id: pass the task_id (or record_id) of a task you started."


def stop_message(tracking: dict[str, Any] | None) -> str:
    """What Stop means at the tracked step (the task itself always goes on once handed over)."""
    phase = (tracking or {}).get("phase")
    if phase is None or phase in FINAL_PHASES:
        return IDLE
    if phase in (CHECKING, PREPARING):
        return STOPPED_BEFORE_SENDING
    task_id = tracking.get("task_id")  # type: ignore[union-attr]
    if task_id:
        return stopped_task(
            task_id,
            _decimal(tracking.get("credits_reserved")),  # type: ignore[union-attr]
            tracking.get("unit") or "credits",  # type: ignore[union-attr]
        )
    return STOPPED_HANDED_OVER
