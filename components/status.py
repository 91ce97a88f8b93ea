"""Generate / Stop and the streamed status panel (elem_id `status-panel`), plus `/generate`.

The handler reads the form (`inputs`), checks the references once (`check_references`: that
`Probed` goes to the TaskManager, so nothing is probed twice), hands the request to the
TaskManager and renders the events it follows through `status_view.View`. Every refusal is a
gr.Error that says what to change; nothing is sent or charged before it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import gradio as gr
from pydantic import ValidationError

from wanvideo.budget import SpendRefused
from wanvideo.errors import WanError
from wanvideo.escape import for_html
from wanvideo.events import Completed, Failed, FailureReason, Probed
from wanvideo.job import check_references, prepare_step
from wanvideo.messages import EN, Message
from wanvideo.providers import ProviderProfile
from wanvideo.schemas import GenerationRequest, plain_problems
from wanvideo.web.routes import signed_video_path

from . import identity, inputs
from .context import AppContext
from .form import Form
from .lang import lang_of, static, t
from .result import Result, empty_html, player_html, public_root
from .status_view import (
    Started,
    View,
    cancel_json,
    cancel_message,
    stop_label,
    stop_message,
)
from .stop_signal import StopSignals


@dataclass
class Status:
    generate: gr.Button
    stop: gr.Button
    panel: gr.Markdown
    tracking: gr.State
    # hidden: the /cancel endpoint's inputs, trigger and output
    cancel_task_id: gr.Textbox
    cancel_key: gr.Textbox
    cancel_trigger: gr.Button
    cancel_result: gr.JSON
    generate_event: Any = None  # the Dependency of Generate, for panels that chain on it


def render() -> Status:
    with gr.Row(elem_id="actions"):
        generate = gr.Button(
            static("form.generate"), variant="primary", elem_id="generate", scale=3, min_width=120
        )
        stop = gr.Button(static("form.stop"), variant="stop", elem_id="stop", scale=1, min_width=80)
    panel = gr.Markdown(
        static("view.idle_panel"),
        label=static("form.status"),
        elem_id="status-panel",
        elem_classes=["wan-panel"],
    )
    tracking = gr.State(None)
    return Status(
        generate=generate,
        stop=stop,
        panel=panel,
        tracking=tracking,
        cancel_task_id=gr.Textbox(visible=False, label="task_id"),
        cancel_key=gr.Textbox("", visible=False, label="api_key"),
        cancel_trigger=gr.Button("Cancel", visible=False),
        cancel_result=gr.JSON(visible=False, label="Cancel"),
    )


def refusal(problems: list[str], lang: str = EN) -> gr.Error:
    shown = [for_html(p, lang) for p in problems]  # a toast renders HTML: visitor values escaped
    text = t(
        "view.cannot_generate",
        lang,
        problems=" ".join(p if p.endswith((".", "。")) else p + ("。" if lang != EN else ".") for p in shown),
    )
    return gr.Error(text, title=t("refusal.title", lang), print_exception=False)


def read_request(
    ctx: AppContext,
    lang: str = EN,
    *,
    prompt: Any,
    videos: Any,
    video_urls: Any,
    quality: Any,
    aspect_ratio: Any,
    duration: Any,
    shot_type: Any,
    callback_url: Any,
    fix_references: Any = True,
    reference_starts: Any = "",
    profile: ProviderProfile | None = None,
) -> GenerationRequest:
    """The form as a validated request on `profile` (default: the configured provider, its
    selected model), or a refusal naming every field to fix."""
    profile = profile or ctx.profile
    seconds, duration_problem = inputs.parse_duration(profile, duration)
    urls, problems = inputs.parse_urls(video_urls)
    starts, starts_problem = inputs.parse_starts(reference_starts)
    if duration_problem:
        problems.append(duration_problem)
    if starts_problem:
        problems.append(starts_problem)
    if problems:
        raise refusal(problems, lang)
    try:
        return GenerationRequest.model_validate(
            {
                "prompt": prompt or "",
                "videos": inputs.file_paths(videos),
                "video_urls": urls,
                "quality": quality,
                "aspect_ratio": aspect_ratio,
                "duration": seconds,
                "shot_type": shot_type,
                "callback_url": callback_url or None,
                "fix_references": inputs.parse_fix(fix_references),
                "reference_starts": starts,
                "model": profile.model,
            },
            context={"profile": profile},
        )
    except ValidationError as exc:
        raise refusal(plain_problems(exc), lang) from None


def listen(
    ctx: AppContext, form: Form, status: Status, result: Result, owner: gr.components.Component
) -> None:
    stops = StopSignals()

    @stops.stoppable
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
        fix_references: bool = True,
        reference_starts: str = "",
        provider: str = "",
        model: str = "",
        owner_id: Any = None,
        request: gr.Request = None,  # type: ignore[assignment]
    ) -> AsyncIterator[tuple[Any, ...]]:
        """Generate a video from 1 to 3 reference clips. fix_references (default on) prepares
        clips the provider would refuse (convert, rotate, trim to the 30 s window starting at
        reference_starts, e.g. "0, 12.5", shrink) before anything is sent. Streams the status
        (markdown); the final value holds the player and the task record (task_id, status,
        provider, video_path: the file name, video_url: a signed link to download the video
        within minutes, estimate, error). provider and model (empty: this app's provider and its
        default model) pick who makes it; another provider runs on your own key for it."""
        lang = lang_of(request)
        key = (api_key or "").strip() or None
        picked = ctx.choice.pick(provider, model)
        if not picked.ok:
            raise refusal(picked.problems, lang)
        profile = picked.profile
        key_problem = ctx.choice.key_problem(profile, has_own_key=key is not None)
        if key_problem:
            raise refusal([key_problem], lang)
        if ctx.needs_user_key and not key:
            raise refusal([Message("input.own_key_needed")], lang)
        req = read_request(
            ctx,
            lang,
            prompt=prompt,
            videos=videos,
            video_urls=video_urls,
            quality=quality,
            aspect_ratio=aspect_ratio,
            duration=duration,
            shot_type=shot_type,
            callback_url=callback_url,
            fix_references=fix_references,
            reference_starts=reference_starts,
            profile=profile,
        )

        view = View(provider=profile.name, simulated=ctx.settings.is_demo, cancel=profile.cancel, lang=lang)
        yield view.markdown(), empty_html(lang), None, view.tracking()
        probed = await check_references(
            req.videos,
            req.video_urls,
            req.quality,
            req.duration,
            profile,
            ctx.settings,
            fix=req.fix_references,
            starts=req.reference_starts,
        )
        if probed.problems:
            view.apply(
                Failed(
                    message=Message("view.refs_unusable"),
                    problems=probed.problems,
                    reason=FailureReason.REFUSED,
                )
            )
            view.headline = t("view.fix_refs_first", lang)
            yield view.markdown(), gr.skip(), view.record(), None
            raise refusal(list(probed.problems), lang)
        view.apply(probed)
        yield view.markdown(), gr.skip(), None, view.tracking()
        if probed.to_prepare:
            # Prepared here, before the job is handed over: Stop cancels this handler, which
            # stops the worker; nothing was uploaded or created yet. The cost panel's
            # preparation of the same clips is reused (cached by content, start and settings).
            sources = [*req.videos, *req.video_urls]
            async for item in prepare_step(probed, sources, req.quality, req.duration, profile, ctx.settings):
                if isinstance(item, Probed):
                    probed = item
                    continue
                view.apply(item)
                if isinstance(item, Failed):
                    view.headline = t("view.ref_not_prepared", lang)
                    yield view.markdown(), gr.skip(), view.record(), None
                    raise gr.Error(
                        for_html(item.message, lang),
                        title=t("view.prepare_failed", lang),
                        print_exception=False,
                    )
                yield view.markdown(), gr.skip(), None, view.tracking()

        who = identity.owner_of(ctx, owner_id, request)
        try:  # in a thread: accepting reserves the estimate in one store transaction
            record = await asyncio.to_thread(
                ctx.manager.submit,
                req,
                owner=who,
                api_key=key,
                probed=probed,
                visitor=identity.visitor_of(ctx, request),
                # demo mode: another provider's simulator starts here on its first use
                profile=await asyncio.to_thread(ctx.run_profile, profile),
            )
        except SpendRefused as exc:  # a spending limit: nothing was uploaded or created
            view.apply(Failed(message=exc.message, reason=FailureReason.REFUSED))
            view.headline = t("view.not_started_limit", lang)
            yield view.markdown(), gr.skip(), view.record(), None
            raise gr.Error(
                for_html(exc.message, lang), title=t("budget.title", lang), print_exception=False
            ) from None
        view.apply(Started(record_id=record.id))
        yield view.markdown(), gr.skip(), gr.skip(), view.tracking()
        async for event in ctx.manager.follow(record.id, owner=who):
            if isinstance(event, Probed):
                continue  # already checked and shown above
            view.apply(event)
            if isinstance(event, Completed):
                path, view.video_url_expires = signed_video_path(ctx.identity, record.id, now=time.time())
                view.video_url = f"{public_root(request)}/{path}"
                yield view.markdown(), player_html(record.id, lang), view.record(), None
                return
            if isinstance(event, Failed):
                gr.Warning(for_html(event.message, lang))
                yield view.markdown(), gr.skip(), view.record(), None
                return
            # The record travels with every update once handed over: API callers read task_id,
            # status and can_cancel as fields while it runs.
            yield view.markdown(), gr.skip(), view.record(), view.tracking()

    async def stop(
        tracking: dict[str, Any] | None, api_key: str | None, owner_id: Any, request: gr.Request
    ) -> tuple[str, None]:
        """Stop following; where the provider can still cancel the task (Cancel task), cancel it.
        Generate ends with the same panel as its last update (`StopSignals`)."""
        panel = await stopped_panel(tracking, api_key, owner_id, request)
        stops.stop(request.session_hash, final=(panel, gr.skip(), gr.skip(), None))
        return panel, None

    async def stopped_panel(
        tracking: dict[str, Any] | None, api_key: str | None, owner_id: Any, request: gr.Request
    ) -> str:
        lang = lang_of(request)
        tracked = tracking or {}
        record_id = tracked.get("record_id")
        if not tracked.get("cancel") or not record_id:
            return stop_message(tracking, lang)
        who = identity.owner_of(ctx, owner_id, request)
        key = (api_key or "").strip() or None
        try:
            result = await asyncio.to_thread(ctx.manager.cancel, record_id, who, key)
        except WanError as exc:  # the provider could not be asked: the task goes on
            return cancel_message(None, exc.message, tracking, lang)
        if result is None:
            return stop_message(tracking, lang)
        return cancel_message(result.outcome.value, result.message, tracking, lang)

    async def cancel_api(
        task_id: str,
        api_key: str = "",
        owner_id: Any = None,
        request: gr.Request = None,  # type: ignore[assignment]
    ) -> dict[str, Any]:
        """Cancel one of your own tasks at the provider, where it can (while the task
        still waits in the provider's queue): nothing is charged then. task_id: the task record's
        task_id (or record_id). api_key: the key the task was started with, when it was your own
        and the app has restarted since. Returns outcome (cancelled, too_late, not_supported,
        not_found, not_submitted), cancelled, charged (false when cancelled; null: charged only if
        the video is made), message."""
        who = identity.owner_of(ctx, owner_id, request)
        record = await asyncio.to_thread(find_record, ctx, who, task_id)
        if record is None:
            return cancel_json(None, task_id)
        try:
            result = await asyncio.to_thread(
                ctx.manager.cancel, record.id, who, (api_key or "").strip() or None
            )
        except WanError as exc:
            lang = lang_of(request)
            title = t("view.provider_unreachable", lang)
            raise gr.Error(for_html(exc.message, lang), title=title, print_exception=False) from None
        return cancel_json(result, record.task_id or task_id, record.id)

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
            form.fix_references,
            form.reference_starts,
            form.provider,
            form.model,
            owner,
        ],
        outputs=[status.panel, result.video, result.record, status.tracking],
        api_name="generate",
        concurrency_limit=None,
        show_progress="minimal",
    )
    status.stop.click(
        stop,
        inputs=[status.tracking, form.api_key, owner],
        outputs=[status.panel, status.tracking],
        # no `cancels=`: Generate ends itself with Stop's panel as its last update (StopSignals)
        api_visibility="private",
    )

    # Stop reads "Cancel task" while the provider can still cancel the task.
    def relabel(tracking: dict[str, Any] | None, request: gr.Request) -> Any:
        return gr.update(value=stop_label(tracking, lang_of(request)))

    status.tracking.change(
        relabel,
        inputs=status.tracking,
        outputs=status.stop,
        api_visibility="private",
        queue=False,
        show_progress="hidden",
    )
    status.cancel_trigger.click(
        cancel_api,
        inputs=[status.cancel_task_id, status.cancel_key, owner],
        outputs=status.cancel_result,
        api_name="cancel",
        concurrency_limit=None,
    )


def find_record(ctx: AppContext, owner: str, task_id: str) -> Any:
    """The owner's record with this provider task id (or record id); None for anyone else's."""
    wanted = (task_id or "").strip()
    if not wanted:
        return None
    found = ctx.manager.get(wanted, owner)
    if found is not None:
        return found
    return next((r for r in ctx.manager.records(owner, limit=1000) if r.task_id == wanted), None)
