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

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from wanvideo.escape import for_markdown, markdown_code, markdown_text
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
from wanvideo.messages import EN, Message, t
from wanvideo.messages import render as tr
from wanvideo.pricing import Estimate, billed_difference, estimated_seconds, format_amount, seconds_text
from wanvideo.service import Started
from wanvideo.task_status import DOWNLOADING as SAVING
from wanvideo.task_status import (
    PENDING,
    Phase,
    progress_status,
    status_label,
)

from .cost_view import estimate_summary

IDLE = "### Status\nNothing running. Fill in the form and press **Generate**."


def idle(lang: str = EN) -> str:
    return f"### {t('form.status', lang)}\n{t('view.idle', lang)}"


# The Stop button's two faces: Stop (stop following) and Cancel task (the provider can still
# cancel it: while pending, or while queued). Their words: the catalogue's view.*.
STOP_LABEL = t("form.stop", EN)
CANCEL_LABEL = t("view.cancel_label", EN)

STOPPED_BEFORE_SENDING = (
    "### Stopped\nStopped before anything was sent: no task was created and nothing will be charged."
)
STOPPED_HANDED_OVER = (
    "### Stopped watching\nYour request was already handed to the app's background runner: it "
    "**will still be submitted and charged** if the video is made. It appears under History when done."
)


def stopped_task(task_id: str, reserved: Decimal | None, unit: str = "credits", lang: str = EN) -> str:
    cost = t("view.about_cost", lang, money=format_amount(reserved, unit)) if reserved else ""
    return f"### {t('view.stopped_watching', lang)}\n{t('view.stopped_task', lang, task_id=markdown_code(task_id), cost=cost)}"


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
    return status_label(progress_status(provider_or_record_status))


