"""Generate / Stop and the streamed status panel (elem_id `status-panel`), plus `/generate`.

The handler checks everything before money is spent (gr.Error says what to change), hands
the request to the TaskManager and renders the events it follows. All of the wiring to the
domain's job runner sits in `follow_generation()`, the one place to change.
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import gradio as gr
from pydantic import ValidationError

from wanvideo.events import Completed, Downloading, Event, Failed, Probed, Progress, Submitted, Uploading
from wanvideo.job import check_references, run_generation
from wanvideo.pricing import Estimate
from wanvideo.schemas import GenerationRequest, plain_problems

from . import cost as cost_panel
from . import identity
from .context import AppContext
from .form import Form
from .result import Result

IDLE = "### Status\nNothing running. Fill in the form and press **Generate**."


@dataclass(frozen=True)
class Started:
    """The request was handed to the runner (`background`: it survives the browser closing)."""

    record_id: str | None
    background: bool


async def follow_generation(
    ctx: AppContext, request: GenerationRequest, *, owner: str, api_key: str | None
) -> AsyncIterator[Started | Event]:
    """Start one generation and follow its events: the ONE place the UI talks to the runner.

    With a TaskManager the job runs in the manager's thread (a paid task keeps going and
    is saved when the browser closes or Stop is pressed); this only follows it.
    """
    if ctx.manager is not None:
        record = ctx.manager.submit(request, owner=owner, api_key=api_key)
        yield Started(record_id=getattr(record, "id", None), background=True)
        async for event in ctx.manager.follow(record.id, owner=owner):
            yield event
        return
    # Fallback without a TaskManager: follow the job in this handler (Stop ends the watching).
    key = api_key or (ctx.settings.api_key.get_secret_value() if ctx.settings.api_key else None)
    yield Started(record_id=None, background=False)
    async for event in run_generation(
        request, profile=ctx.profile, settings=ctx.settings, api_key=key, dest_dir=ctx.settings.videos_dir
    ):
        yield event


# --------------------------------------------------------------------------- rendering


def _clock(seconds: float | None) -> str:
    s = int(max(0, seconds or 0))
    return f"{s // 60}:{s % 60:02d}"


def _bar(percent: float) -> str:
    filled = int(round(max(0.0, min(100.0, percent)) / 5))
    return "`" + "█" * filled + "░" * (20 - filled) + f"` {percent:.0f}%"


def _credits(value: Decimal | None) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value is not None else "?"


def _mb(n: int | None) -> str:
    n = n or 0
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


@dataclass
class View:
    """What one click shows: steps done, the current step and, at the end, the outcome."""

    provider: str
    background: bool = True
    phase: str = (
        "checking"  # checking | starting | uploading | submitted | running | downloading | done | failed
    )
    headline: str = "Checking references…"
    detail: str = ""
    done: list[str] = field(default_factory=list)
    task_id: str | None = None
    record_id: str | None = None
    credits_reserved: Decimal | None = None
    estimate: Estimate | None = None
    video_path: Path | None = None
    error: dict[str, Any] | None = None
    outcome: str = ""

    def apply(self, event: Started | Event) -> None:
        if isinstance(event, Started):
            self.record_id, self.background, self.phase = event.record_id, event.background, "starting"
            self.headline = "Starting…"
        elif isinstance(event, Probed):
            self.estimate = event.estimate or self.estimate
            if not event.problems:
                cost = f" (estimate {_credits(event.estimate.credits)} credits)" if event.estimate else ""
                self.done.append(f"✓ References checked: {len(event.probes)}{cost}")
        elif isinstance(event, Uploading):
            self.phase = "uploading"
            self.headline = f"Uploading file {event.index} of {event.count}: {event.percent:.0f}%"
            self.detail = f"{html.escape(event.name)}: {_mb(event.bytes_sent)} of {_mb(event.bytes_total)}"
            if event.index == event.count and event.bytes_total and event.bytes_sent >= event.bytes_total:
                self.done.append(f"✓ Uploaded {event.count} file{'s' if event.count > 1 else ''}")
                self.detail = ""
        elif isinstance(event, Submitted):
            self.phase, self.task_id = "submitted", event.task_id
            self.credits_reserved = event.credits_reserved
            reserved = (
                f", {_credits(event.credits_reserved)} credits reserved" if event.credits_reserved else ""
            )
            self.done.append(f"✓ Submitted: task `{event.task_id}`{reserved}")
            self.headline, self.detail = "Submitted: waiting for the provider…", ""
        elif isinstance(event, Progress) and not event.task_id:
            pass  # the runner's snapshot before the task exists: still starting
        elif isinstance(event, Progress):
            self.phase, self.task_id = "running", event.task_id
            word = {
                "pending": "Queued",
                "queued": "Queued",
                "submitted": "Queued",
                "created": "Queued",
                "processing": "Processing",
                "running": "Processing",
                "downloading": "Downloading",
            }.get(event.status, "Finishing" if event.percent >= 100 else event.status.capitalize())
            self.headline = f"{word}: {event.percent:.0f}%"
            eta = f" · about {_clock(event.eta)} left" if event.eta else ""
            self.detail = f"{_bar(event.percent)}\n\nElapsed {_clock(event.elapsed)}{eta}"
        elif isinstance(event, Downloading):
            self.phase, self.task_id = "downloading", event.task_id
            if self.done and not self.done[-1].startswith("✓ Video made"):
                self.done.append("✓ Video made by the provider")
            total = f" of {_mb(event.bytes_total)}" if event.bytes_total else ""
            self.headline = "Downloading the video…"
            self.detail = f"{_mb(event.bytes_received)}{total} received"
        elif isinstance(event, Completed):
            self.phase, self.task_id, self.video_path = "done", event.task_id, event.video_path
            self.estimate = event.estimate or self.estimate
            self.headline, self.detail = "✓ Done: the video is saved", ""
            demo = self.provider == "demo"
            if event.credits_charged is not None:
                word = "Simulated final charge" if demo else "Final charge"
                self.outcome = f"{word}: **{_credits(event.credits_charged)} credits**."
            elif self.estimate is not None:
                self.outcome = (
                    f"Final charge not reported yet; estimated {_credits(self.estimate.credits)} credits."
                )
            if demo:
                self.outcome += " Demo mode: nothing was really charged."
        elif isinstance(event, Failed):
            self.phase, self.task_id = "failed", event.task_id or self.task_id
            self.headline, self.detail = "✗ The generation failed", ""
            self.error = {
                "message": event.message,
                "suggestion": event.suggestion,
                "code": event.code,
                "problems": list(event.problems),
                "charged": event.charged,
                "task_continues": event.task_continues,
            }

    def markdown(self) -> str:
        parts = [f"### {self.headline}"]
        if self.detail:
            parts.append(self.detail)
        if self.task_id and self.phase in ("submitted", "running", "downloading"):
            reserved = (
                f" · {_credits(self.credits_reserved)} credits reserved" if self.credits_reserved else ""
            )
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
        """The task record returned by `/generate`."""
        status = {"done": "completed", "failed": "failed"}.get(self.phase, self.phase)
        return {
            "task_id": self.task_id,
            "record_id": self.record_id,
            "status": status,
            "provider": self.provider,
            "video_path": str(self.video_path) if self.video_path else None,
            "estimate": cost_panel.estimate_summary(self.estimate),
            "credits_reserved": float(self.credits_reserved) if self.credits_reserved is not None else None,
            "error": self.error,
        }

    def tracking(self) -> dict[str, Any]:
        """What Stop needs to know (kept in gr.State for this browser tab)."""
        return {
            "phase": self.phase,
            "task_id": self.task_id,
            "record_id": self.record_id,
            "background": self.background,
            "credits_reserved": float(self.credits_reserved) if self.credits_reserved is not None else None,
        }


def stop_message(tracking: dict[str, Any] | None) -> str:
    if not tracking or tracking.get("phase") in (None, "done", "failed"):
        return IDLE
    task_id = tracking.get("task_id")
    reserved = tracking.get("credits_reserved")
    cost = f" (about {reserved:g} credits)" if reserved else ""
    background = tracking.get("background")
    if tracking.get("phase") == "checking":
        return (
            "### Stopped\nStopped before anything was sent: no task was created and nothing will be charged."
        )
    if task_id and background:
        return (
            f"### Stopped watching\nTask `{task_id}` **continues** at the provider and **will still be "
            f"charged{cost}** if the video is made. The app keeps following it in the background and "
            "saves the video: find it under History."
        )
    if task_id:
        return (
            f"### Stopped watching\nTask `{task_id}` **continues** at the provider and **will still be "
            f"charged{cost}** if the video is made, but this page no longer downloads it."
        )
    if background:
        return (
            "### Stopped watching\nYour request was already handed to the app's background runner: it "
            "**will still be submitted and charged** if the video is made. It appears under History when done."
        )
    return (
        "### Stopped\nStopped before the task was created (unless the paid request was being sent at "
        "this very moment): nothing should be charged."
    )


# --------------------------------------------------------------------------- UI


@dataclass
class Status:
    generate: gr.Button
    stop: gr.Button
    panel: gr.Markdown
    tracking: gr.State
    generate_event: Any = None  # the Dependency of Generate, for panels that chain on it


def render() -> Status:
    with gr.Row(elem_id="actions"):
        generate = gr.Button("Generate", variant="primary", elem_id="generate", scale=3, min_width=120)
        stop = gr.Button("Stop", variant="stop", elem_id="stop", scale=1, min_width=80)
    panel = gr.Markdown(IDLE, label="Status", elem_id="status-panel", elem_classes=["wan-panel"])
    tracking = gr.State(None)
    return Status(generate=generate, stop=stop, panel=panel, tracking=tracking)


def _refuse(problems: list[str]) -> gr.Error:
    text = "Cannot generate yet; nothing was sent or charged. " + " ".join(
        p if p.endswith(".") else p + "." for p in problems
    )
    return gr.Error(text, title="Fix the form first", print_exception=False)


def listen(
    ctx: AppContext, form: Form, status: Status, result: Result, owner: gr.components.Component | None
) -> None:
    async def generate(
        prompt: str,
        videos: Any = None,
        video_urls: str = "",
        quality: str = "720p",
        aspect_ratio: str = "16:9",
        duration: Any = None,
        shot_type: str = "single",
        callback_url: str | None = None,
        api_key: str | None = None,
        owner_id: Any = None,
        request: gr.Request = None,  # type: ignore[assignment]
    ) -> AsyncIterator[tuple[Any, ...]]:
        """Generate a video from 1 to 3 reference clips. Streams the status (markdown); the final
        value holds the saved video file and the task record (task_id, status, provider,
        video_path, estimate, error)."""
        key = (api_key or "").strip() or None
        if ctx.needs_user_key and not key:
            raise _refuse(["This app runs on your own key: open Advanced and paste it into API key"])
        if duration is None or duration == "":
            duration = ctx.profile.default_duration
        seconds, duration_problem = cost_panel.parse_duration(ctx, duration)
        if duration_problem:
            raise _refuse([duration_problem])
        paths, urls = cost_panel.file_paths(videos), cost_panel.url_lines(video_urls)
        try:
            req = GenerationRequest.model_validate(
                {
                    "prompt": prompt or "",
                    "videos": paths,
                    "video_urls": urls,
                    "quality": quality,
                    "aspect_ratio": aspect_ratio,
                    "duration": seconds,
                    "shot_type": shot_type,
                    "callback_url": callback_url or None,
                },
                context={"profile": ctx.profile},
            )
        except ValidationError as exc:
            raise _refuse(plain_problems(exc)) from None

        view = View(provider=ctx.profile.name)
        yield view.markdown(), None, None, view.tracking()
        probed = await check_references(
            req.videos, req.video_urls, req.quality, req.duration, ctx.profile, ctx.settings
        )
        if probed.problems:
            view.apply(Failed(message="The references cannot be used as they are.", problems=probed.problems))
            view.headline = "✗ Fix the references first"
            yield view.markdown(), None, view.record(), None
            raise _refuse(list(probed.problems))
        view.apply(probed)
        yield view.markdown(), None, None, view.tracking()

        who = _owner(ctx, owner_id, request)
        async for event in follow_generation(ctx, req, owner=who, api_key=key):
            if isinstance(event, Probed):
                continue  # already checked and shown above
            view.apply(event)
            if isinstance(event, Completed):
                yield view.markdown(), str(event.video_path), view.record(), None
                return
            if isinstance(event, Failed):
                gr.Warning(event.message)
                yield view.markdown(), None, view.record(), None
                return
            yield view.markdown(), gr.skip(), gr.skip(), view.tracking()

    def stop(tracking: dict[str, Any] | None) -> tuple[str, None]:
        return stop_message(tracking), None

    extra = [owner] if owner is not None else []
    status.generate_event = status.generate.click(
        generate,
        inputs=[
            form.prompt,
            form.videos,
            form.video_urls,
            form.quality,
            form.aspect_ratio,
            form.duration,
            form.shot_type,
            form.callback_url,
            form.api_key,
            *extra,
        ],
        outputs=[status.panel, result.video, result.record, status.tracking],
        api_name="generate",
        concurrency_limit=None,
        show_progress="minimal",
    )
    status.stop.click(
        stop,
        inputs=status.tracking,
        outputs=[status.panel, status.tracking],
        cancels=[status.generate_event],
        api_visibility="private",
    )


def _owner(ctx: AppContext, owner_value: Any, request: gr.Request | None) -> str:
    """Who owns the task: the signed-in user or the browser's verified anonymous id
    (components.identity); an API client without either is keyed by its session."""
    who = identity.owner_for(ctx, owner_value, request)
    if who:
        return who
    session = getattr(request, "session_hash", None) if request is not None else None
    return f"session:{session}" if session else "session:anonymous"