@dataclass
class View:
    """What one click shows: steps done, the current step and, at the end, the outcome."""

    provider: str
    simulated: bool = False  # demo mode: every provider is the simulator
    cancel: str = "none"  # when the provider can cancel a task (ProviderProfile.cancel)
    phase: Phase = Phase.CHECKING
    headline: str = ""
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
    billed_seconds: Decimal | None = None  # the provider's own billed figure (a queue provider)
    lang: str = EN  # the visitor's language (components/lang.py); the record stays language-free

    def __post_init__(self) -> None:
        self.headline = self.headline or self.t("view.checking")

    def t(self, id: str, /, **params: Any) -> str:  # noqa: A002
        return t(id, self.lang, **params)

    @property
    def unit(self) -> str:
        return self.estimate.unit if self.estimate is not None else "credits"

    def money(self, amount: Decimal, usd: Decimal | None = None) -> str:
        return tr(format_amount(amount, self.unit, usd), self.lang)

    @property
    def can_cancel(self) -> bool:
        """The provider can still cancel the task: it is created and waits in the queue."""
        return self.cancel != "none" and self.phase in (Phase.SUBMITTED, Phase.RUNNING) and self.queued

    def apply(self, event: Started | Event) -> None:
        if isinstance(event, Progress) and not event.task_id:
            return  # the runner's snapshot before the task exists: still starting
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def _on_started(self, event: Started) -> None:
        self.record_id, self.phase, self.headline = event.record_id, Phase.STARTING, self.t("view.starting")

    def _on_probed(self, event: Probed) -> None:
        self.estimate = event.estimate or self.estimate
        if not event.problems:
            cost = (
                self.t("view.checked_cost", money=self.money(event.estimate.credits, event.estimate.usd))
                if event.estimate
                else ""
            )
            self.done.append(self.t("view.checked", count=len(event.probes), cost=cost))

    def _on_preparing(self, event: Preparing) -> None:
        self.phase = Phase.PREPARING
        self.headline = self.t("view.preparing", index=event.index, percent=f"{event.percent:.0f}")
        notes = ", ".join(for_markdown(note, self.lang) for note in event.notes)
        what = f": {notes}" if event.notes else ""
        self.detail = f"{markdown_text(event.name)}{what}\n\n{_bar(event.percent)}"
        if event.percent >= 100:
            self.done.append(
                self.t("view.prepared", index=event.index, name=markdown_text(event.name), what=what)
            )
            self.detail = ""

    def _on_uploading(self, event: Uploading) -> None:
        self.phase = Phase.UPLOADING
        self.headline = self.t(
            "view.uploading", index=event.index, count=event.count, percent=f"{event.percent:.0f}"
        )
        self.detail = self.t(
            "view.upload_bytes",
            name=markdown_text(event.name),
            sent=_mb(event.bytes_sent),
            total=_mb(event.bytes_total),
        )
        if event.index == event.count and event.bytes_total and event.bytes_sent >= event.bytes_total:
            many = event.count > 1
            step = self.t("view.uploaded", count=event.count) if many else self.t("view.uploaded_one")
            if not self.done or self.done[-1] != step:  # the last file's 100% can arrive twice
                self.done.append(step)
            self.detail = ""

    def _on_submitted(self, event: Submitted) -> None:
        self.phase, self.task_id = Phase.SUBMITTED, event.task_id
        self.credits_reserved = event.credits_reserved
        reserved = (
            self.t("view.reserved_suffix", money=self.money(event.credits_reserved))
            if event.credits_reserved
            else ""
        )
        self.done.append(
            self.t("view.submitted_step", task_id=markdown_code(event.task_id), reserved=reserved)
        )
        self.headline, self.detail = self.t("view.waiting"), ""

    def _on_progress(self, event: Progress) -> None:
        self.phase, self.task_id = Phase.RUNNING, event.task_id
        self.queued = self.queued and progress_status(event.status) == PENDING
        if progress_status(event.status) == SAVING:
            # Made at the provider, not yet saved here: "Done" is said once the video is saved.
            self.headline = self.t("view.downloading")
        else:
            word = tr(progress_word(event.status), self.lang)
            self.headline = self.t("view.progress", word=word, percent=f"{event.percent:.0f}")
        eta = self.t("view.eta", left=_clock(event.eta)) if event.eta else ""
        self.detail = f"{_bar(event.percent)}\n\n" + self.t(
            "view.elapsed", elapsed=_clock(event.elapsed), eta=eta
        )
        if event.queue_position is not None:  # a queue provider: 0 = next in line
            place = (
                self.t("view.next_in_line")
                if event.queue_position == 0
                else self.t("view.ahead", count=event.queue_position)
            )
            self.detail += f" · {place}"

    def _on_downloading(self, event: Downloading) -> None:
        self.phase, self.task_id = Phase.DOWNLOADING, event.task_id
        if self.done and self.done[-1] != self.t("view.made"):
            self.done.append(self.t("view.made"))
        total = self.t("view.of_total", total=_mb(event.bytes_total)) if event.bytes_total else ""
        self.headline = self.t("view.downloading")
        self.detail = self.t("view.received", received=_mb(event.bytes_received), total=total)

    def _on_completed(self, event: Completed) -> None:
        self.phase, self.task_id = Phase.DONE, event.task_id
        self.video_name = event.video_path.name
        self.estimate = event.estimate or self.estimate
        self.headline, self.detail = self.t("view.done"), ""
        self.billed_seconds = event.billed_seconds
        demo = self.simulated or self.provider == "demo"
        if event.credits_charged is not None:
            word = "view.simulated_charge" if demo else "view.final_charge"
            self.outcome = self.t(word, money=self.money(event.credits_charged))
        elif self.estimate is not None:
            self.outcome = self.t(
                "view.charge_pending", money=self.money(self.estimate.credits, self.estimate.usd)
            )
        self.outcome += billed_lines(self.estimate, event.billed_seconds, self.lang)
        if demo:
            self.outcome += self.t("view.demo_free")

    def _on_failed(self, event: Failed) -> None:
        self.phase, self.task_id = Phase.FAILED, event.task_id or self.task_id
        cancelled = event.reason is FailureReason.CANCELLED
        self.headline, self.detail = self.t("view.cancelled_headline" if cancelled else "view.failed"), ""
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
        if self.task_id and self.phase.watching:
            reserved = (
                self.t("view.reserved_dot", money=self.money(self.credits_reserved))
                if self.credits_reserved
                else ""
            )
            parts.append(self.t("view.task_line", task_id=markdown_code(self.task_id), reserved=reserved))
        if self.error is not None:
            lang = self.lang
            parts.append(self.t("view.what_happened", text=for_markdown(self.error["message"], lang)))
            if self.error["suggestion"]:
                parts.append(self.t("view.what_to_do", text=for_markdown(self.error["suggestion"], lang)))
            if len(self.error["problems"]) > 1:
                parts.append("\n".join(f"- {for_markdown(p, lang)}" for p in self.error["problems"]))
            parts.append(
                self.t("view.task", task_id=markdown_code(self.task_id))
                if self.task_id
                else self.t("view.no_task")
            )
            if self.error["charged"]:
                parts.append(self.t("view.charged"))
            elif self.error["task_continues"]:
                parts.append(self.t("view.may_charge"))
            else:
                parts.append(self.t("view.not_charged"))
        if self.outcome:
            parts.append(self.outcome)
        if self.done:
            parts.append("\n".join(f"- {step}" for step in self.done))
        return "\n\n".join(parts)

    def record(self) -> dict[str, Any]:
        """The task record returned by `/generate`. No server path: the video is a file name
        and a signed link that works for a few minutes (`video_url`, `video_url_expires_at`)."""
        status = self.phase.record_status
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


# event type -> what it does to the view
_HANDLERS: dict[type, Callable[[View, Any], None]] = {
    Started: View._on_started,
    Probed: View._on_probed,
    Preparing: View._on_preparing,
    Uploading: View._on_uploading,
    Submitted: View._on_submitted,
    Progress: View._on_progress,
    Downloading: View._on_downloading,
    Completed: View._on_completed,
    Failed: View._on_failed,
}


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def billed_lines(priced: Estimate | None, billed: Decimal | None, lang: str = EN) -> str:
    """The provider's own billed seconds beside the estimate, and a flag when they differ."""
    if billed is None or priced is None:
        return ""
    text = " " + t("view.billed", lang, seconds=seconds_text(billed), expected=estimated_seconds(priced))
    difference = billed_difference(priced, billed)
    return text + (
        " " + t("view.billed_differs", lang, difference=tr(difference, lang)) if difference else ""
    )


def stop_label(tracking: dict[str, Any] | None, lang: str = EN) -> str:
    """Stop, or Cancel task while the provider can still cancel the tracked task."""
    return t("view.cancel_label", lang) if (tracking or {}).get("cancel") else t("form.stop", lang)


def cancel_message(outcome: str | None, why: str, tracking: dict[str, Any] | None, lang: str = EN) -> str:
    """The panel after Cancel task: cancelled (not charged), or what Stop says plus why not."""
    task_id = (tracking or {}).get("task_id") or ""
    if outcome == "cancelled":
        return f"### {t('view.cancelled', lang)}\n{t('view.cancelled_text', lang, task_id=markdown_code(task_id))}"
    return t("view.cancel_failed", lang, stopped=stop_message(tracking, lang), why=for_markdown(why, lang))


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


NO_SUCH_TASK = Message("view.no_such_task")


def stop_message(tracking: dict[str, Any] | None, lang: str = EN) -> str:
    """What Stop means at the tracked step (the task itself always goes on once handed over)."""
    word = (tracking or {}).get("phase")
    phase = Phase(word) if word in tuple(Phase) else None
    if phase is None or phase.final:
        return idle(lang)
    if phase.before_hand_over:
        return f"### {t('view.stopped', lang)}\n{t('view.stopped_before', lang)}"
    task_id = tracking.get("task_id")  # type: ignore[union-attr]
    if task_id:
        return stopped_task(
            task_id,
            _decimal(tracking.get("credits_reserved")),  # type: ignore[union-attr]
            tracking.get("unit") or "credits",  # type: ignore[union-attr]
            lang,
        )
    return f"### {t('view.stopped_watching', lang)}\n{t('view.stopped_handed_over', lang)}"
